"""Running the official Peppol validator (`../shared/peppol/validate`) over UBL files.

Used by the UBL tests and by the fake Peppol access point of the distribution tests,
so both judge a document the same way. The validator lives outside the repository
(…/main beside …/shared, here and in CI); settings.PEPPOL_VALIDATE overrides the path.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings


def validator_path() -> Path:
    configured = getattr(settings, "PEPPOL_VALIDATE", None)
    if configured:
        return Path(configured)
    return Path(settings.BASE_DIR) / ".." / "shared" / "peppol" / "validate"


def validate_files(paths: Iterable[str | Path], *, timeout: float = 600) -> dict[str, dict]:
    """One validator run over every file (its start-up dominates): path -> the file's JSON report."""
    validate = validator_path()
    if not validate.is_file():
        raise FileNotFoundError(
            f"The Peppol validator is missing at {validate.resolve()}: clone the shared material "
            "beside the repository (…/main and …/shared) and run `../shared/peppol/validate --setup`."
        )
    names = [str(path) for path in paths]
    result = subprocess.run(  # noqa: S603 - our own validator, paths we wrote
        [str(validate), "--json", *names], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(f"validator exit {result.returncode}: {result.stderr}")
    return {report["file"]: report for report in json.loads(result.stdout)["files"]}


def fatal_rules(report: dict) -> list[str]:
    return [f"{e['id']}: {e['message']} (at {e['location']})" for e in report["errors"] if e["flag"] == "fatal"]


def validate_ubl(xml: bytes) -> list[str]:
    """The fatal rules one UBL document breaks; empty when it is valid Peppol BIS Billing 3.0."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.xml"
        path.write_bytes(xml)
        [report] = validate_files([path]).values()
    return fatal_rules(report)
