"""Paths of the shared SIE sample files (../shared/formats/sie, README.md there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakturera.conftest import shared_path

SIE = shared_path("formats", "sie")

needs_formats = pytest.mark.needs_shared("formats: the SIE 4 sample files")


def sample(name: str) -> Path:
    path = SIE / name
    if not path.is_file():
        pytest.fail(f"The sample is missing at {path.resolve()} (the shared material beside the repository)")
    return path
