"""Fakturera settings: one file, reading the environment once (README, "Settings").

DATABASE_URL selects PostgreSQL (postgres://...); without it the embedded SQLite
database in var/ is used. DEBUG is off unless FAKTURERA_DEBUG=1 (`make run` and the
tests turn it on); with DEBUG off a real SECRET_KEY is required and the production
security settings (HTTPS only, HSTS, secure cookies) are on unless turned off one by one.
"""

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from fakturera.core.logs import FORMATS as LOG_FORMATS
from fakturera.core.logs import logging_config
from fakturera.core.s3 import storage_from_environment


def _flag(name: str, default: bool) -> bool:
    """An on/off setting from the environment: 1/true/yes/on or 0/false/no/off."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use 1 or 0.")


def _list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
# A source checkout (make run, the tests) keeps its var/ beside the package; an installed wheel
# (`fakturera serve` in production) never writes into its site-packages: var/ is then in the
# working directory, and only the embedded SQLite database (no DATABASE_URL) or an export
# channel without FAKTURERA_EXPORT_ROOT would use it.
IS_CHECKOUT = (BASE_DIR / "pyproject.toml").is_file()
VAR_DIR = Path(os.environ.get("FAKTURERA_VAR_DIR", BASE_DIR / "var" if IS_CHECKOUT else Path.cwd() / "var"))
# The export channel's files (distribution/channels/export.py): one folder per company under
# this root, set by the operator; a company names at most a subfolder of its own.
EXPORT_ROOT = Path(os.environ.get("FAKTURERA_EXPORT_ROOT", VAR_DIR / "exports"))

# Off unless turned on: `make run` (scripts/serve) and the tests (fakturera/settings_test.py) set it.
DEBUG = _flag("FAKTURERA_DEBUG", False)

# The development key is public (it is in this file): with DEBUG off, a key that is missing,
# short, or a known placeholder stops the start instead of signing sessions anyone can forge.
DEVELOPMENT_SECRET_KEY = "dev-only-not-secret-fakturera"  # noqa: S105 - development default only
SECRET_KEY_PLACEHOLDERS = (DEVELOPMENT_SECRET_KEY, "bench-only-not-secret", "changeme", "change-me", "secret")
SECRET_KEY_MIN_LENGTH = 50  # what `check --deploy` asks for (security.W009)


def _secret_key_problem(key: str) -> str:
    if not key:
        return "SECRET_KEY is not set"
    if key.lower() in SECRET_KEY_PLACEHOLDERS or key.startswith("django-insecure-") or "not-secret" in key:
        return "SECRET_KEY is a known placeholder"
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < 5:
        return f"SECRET_KEY is too short (it needs at least {SECRET_KEY_MIN_LENGTH} random characters)"
    return ""


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not DEBUG and (problem := _secret_key_problem(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"{problem}, and FAKTURERA_DEBUG is off (production). Fakturera does not start without a real key: "
        "set SECRET_KEY to a random value of 50 or more characters, for example the output of "
        '`python -c "import secrets; print(secrets.token_urlsafe(50))"`, kept secret and the same for every '
        "process of this installation. For the local demo, `make run` turns DEBUG on instead (FAKTURERA_DEBUG=1)."
    )
if not SECRET_KEY:
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
# Secrets at rest (core/secrets.py): Fernet keys, comma-separated; the first encrypts, all
# decrypt (rotation: put a new key first, run `fakturera rotate-secrets`, drop the old one).
# Without them the installation does not start unless DEBUG is on, where one key derived
# from SECRET_KEY serves.
SECRET_ENCRYPTION_KEYS = _list("FAKTURERA_SECRET_KEYS", [])
if not SECRET_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FAKTURERA_SECRET_KEYS is not set, and FAKTURERA_DEBUG is off (production): the SMTP passwords, "
            "service keys and webhook secrets are stored encrypted with these keys. Print one with "
            "`fakturera rotate-secrets --new-key` (README, Users, roles and secrets)."
        )
    _digest = hashlib.sha256(b"fakturera-secrets-at-rest:" + SECRET_KEY.encode()).digest()
    SECRET_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(_digest).decode()]

# Where people reach this installation: links in e-mails (portal, approvals) are absolute
# (core/urls.py), and its host and origin are what ALLOWED_HOSTS and CSRF_TRUSTED_ORIGINS
# default to. `make run` (scripts/serve) sets it to the host and port it serves; production
# must say it, as a link to the wrong address is only noticed by the customer who gets it.
SITE_URL = os.environ.get("FAKTURERA_SITE_URL", "").strip().rstrip("/")
if not SITE_URL:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FAKTURERA_SITE_URL is not set, and FAKTURERA_DEBUG is off (production): the links in e-mails "
            "(portal login, course approval, invitations) are built on it. Set it to the address people "
            "reach this installation at, such as https://faktura.example.se (README, Settings)."
        )
    SITE_URL = "http://127.0.0.1:8000"
_site = urlsplit(SITE_URL)
ALLOWED_HOSTS = _list("ALLOWED_HOSTS", list(dict.fromkeys([_site.hostname or "127.0.0.1", "127.0.0.1", "localhost"])))
CSRF_TRUSTED_ORIGINS = _list("FAKTURERA_CSRF_TRUSTED_ORIGINS", [f"{_site.scheme}://{_site.netloc}"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    # django-ninja's own Swagger UI files for the API docs (/api/v1/docs): without the app it
    # loads them from a CDN, which the Content-Security-Policy and an offline server refuse.
    "ninja",
    "django_htmx",
    # Before django_tasks_db: core's db_worker command (retries, a database briefly away) replaces the library's.
    "fakturera.core",
    "django_tasks",
    "django_tasks_db",
    "fakturera.parties",
    "fakturera.catalog",
    "fakturera.billables",
    "fakturera.invoicing",
    "fakturera.documents",
    "fakturera.webhooks",
    "fakturera.api",
    "fakturera.recurring",
    "fakturera.courses",
    "fakturera.autogiro",
    "fakturera.payments",
    "fakturera.worklist",
    "fakturera.collections",
    "fakturera.bookkeeping",
    "fakturera.portal",
    "fakturera.distribution",
    "fakturera.demo",
    "fakturera.public",
    "fakturera.staff",
    # Operations: `fakturera serve`, health, readiness and metrics (ops/DESIGN.md).
    "fakturera.ops",
]

MIDDLEWARE = [
    # Counts every request, its time and its answer (django-prometheus; /metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # /healthz, /readyz and /metrics, answered before the host check, the HTTPS redirect, the
    # session and the login: a load balancer asks by address over plain HTTP (ops/probes.py).
    "fakturera.ops.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # A database briefly away answers 503 with Retry-After, never 500 (core/unavailable.py).
    "fakturera.core.unavailable.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Reads a staff, portal or public form before the CSRF check (core/middleware.py).
    "fakturera.core.middleware.FormTooLargeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "fakturera.parties.tenancy.ActiveCompanyMiddleware",
    # The request's company on every log line (core/logs.py).
    "fakturera.ops.middleware.LogContextMiddleware",
    "fakturera.staff.two_factor.TwoFactorMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fakturera.urls"
WSGI_APPLICATION = "fakturera.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "fakturera.parties.tenancy.company_context",
                "fakturera.staff.access.context",
            ],
        },
    },
]


def _database(url: str) -> dict:
    """DATABASE_URL as Django's database settings. Several hosts, each with its port
    (`postgres://u:p@db1:5432,db2:5432/fakturera?target_session_attrs=read-write`), become
    libpq's comma-separated host and port lists: psycopg tries them in order and, with
    target_session_attrs=read-write, connects to the one that is the primary."""
    scheme, sep, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    hosts, slash, path = location.partition("/")
    if "," not in hosts:
        return dj_database_url.parse(url, conn_max_age=60)
    pairs = [host.rpartition(":") if ":" in host else (host, "", "") for host in hosts.split(",")]
    first = f"{scheme}{sep}{credentials}{at}{pairs[0][0]}{slash}{path}"
    database = dj_database_url.parse(first, conn_max_age=60)
    database["HOST"] = ",".join(host for host, _colon, _port in pairs)
    ports = [port for _host, _colon, port in pairs]
    database["PORT"] = ",".join(port or "5432" for port in ports) if any(ports) else ""
    return database


DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": _database(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Parameters bound by the server, and psycopg prepares a statement once it has run
        # prepare_threshold times on a connection (Django turns that off by default, for
        # transaction-mode poolers, which we do not use): PostgreSQL then skips parsing
        # and planning it again. Measured with pgbench on one API invoice's statements:
        # 1.9 ms of server time as simple queries, 0.5 ms prepared (parsing and planning
        # the joins and inserts was most of it).
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "fakturera.sqlite3",
            # WAL lets the web server and the task worker read while the other writes;
            # IMMEDIATE makes a writing transaction take the write lock at BEGIN, so two
            # writers queue instead of failing with "database is locked" mid-way.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-tasks-db's database backend, writing its rows faster (core/tasks.py).
TASKS = {"default": {"BACKEND": "fakturera.core.tasks.DatabaseBackend"}}

# Django's four: not like the username or e-mail, at least 12 characters (a passphrase fits
# easily; NIST SP 800-63B asks for 8 at least and advises longer), not one of the 20,000
# most common passwords, not only digits. They apply wherever a password is chosen through
# Django (createsuperuser, password forms); the demo user's "demo" is set directly (demo/data.py).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("FAKTURERA_PASSWORD_MIN_LENGTH", "12"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes counts failed logins first (and refuses a locked-out one before any password
# is checked); ModelBackend then checks the password, hashing it also for a username that
# does not exist, so the answer takes as long either way.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout after repeated failed logins (django-axes): per username *and* client address
# together, so someone elsewhere cannot lock a user out by typing their username; a
# success resets that pair's count; the lockout ends after the cool-off time.
AXES_ENABLED = _flag("FAKTURERA_LOGIN_LOCKOUT", True)
AXES_FAILURE_LIMIT = int(os.environ.get("FAKTURERA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("FAKTURERA_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "fakturera.staff.views.account.lockout"
AXES_CLIENT_IP_CALLABLE = "fakturera.core.client_ip.client_ip"
# How many reverse proxies in front of Fakturera append to X-Forwarded-For (0: none, the
# client address is REMOTE_ADDR). Only the proxies' own entries are believed.
TRUSTED_PROXY_COUNT = int(os.environ.get("FAKTURERA_TRUSTED_PROXY_COUNT", "0"))
# Two-factor codes (django-otp): the name authenticator apps show beside the account.
OTP_TOTP_ISSUER = os.environ.get("FAKTURERA_OTP_ISSUER", "Fakturera")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", "Svenska"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "fakturera" / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# WhiteNoise serves the static files from the apps' own folders (the finders), so an installed
# wheel serves them without `collectstatic` and without a folder of its own; in a checkout
# `make run` still collects them into var/static, which WhiteNoise reads first.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT: Path | None = VAR_DIR / "static" if IS_CHECKOUT or "FAKTURERA_VAR_DIR" in os.environ else None
if STATIC_ROOT is not None:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
# Uploaded files (a company's logo) are never kept on a machine's disk (core/storage.py): in the
# database by default, or in an S3-compatible store when FAKTURERA_S3_BUCKET is set, which then
# holds the generated documents' bytes too (documents/DESIGN.md, "Where the bytes are").
# MEDIA_ROOT is only where logos uploaded before that were: parties' migration 0012 moves them.
MEDIA_ROOT = VAR_DIR / "media"
S3_BUCKET = os.environ.get("FAKTURERA_S3_BUCKET", "").strip()
S3_ENDPOINT_URL = os.environ.get("FAKTURERA_S3_ENDPOINT_URL", "").strip()
_default_storage = storage_from_environment(os.environ) or {"BACKEND": "fakturera.core.storage.DatabaseStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"

# HTTPS in production (DEBUG off): each is on by default there and can be turned off on
# its own, for example SSL redirect behind a proxy that redirects itself.
SESSION_COOKIE_SECURE = _flag("FAKTURERA_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = _flag("FAKTURERA_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("FAKTURERA_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("FAKTURERA_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading binds the domain and all its subdomains to HTTPS in browsers for months even
# after it is withdrawn: the domain owner's decision, so it is off unless asked for, and
# `check --deploy`'s reminder of it (security.W021) is silenced.
SECURE_HSTS_PRELOAD = _flag("FAKTURERA_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Behind a proxy that ends TLS: the header it sets on HTTPS requests, e.g. X-Forwarded-Proto
# (the proxy must set or overwrite it on every request); then a request is HTTPS when that
# header says "https".
_proxy_ssl_header = os.environ.get("FAKTURERA_PROXY_SSL_HEADER", "").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = os.environ.get("FAKTURERA_REFERRER_POLICY", "same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp), in development as in production so the tests meet
# what production refuses: everything from this site only, no inline script or style, no
# framing, forms post here only. Scripts are static files (staff/fakturera.js); a template
# that truly needs an inline script gives it {{ request.csp_nonce }}.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **(
            {"report-uri": [os.environ["FAKTURERA_CSP_REPORT_URI"]]}
            if os.environ.get("FAKTURERA_CSP_REPORT_URI")
            else {}
        ),
    },
}

# One JSON object a line in production, the plain message with DEBUG on (core/logs.py).
LOG_FORMAT = os.environ.get("FAKTURERA_LOG_FORMAT", "console" if DEBUG else "json").strip().lower()
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"FAKTURERA_LOG_FORMAT={LOG_FORMAT!r}: use json or console.")
LOGGING = logging_config(log_format=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "WARNING"))

DEFAULT_FROM_EMAIL = os.environ.get("FAKTURERA_FROM_EMAIL", "no-reply@fakturera.example")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _flag("EMAIL_USE_TLS", False)  # STARTTLS, usually on port 587
EMAIL_USE_SSL = _flag("EMAIL_USE_SSL", False)  # TLS from the start, usually on port 465
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
if DEBUG and "EMAIL_HOST" not in os.environ:
    # `make run` has no mail server: the mails Fakturera sends by the installation's server
    # (a portal login link or a course manager's approval link of a company without its own
    # SMTP server, core/mail.py) are printed instead of failing. Invoices go through each
    # company's own SMTP settings and are not affected.
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# How long the link of an invitation to work for a company is valid (parties/invitations.py).
INVITATION_MAX_AGE_DAYS = int(os.environ.get("FAKTURERA_INVITATION_DAYS", "7"))

# Courses (seed 000): how long a manager's approval link is valid, and how many
# registrations one IP address may submit on the public form per window
# ("COUNT/SECONDS"; "0" turns the limit off, as `make bench` does for its loopback client).
COURSE_APPROVAL_MAX_AGE_DAYS = int(os.environ.get("FAKTURERA_COURSE_APPROVAL_DAYS", "14"))
COURSE_REGISTRATION_RATE_LIMIT = os.environ.get("FAKTURERA_REGISTRATION_RATE_LIMIT", "10/600")
# At most this many approval e-mails to one manager address per window ("COUNT/SECONDS",
# registrations and staff's resending together); beyond it the registration is recorded and
# its mail held for staff (courses/DESIGN.md). "0" turns the limit off.
COURSE_APPROVAL_MAIL_LIMIT = os.environ.get("FAKTURERA_APPROVAL_MAIL_LIMIT", "5/86400")
# The public form's settings are kept this many seconds in each server process (the form
# is read on every registration; a change by staff reaches all processes within this time).
COURSE_FORM_CACHE_SECONDS = int(os.environ.get("FAKTURERA_COURSE_FORM_CACHE_SECONDS", "5"))

# The client portal's login-link requests ("COUNT/SECONDS"): per e-mail address (of a
# company) and per client IP address. Counted in the database (core/ratelimit.py), shared by
# every server process.
PORTAL_LOGIN_LIMIT_PER_EMAIL = os.environ.get("FAKTURERA_PORTAL_LOGIN_LIMIT_PER_EMAIL", "5/900")
PORTAL_LOGIN_LIMIT_PER_IP = os.environ.get("FAKTURERA_PORTAL_LOGIN_LIMIT_PER_IP", "20/900")

# Distribution: how long a worker holds the deliveries it claimed before the sweeper
# judges them (distribution/worker.py).
DISTRIBUTION_LEASE_SECONDS = int(os.environ.get("FAKTURERA_DISTRIBUTION_LEASE_SECONDS", "600"))
# The scheduler (core/scheduler.py): how long a job's run may take before another scheduler
# judges it lost (its machine died) and runs it again.
SCHEDULER_LEASE_SECONDS = int(os.environ.get("FAKTURERA_SCHEDULER_LEASE_SECONDS", "3600"))

# `fakturera serve` (ops/serve.py): where gunicorn listens, its processes and threads (gthread),
# how many task and delivery worker processes a machine runs, and how long the processes get
# to finish what they have in hand after SIGTERM.
SERVE_BIND = os.environ.get("FAKTURERA_BIND", "127.0.0.1:8000")
SERVE_WEB_WORKERS = int(os.environ.get("FAKTURERA_WEB_WORKERS", "2"))
SERVE_WEB_THREADS = int(os.environ.get("FAKTURERA_WEB_THREADS", "4"))
SERVE_WEB_TIMEOUT = int(os.environ.get("FAKTURERA_WEB_TIMEOUT", "60"))
SERVE_TASK_WORKERS = int(os.environ.get("FAKTURERA_TASK_WORKERS", "1"))
SERVE_DELIVERY_WORKERS = int(os.environ.get("FAKTURERA_DELIVERY_WORKERS", "1"))
SERVE_STOP_SECONDS = int(os.environ.get("FAKTURERA_STOP_SECONDS", "30"))
# Threads Typst lays a PDF batch out with in each process (documents/pdf/render.py); 0: one per core.
PDF_LAYOUT_THREADS = int(os.environ.get("FAKTURERA_PDF_THREADS", "1"))

# Operations (ops/DESIGN.md). /metrics answers a request with `Authorization: Bearer <token>`;
# without a token only a direct request from loopback (no proxy in front). /readyz says not
# ready when a queue's oldest due item waited longer than this many seconds (0: not checked).
METRICS_TOKEN = os.environ.get("FAKTURERA_METRICS_TOKEN", "")
READY_QUEUE_AGE_SECONDS = int(os.environ.get("FAKTURERA_READY_QUEUE_AGE_SECONDS", "900"))

# Outbound connections to servers a company names (webhooks, SMTP, the letter service, the
# Peppol access point; core/net.py). Loopback, private, link-local (cloud metadata) and
# other internal addresses, and database ports, are refused unless the operator allows
# private networks (FAKTURERA_OUTBOUND_ALLOW_PRIVATE=1, for loopback services in
# development) or names what may be reached anyway (FAKTURERA_OUTBOUND_ALLOW: a comma-
# separated list of addresses, CIDR networks, host names and `.domain` suffixes).
# FAKTURERA_OUTBOUND_DEADLINE caps how long any one call may take in all, in seconds.
OUTBOUND_ALLOW_PRIVATE = os.environ.get("FAKTURERA_OUTBOUND_ALLOW_PRIVATE", "0") == "1"
OUTBOUND_ALLOW = [entry.strip() for entry in os.environ.get("FAKTURERA_OUTBOUND_ALLOW", "").split(",") if entry.strip()]
OUTBOUND_DEADLINE = float(os.environ.get("FAKTURERA_OUTBOUND_DEADLINE", "30"))
