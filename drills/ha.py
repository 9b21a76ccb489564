"""`make ha-drill`: lose the primary database while invoices are being delivered, and prove the
product carries on against its standby (README, "Database failover").

1. pg_auto_failover (Debian's postgresql-15-auto-failover and pg-auto-failover-cli, installed
   with apt-get when missing) runs a monitor and two PostgreSQL 15 nodes on loopback (ports
   55432, 55433, 55434; `--base-port`) under a temporary directory, as the postgres user when
   we are root (pg_autoctl refuses root). Replication is synchronous (pg_auto_failover's
   default: `ANY 1` standby, so an acknowledged commit is on both nodes). Where pg_autoctl
   cannot run, plain streaming replication (a synchronous standby) and a scripted promote
   stand in for it, and the drill says why.
2. The product runs as production does, with a multi-host DATABASE_URL
   (`postgres://postgres@127.0.0.1:55433,127.0.0.1:55434/fakturera?target_session_attrs=read-write`):
   migrated, N issued invoices (`--invoices`, default 2000) queued for e-mail to an SMTP sink
   on loopback, two delivery workers (`fakturera deliver`), gunicorn, and a writer committing
   numbered rows (each acknowledged one recorded).
3. Once a quarter of the messages arrived, the primary's machine is lost (SIGKILL to its
   pg_autoctl and PostgreSQL). pg_auto_failover promotes the standby; libpq's
   target_session_attrs finds it.
4. Measured: seconds until the new primary takes writes, until the web answers 200 again,
   until deliveries progress again. Checked once every delivery is finished: each invoice's
   message arrived exactly once (by recipient and Message-ID), at most one uncertain delivery
   per worker (the message in flight at the kill), none still claimed, every acknowledged
   write and every delivery recorded sent before the kill still there on the new primary.

Exits non-zero naming each violation. Bounded (`--timeout`, default 540 s); every process it
started is stopped and the temporary directory removed, also on a failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PG_VERSION = "15"
PG_BIN = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
EXTENSION = Path(f"/usr/share/postgresql/{PG_VERSION}/extension/pgautofailover.control")
PACKAGES = ("postgresql-15-auto-failover", "pg-auto-failover-cli")
WORKERS = 2
LEASE_SECONDS = 15  # the workers' lease: claimed deliveries are judged soon after the failover
SMTP_DELAY = 0.01  # seconds the sink takes per message, so that the kill finds deliveries running


class DrillError(Exception):
    """The drill could not be carried out (not a violation found by it)."""


def say(text: str) -> None:
    print(f"ha-drill: {text}", flush=True)


# --- Installing -------------------------------------------------------------------------------


def pg_auto_failover_missing() -> str:
    """Why pg_auto_failover cannot run here, or ""."""
    if not (PG_BIN / "postgres").exists():
        return f"PostgreSQL {PG_VERSION}'s server is not installed ({PG_BIN})"
    if shutil.which("pg_autoctl") is None:
        return "pg_autoctl is not installed"
    if not EXTENSION.exists():
        return f"the pgautofailover extension is not installed ({EXTENSION})"
    return ""


def install() -> str:
    """apt-get install what is missing (with sudo when not root), as `make chromium` does.
    Returns why pg_auto_failover still cannot run, or ""."""
    why = pg_auto_failover_missing()
    if not why:
        return ""
    say(f"{why}: installing {' '.join(PACKAGES)} with apt-get ...")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = [*sudo, "apt-get", "-o", "DPkg::Lock::Timeout=600"]
    try:
        subprocess.run([*apt, "update", "-qq"], check=True, env=env, timeout=300)
        subprocess.run([*apt, "install", "-y", "-qq", "--no-install-recommends", *PACKAGES], check=True, env=env,
                       timeout=600, stdout=subprocess.DEVNULL)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{why}, and apt-get could not install it ({exc})"
    return pg_auto_failover_missing()


# --- Processes --------------------------------------------------------------------------------


@dataclass
class Processes:
    """Every process the drill starts, each in its own process group: stopped group by group."""

    started: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, command: list[str], *, log: Path, **kwargs) -> subprocess.Popen:
        with open(log, "ab") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs)
        self.started.append((name, process))
        return process

    def kill(self, process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)

    def stop_all(self) -> None:
        for _name, process in reversed(self.started):
            self.kill(process, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, process in reversed(self.started):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            self.kill(process, signal.SIGKILL)  # the group's stragglers (postgres children)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)


def as_postgres(command: list[str], env: dict[str, str]) -> list[str]:
    """pg_autoctl and PostgreSQL refuse to run as root: as the postgres user then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", "env", *(f"{k}={v}" for k, v in env.items()), *command]


def pg(port: int, sql: str, *, database: str = "postgres", timeout: float = 5) -> list[tuple]:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname=database, connect_timeout=3, autocommit=True
    ) as connection:
        connection.execute(f"SET statement_timeout = {int(timeout * 1000)}")
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else []


def wait_for(what: str, check, *, timeout: float, every: float = 0.5, between=None) -> float:
    """Seconds until check() is true; DrillError after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if check():
                return time.monotonic() - started
        except Exception:  # noqa: S110 - not up yet
            pass
        if between is not None:
            with contextlib.suppress(Exception):
                between()
        time.sleep(every)
    raise DrillError(f"{what}: not within {timeout:.0f} s")


# --- The database pair ------------------------------------------------------------------------


class AutoFailover:
    """A pg_auto_failover monitor and two nodes, their primary lost on `kill_primary()`."""

    name = "pg_auto_failover"

    def __init__(self, workdir: Path, processes: Processes, base_port: int) -> None:
        self.workdir, self.processes = workdir, processes
        self.monitor_port, self.ports = base_port, [base_port + 1, base_port + 2]
        self.env = {
            "HOME": str(workdir),
            "XDG_CONFIG_HOME": str(workdir / "config"),
            "XDG_DATA_HOME": str(workdir / "data"),
            "XDG_RUNTIME_DIR": str(workdir / "run"),
            "PG_CONFIG": str(PG_BIN / "pg_config"),
        }
        self.nodes: list[subprocess.Popen] = []

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        command = as_postgres(["pg_autoctl", "create", *args, "--run"], self.env)
        return self.processes.start(
            name, command, log=self.workdir / f"{name}.log", cwd=self.workdir, env={**os.environ, **self.env}
        )

    def start(self) -> None:
        common = ["--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl", "--pgctl", str(PG_BIN / "pg_ctl")]
        self._start("monitor", "monitor", "--pgdata", str(self.workdir / "monitor"),
                    "--pgport", str(self.monitor_port), *common)  # fmt: skip
        wait_for("the monitor", lambda: pg(self.monitor_port, "SELECT 1", database="pg_auto_failover"), timeout=60)
        monitor = f"postgres://autoctl_node@127.0.0.1:{self.monitor_port}/pg_auto_failover?sslmode=disable"
        for index, port in enumerate(self.ports, start=1):
            node = self._start(f"node{index}", "postgres", "--pgdata", str(self.workdir / f"node{index}"),
                               "--pgport", str(port), "--name", f"node{index}", "--dbname", "fakturera",
                               "--listen", "127.0.0.1", "--monitor", monitor, *common)  # fmt: skip
            self.nodes.append(node)
            if index == 1:
                wait_for("the first node", self._first_up, timeout=90)
        # pg_basebackup waits for a spread checkpoint on the primary: ask for it now.
        wait_for(
            "the standby in sync",
            lambda: self.states() == {"node1": "primary/primary", "node2": "secondary/secondary"},
            timeout=180,
            every=1,
            between=lambda: pg(self.ports[0], "CHECKPOINT"),
        )

    def _first_up(self) -> bool:
        return self.states().get("node1", "").startswith(("single/", "wait_primary/"))

    def states(self) -> dict[str, str]:
        rows = pg(self.monitor_port, "SELECT nodename, reportedstate || '/' || goalstate FROM pgautofailover.node",
                  database="pg_auto_failover")  # fmt: skip
        return dict(rows)

    def kill_primary(self) -> None:
        self.processes.kill(self.nodes[0])  # the keeper and its PostgreSQL: the machine is lost

    def describe(self) -> str:
        return ", ".join(f"{node} {state}" for node, state in sorted(self.states().items()))


class StreamingPair:
    """Without pg_auto_failover: a primary and a synchronous standby (streaming replication),
    the standby promoted by this script once the primary is lost."""

    name = "streaming replication, scripted promote"
    PROMOTE_AFTER = 10.0  # seconds: what a monitor's health checks would take, roughly

    def __init__(self, workdir: Path, processes: Processes, base_port: int) -> None:
        self.workdir, self.processes = workdir, processes
        self.ports = [base_port + 1, base_port + 2]
        self.env = {"HOME": str(workdir)}
        self.nodes: list[subprocess.Popen] = []
        self.promoter: threading.Thread | None = None

    def _postgres(self, index: int) -> subprocess.Popen:
        data = self.workdir / f"node{index}"
        command = as_postgres([str(PG_BIN / "postgres"), "-D", str(data), "-p", str(self.ports[index - 1]),
                               "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.workdir}"],
                              self.env)  # fmt: skip
        return self.processes.start(f"node{index}", command, log=self.workdir / f"node{index}.log", cwd=self.workdir)

    def start(self) -> None:
        primary = self.workdir / "node1"
        run = {"check": True, "stdout": subprocess.DEVNULL, "cwd": self.workdir, "timeout": 120}
        subprocess.run(as_postgres([str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth", "trust"],
                                   self.env), **run)  # fmt: skip
        with open(primary / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        self.nodes.append(self._postgres(1))
        wait_for("the primary", lambda: pg(self.ports[0], "SELECT 1"), timeout=60)
        pg(self.ports[0], "CREATE DATABASE fakturera")
        subprocess.run(as_postgres([str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.ports[0]),
                                    "-U", "postgres", "-D", str(self.workdir / "node2"), "-R", "--checkpoint=fast",
                                    "-d", "application_name=standby"], self.env), **run)  # fmt: skip
        self.nodes.append(self._postgres(2))
        # Synchronous once the standby is there (before, every commit would wait for it).
        pg(self.ports[0], "ALTER SYSTEM SET synchronous_standby_names = 'standby'")
        pg(self.ports[0], "SELECT pg_reload_conf()")
        wait_for(
            "the standby in sync",
            lambda: pg(self.ports[0], "SELECT sync_state FROM pg_stat_replication") == [("sync",)],
            timeout=60,
        )

    def kill_primary(self) -> None:
        self.processes.kill(self.nodes[0])

        def promote() -> None:
            time.sleep(self.PROMOTE_AFTER)
            pg(self.ports[1], "SELECT pg_promote()")
            # Alone now: commits no longer wait for a standby that is gone.
            pg(self.ports[1], "ALTER SYSTEM SET synchronous_standby_names = ''")
            pg(self.ports[1], "SELECT pg_reload_conf()")

        self.promoter = threading.Thread(target=promote, daemon=True)
        self.promoter.start()

    def describe(self) -> str:
        return f"node2 in recovery: {pg(self.ports[1], 'SELECT pg_is_in_recovery()')[0][0]}"


# --- The SMTP sink, the writer, the web watcher -----------------------------------------------


@dataclass
class Sink:
    """Counts every message by recipient and Message-ID, with the time it arrived."""

    by_recipient: Counter = field(default_factory=Counter)
    by_message_id: Counter = field(default_factory=Counter)
    arrivals: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        await asyncio.sleep(SMTP_DELAY)
        content = envelope.content
        head = content[: content.find(b"\r\n\r\n")]
        start = head.find(b"Message-ID: ")
        message_id = head[start + 12 : head.find(b"\r\n", start)] if start >= 0 else b""
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.by_recipient[recipient.lower()] += 1
            self.by_message_id[message_id] += 1
            self.arrivals.append(time.monotonic())
        return "250 OK"

    def received(self) -> int:
        with self.lock:
            return len(self.arrivals)


class Writer(threading.Thread):
    """Commits numbered rows one by one through the multi-host URL, as the product would; each
    commit the server acknowledged is recorded (it must survive the failover)."""

    def __init__(self, conninfo: str) -> None:
        super().__init__(daemon=True)
        self.conninfo = conninfo
        self.acknowledged: list[tuple[int, float]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        number, connection = 0, None
        while not self.stopping.is_set():
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=2)
                    connection.execute("CREATE TABLE IF NOT EXISTS ha_drill_ack (n integer PRIMARY KEY)")
                number += 1
                connection.execute("INSERT INTO ha_drill_ack VALUES (%s)", (number,))
                self.acknowledged.append((number, time.monotonic()))
                time.sleep(0.05)
            except psycopg.Error:
                if connection is not None:
                    connection.close()
                connection = None
                time.sleep(0.2)
        if connection is not None:
            connection.close()


class WebWatcher(threading.Thread):
    """Logged in as staff, GET the start page every 0.2 s: (time, status, or 0 when no answer).
    The page reads the session and the company from the database, as every staff page does."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.cookies: dict[str, str] = {}
        self.answers: list[tuple[float, int]] = []
        self.stopping = threading.Event()

    def _request(self, method: str, path: str, body: str = "") -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status
        finally:
            connection.close()

    def login(self, username: str, password: str) -> bool:
        self._request("GET", "/login/")
        form = urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
        )
        return self._request("POST", "/login/", form) == 302 and self._request("GET", "/") == 200

    def run(self) -> None:
        while not self.stopping.is_set():
            status = 0
            with contextlib.suppress(OSError):
                status = self._request("GET", "/")
            self.answers.append((time.monotonic(), status))
            time.sleep(0.2)


# --- The drill --------------------------------------------------------------------------------


def product_env(database_url: str, site_port: int) -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "fakturera.settings",
        "FAKTURERA_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FAKTURERA_SECRET_KEYS": Fernet.generate_key().decode(),
        "FAKTURERA_SSL_REDIRECT": "0",
        "FAKTURERA_OUTBOUND_ALLOW_PRIVATE": "1",  # the SMTP sink is on loopback
        "FAKTURERA_SITE_URL": f"http://127.0.0.1:{site_port}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "FAKTURERA_DISTRIBUTION_LEASE_SECONDS": str(LEASE_SECONDS),
    }


def step(env: dict[str, str], *args: str, timeout: float) -> dict:
    done = subprocess.run([sys.executable, "-m", "drills.ha_steps", *args], env=env, cwd=ROOT,
                          stdout=subprocess.PIPE, text=True, check=False, timeout=timeout)  # fmt: skip
    if done.returncode != 0:
        raise DrillError(f"the step {args[0]!r} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def first_after(times: list[float], moment: float) -> float | None:
    return next((t for t in times if t > moment), None)


def run(args: argparse.Namespace, workdir: Path, processes: Processes) -> list[str]:
    from bench.loopback import free_port, smtp_sink

    started = time.monotonic()
    deadline = started + args.timeout
    why = install()
    pair_class = AutoFailover if not why and not args.streaming else StreamingPair
    if pair_class is StreamingPair:
        say(f"pg_auto_failover cannot run here ({why or '--streaming given'}): "
            "streaming replication with a scripted promote instead")  # fmt: skip
    for port in range(args.base_port, args.base_port + 3):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise DrillError(f"port {port} is taken (another drill?): --base-port chooses others")
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    pair = pair_class(workdir, processes, args.base_port)
    pair.start()
    (primary_port, standby_port) = pair.ports
    sync = pg(primary_port, "SHOW synchronous_standby_names")[0][0]
    say(f"{pair.name}: primary 127.0.0.1:{primary_port}, standby 127.0.0.1:{standby_port}, "
        f"synchronous_standby_names = {sync!r} ({time.monotonic() - started:.0f} s)")  # fmt: skip
    if not sync:
        raise DrillError("replication is not synchronous")

    hosts = f"127.0.0.1:{primary_port},127.0.0.1:{standby_port}"
    database_url = f"postgres://postgres@{hosts}/fakturera?target_session_attrs=read-write&connect_timeout=3"
    conninfo = f"postgresql://postgres@{hosts}/fakturera?target_session_attrs=read-write"
    sink = Sink()
    smtp = smtp_sink(sink)
    try:
        web_port = free_port()
        env = product_env(database_url, web_port)
        say(f"DATABASE_URL={database_url}")
        prepared = step(env, "prepare", str(args.invoices), str(smtp.port), timeout=300)
        batch = prepared["batch"]
        if prepared["queued"] != args.invoices:
            raise DrillError(f"{prepared['queued']} deliveries queued, expected {args.invoices}")
        say(f"migrated; {prepared['queued']} invoices queued for e-mail ({time.monotonic() - started:.0f} s)")

        processes.start("web", [sys.executable, "-m", "gunicorn", "fakturera.wsgi:application", "--workers", "2",
                                "--bind", f"127.0.0.1:{web_port}", "--log-level", "warning"],
                        log=workdir / "web.log", cwd=ROOT, env=env)  # fmt: skip
        web = WebWatcher(web_port)
        wait_for("the web server", lambda: web.login(prepared["username"], prepared["password"]), timeout=60)
        web.start()
        writer = Writer(conninfo)
        writer.start()
        task_worker = [sys.executable, "-m", "django", "db_worker", "--queue-name", "*", "--no-reload"]
        processes.start("db_worker", task_worker, log=workdir / "db_worker.log", cwd=ROOT, env=env)
        for index in range(WORKERS):
            processes.start(f"deliver{index + 1}", [sys.executable, "-m", "django", "deliver"],
                            log=workdir / f"deliver{index + 1}.log", cwd=ROOT, env=env)  # fmt: skip

        kill_at = max(1, args.invoices // 4)
        wait_for(f"{kill_at} messages at the sink", lambda: sink.received() >= kill_at, timeout=180, every=0.05)
        sent_before = {
            row[0]
            for row in pg(
                primary_port,
                f"SELECT id FROM distribution_delivery WHERE batch_id = {int(batch)} AND state = 'sent'",  # noqa: S608
                database="fakturera",
            )
        }
        acked_before = len(writer.acknowledged)
        killed = time.monotonic()
        pair.kill_primary()
        received_at_kill = sink.received()
        say(f"primary lost (SIGKILL, as when its machine is lost) with {received_at_kill} of {args.invoices} "
            f"messages at the sink, {len(sent_before)} recorded sent, {acked_before} writes acknowledged")  # fmt: skip

        def finished() -> bool:
            sql = f"SELECT count(*) FROM distribution_delivery WHERE batch_id = {int(batch)}"  # noqa: S608
            left = pg(standby_port, sql + " AND state IN ('queued', 'sending')", database="fakturera")
            return left[0][0] == 0

        wait_for("every delivery finished", finished, timeout=max(10, deadline - time.monotonic() - 60), every=1)
        done_at = time.monotonic()
        time.sleep(1)
        writer.stopping.set()
        web.stopping.set()
        writer.join(10)
        web.join(10)
        say(f"after the failover: {pair.describe()}")

        violations: list[str] = []
        for name, process in processes.started:
            if (name in ("web", "db_worker") or name.startswith("deliver")) and process.poll() is not None:
                violations.append(f"{name} exited (exit {process.returncode}) instead of carrying on")
        say("web server, task worker and delivery workers all still running: "
            f"{'no' if violations else 'yes'}")  # fmt: skip
        writable = first_after([t for _n, t in writer.acknowledged], killed)
        web_failed = first_after([t for t, status in web.answers if status != 200], killed)
        web_back = first_after([t for t, status in web.answers if status == 200], web_failed or killed)
        progress = first_after(sink.arrivals, writable) if writable else None

        def seconds(moment: float | None) -> str:
            return f"{moment - killed:.1f} s" if moment is not None else "never"

        say(f"new primary takes writes after {seconds(writable)}")
        say(f"web answers 200 again after {seconds(web_back)}" + ("" if web_failed else " (no failed request)"))
        say(f"deliveries progress again after {seconds(progress)}; all finished after {seconds(done_at)}")
        if writable is None or web_back is None or progress is None:
            violations.append("the product did not resume on the new primary")

        present = {row[0] for row in pg(standby_port, "SELECT n FROM ha_drill_ack", database="fakturera")}
        lost = [n for n, _t in writer.acknowledged if n not in present]
        say(f"{len(writer.acknowledged)} acknowledged writes, {len(lost)} missing on the new primary")
        if lost:
            violations.append(f"{len(lost)} acknowledged writes lost (first {lost[:5]})")

        checked = step(env, "verify", str(batch), timeout=120)
        deliveries = checked["deliveries"]
        states = Counter(d["state"] for d in deliveries)
        say(f"deliveries: {dict(states)}; invoices sent: {checked['invoices_sent']}")
        with sink.lock:
            repeated = {key: count for key, count in sink.by_message_id.items() if count > 1}
            by_recipient = dict(sink.by_recipient)
        say(f"SMTP sink: {sum(by_recipient.values())} messages, {len(by_recipient)} recipients, "
            f"{len(repeated)} Message-IDs more than once")  # fmt: skip
        if repeated:
            violations.append(f"{len(repeated)} messages arrived more than once")
        for delivery in deliveries:
            arrived = by_recipient.get(delivery["email"].lower(), 0)
            if arrived > 1:
                violations.append(f"invoice {delivery['number']} arrived {arrived} times")
            elif delivery["state"] == "sent" and arrived != 1:
                violations.append(f"invoice {delivery['number']} recorded sent but never arrived")
            elif delivery["state"] == "sending":
                violations.append(f"invoice {delivery['number']}: its delivery is still claimed")
            elif delivery["state"] not in ("sent", "uncertain"):
                violations.append(f"invoice {delivery['number']}: delivery {delivery['state']}, not sent")
        if states.get("uncertain", 0) > WORKERS:
            violations.append(f"{states['uncertain']} uncertain deliveries: more than the {WORKERS} in flight")
        now_sent = {d["id"] for d in deliveries if d["state"] == "sent"}
        if sent_before - now_sent:
            violations.append(f"{len(sent_before - now_sent)} deliveries recorded sent before the kill are not now")
        say(f"every delivery recorded sent before the kill ({len(sent_before)}) still sent on the new primary: "
            f"{'yes' if not sent_before - now_sent else 'NO'}")  # fmt: skip
        return violations
    finally:
        smtp.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=2000, help="invoices queued for e-mail (default 2000)")
    parser.add_argument("--base-port", type=int, default=55432, help="the monitor's port; the nodes take the next two")
    parser.add_argument("--timeout", type=float, default=540, help="seconds the drill may take (default 540)")
    parser.add_argument("--streaming", action="store_true", help="plain streaming replication, no pg_auto_failover")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
    args = parser.parse_args(argv)

    def interrupted(signum: int, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    processes = Processes()
    workdir = Path(tempfile.mkdtemp(prefix="fakturera-ha-drill-"))
    started = time.monotonic()
    alarm = threading.Timer(args.timeout + 30, lambda: os.kill(os.getpid(), signal.SIGTERM))
    alarm.daemon = True
    alarm.start()
    try:
        violations = run(args, workdir, processes)
    except DrillError as exc:
        for log in sorted(workdir.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-5:]
            print(f"--- {log.name}\n" + "\n".join(tail), file=sys.stderr)
        print(f"ha-drill FAILED: {exc}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print("ha-drill: interrupted; stopping what it started", file=sys.stderr, flush=True)
        return 130
    finally:
        alarm.cancel()
        processes.stop_all()
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    for violation in violations[:20]:
        print(f"ha-drill VIOLATION: {violation}", file=sys.stderr, flush=True)
    if violations:
        return 1
    say(f"passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
