"""Fixtures shared by every app's tests."""

import os

import pytest
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; Django would then
# refuse ORM calls from the same thread, although they are not async at all.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    del config
    for item in items:
        if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def company(db):
    from fakturera.parties.tests.factories import CompanyFactory

    return CompanyFactory()


@pytest.fixture
def admin_user(company):
    from fakturera.parties.tests.factories import StaffFactory

    return StaffFactory(company=company, role="admin").user


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests read messages in English; the Swedish catalogue is checked on its own."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def swedish(settings):
    """The Swedish catalogue compiled from the .po as it is now, and read afresh, for tests
    that read Swedish without depending on whether `make translations` ran."""
    from fakturera.core.tests.test_translations import _compile_swedish

    _compile_swedish()
    # Assigning LOCALE_PATHS makes Django drop the translations it has loaded.
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (its own browser download is not used)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `make test`, which installs it.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def staff_page(browser, live_server, transactional_db):
    """A logged-in browser page for an accountant of a fresh company: (page, company, user).

    The page's base URL is the live server, so tests call page.goto("/basis/").
    """
    from fakturera.parties.tests.factories import CompanyFactory, StaffFactory

    company = CompanyFactory()
    staff = StaffFactory(company=company, role="admin")
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login/")
    page.fill("input[name=username]", staff.user.username)
    page.fill("input[name=password]", "secret-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    yield page, company, staff.user
    context.close()
