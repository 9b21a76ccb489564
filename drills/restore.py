"""`make restore-drill`: back up a live database with pg_dump, restore it into a fresh one, and
prove the copy is whole (README, "Backup and restore").

Steps, each printed with its time:

1. A fresh PostgreSQL database (`fakturera_drill_live`; `--prefix` changes the names) is
   migrated and given the demo data, and every issued invoice's PDF and UBL are rendered and
   stored.
2. While a writer process keeps registering invoices in it (the database is live), `pg_dump
   --format=custom` takes its backup: one consistent snapshot, whatever is committed meanwhile.
3. The writer stops; `pg_restore` loads the backup into a new database
   (`fakturera_drill_restored`).
4. Checked on the restored database, by the product's own code: every migration applied, every
   stored document's SHA-256 matching its bytes, every number series gap-free from its first
   number with its next number right after the last, the secrets at rest still readable with the
   installation's keys, a new invoice taking the next number, and the demo login (demo / demo)
   reaching the start page through the login form.

Exits non-zero, naming what failed, when any check fails. Both databases are dropped at the end
unless `--keep` is given. Runs against the PostgreSQL server of `DRILL_DATABASE_URL` (default
postgres://postgres@127.0.0.1:5432/), which `make restore-drill` starts when nothing listens.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/"
ROOT = Path(__file__).resolve().parent.parent


def _url(server_url: str, database: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


def _pg_args(server_url: str) -> list[str]:
    parts = urlsplit(server_url)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    return args


def _pg_env(server_url: str) -> dict[str, str]:
    env = dict(os.environ)
    password = urlsplit(server_url).password
    if password:
        env["PGPASSWORD"] = password
    return env


def _psql(server_url: str, sql: str) -> None:
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", *_pg_args(server_url), "-d", "postgres", "-c", sql],
        check=True,
        env=_pg_env(server_url),
    )


def _recreate(server_url: str, database: str) -> None:
    _psql(server_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    _psql(server_url, f'CREATE DATABASE "{database}"')


def _child_env(database_url: str, keys: dict[str, str]) -> dict[str, str]:
    """The product's environment as production has it (DEBUG off), the same keys for every step:
    a restore needs the installation's SECRET_KEY and FAKTURERA_SECRET_KEYS (README)."""
    env = dict(os.environ)
    env.update(keys)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "fakturera.settings",
            "FAKTURERA_DEBUG": "0",
            "FAKTURERA_SSL_REDIRECT": "0",
            "FAKTURERA_OUTBOUND_ALLOW_PRIVATE": "1",  # the drill's SMTP setting names loopback
            "FAKTURERA_SITE_URL": "http://127.0.0.1:8000",
        }
    )
    return env


def _step(env: dict[str, str], *args: str, background: bool = False) -> subprocess.Popen | dict:
    command = [sys.executable, "-m", "drills.restore_steps", *args]
    if background:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"restore drill: the step {args[0]!r} failed (exit {done.returncode}).")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-url", default=os.environ.get("DRILL_DATABASE_URL", DEFAULT_SERVER_URL))
    parser.add_argument("--keep", action="store_true", help="keep both databases and the backup file")
    parser.add_argument("--prefix", default="fakturera_drill", help="the databases' names begin with this")
    args = parser.parse_args(argv)
    live, restored = f"{args.prefix}_live", f"{args.prefix}_restored"
    for tool in ("pg_dump", "pg_restore", "psql"):
        if shutil.which(tool) is None:
            raise SystemExit(f"restore drill: {tool} is not installed (Debian: postgresql-client).")
    from cryptography.fernet import Fernet

    keys = {"SECRET_KEY": secrets.token_urlsafe(50), "FAKTURERA_SECRET_KEYS": Fernet.generate_key().decode()}
    live_env = _child_env(_url(args.server_url, live), keys)
    restored_env = _child_env(_url(args.server_url, restored), keys)
    workdir = Path(tempfile.mkdtemp(prefix="fakturera-restore-drill-"))
    backup = workdir / "fakturera.dump"
    started = time.perf_counter()

    _recreate(args.server_url, live)
    prepared = _step(live_env, "prepare")
    print(
        f"restore-drill live database: {prepared['invoices']} invoices, {prepared['documents']} stored documents "
        f"({time.perf_counter() - started:.1f} s)",
        flush=True,
    )

    stop_file = workdir / "stop"
    writer = _step(live_env, "write", str(stop_file), background=True)
    assert isinstance(writer, subprocess.Popen)
    try:
        time.sleep(2)  # the writer is registering invoices while the backup is taken
        dump_started = time.perf_counter()
        subprocess.run(
            ["pg_dump", *_pg_args(args.server_url), "--format=custom", "--file", str(backup), live],
            check=True,
            env=_pg_env(args.server_url),
        )
        dump_seconds = time.perf_counter() - dump_started
        time.sleep(1)
    finally:
        stop_file.touch()
        out, _err = writer.communicate(timeout=120)
    if writer.returncode != 0:
        raise SystemExit(f"restore drill: the live writer failed (exit {writer.returncode}).")
    written = json.loads(out.strip().splitlines()[-1])
    print(
        f"restore-drill backup: pg_dump {backup.stat().st_size / 1_048_576:.1f} MB in {dump_seconds:.1f} s, "
        f"a writer registering invoices before, during and after it ({written['registered']} in all)",
        flush=True,
    )

    _recreate(args.server_url, restored)
    restore_started = time.perf_counter()
    subprocess.run(
        ["pg_restore", *_pg_args(args.server_url), "--no-owner", "--exit-on-error", "-d", restored, str(backup)],
        check=True,
        env=_pg_env(args.server_url),
    )
    restore_seconds = time.perf_counter() - restore_started
    checked = _step(restored_env, "verify")
    print(f"restore-drill restore: pg_restore in {restore_seconds:.1f} s", flush=True)
    for line in checked["lines"]:
        print(f"restore-drill check: {line}", flush=True)
    if not args.keep:
        _psql(args.server_url, f'DROP DATABASE IF EXISTS "{live}" WITH (FORCE)')
        _psql(args.server_url, f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"restore-drill kept: databases {live}, {restored}; backup {backup}")
    if checked["failures"]:
        for failure in checked["failures"]:
            print(f"restore-drill FAILED: {failure}", file=sys.stderr)
        return 1
    print(f"restore-drill passed in {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
