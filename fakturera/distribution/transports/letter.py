"""Letters through a central print service (such as 21 Grams): the PDF and a postal address.

Request format (ours; a service's adapter or proxy speaks it):

    POST {base_url}/v1/letters
    Authorization: Bearer {api_key}
    Idempotency-Key: {idempotency_key}
    Content-Type: application/json

    {
      "reference": "Faktura 1042",                 # ours, printed on nothing, shown in their portal
      "recipient": {
        "name": "Anna Andersson",
        "address_lines": ["Storgatan 1", "Lgh 1102"],
        "postal_code": "111 22",
        "city": "Stockholm",
        "country": "SE"                            # ISO 3166 alpha-2
      },
      "document": {"content_type": "application/pdf", "content_base64": "JVBERi0..."}
    }

Answers:
    201 Created / 200 OK  {"id": "L-000123", "status": "accepted"}   -> Receipt(reference=id)
        A repeated Idempotency-Key returns the first answer and prints nothing more,
        so a retry after a lost answer is safe.
    400 / 422  {"error": "what is wrong"}   -> PermanentError with that message
    401 / 403                               -> PermanentError (the key; never shown)
    429, 5xx, timeouts, refused connections -> TransientError
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import postnummer

from fakturera.distribution.reasons import Reason, reason
from fakturera.distribution.transports._http import exchange
from fakturera.distribution.transports.errors import PermanentError, Receipt


@dataclass(frozen=True)
class LetterAddress:
    name: str
    lines: list[str] = field(default_factory=list)
    postal_code: str = ""
    city: str = ""
    country: str = "SE"  # ISO 3166 alpha-2


def letter_address_problem(address: LetterAddress) -> Reason | None:
    """Why this is not an address a letter can be posted to, or None when it is."""
    if not address.name.strip():
        return reason("recipient_without_name")
    if not any(line.strip() for line in address.lines):
        return reason("address_without_street")
    if not address.postal_code.strip():
        return reason("address_without_postal_code")
    if not address.city.strip():
        return reason("address_without_city")
    country = address.country.strip()
    if len(country) != 2 or not country.isalpha() or not country.isupper():
        return reason("bad_country_code", country=country)
    if country == "SE":
        try:
            postnummer.validate(address.postal_code)
        except StdnumError:
            return reason("bad_postal_code", code=address.postal_code)
    return None


def letter_send(
    *,
    base_url: str,
    api_key: str,
    pdf: bytes,
    address: LetterAddress,
    reference: str,
    idempotency_key: str,
    timeout: float = 30,
) -> Receipt:
    """Hand one letter to the print service; the same idempotency key never prints twice."""
    problem = letter_address_problem(address)
    if problem:
        raise PermanentError(problem)
    body = {
        "reference": reference,
        "recipient": {
            "name": address.name.strip(),
            "address_lines": [line.strip() for line in address.lines if line.strip()],
            "postal_code": address.postal_code.strip(),
            "city": address.city.strip(),
            "country": address.country.strip(),
        },
        "document": {"content_type": "application/pdf", "content_base64": base64.b64encode(pdf).decode("ascii")},
    }
    answer = exchange(
        service="letter",
        method="POST",
        url=f"{base_url.rstrip('/')}/v1/letters",
        api_key=api_key,
        timeout=timeout,
        body=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json", "Idempotency-Key": idempotency_key},
    )
    letter_id = str(answer.body.get("id") or "")
    if not letter_id:
        raise PermanentError(reason("letter_without_id"), status=answer.status)
    return Receipt(reference=letter_id, detail=str(answer.body.get("status") or ""))
