"""`make ha-drill` (drills/ha.py), a small variant: the primary of a pg_auto_failover pair lost
while invoices are delivered; the product carries on against the promoted standby, nothing
acknowledged is lost and every invoice arrives exactly once."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drills.ha import pg_auto_failover_missing

ROOT = Path(__file__).resolve().parents[3]


def _why_not() -> str:
    missing = pg_auto_failover_missing()
    if not missing:
        return ""
    if shutil.which("apt-get") is None:
        return f"{missing}, and there is no apt-get to install it"
    if os.geteuid() != 0 and shutil.which("sudo") is None:
        return f"{missing}, and neither root nor sudo to install it"
    return ""


@pytest.mark.postgres
def test_the_ha_drill_passes_when_the_primary_is_lost():
    why = _why_not()
    if why:
        pytest.skip(f"the failover drill needs pg_auto_failover: {why}")
    done = subprocess.run(
        [sys.executable, "-m", "drills.ha", "--invoices", "300", "--base-port", "55632", "--timeout", "300"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    assert "synchronous_standby_names = 'ANY 1" in out
    assert "new primary takes writes after" in out
    assert "web answers 200 again after" in out
    assert "0 missing on the new primary" in out
    # The one message a worker had in flight when the primary was lost may be uncertain and never
    # have gone (handed over, then the worker gave up waiting for the database): the drill itself
    # checks that every delivery recorded sent arrived once and that no more are uncertain than
    # were in flight.
    assert re.search(r"SMTP sink: (\d+) messages, \1 recipients, 0 Message-IDs more than once", out), out[-3000:]
    sent = re.search(r"deliveries: \{'sent': (\d+)", out)
    assert sent is not None, out[-3000:]
    assert int(sent.group(1)) >= 298, out[-3000:]
    assert "ha-drill: passed" in out
