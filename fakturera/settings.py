"""Fakturera settings: one file, reading the environment once.

DATABASE_URL selects PostgreSQL (postgres://...); without it the embedded SQLite
database in var/ is used. SECRET_KEY must be set in production (DEBUG off).
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FAKTURERA_VAR_DIR", BASE_DIR / "var"))
# The export channel's files (distribution/channels/export.py): one folder per company under
# this root, set by the operator; a company names at most a subfolder of its own.
EXPORT_ROOT = Path(os.environ.get("FAKTURERA_EXPORT_ROOT", VAR_DIR / "exports"))

DEBUG = os.environ.get("FAKTURERA_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when FAKTURERA_DEBUG=0")
    SECRET_KEY = "dev-only-not-secret-fakturera"  # noqa: S105 - development default only
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
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
    "fakturera.portal",
    "fakturera.distribution",
    "fakturera.demo",
    "fakturera.public",
    "fakturera.staff",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database briefly away answers 503 with Retry-After, never 500 (core/unavailable.py).
    "fakturera.core.unavailable.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "fakturera.parties.tenancy.ActiveCompanyMiddleware",
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
                "fakturera.parties.tenancy.company_context",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
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
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Where people reach this installation: links in e-mails (portal, approvals) are absolute.
SITE_URL = os.environ.get("FAKTURERA_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = os.environ.get("FAKTURERA_FROM_EMAIL", "no-reply@fakturera.example")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
if DEBUG and "EMAIL_HOST" not in os.environ:
    # `make run` has no mail server: the mails Fakturera sends by the installation's server
    # (a portal login link or a course manager's approval link of a company without its own
    # SMTP server, core/mail.py) are printed instead of failing. Invoices go through each
    # company's own SMTP settings and are not affected.
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Courses (seed 000): how long a manager's approval link is valid, and how many
# registrations one IP address may submit on the public form per window
# ("COUNT/SECONDS"; "0" turns the limit off, as `make bench` does for its loopback client).
COURSE_APPROVAL_MAX_AGE_DAYS = int(os.environ.get("FAKTURERA_COURSE_APPROVAL_DAYS", "14"))
COURSE_REGISTRATION_RATE_LIMIT = os.environ.get("FAKTURERA_REGISTRATION_RATE_LIMIT", "10/600")
# The public form's settings are kept this many seconds in each server process (the form
# is read on every registration; a change by staff reaches all processes within this time).
COURSE_FORM_CACHE_SECONDS = int(os.environ.get("FAKTURERA_COURSE_FORM_CACHE_SECONDS", "5"))

# Distribution: how long a worker holds the deliveries it claimed before the sweeper
# judges them (distribution/worker.py).
DISTRIBUTION_LEASE_SECONDS = int(os.environ.get("FAKTURERA_DISTRIBUTION_LEASE_SECONDS", "600"))
