"""The deployable unit is the wheel (README, "Production"): `uv build` makes it, it installs
into a fresh virtual environment outside the checkout, and every role of `fakturera serve`
runs from it, each from an empty working directory of its own (nothing kept on a machine's
disk), in the production configuration, against a database of its own; each stops on SIGTERM.

Skipped, saying why, where uv cannot build or install it without the network (the locked
versions come from uv's cache, as `make install` left them)."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from fakturera.core.secrets import new_key
from fakturera.core.tests.smtp import free_port

pytestmark = pytest.mark.wheel

ROOT = Path(settings.BASE_DIR)
UV = str(ROOT / "scripts" / "uv")
STARTUP_SECONDS = 90


def _uv(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([UV, *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh virtual environment, outside the checkout, with the built wheel installed."""
    place = tmp_path_factory.mktemp("wheel")
    built = _uv("build", "--wheel", "--offline", "--out-dir", str(place / "dist"), cwd=ROOT)
    if built.returncode != 0:
        pytest.skip(f"uv cannot build the wheel offline here: {built.stderr.strip()[-500:]}")
    [wheel] = (place / "dist").glob("fakturera-*.whl")
    # The locked dependencies into a fresh environment (uv's cache, as `make install` left it), then the wheel.
    synced = subprocess.run(
        [UV, "sync", "--frozen", "--offline", "--no-dev", "--no-install-project", "--python", sys.executable],
        cwd=ROOT,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(place / "venv")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if synced.returncode != 0:
        pytest.skip(f"uv cannot install the locked dependencies offline here: {synced.stderr.strip()[-500:]}")
    python = str(place / "venv" / "bin" / "python")
    installed = _uv("pip", "install", "--offline", "--no-deps", "--python", python, str(wheel), cwd=place)
    assert installed.returncode == 0, installed.stderr
    return place / "venv"


def _production_env(database: Path, port: int) -> dict[str, str]:
    """A server's environment: nothing of the checkout or the test process's settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FAKTURERA_", "DJANGO_", "VIRTUAL_ENV", "PYTHON", "UV_"))
        and name not in ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS")
    }
    return env | {
        "DJANGO_SETTINGS_MODULE": "fakturera.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FAKTURERA_SECRET_KEYS": new_key(),
        "FAKTURERA_SITE_URL": f"http://127.0.0.1:{port}",
        "FAKTURERA_SSL_REDIRECT": "0",
        "DATABASE_URL": f"sqlite:///{database}",
        "FAKTURERA_BIND": f"127.0.0.1:{port}",
        "FAKTURERA_WEB_WORKERS": "1",
        "LOG_LEVEL": "INFO",
    }


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait(until, *, what: str, processes: dict[str, subprocess.Popen]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        for role, process in processes.items():
            assert process.poll() is None, f"{role} ended at start: {process.stderr.read()[-3000:]}"
        try:
            if until():
                return
        except (OSError, sqlite3.Error):
            pass
        time.sleep(0.5)
    pytest.fail(f"{what} within {STARTUP_SECONDS} s")


def test_the_wheel_runs_every_role_from_an_empty_directory_and_each_stops_on_sigterm(venv, tmp_path):
    # given the wheel installed, a database migrated by it, and an empty directory per role
    bin_dir = venv / "bin"
    port = free_port()
    database = tmp_path / "db" / "fakturera.sqlite3"
    database.parent.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    env = _production_env(database, port) | {"HOME": str(home)}
    where = subprocess.run(
        [bin_dir / "python", "-c", "import fakturera; print(fakturera.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(venv)), where
    migrated = subprocess.run(
        [bin_dir / "fakturera", "migrate", "--noinput"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    roles = ("web", "tasks", "deliver", "scheduler")
    directories = {role: tmp_path / role for role in roles}
    for directory in directories.values():
        directory.mkdir()

    # when each role starts from its own directory
    processes = {
        role: subprocess.Popen(
            [bin_dir / "fakturera", "serve", "--role", role],
            cwd=directories[role],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for role in roles
    }
    try:
        # then the web server answers its health, readiness, a page in Swedish and a static file
        _wait(lambda: _get(f"http://127.0.0.1:{port}/healthz")[0] == 200, what="/healthz answered", processes=processes)
        status, body = _get(f"http://127.0.0.1:{port}/readyz")
        assert (status, json.loads(body)["ready"]) == (200, True), body
        status, body = _get(f"http://127.0.0.1:{port}/login/")
        assert status == 200
        assert "Logga in" in body  # the compiled Swedish catalogue is in the wheel
        assert _get(f"http://127.0.0.1:{port}/static/staff/fakturera.js")[0] == 200
        # and the scheduler ran its jobs (each recorded once for its due time)
        with sqlite3.connect(database) as db:
            _wait(
                lambda: db.execute("SELECT count(*) FROM core_scheduledrun WHERE is_ok").fetchone()[0] >= 5,
                what="the scheduler recorded its runs",
                processes=processes,
            )
        time.sleep(2)  # the workers have looked at their queues
        for role, process in processes.items():
            assert process.poll() is None, f"{role}: {process.stderr.read()[-3000:]}"
    finally:
        # when each gets SIGTERM
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        ended = {}
        for role, process in processes.items():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
            ended[role] = (process.returncode, process.stderr.read())

    # then each ended by itself, cleanly, and left nothing in its working directory
    for role, (code, stderr) in ended.items():
        assert code == 0, f"{role} ended with {code}: {stderr[-3000:]}"
        assert list(directories[role].iterdir()) == [], f"{role} wrote {list(directories[role].iterdir())}"
    assert list(home.iterdir()) == [], f"the roles wrote into $HOME: {list(home.iterdir())}"
    # and the log lines are JSON objects (production's format)
    web_lines = [line for line in ended["web"][1].splitlines() if line.strip()]
    assert web_lines, "gunicorn logged nothing at INFO"
    assert all(json.loads(line)["event"] for line in web_lines), web_lines[:5]


def test_with_an_s3_store_the_task_role_keeps_the_documents_there_and_nothing_on_its_disk(venv, tmp_path):
    # given the wheel's installation configured with an S3-compatible store (moto's server, real
    # HTTP), its database migrated and the demo loaded (its issued invoices wait for rendering)
    from fakturera.core.tests.s3 import moto_server, new_store

    bin_dir = venv / "bin"
    database = tmp_path / "db" / "fakturera.sqlite3"
    database.parent.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    with moto_server() as endpoint:
        store = new_store(endpoint, prefix="prod")
        env = _production_env(database, free_port()) | store.environment() | {"HOME": str(home)}
        for command in (["migrate", "--noinput"], ["demo"]):
            done = subprocess.run(
                [bin_dir / "fakturera", *command], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, done.stderr[-3000:]
        render = "fakturera.documents.tasks.render_documents"
        with sqlite3.connect(database) as db:
            waiting = db.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE task_path = ? AND status = 'READY'",
                (render,),
            ).fetchone()[0]
        assert waiting > 0

        # when the task role runs from an empty directory of its own
        directory = tmp_path / "tasks"
        directory.mkdir()
        process = subprocess.Popen(
            [bin_dir / "fakturera", "serve", "--role", "tasks"],
            cwd=directory,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            with sqlite3.connect(database) as db:

                def rendered() -> bool:
                    pending = db.execute(
                        "SELECT count(*) FROM django_tasks_database_dbtaskresult"
                        " WHERE task_path = ? AND status IN ('READY', 'RUNNING')",
                        (render,),
                    ).fetchone()[0]
                    return pending == 0

                _wait(rendered, what="the documents rendered", processes={"tasks": process})
                rows = db.execute(
                    "SELECT storage_key, length(content), sha256, size FROM documents_invoicedocument"
                ).fetchall()
                org_number, number = db.execute(
                    "SELECT c.org_number, i.number FROM invoicing_invoice i JOIN parties_company c"
                    " ON c.id = i.company_id WHERE i.status = 'issued' ORDER BY i.id LIMIT 1"
                ).fetchone()
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        stderr = process.stderr.read()

        # then every document is an object in the store, its row holding the key, size and hash only
        assert rows, "no documents were rendered"
        assert all(key and content_length == 0 for key, content_length, _sha, _size in rows), rows[:3]
        assert sorted(f"prod/{key}" for key, *_ in rows) == store.keys()
        for key, _length, sha256, size in rows:
            data = store.read(f"prod/{key}")
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (sha256, size)
        # and the document command, from another empty directory, reads one back from the store
        reader = tmp_path / "reader"
        reader.mkdir()
        pdf = subprocess.run(
            [bin_dir / "fakturera", "document", "--format", "pdf", "--company", org_number, str(number)],
            cwd=reader,
            env=env,
            capture_output=True,
            check=False,
        )
        assert pdf.returncode == 0, pdf.stderr[-3000:]
        assert pdf.stdout.startswith(b"%PDF")
        assert hashlib.sha256(pdf.stdout).hexdigest() in {sha256 for _key, _length, sha256, _size in rows}

    # and the role ended cleanly, and nothing was written to its directory, the reader's or $HOME
    assert process.returncode == 0, stderr[-3000:]
    assert list(directory.iterdir()) == [], list(directory.iterdir())
    assert list(reader.iterdir()) == [], list(reader.iterdir())
    assert list(home.iterdir()) == [], list(home.iterdir())
