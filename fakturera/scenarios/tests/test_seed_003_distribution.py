"""Seed 003: invoice distribution ("Fakturadistribution"): each customer gets the invoice
the way they want it in one mass send, routed by their channel, the company's default
and reserve channels; sending waits in an undo window, is undone or stopped by crediting,
then delivered once with its history; reminders go the same way; Autogiro collects
(../shared/seeds/003_*.txt).

Each step quotes the document between « and » and then checks what staff (or the
recipient) would see. Built through the public services and selectors of distribution,
invoicing, documents, autogiro and parties; the print service, the Peppol access point
and the SMTP server are real servers on loopback (distribution.transports.testing,
core/tests/smtp.py).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone, translation
from pypdf import PdfReader

from fakturera.autogiro.selectors import payment_orders_waiting
from fakturera.autogiro.services import autogiro_settings_save, mandate_add, payment_order_file
from fakturera.billables.services import basis_item_add
from fakturera.core.errors import DomainError, StateConflict
from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.models import DeliveryState
from fakturera.distribution.selectors import deliveries, invoice_sending
from fakturera.distribution.services import (
    channel_setting_save,
    deliveries_undo,
    distribution_settings_save,
    invoices_send,
)
from fakturera.distribution.states import SendingEvent
from fakturera.distribution.transports.testing import FakeLetterService, FakePeppolAccessPoint
from fakturera.distribution.worker import deliveries_work
from fakturera.invoicing.history import describe, detail_rows
from fakturera.invoicing.selectors import InvoiceFilter, invoice_list
from fakturera.invoicing.services import credit_note_create, invoice_email_set, invoices_register_from_basis
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.models import Channel, CustomerKind, PdfTemplate
from fakturera.parties.services import (
    company_create,
    company_update,
    customer_create,
    customer_update,
    organisation_member_add,
)
from fakturera.parties.tests.factories import UserFactory
from fakturera.scenarios.tests.seeds import assert_quotes_are_the_documents

pytestmark = pytest.mark.django_db

REGION_PEPPOL_ID = "0007:5560360793"


def after_the_undo_window(minutes: int = 6) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def email(company, smtp: SmtpServer) -> None:
    """The e-mail channel through the company's SMTP server."""
    channel_setting_save(
        company=company,
        channel=Channel.EMAIL,
        is_active=True,
        options={"host": "127.0.0.1", "port": smtp.port, "security": "none", "from_email": "faktura@byra.example"},
    )


def central_print(company, service: FakeLetterService) -> None:
    """Letters through the central print service (21 grams in the document)."""
    channel_setting_save(
        company=company,
        channel=Channel.LETTER,
        is_active=True,
        options={"base_url": service.url},
        secret=service.api_key,
    )


def general(company, *, default: str, reserve: str = "", reminder: str = "", undo_minutes: int = 5) -> None:
    distribution_settings_save(
        company=company,
        default_channel=default,
        reserve_channel=reserve,
        reminder_channel=reminder,
        undo_minutes=undo_minutes,
    )


def registered(company, admin, customer, price: str = "1000", *, issued_on: dt.date | None = None):
    """An invoice registered from the customer's basis (seed 001)."""
    basis_item_add(company=company, customer=customer, description="Konsultation", unit_price=price)
    [invoice] = invoices_register_from_basis(
        company=company, actor=admin, customer_ids=[customer.pk], issued_on=issued_on
    )
    return invoice


def status_in_swedish(invoice) -> str:
    """The sending status as the invoice list shows it to a Swedish user."""
    with translation.override("sv"):
        return invoice_sending(invoice=invoice).status_label


def reminders_of(invoice) -> tuple:
    """How many reminders went, and when the last did (the invoice page's reminder line)."""
    sending = invoice_sending(invoice=invoice)
    return (sending.reminder_count, sending.reminded_on)


def routing(event) -> str:
    """The routing line of a queued event, as the history tab lists it (in English)."""
    return dict(detail_rows(event))["Routing"]


def channel_of(invoice) -> str:
    return deliveries(company=invoice.company).get(invoice=invoice).channel


@pytest.fixture
def bureau():
    """Byrån, an accounting bureau that invoices persons and organisations, and its administrator."""
    admin = UserFactory(username="ekonomi")
    company = company_create(
        actor=admin,
        name="Byrån i Norden AB",
        org_number="556703-7485",
        vat_number="SE556703748501",
        peppol_id="0007:5567037485",
        bankgiro="991-2346",
        address_line1="Storgatan 1",
        postal_code="111 22",
        city="Stockholm",
    )
    return company, admin


def test_one_send_reaches_each_customer_the_way_they_want_it(bureau):
    company, admin = bureau
    # «Fördelen med fakturadistribution framför att göra "rapport" på fakturorna är att man kan
    # individualisera per kund / organisation hur dom vill ha sin faktura vid massutskick.»
    # «Gå in på kundens personkort och välj fliken "Fakturor" respektive fliken "Ekonomi" på
    # organisationskort» «Välj önskad distributionsmetod i fältet "Fakturadistribution"»
    anna = customer_create(
        company=company, kind=CustomerKind.PERSON, name="Anna Berg", email="anna@berg.example",
        preferred_channel=Channel.EMAIL,
    )  # fmt: skip
    bo = customer_create(
        company=company, kind=CustomerKind.PERSON, name="Bo Ek", address_line1="Ekvägen 4", postal_code="222 33",
        city="Lund", preferred_channel=Channel.LETTER,
    )  # fmt: skip
    region = customer_create(
        company=company, kind=CustomerKind.ORGANISATION, name="Region Mitt AB", org_number="556036-0793",
        peppol_id=REGION_PEPPOL_ID, preferred_channel=Channel.PEPPOL,
    )  # fmt: skip
    kiosk = customer_create(
        company=company, kind=CustomerKind.ORGANISATION, name="Kiosken AB", address_line1="Torget 1",
        postal_code="111 22", city="Stockholm", preferred_channel=Channel.PRINT,
    )  # fmt: skip
    invoices = {c.name: registered(company, admin, c) for c in (anna, bo, region, kiosk)}

    # «Markera de fakturor ni vill skicka, klicka på knappen "Skicka". Om den inte visas finns
    # det ingen aktiv distributionsmetod.»
    with pytest.raises(DomainError, match="No channel is active"):
        invoices_send(company=company, actor=admin, invoice_ids=[i.pk for i in invoices.values()])

    # Fakturadistribution «kan i dagsläget leverera fakturan till kunden via:» «Utskrift till
    # egen skrivare» «E-post direkt till kund» «Central utskrift» «E-faktura, Pagero». The
    # document is checked against the Peppol rules in documents/tests/test_ubl.py; the access
    # point here takes it as it is.
    with (
        SmtpServer() as smtp,
        FakeLetterService() as letters,
        FakePeppolAccessPoint(registered={REGION_PEPPOL_ID}, is_validating=False) as access_point,
    ):
        email(company, smtp)
        central_print(company, letters)
        channel_setting_save(
            company=company,
            channel=Channel.PEPPOL,
            is_active=True,
            options={"base_url": access_point.url},
            secret=access_point.api_key,
        )
        channel_setting_save(company=company, channel=Channel.PRINT, is_active=True, options={})
        general(company, default=Channel.EMAIL, reserve=Channel.PRINT)

        # «Välj den mall som passar bäst.» «Fakturan får nu status "Väntar på att skickas".»
        # «Vid Central print-leverantör byts mallen ut mot en standardmall med anläggningens
        # logotyp.» Not built: the print service gets the layout staff chose (each has the logo).
        batch = invoices_send(
            company=company, actor=admin, invoice_ids=[i.pk for i in invoices.values()], template=PdfTemplate.WINDOW
        )
        assert batch.queued_count == 4
        assert {name: status_in_swedish(i) for name, i in invoices.items()} == dict.fromkeys(
            invoices, "Väntar på att skickas"
        )
        assert {name: channel_of(i) for name, i in invoices.items()} == {
            "Anna Berg": Channel.EMAIL,
            "Bo Ek": Channel.LETTER,
            "Region Mitt AB": Channel.PEPPOL,
            "Kiosken AB": Channel.PRINT,
        }
        assert deliveries_work(now=timezone.now()).claimed == 0  # the undo window holds them back
        assert deliveries_work(now=after_the_undo_window()).sent == 4

    # «När fakturan är skickad ändras status till "Skickad" och det skrivs i fakturans historik
    # när och till vem fakturan har skickats.»
    assert {name: status_in_swedish(i) for name, i in invoices.items()} == dict.fromkeys(invoices, "Skickad")
    sent = {name: i.events.get(kind=SendingEvent.SENT) for name, i in invoices.items()}
    assert sent["Anna Berg"].params["recipient"] == "Anna Berg <anna@berg.example>"
    assert sent["Bo Ek"].params["recipient"] == "Bo Ek, Ekvägen 4, 222 33 Lund"
    assert sent["Region Mitt AB"].params["recipient"] == f"Region Mitt AB ({REGION_PEPPOL_ID})"
    assert all(event.at is not None and event.actor is None for event in sent.values())  # the worker sent them

    # What arrived: the e-mail with the PDF, the letter at the print service, the e-invoice at
    # the access point, and the company's own print run of what it prints itself.
    [mailed] = smtp.received
    assert mailed.recipients == ["anna@berg.example"]
    assert [a.get_content_type() for a in mailed.message.iter_attachments()] == ["application/pdf"]
    [letter] = letters.received
    assert (letter["recipient"]["name"], letter["reference"]) == ("Bo Ek", invoices["Bo Ek"].display_number)
    [e_invoice] = access_point.received
    assert (e_invoice["receiver"], e_invoice["kind"]) == (REGION_PEPPOL_ID, "invoice")
    staff = Client()
    staff.force_login(admin)
    print_run = staff.get(f"/distribution/sends/{batch.pk}/print.pdf")
    assert "Kiosken AB" in PdfReader(io.BytesIO(print_run.content)).pages[0].extract_text()

    # «Fakturaexport (ska inte användas tillsammans med andra distributionsmetoder)»
    with pytest.raises(DomainError, match="Export is used alone"):
        channel_setting_save(company=company, channel=Channel.EXPORT, is_active=True, options={"mode": "webhook"})


def test_the_customers_channel_then_the_default_then_the_reserve(bureau):
    company, admin = bureau
    with SmtpServer() as smtp, FakeLetterService() as letters:
        email(company, smtp)
        central_print(company, letters)
        channel_setting_save(company=company, channel=Channel.PRINT, is_active=True, options={})

        # «Exempel: Organisationen B är konfigurerade att använda distributionsmetoden 'E-post'.
        # Men distributionsmetoden 'E-post' är inte aktiv för bolag A. Fakturor som B har hos A
        # kommer då att distribueras med standardmetoden för bolag A.»
        channel_setting_save(company=company, channel=Channel.EMAIL, is_active=False, options={})
        general(company, default=Channel.PRINT)
        b = customer_create(
            company=company, kind=CustomerKind.ORGANISATION, name="Organisation B AB", email="b@b.example",
            preferred_channel=Channel.EMAIL,
        )  # fmt: skip
        b_invoice = registered(company, admin, b)
        invoices_send(company=company, actor=admin, invoice_ids=[b_invoice.pk])
        assert channel_of(b_invoice) == Channel.PRINT
        queued = b_invoice.events.get(kind=SendingEvent.QUEUED)
        assert routing(queued) == "The customer's channel E-mail is not active; the default channel is used."

        # «Det går att välja reservmetod som systemet automatiskt nyttjar om kundens faktura
        # inte uppfyller kriterierna för standardmetoden.» «Exempelvis kan man ha 21gram som
        # reservmetod men ha e-post som standardmetod. Om en kunds faktura saknar e-postadress
        # eftersom kunden saknar e-postadress så skickas då fakturan via 21gram.»
        email(company, smtp)
        general(company, default=Channel.EMAIL, reserve=Channel.LETTER)
        with_email = customer_create(
            company=company, kind=CustomerKind.PERSON, name="Eva E-post", email="eva@e.example"
        )
        without_email = customer_create(
            company=company, kind=CustomerKind.PERSON, name="Per Papper", address_line1="Gatan 2",
            postal_code="333 44", city="Gislaved",
        )  # fmt: skip
        by_email, by_letter = registered(company, admin, with_email), registered(company, admin, without_email)
        invoices_send(company=company, actor=admin, invoice_ids=[by_email.pk, by_letter.pk])
        assert (channel_of(by_email), channel_of(by_letter)) == (Channel.EMAIL, Channel.LETTER)
        assert routing(by_letter.events.get(kind=SendingEvent.QUEUED)) == (
            "Sent by the reserve channel: Per Papper has no e-mail address."
        )

        # «På samma sätt om man har 21gram som standard och e-post som reserv skickas fakturan
        # via e-post om kundens faktura saknar giltiga adressuppgifter.»
        general(company, default=Channel.LETTER, reserve=Channel.EMAIL)
        no_address = customer_create(company=company, kind=CustomerKind.PERSON, name="Ida Inget", email="ida@i.example")
        wrong_address = customer_create(
            company=company, kind=CustomerKind.PERSON, name="Ulf Utan", email="ulf@u.example", address_line1="Vägen 1",
            postal_code="ABC", city="Borås",
        )  # fmt: skip
        nowhere = customer_create(company=company, kind=CustomerKind.PERSON, name="Nils Nollsson")
        mailed, mailed_too, stays = (registered(company, admin, c) for c in (no_address, wrong_address, nowhere))
        batch = invoices_send(company=company, actor=admin, invoice_ids=[mailed.pk, mailed_too.pk, stays.pk])
        assert (channel_of(mailed), channel_of(mailed_too)) == (Channel.EMAIL, Channel.EMAIL)

        # If no channel fits, the invoice stays unsent with the reason in its history.
        assert (batch.queued_count, batch.unsent_count) == (2, 1)
        assert status_in_swedish(stays) == "Inte skickad"
        not_sent = describe(stays.events.get(kind=SendingEvent.NOT_SENT))
        # The reason names each channel tried: the default, then the reserve.
        assert not_sent == (
            "Not sent: No channel could take it. Letter: Nils Nollsson has no postal address. "
            "E-mail: Nils Nollsson has no e-mail address."
        )

        assert deliveries_work(now=after_the_undo_window()).sent == 5
    assert sorted(r.recipients[0] for r in smtp.received) == ["eva@e.example", "ida@i.example", "ulf@u.example"]
    assert [letter["recipient"]["name"] for letter in letters.received] == ["Per Papper"]


def test_the_address_follows_the_organisations_invoice_reference_unless_the_invoice_says_otherwise(bureau):
    company, admin = bureau
    # «Prioritet generell vid skickning av fakturor om inställningen "Koppla faktura till
    # personens organisation" är påslagen är som följer: Organisationens fakturareferens,
    # Organisation, Person.»
    company_update(company=company, is_invoicing_organisation_of_person=True)
    firma = customer_create(
        company=company, kind=CustomerKind.ORGANISATION, name="Firma AB", email="info@firma.example"
    )
    reference = customer_create(company=company, kind=CustomerKind.PERSON, name="Rut Ref", email="rut@firma.example")
    lisa = customer_create(company=company, kind=CustomerKind.PERSON, name="Lisa Lind", email="lisa@hem.example")
    for person in (reference, lisa):
        organisation_member_add(organisation=firma, person=person)
    customer_update(customer=firma, invoice_reference=reference)
    invoice = registered(company, admin, lisa)

    with SmtpServer() as smtp:
        email(company, smtp)
        general(company, default=Channel.EMAIL)
        invoices_send(company=company, actor=admin, invoice_ids=[invoice.pk])
        first = deliveries(company=company).get()
        assert (first.recipient, first.address["email"]) == ("Firma AB", "rut@firma.example")
        deliveries_undo(company=company, actor=admin, delivery_ids=[first.pk])

        # «För att uppdatera vart en faktura ska skickas kan man fritexta på fakturans fält för
        # E-postadress.»
        invoice_email_set(invoice=invoice, actor=admin, email="ekonomi@firma.example")
        invoices_send(company=company, actor=admin, invoice_ids=[invoice.pk])
        second = deliveries(company=company, states=[DeliveryState.QUEUED]).get()
        assert second.address["email"] == "ekonomi@firma.example"
        deliveries_undo(company=company, actor=admin, delivery_ids=[second.pk])

        # «Om man vill att fakturan ska få en adress enligt ovan prioritet kan man tömma samma
        # fält och klicka på "spara" så plockas adress automatiskt.»
        invoice_email_set(invoice=invoice, actor=admin, email="")
        invoices_send(company=company, actor=admin, invoice_ids=[invoice.pk])
        assert deliveries_work(now=after_the_undo_window()).sent == 1
    assert [r.recipients for r in smtp.received] == [["rut@firma.example"]]
    # «Önskar kunden e-postfakturor till någon annan e-postadress än sin vanliga skrivs den
    # önskade e-postadressen in i fältet "E-postadress (för faktura)"»: not yet built as a field
    # of its own. A customer has one e-mail address (an organisation's is where its invoices
    # go), and each invoice's own address overrides it, as above.


def test_undo_or_credit_inside_the_undo_window_and_nothing_is_sent(bureau):
    company, admin = bureau
    address = {"address_line1": "Gatan 1", "postal_code": "111 22", "city": "Stockholm"}
    kept, undone, credited = (
        registered(company, admin, customer_create(company=company, kind=CustomerKind.PERSON, name=name, **address))
        for name in ("Kept Karlsson", "Undone Ulriksson", "Credited Carlsson")
    )

    with FakeLetterService() as letters:
        central_print(company, letters)
        # «Ångra en skickad faktura genom att kreditera den inom 5 minuter eller den tid ni valt
        # som minsta ångertid»: this bureau chose ten minutes.
        general(company, default=Channel.LETTER, undo_minutes=10)
        invoices_send(company=company, actor=admin, invoice_ids=[kept.pk, undone.pk, credited.pk])

        # «Det går fortfarande att ångra utskicket» «Fakturor som skickas via "E-post" eller
        # "Central print-leverantör" kan ångras om man skulle råka skicka av misstag.»
        undone_delivery = deliveries(company=company).get(invoice=undone)
        assert deliveries_undo(company=company, actor=admin, delivery_ids=[undone_delivery.pk]) == 1
        assert status_in_swedish(undone) == "Inte skickad"
        # Crediting inside the window stops the letter at once, in the crediting transaction.
        credit_note_create(invoice=credited, actor=admin, reason="Skickad av misstag")
        assert deliveries(company=company).get(invoice=credited).state == DeliveryState.STOPPED
        assert status_in_swedish(credited) == "Inte skickad"

        assert deliveries_work(now=after_the_undo_window(6)).claimed == 0  # ten minutes, not five
        assert deliveries_work(now=after_the_undo_window(11)).sent == 1
        # After the window, it is too late to undo: the letter is printed.
        kept_delivery = deliveries(company=company).get(invoice=kept)
        with pytest.raises(StateConflict, match="Too late to undo"):
            deliveries_undo(company=company, actor=admin, delivery_ids=[kept_delivery.pk])

    assert [letter["recipient"]["name"] for letter in letters.received] == ["Kept Karlsson"]
    assert describe(undone.events.get(kind=SendingEvent.SEND_UNDONE)) == "Sending by Letter was undone."
    assert describe(credited.events.get(kind=SendingEvent.SEND_STOPPED)) == (
        "Not sent: the invoice was credited inside the undo window."
    )
    credited.refresh_from_db()
    assert credited.status == InvoiceStatus.CREDITED


def test_reminders_by_hand_through_the_same_path(bureau):
    company, admin = bureau
    today = timezone.localdate()
    late = customer_create(company=company, kind=CustomerKind.PERSON, name="Sen Betalare", email="sen@ex.example")
    punctual = customer_create(company=company, kind=CustomerKind.PERSON, name="Pia Punktlig", email="pia@ex.example")
    overdue = registered(company, admin, late, "500", issued_on=today - dt.timedelta(days=60))
    not_due = registered(company, admin, punctual, "500", issued_on=today)

    with SmtpServer() as smtp:
        email(company, smtp)
        # «Gäller enbart Utskrift till egen skrivare, E-post direkt till kund och Central
        # utskrift (21 grams)»
        channel_setting_save(company=company, channel=Channel.PORTAL, is_active=True, options={})
        with pytest.raises(DomainError, match="Reminders go by print, e-mail or letter"):
            general(company, default=Channel.EMAIL, reminder=Channel.PORTAL)
        # «Aktivera inställningen 'Distributionsmetod vid fakturapåminnelser'»
        general(company, default=Channel.EMAIL, reminder=Channel.EMAIL)

        # «Gå in under Ekonomi > Fakturering > Kravhantering»: the overdue invoices.
        assert list(invoice_list(company=company, filters=InvoiceFilter(is_overdue=True))) == [overdue]

        # «Markera de fakturor ni vill skicka, klicka på knappen "Skicka påminnelser".» An
        # invoice not yet due gets none. The first reminder went out ten days ago.
        ten_days_ago = timezone.now() - dt.timedelta(days=10)
        batch = invoices_send(
            company=company, actor=admin, invoice_ids=[overdue.pk, not_due.pk], purpose="reminder", now=ten_days_ago
        )
        assert (batch.queued_count, batch.unsent_count) == (1, 1)
        not_sent = describe(not_due.events.get(kind=SendingEvent.NOT_SENT))
        assert not_sent == "Not sent: Only overdue invoices get reminders."
        # «Fakturan får nu status "Väntar på att skickas".»
        assert status_in_swedish(overdue) == "Väntar på att skickas"
        assert deliveries_work(now=ten_days_ago + dt.timedelta(minutes=6)).sent == 1

    # «När fakturan är skickad ändras status tillbaka till "Påminnelse" och det skrivs i
    # fakturans historik när och till vem fakturan har skickats.»
    assert status_in_swedish(overdue) == "Påminnelse skickad"
    assert reminders_of(overdue) == (
        1,
        timezone.localdate(ten_days_ago),
    )
    [reminder] = smtp.received
    assert reminder.message["Subject"].startswith("Påminnelse")
    assert overdue.events.get(kind=SendingEvent.REMINDED).params["recipient"] == "Sen Betalare <sen@ex.example>"

    # «Skulle något gå fel med utskicket sätts status på fakturan tillbaka som det var innan den
    # lades upp för fakturadistribution (antal påminnelser räknas ner samt påminnelse dagen
    # stegar tillbaka till det den var innan.) med ett felmeddelande på fakturans historikflik.»
    with SmtpServer(refuse_with="550 Mailbox unavailable") as refusing:
        email(company, refusing)
        invoices_send(company=company, actor=admin, invoice_ids=[overdue.pk], purpose="reminder")
        overdue.refresh_from_db()
        assert reminders_of(overdue) == (
            2,
            today,
        )
        assert deliveries_work(now=after_the_undo_window()).failed == 1
    assert status_in_swedish(overdue) == "Påminnelse skickad"
    assert reminders_of(overdue) == (
        1,
        timezone.localdate(ten_days_ago),
    )
    assert "550" in describe(overdue.events.get(kind=SendingEvent.REMINDER_FAILED))
    # Not yet built: reminders on a schedule of levels sent by a daily run, with a fee and
    # late-payment interest (DESIGN.md, Collections); here staff send each reminder by hand.


def test_autogiro_collects_from_customers_with_a_mandate(bureau):
    company, admin = bureau
    # «Autogiro»: the company's agreement with Bankgirot, and a customer's signed mandate.
    autogiro_settings_save(company=company, customer_number="471117", bankgiro="991-2346")
    payer = customer_create(
        company=company, kind=CustomerKind.PERSON, name="Mona Medgivande", personnummer="19811218-9876",
        address_line1="Gatan 1", postal_code="111 22", city="Stockholm",
    )  # fmt: skip
    no_mandate = customer_create(
        company=company, kind=CustomerKind.PERSON, name="Utan Medgivande", address_line1="Gatan 2",
        postal_code="111 22", city="Stockholm",
    )  # fmt: skip
    mandate_add(
        company=company,
        customer=payer,
        actor=admin,
        valid_from=dt.date(2026, 11, 1),
        clearing_number="8327-9",
        account_number="994 333 447",
        holder_id_number="811218-9876",
    )
    collected, printed = registered(company, admin, payer, "800"), registered(company, admin, no_mandate, "800")
    for channel in (Channel.DIRECT_DEBIT, Channel.PRINT):
        channel_setting_save(company=company, channel=channel, is_active=True, options={})
    general(company, default=Channel.DIRECT_DEBIT, reserve=Channel.PRINT)

    invoices_send(company=company, actor=admin, invoice_ids=[collected.pk, printed.pk])
    assert (channel_of(collected), channel_of(printed)) == (Channel.DIRECT_DEBIT, Channel.PRINT)
    assert "no active Autogiro mandate" in routing(printed.events.get(kind=SendingEvent.QUEUED))
    assert deliveries_work(now=after_the_undo_window()).sent == 2

    # The invoice became a payment order, which goes to Bankgirot in the run's file.
    [order] = payment_orders_waiting(company=company)
    assert (order.invoice_id, order.amount) == (collected.pk, Decimal("1000.00"))
    content = payment_order_file(company, timezone.localdate()).decode("latin-1")
    [record] = [row for row in content.splitlines() if row.startswith("82")]
    assert int(record[31:43]) == 100000  # öre
    assert record[53:69].strip() == collected.payment_reference
    # Not yet built: Bankgirot's result files becoming payments (seed 004, payments).


@pytest.mark.needs_shared("the seed documents")
def test_the_quoted_steps_are_the_documents_own_words():
    assert_quotes_are_the_documents(__file__, "003")
