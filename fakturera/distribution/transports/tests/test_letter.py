"""The letter transport against a real HTTP server on loopback (testing.FakeLetterService)."""

from __future__ import annotations

import socket

import pytest

from fakturera.distribution.transports.errors import PermanentError, TransientError
from fakturera.distribution.transports.letter import LetterAddress, letter_address_problem, letter_send
from fakturera.distribution.transports.testing import FakeLetterService

PDF = b"%PDF-1.4\n% a letter\n%%EOF\n"
ADDRESS = LetterAddress(name="Anna Andersson", lines=["Storgatan 1"], postal_code="111 22", city="Stockholm")


@pytest.fixture
def service():
    with FakeLetterService() as fake:
        yield fake


def send(service: FakeLetterService, *, key: str = "delivery-1", timeout: float = 5, **overrides) -> object:
    arguments = {
        "base_url": service.url,
        "api_key": service.api_key,
        "pdf": PDF,
        "address": ADDRESS,
        "reference": "Faktura 1042",
        "idempotency_key": key,
        "timeout": timeout,
        **overrides,
    }
    return letter_send(**arguments)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_letter_arrives_with_its_pdf_and_address(service):
    receipt = send(service)

    [letter] = service.received
    assert receipt.reference == letter["id"]
    assert letter["pdf"] == PDF
    assert letter["reference"] == "Faktura 1042"
    assert letter["recipient"] == {
        "name": "Anna Andersson",
        "address_lines": ["Storgatan 1"],
        "postal_code": "111 22",
        "city": "Stockholm",
        "country": "SE",
    }
    assert service.requests[0].headers["idempotency-key"] == "delivery-1"


def test_the_same_key_again_gives_the_same_receipt_and_prints_once(service):
    first = send(service, key="delivery-7")
    second = send(service, key="delivery-7")
    other = send(service, key="delivery-8")

    assert first == second
    assert other.reference != first.reference
    assert [letter["idempotency_key"] for letter in service.received] == ["delivery-7", "delivery-8"]


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_too_many_requests_and_server_errors_are_transient(service, status):
    service.fail_next(status)

    with pytest.raises(TransientError) as caught:
        send(service)

    assert caught.value.status == status
    assert service.received == []
    # The failure is not remembered under the key: the retry prints the letter once.
    send(service)
    assert len(service.received) == 1


def test_a_refused_request_is_permanent_with_the_services_message(service):
    service.fail_next(400, message="postal_code: unknown postal code")

    with pytest.raises(PermanentError) as caught:
        send(service)

    assert caught.value.status == 400
    assert "unknown postal code" in caught.value.message
    assert service.received == []


def test_a_wrong_api_key_is_permanent_and_never_shown(service):
    with pytest.raises(PermanentError) as caught:
        send(service, api_key="secret-wrong-key-99")

    assert caught.value.status == 401
    assert "secret-wrong-key-99" not in caught.value.message
    assert service.api_key not in caught.value.message


def test_a_service_echoing_the_key_does_not_put_it_in_the_message(service):
    service.fail_next(400, message=f"bad request with key {service.api_key}")

    with pytest.raises(PermanentError) as caught:
        send(service)

    assert service.api_key not in caught.value.message
    assert "***" in caught.value.message


def test_a_slow_service_times_out_as_transient(service):
    service.delay = 1.0

    with pytest.raises(TransientError) as caught:
        send(service, timeout=0.2)

    assert "did not answer" in caught.value.message


def test_a_refused_connection_is_transient():
    with pytest.raises(TransientError) as caught:
        letter_send(
            base_url=f"http://127.0.0.1:{free_port()}",
            api_key="k",
            pdf=PDF,
            address=ADDRESS,
            reference="Faktura 1",
            idempotency_key="x",
            timeout=2,
        )

    assert "refused the connection" in caught.value.message


def test_an_address_without_a_postal_code_fails_before_any_request(service):
    address = LetterAddress(name="Anna", lines=["Storgatan 1"], postal_code="", city="Stockholm")

    with pytest.raises(PermanentError) as caught:
        send(service, address=address)

    assert caught.value.message == "The postal address has no postal code."
    assert service.requests == []


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        (ADDRESS, None),
        (LetterAddress(name="", lines=["Storgatan 1"], postal_code="111 22", city="Stockholm"), "no name"),
        (LetterAddress(name="A", lines=["  "], postal_code="111 22", city="Stockholm"), "no street"),
        (LetterAddress(name="A", lines=["Gatan 1"], postal_code="111 22", city=""), "no city"),
        (LetterAddress(name="A", lines=["Gatan 1"], postal_code="111 22", city="Lund", country="Sverige"), "country"),
        (LetterAddress(name="A", lines=["Gatan 1"], postal_code="1234", city="Lund"), "Swedish postal code"),
        (LetterAddress(name="A", lines=["Gade 1"], postal_code="1234", city="Køge", country="DK"), None),
        (LetterAddress(name="A", lines=["Box 12"], postal_code="11122", city="Stockholm"), None),
    ],
)
def test_letter_address_problems(address, problem):
    found = letter_address_problem(address)

    if problem is None:
        assert found is None
    else:
        assert problem in str(found)
