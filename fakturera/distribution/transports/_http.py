"""One HTTP exchange with an outside service, its failures sorted into errors.py's two kinds.

Through core.net: the service's address is checked when the connection is opened (no
loopback, private or internal address, no database port, unless the operator allows
them), and the whole exchange (look-up, connect, TLS, request, the answer to its last
byte) ends within `timeout` seconds; a service that drips its answer is cut off there
as a TransientError. An answer is read up to core.net.RESPONSE_LIMIT.

What the service said is kept only as the protocol's JSON error message (it says what to
fix: the Peppol access point names the broken rules), as plain text and cut short; any
other body (an HTML error page, whatever else answered) is never echoed: its status line
alone goes into the history. Our API key never appears in a message.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from typing import Any

from fakturera.core import net
from fakturera.distribution.errors import plain_error, status_line
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
    sent = {"Authorization": f"Bearer {api_key}", "Accept": "application/json", **(headers or {})}
    if body is not None:
        sent.setdefault("Content-Type", "application/octet-stream")
    deadline = net.Deadline(timeout)
    try:
        response = net.http_request(method, url, timeout=deadline.seconds, body=body, headers=sent)
    except net.TargetRefused as exc:
        raise PermanentError(reason(exc.code, service=service, **exc.params)) from None
    except TimeoutError:
        raise TransientError(reason("no_answer_within", service=service, seconds=f"{deadline.seconds:g}")) from None
    except net.ResponseTooLarge:
        raise TransientError(reason("answer_too_long", service=service)) from None
    except ssl.SSLError as exc:  # before ValueError: a certificate that does not verify is both
        raise _connection_error(service, exc) from None
    except ValueError:  # a port that is not a number
        raise PermanentError(reason("not_http", service=service, url=url)) from None
    except http.client.HTTPException as exc:
        # A connection cut mid-answer or a garbled status line: the service may be restarting.
        raise TransientError(reason("broken_answer", service=service, reason=type(exc).__name__)) from None
    except OSError as exc:
        raise _connection_error(service, exc) from None
    answer = _answer(response.status, response.body, response.content_type)
    if 200 <= answer.status < 300 or answer.status in accept_statuses:
        return answer
    raise _http_error(service, answer, api_key)


def _connection_error(service: str, cause: OSError) -> TransientError:
    if isinstance(cause, ConnectionRefusedError):
        return TransientError(reason("connection_refused", service=service))
    # Name look-ups, resets and unreachable networks usually pass; try again later.
    return TransientError(reason("unreachable", service=service, reason=cause.strerror or str(cause)))


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
    rules = [rule for rule in rules if isinstance(rule, dict)] if isinstance(rules, list) else []
    if rules:
        listed = "; ".join(str(rule.get("id", "")) + ": " + str(rule.get("message", "")) for rule in rules[:5])
        message = f"{message} ({listed})" if message else listed
    return message[:MESSAGE_LIMIT]


def answer_error(answer: Answer) -> str:
    """The status line and what the service said in the protocol's JSON (its message and the
    rules it names), as plain text; for any other body (an HTML error page, or whatever else
    answered) the status line alone: such a body is never echoed."""
    if answer.is_json:
        return plain_error(answer.status, service_message(answer), "text/plain", length=MESSAGE_LIMIT)
    return status_line(answer.status)


def _http_error(service: str, answer: Answer, api_key: str) -> PermanentError | TransientError:
    said = answer_error(answer)
    if api_key:
        # A service that echoes the request back must not put our key into the history.
        said = said.replace(api_key, "***")
    if answer.status == 429:
        return TransientError(reason("slow_down", service=service), status=answer.status)
    if answer.status >= 500:
        # Its own trouble, nothing for the company to fix: the status line alone.
        error = status_line(answer.status)
        return TransientError(reason("service_error", service=service, error=error), status=answer.status)
    if answer.status in (401, 403):
        return PermanentError(reason("key_refused", service=service, status=answer.status), status=answer.status)
    return PermanentError(reason("delivery_refused", service=service, error=said), status=answer.status)
