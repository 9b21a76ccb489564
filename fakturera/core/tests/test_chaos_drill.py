"""`make chaos` (drills/chaos.py), short: a month-end of 2,000 invoices by the product's own
processes while workers are killed with SIGKILL and the SMTP sink refuses or stalls
connections, then every check of the drill. The server the suite runs on is not restarted
here (`make chaos` does that once)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.postgres
def test_a_short_month_end_under_kill_9_keeps_every_promise():
    parts = urlsplit(os.environ["DATABASE_URL"])
    server = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    done = subprocess.run(
        [sys.executable, "-m", "drills.chaos", "--n", "2000", "--server-url", server, "--database", "test_chaos_drill",
         "--no-postgres-restart", "--limit", "300"],
        cwd=ROOT, capture_output=True, text=True, timeout=400, check=False,
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-3000:]
    assert "chaos passed" in out
    assert "kill -9 a" in out
    assert "2000 invoices issued, numbered 1..2000 without a gap" in out
    assert "no task lost" in out
    assert "FAIL" not in out
