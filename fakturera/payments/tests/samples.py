"""Paths of the shared sample files (../shared/formats), and small helpers for the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakturera.conftest import shared_path

FORMATS = shared_path("formats")
BGMAX = FORMATS / "bgmax"
NO_LINE_BREAKS = BGMAX / "no-line-breaks"
CAMT = FORMATS / "camt"
AUTOGIRO = FORMATS / "autogiro"
NEW_LAYOUT = AUTOGIRO / "new_layout"
OLD_LAYOUT = AUTOGIRO / "old_layout"

needs_formats = pytest.mark.needs_shared("formats: Bankgirot's and ISO 20022 sample files")


def sample(path: Path) -> Path:
    if not path.is_file():
        pytest.fail(f"The sample is missing at {path.resolve()} (the shared material beside the repository)")
    return path
