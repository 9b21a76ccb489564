"""`fakturera serve --role all` in the production configuration, from the checkout: gunicorn
answers, the worker counts come from the environment, SIGTERM stops every process cleanly,
and a child that ends takes the others down (the wheel's test starts each role alone)."""

from __future__ import annotations

import gc
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from fakturera.core.secrets import new_key
from fakturera.core.tests.smtp import free_port

ROOT = Path(settings.BASE_DIR)


def _env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FAKTURERA_", "DJANGO_")) and name not in ("SECRET_KEY", "DATABASE_URL")
    }
    return env | {
        "DJANGO_SETTINGS_MODULE": "fakturera.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FAKTURERA_SECRET_KEYS": new_key(),
        "FAKTURERA_SITE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fakturera.sqlite3'}",
        "FAKTURERA_VAR_DIR": str(tmp_path / "var"),
        "FAKTURERA_BIND": f"127.0.0.1:{port}",
        "FAKTURERA_WEB_WORKERS": "1",
        **extra,
    }


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """One database migrated for the module (a migration run takes half a minute here)."""
    place = tmp_path_factory.mktemp("migrated")
    env = _env(place, free_port())
    done = subprocess.run([sys.executable, "-m", "fakturera", "migrate", "--noinput"], env=env, cwd=place,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return place / "fakturera.sqlite3"


def _children(pid: int) -> list[str]:
    found = subprocess.run(["ps", "-o", "args=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [line for line in found.stdout.splitlines() if line.strip()]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


def test_all_roles_run_together_with_the_configured_workers_and_stop_on_sigterm(tmp_path, migrated):
    port = free_port()
    env = _env(tmp_path, port, FAKTURERA_DELIVERY_WORKERS="2", FAKTURERA_TASK_WORKERS="1")
    shutil.copy(migrated, tmp_path / "fakturera.sqlite3")

    serving = subprocess.Popen(
        [sys.executable, "-m", "fakturera", "serve", "--role", "all"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not _healthy(port):
            assert serving.poll() is None, serving.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "the web server did not answer within 90 s"
            time.sleep(0.5)
        roles = sorted(line.split("--role ")[1].split()[0] for line in _children(serving.pid))
        assert roles == ["deliver", "deliver", "scheduler", "tasks", "web"]
        gunicorn = [line for line in _children(serving.pid) if "--role web" in line]
        assert gunicorn
    finally:
        serving.send_signal(signal.SIGTERM)
        code = serving.wait(timeout=90)
    assert code == 0, serving.stderr.read()[-3000:]
    assert _children(serving.pid) == []
    assert not _healthy(port)


def test_a_role_that_ends_takes_the_others_down_with_its_status(tmp_path, migrated):
    # the web server cannot bind (a port already taken)
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        env = _env(tmp_path, port, FAKTURERA_STOP_SECONDS="20")
        shutil.copy(migrated, tmp_path / "fakturera.sqlite3")
        done = subprocess.run(
            [sys.executable, "-m", "fakturera", "serve", "--role", "all"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    assert done.returncode != 0
    assert "--role web ended" in done.stderr


@pytest.mark.parametrize("processes", ["0", "-1"])
def test_a_wrong_process_count_is_refused_plainly(tmp_path, processes):
    done = subprocess.run(
        [sys.executable, "-m", "fakturera", "serve", "--role", "tasks", "--processes", processes],
        env=_env(tmp_path, free_port()),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode != 0
    assert "--processes must be 1 or more" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_worker_freezes_what_start_up_made_and_collects_cycles_less_often(monkeypatch):
    from fakturera.ops import serve

    ran: list[tuple] = []
    monkeypatch.setattr(serve, "call_command", lambda *args: ran.append(args))
    threshold = gc.get_threshold()
    try:
        serve._run_here("deliver")
        assert ran == [("deliver",)]
        assert gc.get_freeze_count() > 10_000  # the modules and what they hold
        assert gc.get_threshold() == (serve.GC_THRESHOLD, *threshold[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
