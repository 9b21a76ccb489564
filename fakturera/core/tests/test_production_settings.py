"""The production configuration (FAKTURERA_DEBUG off): it refuses to start without a real
SECRET_KEY, turns on HTTPS-only cookies, HSTS and the SSL redirect from the environment,
and passes Django's deployment checks. Each case starts `fakturera` in a process of its
own, with an environment like a server's (the test process runs the development settings)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from fakturera.core.secrets import new_key

SITE = "https://fakturera.example.se"
PRINT_SETTINGS = """
import json
from django.conf import settings
names = ["DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
         "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "CSRF_TRUSTED_ORIGINS",
         "ALLOWED_HOSTS", "SECURE_REFERRER_POLICY", "SECURE_CONTENT_TYPE_NOSNIFF", "AXES_FAILURE_LIMIT",
         "TRUSTED_PROXY_COUNT"]
values = {name: getattr(settings, name) for name in names}
values["AXES_COOLOFF_MINUTES"] = settings.AXES_COOLOFF_TIME.total_seconds() / 60
print(json.dumps(values))
"""


def _server_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """A server's environment: nothing of the test process's Fakturera or Django settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FAKTURERA_", "DJANGO_", "AXES_")) and name not in ("SECRET_KEY", "ALLOWED_HOSTS")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="fakturera.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        # The keys of the secrets at rest (core/secrets.py), required as SECRET_KEY is.
        FAKTURERA_SECRET_KEYS=new_key(),
        FAKTURERA_SITE_URL=SITE,
        FAKTURERA_VAR_DIR=str(tmp_path),
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _fakturera(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fakturera", *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _settings(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PRINT_SETTINGS}"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_check_deploy_is_clean_in_the_production_configuration(tmp_path):
    # given a server's environment: a real key, the site's https address, nothing else
    env = _server_env(tmp_path)

    # when Django's deployment checks run with warnings counted as failures
    done = _fakturera(env, "check", "--deploy", "--fail-level", "WARNING")

    # then nothing is found
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_debug_is_off_unless_turned_on_and_production_is_https_only(tmp_path):
    values = _settings(_server_env(tmp_path))

    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["CSRF_TRUSTED_ORIGINS"] == [SITE]
    assert "fakturera.example.se" in values["ALLOWED_HOSTS"]
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert (values["AXES_FAILURE_LIMIT"], values["AXES_COOLOFF_MINUTES"]) == (5, 15)


def test_production_settings_come_from_the_environment(tmp_path):
    values = _settings(
        _server_env(
            tmp_path,
            FAKTURERA_SSL_REDIRECT="0",
            FAKTURERA_HSTS_SECONDS="3600",
            FAKTURERA_HSTS_INCLUDE_SUBDOMAINS="0",
            FAKTURERA_HSTS_PRELOAD="1",
            FAKTURERA_PROXY_SSL_HEADER="X-Forwarded-Proto",
            FAKTURERA_TRUSTED_PROXY_COUNT="1",
            ALLOWED_HOSTS="faktura.klinik.se,intern.klinik.se",
            FAKTURERA_LOGIN_FAILURE_LIMIT="8",
            FAKTURERA_LOGIN_COOLOFF_MINUTES="30",
        )
    )

    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["TRUSTED_PROXY_COUNT"] == 1
    assert values["ALLOWED_HOSTS"] == ["faktura.klinik.se", "intern.klinik.se"]
    assert (values["AXES_FAILURE_LIMIT"], values["AXES_COOLOFF_MINUTES"]) == (8, 30)


def test_development_turned_on_explicitly_is_plain_http(tmp_path):
    values = _settings(_server_env(tmp_path, FAKTURERA_DEBUG="1", SECRET_KEY=None, FAKTURERA_SITE_URL=None))

    assert values["DEBUG"] is True
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (None, "SECRET_KEY is not set"),
        ("", "SECRET_KEY is not set"),
        ("dev-only-not-secret-fakturera", "SECRET_KEY is a known placeholder"),
        ("django-insecure-" + "x1y2z3" * 10, "SECRET_KEY is a known placeholder"),
        ("a-short-key-of-thirty-characters", "SECRET_KEY is too short"),
    ],
)
def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, key, problem):
    done = _fakturera(_server_env(tmp_path, SECRET_KEY=key), "check")

    assert done.returncode != 0
    assert problem in done.stderr
    assert "FAKTURERA_DEBUG is off" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("site", [None, "", "  "])
def test_production_refuses_to_start_without_the_site_address(tmp_path, site):
    """The links in e-mails are built on it: a guessed address would send customers to the wrong place."""
    done = _fakturera(_server_env(tmp_path, FAKTURERA_SITE_URL=site), "check")

    assert done.returncode != 0
    assert "FAKTURERA_SITE_URL is not set" in done.stderr
    assert "Traceback" not in done.stderr


def _database_settings(tmp_path: Path, url: str) -> dict[str, object]:
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'], default=str))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=_server_env(tmp_path, DATABASE_URL=url),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_database_url_with_several_hosts_and_ports_is_libpqs_host_list(tmp_path):
    url = "postgres://app:pw@db1.example.se:5432,db2.example.se:5433/fakturera?target_session_attrs=read-write"

    database = _database_settings(tmp_path, url)

    assert database["HOST"] == "db1.example.se,db2.example.se"
    assert database["PORT"] == "5432,5433"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == ("fakturera", "app", "pw")
    assert database["OPTIONS"]["target_session_attrs"] == "read-write"
    # hosts without ports: the default port for each
    assert _database_settings(tmp_path, "postgres://app@db1,db2/fakturera")["HOST"] == "db1,db2"


@pytest.mark.postgres
def test_with_several_hosts_it_connects_to_the_one_that_answers_as_primary(tmp_path):
    # the first host refuses (nothing listens on port 9); the second is this machine's PostgreSQL
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@127.0.0.1:9,{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    script = (
        "import django; django.setup(); from django.db import connection; c = connection.cursor(); "
        "c.execute('SELECT inet_server_port(), pg_is_in_recovery()'); print(c.fetchone())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=_server_env(tmp_path, DATABASE_URL=url + "?target_session_attrs=read-write&connect_timeout=3"),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"({db['PORT'] or 5432}, False)"
