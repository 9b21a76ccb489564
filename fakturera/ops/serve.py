"""`fakturera serve --role web|tasks|deliver|scheduler|all`: the installation's processes, for
a service manager (systemd) on any number of machines, from an installed wheel or a checkout.

- web: gunicorn (gthread) with Django's WSGI application; static files come from the
  package through WhiteNoise (settings: WHITENOISE_USE_FINDERS), nothing to collect first.
- tasks: the background task worker (core's db_worker), FAKTURERA_TASK_WORKERS processes.
- deliver: the delivery worker, FAKTURERA_DELIVERY_WORKERS processes.
- scheduler: the periodic jobs (any number of machines may run one: each due time runs once).
- all: every role on this machine, as `make run` does.

A role of one process runs in this process; more (or `all`) run as child processes of this
one, watched: SIGTERM or SIGINT is passed to each, which finishes what it has in hand
(gunicorn its requests, a worker its task or delivery round, the scheduler its job); after
FAKTURERA_STOP_SECONDS the rest are killed. Whichever child ends first takes the others down
(a port already taken, a crash), and its exit status is this one's.
"""

from __future__ import annotations

import gc
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connections

ROLES = ("web", "tasks", "deliver", "scheduler", "all")
SERVERS = ("gunicorn", "runserver")


@dataclass(frozen=True)
class Options:
    role: str
    processes: int | None = None  # None: from the settings (FAKTURERA_TASK_WORKERS ...)
    bind: str | None = None
    server: str = "gunicorn"


def serve(options: Options) -> int:
    if options.role == "all":
        return supervise(_all_commands(options))
    if options.role == "web":
        return _web(options)
    count = options.processes or _configured_processes(options.role)
    if count > 1:
        return supervise([_command(options.role, processes=1)] * count)
    return _run_here(options.role)


def _configured_processes(role: str) -> int:
    return {"tasks": settings.SERVE_TASK_WORKERS, "deliver": settings.SERVE_DELIVERY_WORKERS}.get(role, 1)


def _command(role: str, *, processes: int = 1, extra: tuple[str, ...] = ()) -> list[str]:
    return [sys.executable, "-m", "fakturera", "serve", "--role", role, "--processes", str(processes), *extra]


def _all_commands(options: Options) -> list[list[str]]:
    web_extra = ("--server", options.server, *(("--bind", options.bind) if options.bind else ()))
    return [
        _command("web", extra=web_extra),
        *[_command("tasks")] * max(options.processes or settings.SERVE_TASK_WORKERS, 1),
        *[_command("deliver")] * max(options.processes or settings.SERVE_DELIVERY_WORKERS, 1),
        _command("scheduler"),
    ]


# Young objects a worker allocates before the garbage collector looks for cycles (Python's
# default: 700). See _settle.
GC_THRESHOLD = 20_000


def _settle() -> None:
    """A worker's garbage collection for long runs of bulk work. What start-up made (Django, the
    apps, their modules: about 250,000 objects) lives as long as the process, so it is frozen
    out of every later collection; and the collector looks for cycles after 20,000 new objects,
    not 700, as a month-end's batches make and drop hundreds of thousands. Measured on laying
    out 1,500 invoices: 0.35 to 0.45 s of collections (two full ones of 0.2 s each) against 0.03
    to 0.15 s."""
    gc.collect()
    gc.freeze()
    _generation0, *older = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *older)


def _run_here(role: str) -> int:
    _settle()
    if role == "tasks":
        call_command("db_worker", "--queue-name", "*", "--no-reload")
    elif role == "deliver":
        call_command("deliver")
    elif role == "scheduler":
        call_command("scheduler")
    else:
        raise ValueError(role)
    return 0


def _web(options: Options) -> int:
    bind = options.bind or settings.SERVE_BIND
    if options.server == "runserver":
        # `make run`: Django's development server, DEBUG on, as the local demo always had it.
        call_command("runserver", bind, use_reloader=False)
        return 0
    from gunicorn.app.base import BaseApplication

    from fakturera.wsgi import application

    config: dict[str, Any] = {
        "bind": [bind],
        "workers": settings.SERVE_WEB_WORKERS,
        "threads": settings.SERVE_WEB_THREADS,
        "worker_class": "gthread",
        "timeout": settings.SERVE_WEB_TIMEOUT,
        "graceful_timeout": settings.SERVE_STOP_SECONDS,
        "keepalive": 5,
        "proc_name": "fakturera-web",
        # gunicorn 27's control socket lives in $HOME (one path for every gunicorn of the user,
        # a file outside the working directory); nothing of ours uses it.
        "control_socket_disable": True,
    }
    if settings.LOG_FORMAT == "json":
        # gunicorn's own lines through the installation's logging, one JSON object each;
        # with the console format gunicorn keeps its own plain lines.
        config["logconfig_dict"] = settings.LOGGING

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            for name, value in config.items():
                self.cfg.set(name, value)

        def load(self) -> Callable[..., Any]:
            return application

    # Nothing of this process's database connections may be shared by the forked workers.
    connections.close_all()
    Gunicorn().run()
    return 0


def supervise(commands: list[list[str]]) -> int:
    """Run `commands` as child processes until one ends or SIGTERM/SIGINT; then stop them all."""
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    children = [subprocess.Popen(command) for command in commands]  # noqa: S603 - our own command lines
    status = 0
    while not stopping.is_set():
        ended = [child for child in children if child.poll() is not None]
        if ended:
            status = ended[0].returncode or 1
            print(f"fakturera serve: {' '.join(ended[0].args[4:6])} ended ({ended[0].returncode}); stopping the rest",
                  file=sys.stderr)  # fmt: skip
            break
        stopping.wait(0.5)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + settings.SERVE_STOP_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return status
