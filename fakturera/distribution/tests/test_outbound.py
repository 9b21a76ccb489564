"""The letter service, the Peppol access point and the company's SMTP server through
core.net: a service that drips its answer is cut off at the deadline as a transient error
(the worker tries again later); a server on a loopback, private, metadata address or a
database port is refused when the settings are saved and again when connecting; the
settings form names the field."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from fakturera.core.errors import DomainError
from fakturera.core.tests.drip import http_drip, smtp_drip
from fakturera.distribution.models import ChannelSetting, Delivery, DeliveryState
from fakturera.distribution.services import channel_setting_save, invoices_send
from fakturera.distribution.tests.factories import service_channel
from fakturera.distribution.transports.errors import PermanentError, TransientError
from fakturera.distribution.transports.letter import LetterAddress, letter_send
from fakturera.distribution.transports.peppol import peppol_receiver_registered, peppol_send
from fakturera.distribution.transports.testing import FakeLetterService
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.tests.factories import basis_registered
from fakturera.parties.models import Channel
from fakturera.staff.tests.invoice_helpers import staff_client

PUBLIC = "93.184.216.34"
ADDRESS = LetterAddress(name="Anna Andersson", lines=["Storgatan 1"], postal_code="111 22", city="Stockholm")


@pytest.fixture
def refusing(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    settings.OUTBOUND_ALLOW = []
    return settings


def a_letter(base_url: str, timeout: float = 30, api_key: str = "k") -> object:
    return letter_send(
        base_url=base_url, api_key=api_key, pdf=b"%PDF", address=ADDRESS, reference="Faktura 1",
        idempotency_key="d-1", timeout=timeout,
    )  # fmt: skip


# --- the deadline -----------------------------------------------------------------------------


def test_a_letter_service_dripping_its_answer_is_cut_off_at_the_deadline(settings):
    settings.OUTBOUND_DEADLINE = 1.5
    with http_drip(interval=0.5) as server:
        started = time.monotonic()
        with pytest.raises(TransientError) as caught:
            a_letter(f"http://127.0.0.1:{server.port}")
        took = time.monotonic() - started

    assert took < 4.5  # a busy machine adds some; without the deadline it is 12 s
    assert caught.value.reason.code == "no_answer_within"
    assert str(caught.value) == "The letter service did not answer within 1.5 seconds."


def test_an_access_point_dripping_its_answer_is_cut_off_at_the_deadline_when_sending_and_looking_up(settings):
    settings.OUTBOUND_DEADLINE = 1.5
    with http_drip(interval=0.5) as server:
        base_url = f"http://127.0.0.1:{server.port}"
        for call in (
            lambda: peppol_receiver_registered(base_url=base_url, api_key="k", participant_id="0007:5560360793"),
            lambda: peppol_send(
                base_url=base_url, api_key="k", ubl=b"<Invoice/>", sender_id="0007:5567321707",
                receiver_id="0007:5560360793", document_kind="invoice", idempotency_key="d-2",
            ),
        ):  # fmt: skip
            started = time.monotonic()
            with pytest.raises(TransientError) as caught:
                call()
            assert time.monotonic() - started < 4.5
            assert caught.value.reason.code == "no_answer_within"


@pytest.mark.django_db
def test_a_dripping_smtp_server_fails_the_delivery_as_transient_by_the_deadline(company, admin_user, settings):
    settings.OUTBOUND_DEADLINE = 1.5
    invoice = basis_registered(company, admin_user, "500.00")
    with smtp_drip(interval=0.5) as server:
        ChannelSetting.objects.create(
            company=company, channel=Channel.EMAIL, is_active=True,
            options={"host": "127.0.0.1", "port": server.port, "security": "none", "from_email": "f@klinik.se"},
        )  # fmt: skip
        from fakturera.distribution.services import distribution_settings_save

        distribution_settings_save(
            company=company, default_channel=Channel.EMAIL, reserve_channel="", reminder_channel="", undo_minutes=5
        )
        invoices_send(company=company, actor=admin_user, invoice_ids=[invoice.pk])
        # (the worker's own time includes rendering the PDF: the server measures the connection)
        done = deliveries_work(now=timezone.now() + dt.timedelta(minutes=6))

    assert server.connections == 1
    assert max(server.held) < 4.5  # a busy machine adds some; without the deadline it is 12 s
    assert done.retried == 1
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.QUEUED
    assert delivery.next_attempt_at > timezone.now()
    assert "timed out" in delivery.error


# --- refused targets: when connecting ---------------------------------------------------------------


def test_a_letter_service_on_loopback_is_refused_when_connecting_and_gets_nothing(refusing):
    with FakeLetterService() as service:
        with pytest.raises(PermanentError) as caught:
            a_letter(service.url)
        assert service.requests == []
    assert caught.value.reason.code == "private_address"
    assert "The letter service: 127.0.0.1 is the address 127.0.0.1" in str(caught.value)


def test_an_access_point_at_the_metadata_address_is_refused(refusing):
    with pytest.raises(PermanentError) as caught:
        peppol_receiver_registered(base_url="http://169.254.169.254", api_key="k", participant_id="0007:5560360793")
    assert caught.value.reason.as_data() == {
        "code": "private_address",
        "params": {"service": "peppol", "host": "169.254.169.254", "address": "169.254.169.254"},
    }


def test_a_service_on_a_database_port_is_refused(settings):
    with pytest.raises(PermanentError) as caught:
        a_letter(f"http://{PUBLIC}:5432")
    assert caught.value.reason.code == "refused_port"
    assert "port 5432" in str(caught.value)


def test_a_service_error_page_is_not_echoed(settings):
    with FakeLetterService() as service:
        service.fail_next(502, page="<html><body><h1>502</h1><p>upstream 10.0.0.7:8080 redis-secret</p></body></html>")
        with pytest.raises(TransientError) as caught:
            a_letter(service.url, api_key=service.api_key)
    assert str(caught.value) == "The letter service had an error: HTTP 502 Bad Gateway"


# --- refused targets: when saved --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"host": "127.0.0.1", "port": 2525}, "host"),
        ({"host": "localhost", "port": 25}, "host"),
        ({"host": "::1", "port": 25}, "host"),
        ({"host": "10.1.2.3", "port": 587}, "host"),
        ({"host": "169.254.169.254", "port": 25}, "host"),
        ({"host": PUBLIC, "port": 5432}, "port"),
        ({"host": PUBLIC, "port": 6379}, "port"),
    ],
)
def test_an_smtp_server_on_an_internal_address_or_database_port_is_refused_when_saved(
    company, refusing, options, field
):
    with pytest.raises(DomainError) as refused:
        channel_setting_save(
            company=company, channel=Channel.EMAIL, is_active=False,
            options={**options, "security": "none", "from_email": "f@klinik.se"},
        )  # fmt: skip
    assert refused.value.field == field
    assert not ChannelSetting.objects.filter(channel=Channel.EMAIL).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("code", [Channel.LETTER, Channel.PEPPOL])
@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://[::1]/", "https://10.0.0.1", "http://169.254.169.254", "http://localhost"]
)
def test_a_service_address_on_an_internal_network_is_refused_when_saved(company, refusing, code, url):
    with pytest.raises(DomainError) as refused:
        channel_setting_save(company=company, channel=code, is_active=False, options={"base_url": url}, secret="k")
    assert refused.value.field == "base_url"


@pytest.mark.django_db
def test_the_settings_form_names_the_refused_field(company, refusing):
    admin, _user = staff_client(company, role="admin")
    prefix = f"channel-{Channel.EMAIL}"
    page = admin.post(
        "/settings/distribution/",
        {
            "action": f"channel:{Channel.EMAIL}",
            f"{prefix}-host": "169.254.169.254",
            f"{prefix}-port": "25",
            f"{prefix}-security": "none",
            f"{prefix}-from_email": "f@klinik.se",
        },
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert "169.254.169.254 is the address 169.254.169.254, on a loopback, private or internal network" in html
    assert not ChannelSetting.objects.filter(channel=Channel.EMAIL).exists()


@pytest.mark.django_db
def test_with_private_networks_allowed_a_loopback_service_is_saved_and_reached(company, admin_user, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with FakeLetterService() as service:
        service_channel(company, Channel.LETTER, service)
        assert a_letter(service.url, api_key=service.api_key).reference
        assert ChannelSetting.objects.get(channel=Channel.LETTER).options["base_url"] == service.url


@pytest.mark.django_db
def test_the_registration_look_ups_of_one_send_share_one_deadline(company, settings, monkeypatch):
    """Staff wait for them: a dripping access point costs the send one deadline, not one per
    receiver; the receivers not looked up stay unknown (the channel is tried)."""
    from fakturera.distribution.channels import peppol

    settings.OUTBOUND_DEADLINE = 1
    monkeypatch.setattr(peppol, "LOOKUP_SECONDS", 1.5)
    with http_drip(interval=0.5) as server:
        setting = ChannelSetting(
            company=company, channel=Channel.PEPPOL, options={"base_url": f"http://127.0.0.1:{server.port}"}, secret="k"
        )
        started = time.monotonic()
        found = peppol.receivers_registered(setting=setting, participant_ids={f"0007:556036079{n}" for n in range(10)})
        took = time.monotonic() - started
    assert found == {}
    assert took < 4.5  # one second for each of the ten without the shared deadline


def test_a_service_whose_certificate_is_for_another_name_is_unreachable_not_a_bad_address(tmp_path, monkeypatch):
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from fakturera.core.tests.tls import trusted_certificate

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*trusted_certificate(tmp_path, monkeypatch))
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(TransientError) as caught:
            a_letter(f"https://bad.example.se:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
    assert caught.value.reason.code == "unreachable"
