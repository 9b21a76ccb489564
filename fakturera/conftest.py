"""Fixtures shared by every app's tests."""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from hypothesis import settings as hypothesis_settings

# No per-example deadline in the property tests: on a shared machine an example that builds a
# file may take 300 ms once and 15 ms the next, and Hypothesis then fails the test as flaky.
# Speed is measured by the benchmarks (make bench), never by a timed test.
hypothesis_settings.register_profile("fakturera", deadline=None)
hypothesis_settings.load_profile("fakturera")

# Playwright's sync API runs an event loop in the test thread; Django would then
# refuse ORM calls from the same thread, although they are not async at all.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def shared_path(*parts: str) -> Path:
    """A path in the shared material (the Peppol validator, bank and format samples, the
    seed documents), which lives beside the repository: …/fk beside …/shared, here and in
    CI. Where documents/ubl/validator.py looks for the validator too."""
    return Path(django_settings.BASE_DIR).resolve().parent / "shared" / Path(*parts)


def is_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _needs_shared(items: list[pytest.Item]) -> None:
    """Tests marked `needs_shared("what they use")` skip on a clone without ../shared, with
    one reason, so `make test` passes on a clone of its own. In CI (CI set) they must run:
    a missing ../shared stops the run with an error instead of skipping them quietly."""
    needing = [item for item in items if item.get_closest_marker("needs_shared")]
    shared = shared_path()
    if not needing or shared.is_dir():
        return
    what = sorted({str(item.get_closest_marker("needs_shared").args[0]) for item in needing})
    if is_ci():
        raise pytest.UsageError(
            f"CI is set, but {shared} is missing: {len(needing)} tests need the shared material beside the "
            f"repository ({'; '.join(what)}). Clone it there (…/fk beside …/shared) and run "
            "`../shared/peppol/validate --setup`; in CI these tests run, they are never skipped."
        )
    for item in needing:
        reason = item.get_closest_marker("needs_shared").args[0]
        item.add_marker(pytest.mark.skip(reason=f"needs ../shared ({reason}); not beside this clone"))


def pytest_addoption(parser):
    parser.addoption(
        "--only-database-tests",
        action="store_true",
        help="run only the tests that use the suite's test database (CI's second suite: the others ran in the "
        "first, and their outcome does not depend on the database the suite runs on)",
    )
    parser.addoption(
        "--without-migration-history",
        action="store_true",
        help="leave out the tests that migrate back to an earlier schema and forward again (migration_history): "
        "CI's SQLite suite, where they took 4 of its 10 minutes; PostgreSQL's suite runs them",
    )


# What a test that uses the suite's test database requests (pytest-django: the django_db marker
# asks for _django_db_helper; these fixtures are the others' way in).
DATABASE_FIXTURES = frozenset(
    ("_django_db_helper", "db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
     "live_server", "django_db_setup")
)  # fmt: skip


def uses_the_database(item: pytest.Item) -> bool:
    return bool(item.get_closest_marker("django_db")) or not DATABASE_FIXTURES.isdisjoint(
        getattr(item, "fixturenames", ())
    )


def _deselect(config, items, leave_out) -> None:
    left_out = [item for item in items if leave_out(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not leave_out(item)]


def pytest_collection_modifyitems(config, items):
    if config.getoption("--only-database-tests"):
        _deselect(config, items, lambda item: not uses_the_database(item))
    if config.getoption("--without-migration-history"):
        _deselect(config, items, lambda item: item.get_closest_marker("migration_history") is not None)
    for item in items:
        if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
    _needs_shared(items)


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _outbound_loopback(settings):
    """The tests' outside services (webhook receivers, SMTP servers, the fake letter service
    and access point) listen on loopback, which production refuses (core/net.py): allowed
    here. The tests of that refusal turn it off again."""
    settings.OUTBOUND_ALLOW_PRIVATE = True


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's S3 server on a loopback port for the session (core/tests/s3.py)."""
    from fakturera.core.tests.s3 import moto_server

    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3(settings, moto_endpoint):
    """The installation configured with an S3-compatible store: a bucket of its own on moto."""
    from fakturera.core.tests.s3 import new_store

    return new_store(moto_endpoint, prefix="test").use(settings)


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
    # Leave the page first: a page that polls (the send's progress) asks nothing more of the
    # live server once the test's database is gone.
    page.goto("about:blank")
    context.close()
