"""What `fakturera sie` and `fakturera journal` share: the company by its organisation number, the
period, and refusals on stderr with exit status 2 and nothing on stdout (a redirected file stays
empty rather than half an export)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db.models import Value
from django.db.models.functions import Replace

from fakturera.core.errors import ValidationFailed
from fakturera.parties.models import Company

USAGE_ERROR = 2


def refuse(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE_ERROR)


def add_period_arguments(parser: CommandParser) -> None:
    parser.add_argument("--company", required=True, help="the company's organisation number")
    parser.add_argument("--from", dest="date_from", required=True, help="the first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", required=True, help="the last day, YYYY-MM-DD")


def company_by_org_number(org_number: str) -> Company:
    digits = "".join(ch for ch in org_number if ch.isdigit())
    # Stored as written ("556677-8899"); compared by its digits, in the database.
    bare = Replace(Replace("org_number", Value("-"), Value("")), Value(" "), Value(""))
    found = Company.objects.annotate(bare=bare).filter(bare=digits).order_by("pk").first() if digits else None
    if found is None:
        raise refuse(f"No company has the organisation number {org_number}.")
    return found


def parse_day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise refuse(f"{option} {value!r} is not a date: write YYYY-MM-DD, such as 2026-01-31.") from None


def refusal(exc: ValidationFailed) -> CommandError:
    names = {"from": "--from", "to": "--to", "type": "--type", "format": "--format", "series": "--series"}
    return refuse(
        " ".join(
            f"{names.get(field, field)}: {message}" if field in names else message
            for field, messages in exc.errors.items()
            for message in messages
        )
    )


def write_out(chunks: Iterable[bytes], options: dict[str, Any]) -> None:
    out = options.get("stdout_bytes") or sys.stdout.buffer
    for chunk in chunks:
        out.write(chunk)
    out.flush()
