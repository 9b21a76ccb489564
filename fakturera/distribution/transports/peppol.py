"""Peppol e-invoices through an access point (such as Pagero): the UBL and both participant ids.

Request format (ours; an access point's adapter or proxy speaks it):

  Is the receiver registered?
    GET {base_url}/v1/participants/{participant_id}        (e.g. .../participants/0007:5560360793)
    Authorization: Bearer {api_key}
    200 {"participant_id": "0007:5560360793", "registered": true}   -> True
    404 {"error": "not registered"}                                  -> False

  Send a document:
    POST {base_url}/v1/documents
    Authorization: Bearer {api_key}
    Idempotency-Key: {idempotency_key}
    Content-Type: application/xml
    X-Peppol-Sender: 0007:5567321707
    X-Peppol-Receiver: 0007:5560360793
    X-Document-Kind: invoice | credit_note

    <UBL 2.1 Invoice or CreditNote, Peppol BIS Billing 3.0>

    202 Accepted / 200 / 201  {"id": "D-000045", "status": "accepted"}   -> Receipt(reference=id)
        A repeated Idempotency-Key returns the first answer; the document is sent once.
    400 {"error": "invalid document", "rules": [{"id": "BR-CO-10", "message": "..."}]}
                                           -> PermanentError naming the rules
    404 / 422 {"error": "receiver not registered"}  -> PermanentError
    401 / 403                              -> PermanentError (the key; never shown)
    429, 5xx, timeouts, refused connections -> TransientError
"""

from __future__ import annotations

import urllib.parse
from typing import Literal

from fakturera.distribution.reasons import reason
from fakturera.distribution.transports._http import exchange
from fakturera.distribution.transports.errors import PermanentError, Receipt

DocumentKind = Literal["invoice", "credit_note"]
DOCUMENT_KINDS = ("invoice", "credit_note")


def peppol_receiver_registered(*, base_url: str, api_key: str, participant_id: str, timeout: float = 10) -> bool:
    """Whether the access point can deliver to this participant (scheme:identifier)."""
    answer = exchange(
        service="peppol",
        method="GET",
        url=f"{base_url.rstrip('/')}/v1/participants/{urllib.parse.quote(participant_id.strip(), safe=':')}",
        api_key=api_key,
        timeout=timeout,
        accept_statuses=(404,),
    )
    return answer.status != 404 and answer.body.get("registered") is True


def peppol_send(
    *,
    base_url: str,
    api_key: str,
    ubl: bytes,
    sender_id: str,
    receiver_id: str,
    document_kind: DocumentKind,
    idempotency_key: str,
    timeout: float = 30,
) -> Receipt:
    """Hand one UBL document to the access point; the same idempotency key never sends twice."""
    if document_kind not in DOCUMENT_KINDS:
        raise ValueError(f"Unknown document kind {document_kind!r}")
    if not sender_id.strip() or not receiver_id.strip():
        raise PermanentError(reason("peppol_ids_missing"))
    answer = exchange(
        service="peppol",
        method="POST",
        url=f"{base_url.rstrip('/')}/v1/documents",
        api_key=api_key,
        timeout=timeout,
        body=ubl,
        headers={
            "Content-Type": "application/xml",
            "Idempotency-Key": idempotency_key,
            "X-Peppol-Sender": sender_id.strip(),
            "X-Peppol-Receiver": receiver_id.strip(),
            "X-Document-Kind": document_kind,
        },
    )
    document_id = str(answer.body.get("id") or "")
    if not document_id:
        raise PermanentError(reason("peppol_without_id"), status=answer.status)
    return Receipt(reference=document_id, detail=str(answer.body.get("status") or ""))
