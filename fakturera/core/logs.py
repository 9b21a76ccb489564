"""The installation's log lines: one JSON object a line in production, plain text for `make run`.

Every line, ours and the libraries' (Django, gunicorn's errors, django-tasks), goes through
the standard `logging` module; structlog only formats it (`ProcessorFormatter`), so code
keeps `logging.getLogger(__name__)`. What a line is about is bound in a context variable
and added to every line logged meanwhile, in the same thread or task:

    with bound(company_id=company.pk, invoice_id=invoice.pk):
        ...  # every line logged here carries both ids

The request middleware binds the company of a staff request (ops/middleware.py), API key
authentication the key's company (parties/keys.py), the delivery worker each delivery's
company and invoice (distribution/worker.py), the task worker a task's company.
`settings.LOGGING` is `logging_config()`; `FAKTURERA_LOG_FORMAT` chooses json or console
(default: json with DEBUG off, console with it on).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

FORMATS = ("json", "console")


@contextmanager
def bound(**ids: Any) -> Iterator[None]:
    """Add `ids` (None values left out) to every line logged inside the block."""
    present = {name: value for name, value in ids.items() if value is not None}
    with structlog.contextvars.bound_contextvars(**present):
        yield


def bind(**ids: Any) -> None:
    """Add `ids` to every later line of this thread or task until `clear()` (a request's company)."""
    structlog.contextvars.bind_contextvars(**{name: value for name, value in ids.items() if value is not None})


def clear() -> None:
    structlog.contextvars.clear_contextvars()


def _processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """`settings.LOGGING` for `log_format` ("json" or "console") at the root logger's `level`."""
    if log_format not in FORMATS:
        raise ValueError(f"FAKTURERA_LOG_FORMAT={log_format!r}: use json or console.")
    if log_format == "console":
        # `make run`: the message alone, as before (the ids are for machines reading JSON).
        return {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"console": {"class": "logging.StreamHandler"}},
            "root": {"handlers": ["console"], "level": level},
        }
    renderer = [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.format_exc_info,
        structlog.processors.JSONRenderer(),
    ]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "fakturera": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": renderer,
                "foreign_pre_chain": _processors(),
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "fakturera"}},
        "root": {"handlers": ["console"], "level": level},
        # gunicorn's own loggers write through the root's handler, so its lines are JSON too.
        "loggers": {
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": True},
        },
    }
