"""`pytest --only-database-tests` (CI's SQLite suite): the tests that use the suite's test
database stay, the others (run once, in PostgreSQL's suite) are deselected, and said so."""

from __future__ import annotations

import ast
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


def test_the_migration_history_is_left_out_on_request_and_said_so():
    everything, _out = _collected()
    kept, out = _collected("--without-migration-history")

    assert everything - kept == {"fakturera/payments/tests/test_migrations.py"}
    assert "deselected" in out.splitlines()[-1]


def _migrates(function: ast.FunctionDef) -> bool:
    """Calls `<executor>.migrate(...)` or a helper named `_migrate(...)`."""
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            called = node.func
            if (isinstance(called, ast.Attribute) and called.attr == "migrate") or (
                isinstance(called, ast.Name) and called.id == "_migrate"
            ):
                return True
    return False


def test_every_test_that_migrates_back_is_marked_as_migration_history():
    # A test that takes the schema back is what --without-migration-history is for: one not
    # marked would run in SQLite's CI suite after all, at half a minute or more.
    unmarked, marked = [], []
    for path in sorted(ROOT.glob("fakturera/**/tests/test_*.py")):
        source = path.read_text()
        if "MigrationExecutor" not in source:
            continue
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_") and _migrates(node):
                is_marked = "migration_history" in {ast.unparse(d).rsplit(".", 1)[-1] for d in node.decorator_list}
                (marked if is_marked else unmarked).append(f"{path.relative_to(ROOT)}::{node.name}")
    assert unmarked == []
    assert len(marked) >= 9
