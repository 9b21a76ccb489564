"""`pytest --only-database-tests` (CI's SQLite suite): the tests that use the suite's test
database stay, the others (run once, in PostgreSQL's suite) are deselected, and said so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
FILES = (
    "fakturera/payments/tests/test_references.py",  # rules: no database
    "fakturera/ops/tests/test_serve.py",  # a database of its own, not the suite's
    "fakturera/payments/tests/test_migrations.py",  # django_db marker
    "fakturera/documents/tests/test_ubl.py",  # some through a module fixture on django_db_setup
)


def _collected(*args: str) -> tuple[set[str], str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", *args, *FILES],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {line.split("::")[0] for line in done.stdout.splitlines() if "::" in line}, done.stdout


def test_only_the_tests_on_the_suites_database_are_kept_and_the_rest_reported_deselected():
    everything, _out = _collected()
    kept, out = _collected("--only-database-tests")

    assert everything == set(FILES)
    assert kept == {"fakturera/payments/tests/test_migrations.py", "fakturera/documents/tests/test_ubl.py"}
    assert "deselected" in out.splitlines()[-1]
