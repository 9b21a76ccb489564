"""One HTTP exchange with an outside service, its failures sorted into errors.py's two kinds.

Standard library only (urllib): the services speak plain JSON or XML over HTTPS and
a request a delivery is all we need. The service's own message is kept (it says
what to fix) as plain text: an HTML error page (from the service or a proxy in front
of it) becomes its status line and a short excerpt (errors.plain_error). Our API key
never appears in a message.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from fakturera.distribution.errors import plain_error
from fakturera.distribution.reasons import reason
from fakturera.distribution.transports.errors import PermanentError, TransientError

# The service's message as kept in the history is cut to this length.
MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    # The body as it came, for an answer that is not JSON (an error page).
    raw: bytes = b""
    content_type: str = ""
    is_json: bool = True


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

    `service` is the service's code in reasons.SERVICES ("letter"), which names it in messages.
    """
    if not url.lower().startswith(("http://", "https://")):
        raise PermanentError(reason("not_http", service=service, url=url))
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - scheme checked above
    request.add_header("Authorization", f"Bearer {api_key}")
    request.add_header("Accept", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return _answer(response.status, response.read(), response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as exc:
        answer = _answer(exc.code, exc.read(), exc.headers.get("Content-Type", "") if exc.headers else "")
        if exc.code in accept_statuses:
            return answer
        raise _http_error(service, answer, api_key) from None
    except TimeoutError:
        raise TransientError(reason("no_answer_within", service=service, seconds=f"{timeout:g}")) from None
    except urllib.error.URLError as exc:
        raise _connection_error(service, exc.reason) from None
    except http.client.HTTPException as exc:
        # A connection cut mid-answer or a garbled status line: the service may be restarting.
        raise TransientError(reason("broken_answer", service=service, reason=type(exc).__name__)) from None
    except (ConnectionError, OSError) as exc:
        raise _connection_error(service, exc) from None


def _connection_error(service: str, cause: object) -> TransientError:
    if isinstance(cause, TimeoutError | socket.timeout):
        return TransientError(reason("no_answer_in_time", service=service))
    if isinstance(cause, ConnectionRefusedError):
        return TransientError(reason("connection_refused", service=service))
    # Name look-ups, resets and unreachable networks usually pass; try again later.
    return TransientError(reason("unreachable", service=service, reason=getattr(cause, "strerror", None) or str(cause)))


def _answer(status: int, raw: bytes, content_type: str) -> Answer:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return Answer(status, {}, raw=raw, content_type=content_type, is_json=False)
    return Answer(status, value if isinstance(value, dict) else {"value": value}, raw=raw, content_type=content_type)


def service_message(answer: Answer) -> str:
    """What the service said was wrong, with the rules it names (the Peppol access point lists them)."""
    message = str(answer.body.get("error") or answer.body.get("message") or "").strip()
    rules = answer.body.get("rules") or []
    if rules:
        listed = "; ".join(str(rule.get("id", "")) + ": " + str(rule.get("message", "")) for rule in rules[:5])
        message = f"{message} ({listed})" if message else listed
    return message[:MESSAGE_LIMIT]


def answer_error(answer: Answer) -> str:
    """The status line and what the service said, as plain text: its JSON message (and the
    rules it names), or the readable start of any other body (an HTML error page)."""
    if answer.is_json:
        return plain_error(answer.status, service_message(answer), "text/plain", length=MESSAGE_LIMIT)
    return plain_error(answer.status, answer.raw, answer.content_type)


def _http_error(service: str, answer: Answer, api_key: str) -> PermanentError | TransientError:
    said = answer_error(answer)
    if api_key:
        # A service that echoes the request back must not put our key into the history.
        said = said.replace(api_key, "***")
    if answer.status == 429:
        return TransientError(reason("slow_down", service=service), status=answer.status)
    if answer.status >= 500:
        return TransientError(reason("service_error", service=service, error=said), status=answer.status)
    if answer.status in (401, 403):
        return PermanentError(reason("key_refused", service=service, status=answer.status), status=answer.status)
    return PermanentError(reason("delivery_refused", service=service, error=said), status=answer.status)
