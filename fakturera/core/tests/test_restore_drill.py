"""`make restore-drill` (drills/restore.py), run as an operator runs it: a backup of a live demo
database restored into a fresh one, its documents, numbering, secrets and login checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.postgres
def test_the_restore_drill_passes_on_a_live_database():
    parts = urlsplit(os.environ["DATABASE_URL"])
    server = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    done = subprocess.run(
        [sys.executable, "-m", "drills.restore", "--server-url", server, "--prefix", "test_restore_drill"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "restore-drill passed" in out
    assert "matching their SHA-256" in out
    assert "number series gap-free" in out
    assert "the demo login (demo / demo) reaches the start page" in out
