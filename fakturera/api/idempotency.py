"""Idempotent writes: the same Idempotency-Key and body give the first response again.

The record is inserted in the transaction of the write it guards, before the
write runs, and holds the response once the write succeeds. A retry after that
finds the record and gets the stored response; the unique (company, key) index
makes a concurrent request with the same key wait for the first transaction and
then find its record. A write that fails leaves no record (the transaction rolls
back), so the client may correct the request and retry with the same key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.api.models import IdempotencyRecord
from fakturera.core.db import run_retrying
from fakturera.core.errors import DomainError, StateConflict
from fakturera.parties.models import Company

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Clients retry within minutes or hours; a week covers a retry after a long outage.
KEEP = dt.timedelta(days=7)


class MalformedKey(DomainError):
    code = "invalid_idempotency_key"


def request_hash(request: HttpRequest) -> str:
    """Method, path and body; a JSON body in a canonical form, so key order and spacing do not matter."""
    body = request.body
    with contextlib.suppress(ValueError):
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.get_full_path().encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def idempotent(
    request: HttpRequest,
    *,
    company: Company,
    status: int,
    action: Callable[[], Any],
    respond: Callable[[Any], bytes],
    fingerprint: str | None = None,
) -> tuple[int, bytes, bool]:
    """Run `action` once per Idempotency-Key; returns (status, body, is_replay).

    With a key, the record, the action and the body share one transaction, since the
    body is stored with the record. Without one, the action is one service call, which
    owns its transaction: it commits, and the body is made after. Wrapping it in a
    transaction of our own would only add a savepoint (two round trips) per write.

    `fingerprint` replaces the request's hash when its body cannot be read again (a multipart
    upload, whose body Django has already consumed): the caller hashes what it was sent.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return status, respond(action()), False
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise MalformedKey(
            _("An Idempotency-Key is 1 to %(n)s printable characters.") % {"n": MAX_KEY_LENGTH},
            field=HEADER,
        )
    fingerprint = fingerprint or request_hash(request)

    def once() -> tuple[int, bytes, bool]:
        # The whole of it again when the database aborts it as a deadlock (core.db): the
        # service inside is then no outermost transaction and cannot retry on its own.
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(company=company, key=key, request_hash=fingerprint)
        except IntegrityError:
            record = IdempotencyRecord.objects.get(company=company, key=key)
            if record.request_hash != fingerprint:
                raise StateConflict(
                    _("This Idempotency-Key was used with another request; use a new key for a new request."),
                    field=HEADER,
                    code="idempotency_key_reused",
                ) from None
            return record.response_status, bytes(record.response_body), True
        body = respond(action())
        record.response_status = status
        record.response_body = body
        record.save(update_fields=["response_status", "response_body"])
        return status, body, False

    return run_retrying(once)


def records_purge(*, now: dt.datetime | None = None) -> int:
    """Forget the records older than KEEP (the scheduler runs this hourly); a key sent
    again after that is a new request."""
    cutoff = (now or timezone.now()) - KEEP
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
