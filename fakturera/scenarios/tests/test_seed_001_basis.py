"""Seed 001: a clinic invoices its bookings or its journal notes through the invoice basis
("Underlag"), edits it, and registers invoices, one customer or many at a time
(../shared/seeds/001_*.txt).

Each step quotes the document between « and » and then checks what staff or the client
would see. Built through the public services and selectors of catalog, billables,
invoicing, distribution, documents and portal.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import TestCase
from django.utils import timezone

from fakturera.billables.models import PaymentStatus
from fakturera.billables.services import (
    basis_item_add,
    basis_item_update,
    basis_source_set,
    booking_create,
    booking_set_payment_status,
    journal_note_create,
)
from fakturera.catalog.models import ContactType, TreatmentType
from fakturera.catalog.services import catalog_item_save
from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.selectors import invoice_sending
from fakturera.distribution.services import channel_setting_save, distribution_settings_save, invoices_send
from fakturera.distribution.states import SendingEvent, SendingStatus
from fakturera.distribution.worker import deliveries_work
from fakturera.documents.models import DocumentFormat
from fakturera.documents.services import document_get
from fakturera.invoicing.history import describe
from fakturera.invoicing.selectors import basis_with_totals
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.models import BasisSource, Channel, CustomerKind
from fakturera.parties.services import company_create, customer_create
from fakturera.parties.tests.factories import UserFactory
from fakturera.portal.selectors import portal_invoices
from fakturera.portal.services import login_link_request, login_link_use
from fakturera.scenarios.tests.seeds import assert_quotes_are_the_documents

pytestmark = pytest.mark.django_db

REGISTERED_ON = dt.date(2026, 11, 30)


def at(day: int, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 11, day, hour, 0))


def after_the_undo_window() -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=6)


def basis_of(company) -> dict[str, list[tuple[str, Decimal]]]:
    """The basis tab: each customer with uninvoiced items, and their descriptions and prices."""
    return {
        group.customer.name: [(item.description, item.unit_price) for item in group.items]
        for group in basis_with_totals(company=company)
    }


@pytest.fixture
def clinic():
    """Kliniken Solglimten, a therapist's practice, and its administrator."""
    # Fakturera is invoicing: there is no module to switch on first («Välj Fakturering under
    # Inställningar > Moduler.»); the company's invoicing settings are its own.
    admin = UserFactory(username="terapeut")
    company = company_create(
        actor=admin,
        name="Kliniken Solglimten AB",
        org_number="556703-7485",
        vat_number="SE556703748501",
        bankgiro="991-2346",
        address_line1="Solvägen 3",
        postal_code="222 22",
        city="Lund",
    )
    return company, admin


def test_bookings_not_paid_are_the_basis_staff_adjust_it_and_register_one_client(clinic):
    company, admin = clinic
    eva = customer_create(company=company, kind=CustomerKind.PERSON, name="Eva Lind", email="eva.lind@example.se")
    olle = customer_create(company=company, kind=CustomerKind.PERSON, name="Olle Berg", email="olle@example.se")

    # «Under Inställningar för Fakturering > Allmänt välj att basera fakturorna på bokningar.»
    basis_source_set(company=company, source=BasisSource.BOOKINGS)
    # «Under Inställningar för Tidsbokning > Behandlingsform fyller du i vad dina tjänster
    # kostar och vilken moms som gäller.» Therapy is exempt from VAT, massage is not.
    therapy = catalog_item_save(
        model=TreatmentType, company=company, name="Samtalsterapi", unit_price="950", vat_category="E", vat_rate="0"
    )
    massage = catalog_item_save(
        model=TreatmentType, company=company, name="Massage 60 min", unit_price="695", vat_rate="25"
    )

    booking_create(company=company, customer=eva, treatment_type=therapy, starts_at=at(3, 14))
    booking_create(company=company, customer=eva, treatment_type=massage, starts_at=at(10, 9))
    olles = booking_create(company=company, customer=olle, treatment_type=therapy, starts_at=at(4, 10))

    # «Så länge som det står "Ej betalat" längst ner, så kommer bokningen att dyka upp under
    # Fakturor och ligga som grund för faktureringen.»
    assert basis_of(company) == {
        "Eva Lind": [
            ("Samtalsterapi 2026-11-03 14:00", Decimal("950.0000")),
            ("Massage 60 min 2026-11-10 09:00", Decimal("695.0000")),
        ],
        "Olle Berg": [("Samtalsterapi 2026-11-04 10:00", Decimal("950.0000"))],
    }

    # «Betalar klienten på annat sätt, klicka på "Ej betalat" och välj det alternativ som
    # passar bäst. Då kommer denna bokning inte visas i Fakturor.» Olle paid by Swish.
    booking_set_payment_status(booking=olles, payment_status=PaymentStatus.SWISH)
    assert list(basis_of(company)) == ["Eva Lind"]

    # «Klicka på Fakturering och sedan på fliken Underlag.» «Klicka på den klient/företagskund
    # som du vill fakturera. Du får då upp information om de olika posterna på fakturan och kan
    # tex ändra pris eller lägga till fler saker du vill fakturera.»
    [evas] = basis_with_totals(company=company, customer_ids=[eva.pk])
    therapy_item = evas.items[0]
    basis_item_update(item=therapy_item, unit_price="850")
    basis_item_add(
        company=company,
        customer=eva,
        description="Kursbok",
        unit_price="349",
        vat_rate="6",
        occurred_on=at(10, 9).date(),
    )
    [evas] = basis_with_totals(company=company, customer_ids=[eva.pk])
    assert (evas.totals.net_amount, evas.totals.vat_amount, evas.totals.total_amount) == (
        Decimal("1894.00"),
        Decimal("194.69"),  # 173.75 on the massage at 25 %, 20.94 on the book at 6 %
        Decimal("2088.69"),
    )

    # «Registrera = fakturan skapas, men skickas inte. Du behöver manuellt öppna den igen för
    # att t.ex. skriva ut den.»
    [invoice] = invoices_register_from_basis(
        company=company, actor=admin, customer_ids=[eva.pk], issued_on=REGISTERED_ON
    )
    assert (invoice.status, invoice.number, invoice.total_amount) == (InvoiceStatus.ISSUED, 1, Decimal("2088.69"))
    assert invoice_sending(invoice=invoice).status == SendingStatus.UNSENT
    assert [line.description for line in invoice.lines.order_by("position")] == [
        "Samtalsterapi 2026-11-03 14:00",
        "Massage 60 min 2026-11-10 09:00",
        "Kursbok",
    ]
    assert basis_of(company) == {}
    pdf = document_get(invoice=invoice, fmt=DocumentFormat.PDF)
    assert bytes(pdf.content).startswith(b"%PDF")

    # «Registrera & skicka via e-post = fakturan skickas som PDF via mail.» In Fakturera the
    # registered invoice is then sent from the invoice list (seed 003), here by e-mail.
    # «Registrera & skicka med brev» and «Registrera & skicka som e-faktura» go the same way,
    # by letter or Peppol: see test_seed_003_distribution.py.
    with SmtpServer() as smtp:
        channel_setting_save(
            company=company,
            channel=Channel.EMAIL,
            is_active=True,
            options={"host": "127.0.0.1", "port": smtp.port, "security": "none", "from_email": "faktura@solglimten.se"},
        )
        invoices_send(company=company, actor=admin, invoice_ids=[invoice.pk], channel=Channel.EMAIL)
        assert deliveries_work(now=after_the_undo_window()).sent == 1

    [received] = smtp.received
    assert received.recipients == ["eva.lind@example.se"]
    [attachment] = received.message.iter_attachments()
    assert attachment.get_content() == bytes(pdf.content)
    invoice.refresh_from_db()
    assert invoice_sending(invoice=invoice).status == SendingStatus.SENT


def test_journal_notes_are_the_basis_when_the_clinic_chooses_them(clinic):
    company, admin = clinic
    eva = customer_create(company=company, kind=CustomerKind.PERSON, name="Eva Lind", email="eva.lind@example.se")
    massage = catalog_item_save(
        model=TreatmentType, company=company, name="Massage 60 min", unit_price="695", vat_rate="25"
    )
    booking_create(company=company, customer=eva, treatment_type=massage, starts_at=at(3, 14))

    # «Under Inställningar för Fakturering > Allmänt välj att basera fakturorna på journal.»
    # The booking leaves the basis: only journal notes count now.
    basis_source_set(company=company, source=BasisSource.JOURNAL_NOTES)
    assert basis_of(company) == {}

    # «Under Inställningar för Journal > Kontakttyper fyller du i pris och moms för
    # journalanteckningarna. Du kan även välja ifall du vill att en sorts journalanteckning
    # inte ska visas i faktureringen.»
    visit = catalog_item_save(
        model=ContactType, company=company, name="Besök", unit_price="700", vat_category="E", vat_rate="0"
    )
    phone = catalog_item_save(
        model=ContactType,
        company=company,
        name="Telefonkontakt",
        unit_price="0",
        vat_category="E",
        vat_rate="0",
        is_excluded_from_invoicing=True,
    )
    journal_note_create(company=company, customer=eva, contact_type=visit, noted_on=dt.date(2026, 11, 5))
    journal_note_create(company=company, customer=eva, contact_type=phone, noted_on=dt.date(2026, 11, 6))

    assert basis_of(company) == {"Eva Lind": [("Besök 2026-11-05", Decimal("700.0000"))]}
    [invoice] = invoices_register_from_basis(company=company, actor=admin, issued_on=REGISTERED_ON)
    assert (invoice.customer_id, invoice.total_amount) == (eva.pk, Decimal("700.00"))


def test_many_clients_and_business_customers_registered_at_once_and_sent_to_the_portal(clinic):
    company, admin = clinic
    clients = [
        customer_create(company=company, kind=CustomerKind.PERSON, name=name, email=f"{name.split()[0].lower()}@ex.se")
        for name in ("Anna Ek", "Bo Strand", "Cissi Holm")
    ]
    business = customer_create(
        company=company, kind=CustomerKind.ORGANISATION, name="Företagshälsan AB", email="faktura@fh.example"
    )
    for customer in (*clients, business):
        basis_item_add(company=company, customer=customer, description="Samtal", unit_price="950", vat_category="E")

    # «Skicka många fakturor på en och samma gång» «Under fliken Underlag finns en checkbox.
    # Klicka i den för att välja alla klienter och företagskunder.» «Du kan framför varje
    # klient/företagskund också klicka i och ur checkboxen.» Cissi is ticked out.
    ticked = [clients[0].pk, clients[1].pk, business.pk]
    invoices = invoices_register_from_basis(company=company, actor=admin, customer_ids=ticked, issued_on=REGISTERED_ON)

    assert sorted((i.number, i.customer.name) for i in invoices) == [
        (1, "Anna Ek"),
        (2, "Bo Strand"),
        (3, "Företagshälsan AB"),
    ]
    assert list(basis_of(company)) == ["Cissi Holm"]

    # «Registrera & skicka via kommunikation = fakturan skickas via chatten till klienten (obs
    # fungerar ej till företagskunder). Klienten behöver logga in för att ladda ner fakturan som
    # PDF.» Fakturera's portal: a notice by e-mail with a link; a business customer is not sent.
    # «Observera att alternativen att skicka med riktiga brev, via kommunikation samt via
    # e-faktura inte finns när du skickar flera fakturor samtidigt.» Fakturera lifts that
    # limit: each invoice of a send is routed on its own (seed 003), so many go to the portal.
    anna_invoice = next(i for i in invoices if i.customer_id == clients[0].pk)
    business_invoice = next(i for i in invoices if i.customer_id == business.pk)
    with SmtpServer() as smtp:
        channel_setting_save(
            company=company,
            channel=Channel.EMAIL,
            is_active=True,
            options={"host": "127.0.0.1", "port": smtp.port, "security": "none", "from_email": "faktura@solglimten.se"},
        )
        channel_setting_save(company=company, channel=Channel.PORTAL, is_active=True, options={})
        distribution_settings_save(
            company=company, default_channel=Channel.EMAIL, reserve_channel="", reminder_channel="", undo_minutes=5
        )
        batch = invoices_send(
            company=company, actor=admin, invoice_ids=[i.pk for i in invoices], channel=Channel.PORTAL
        )
        assert (batch.queued_count, batch.unsent_count) == (2, 1)
        assert deliveries_work(now=after_the_undo_window()).sent == 2

        # The client asks the portal for a login link, follows it and downloads the PDF.
        with TestCase.captureOnCommitCallbacks(execute=True):  # the link is sent by a task
            login_link_request(company=company, email="anna@ex.se", ip_address="192.0.2.1")
        notices = [r for r in smtp.received if r.recipients == ["anna@ex.se"]]

    notice, login = notices
    assert f"/portal/{company.pk}/invoices/{anna_invoice.pk}/" in notice.message.get_body().get_content()
    assert list(notice.message.iter_attachments()) == []
    token = re.search(rf"/portal/{company.pk}/login/([^/\s?]+)", login.message.get_body().get_content()).group(1)
    anna = login_link_use(company=company, token=token)
    assert list(portal_invoices(company=company, customer=anna)) == [anna_invoice]
    assert document_get(invoice=anna_invoice, fmt=DocumentFormat.PDF).content[:4] == b"%PDF"

    business_invoice.refresh_from_db()
    assert invoice_sending(invoice=business_invoice).status == SendingStatus.UNSENT
    reason = describe(business_invoice.events.get(kind=SendingEvent.NOT_SENT))
    # The portal was the channel chosen, so its own reason is the answer.
    assert reason == "Not sent: Företagshälsan AB is an organisation; the portal is for persons."


@pytest.mark.needs_shared("the seed documents")
def test_the_quoted_steps_are_the_documents_own_words():
    assert_quotes_are_the_documents(__file__, "001")
