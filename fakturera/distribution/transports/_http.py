"""One HTTP exchange with an outside service, its failures sorted into errors.py's two kinds.

Standard library only (urllib): the services speak plain JSON or XML over HTTPS and
a request a delivery is all we need. The service's own message is kept (it says
what to fix); our API key never appears in a message.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from fakturera.distribution.transports.errors import PermanentError, TransientError

# The service's message as stored in the history is cut to this length (InvoiceEvent.message holds 500).
MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def exchange(
    *,
    service: str,
    method: str,
    url: str,
    api_key: str,
    timeout: float,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    accept_statuses: tuple[int, ...] = (),
) -> Answer:
    """Send one request; a 2xx (or one of `accept_statuses`) is returned, anything else raised.

    `service` names the service in messages ("Letter service").
    """
    if not url.lower().startswith(("http://", "https://")):
        raise PermanentError(_("%(service)s: the address %(url)s is not an http(s) address.") % {
            "service": service, "url": url,
        })  # fmt: skip
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - scheme checked above
    request.add_header("Authorization", f"Bearer {api_key}")
    request.add_header("Accept", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(response.status, _json(response.read()))
    except urllib.error.HTTPError as exc:
        answer = Answer(exc.code, _json(exc.read()))
        if exc.code in accept_statuses:
            return answer
        raise _http_error(service, answer, api_key) from None
    except TimeoutError:
        raise TransientError(_("%(service)s did not answer within %(seconds)s seconds.") % {
            "service": service, "seconds": f"{timeout:g}",
        }) from None  # fmt: skip
    except urllib.error.URLError as exc:
        raise _connection_error(service, exc.reason) from None
    except http.client.HTTPException as exc:
        # A connection cut mid-answer or a garbled status line: the service may be restarting.
        raise TransientError(_("%(service)s sent a broken answer: %(reason)s") % {
            "service": service, "reason": type(exc).__name__,
        }) from None  # fmt: skip
    except (ConnectionError, OSError) as exc:
        raise _connection_error(service, exc) from None


def _connection_error(service: str, reason: object) -> TransientError:
    if isinstance(reason, TimeoutError | socket.timeout):
        return TransientError(_("%(service)s did not answer in time.") % {"service": service})
    if isinstance(reason, ConnectionRefusedError):
        return TransientError(_("%(service)s refused the connection.") % {"service": service})
    # Name look-ups, resets and unreachable networks usually pass; try again later.
    return TransientError(_("%(service)s could not be reached: %(reason)s") % {
        "service": service, "reason": getattr(reason, "strerror", None) or str(reason),
    })  # fmt: skip


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {"error": raw[:MESSAGE_LIMIT].decode("utf-8", "replace").strip()}
    return value if isinstance(value, dict) else {"value": value}


def service_message(answer: Answer) -> str:
    """What the service said was wrong, with the rules it names (the Peppol access point lists them)."""
    message = str(answer.body.get("error") or answer.body.get("message") or "").strip()
    rules = answer.body.get("rules") or []
    if rules:
        listed = "; ".join(str(rule.get("id", "")) + ": " + str(rule.get("message", "")) for rule in rules[:5])
        message = f"{message} ({listed})" if message else listed
    return message[:MESSAGE_LIMIT]


def _http_error(service: str, answer: Answer, api_key: str) -> PermanentError | TransientError:
    said = service_message(answer)
    if api_key:
        # A service that echoes the request back must not put our key into the history.
        said = said.replace(api_key, "***")
    if answer.status == 429:
        return TransientError(
            _("%(service)s asked us to slow down (HTTP 429).") % {"service": service}, status=answer.status
        )
    if answer.status >= 500:
        return TransientError(
            _("%(service)s had an error (HTTP %(status)s): %(message)s")
            % {"service": service, "status": answer.status, "message": said or "–"},
            status=answer.status,
        )
    if answer.status in (401, 403):
        return PermanentError(
            _("%(service)s refused our API key (HTTP %(status)s); check the channel's settings.")
            % {"service": service, "status": answer.status},
            status=answer.status,
        )
    return PermanentError(
        _("%(service)s refused the delivery (HTTP %(status)s): %(message)s")
        % {"service": service, "status": answer.status, "message": said or "–"},
        status=answer.status,
    )
