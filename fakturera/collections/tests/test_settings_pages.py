"""The staff pages of collections: the settings, the reminder policy editor (the law's refusals
on their fields, an unknown variable named, the preview of a level's e-mail and letter before
saving), the rate table (everyone reads, the superuser edits, the half-years without a rate),
pausing an invoice's or a customer's reminders and the invoice page's reminders."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from fakturera.collections.models import CollectionSettings, Reminder, ReminderLevel, ReminderPause, StatutoryRate
from fakturera.collections.rules import half_years_missing
from fakturera.collections.run import reminders_run
from fakturera.collections.selectors import policy_of, rate_gaps
from fakturera.collections.services import pause_create
from fakturera.core.tests.smtp import SmtpServer
from fakturera.distribution.tests.factories import email_channel
from fakturera.invoicing.models import InvoiceEvent
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.staff.tests.invoice_helpers import messages_of, staff_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rates")]
SETTINGS = reverse("staff:collection_settings")
RATES = reverse("staff:statutory_rates")


def policy_url(kind: str = "person") -> str:
    return reverse("staff:reminder_policy", args=[kind])


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\u00a0", " ")


def level_data(index: int, **fields: str) -> dict[str, str]:
    data = {"days": "10", "days_from": "due_date", "new_due_days": "10", "is_claiming_interest": "on"}
    data.update(fields)
    return {f"levels-{index}-{name}": value for name, value in data.items()}


def policy_post(*levels: dict[str, str], **extra: str) -> dict[str, str]:
    data = {
        "levels-TOTAL_FORMS": str(len(levels)),
        "levels-INITIAL_FORMS": "0",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "6",
        "minimum_amount": "0",
        "last_level_action": "stop",
    }
    for level in levels:
        data.update(level)
    data.update(extra)
    return data


# --- settings --------------------------------------------------------------------------------------


def test_the_settings_save_and_refuse_bad_values_writing_nothing(company):
    client, _user = staff_client(company, role="admin")
    page = client.get(SETTINGS).content.decode()
    assert 'id="collection-settings"' in page
    assert reverse("staff:reminder_policy", args=["organisation"]) in page

    refused = client.post(
        SETTINGS,
        {"bank_import_stale_days": "0", "interest_invoice_mode": "propose", "interest_invoice_minimum_amount": "x"},
    )

    assert refused.status_code == 400
    assert "must be a number" in refused.content.decode()
    assert not CollectionSettings.objects.filter(company=company).exists()

    saved = client.post(
        SETTINGS,
        {
            "is_reminder_fee_agreed": "on",
            "bank_import_stale_days": "5",
            "interest_invoice_mode": "never",
            "interest_invoice_minimum_amount": "50",
        },
    )

    assert saved.status_code == 302
    row = CollectionSettings.objects.get(company=company)
    assert (row.is_reminder_fee_agreed, row.is_reminding_automatically) == (True, False)
    assert (row.bank_import_stale_days, row.interest_invoice_mode) == (5, "never")
    assert row.interest_invoice_minimum_amount == Decimal("50.00")


def test_the_settings_are_the_administrators(company):
    client, _user = staff_client(company, role="accountant")
    assert client.get(SETTINGS).status_code == 403
    assert client.get(policy_url()).status_code == 403


# --- the policy editor -------------------------------------------------------------------------------


def test_the_editor_shows_the_built_in_policy_and_saves_levels(company):
    client, _user = staff_client(company, role="admin")
    page = client.get(policy_url()).content.decode()
    assert 'id="level-0"' in page  # the two built-in levels
    assert 'id="level-1"' in page
    assert 'id="level-2"' in page  # a blank row for a new level

    response = client.post(
        policy_url(),
        policy_post(
            level_data(0, days="14", **{"texts-sv-subject": "Påminnelse {invoice_number}", "texts-sv-body": "Hej"}),
            level_data(1, days="14", days_from="previous", task_mode="beside"),
            level_data(2, days=""),  # the blank row: no level
            minimum_amount="25",
            save="1",
        ),
    )

    assert response.status_code == 302, response.content.decode()
    policy = policy_of(company=company, customer_kind="person")
    assert [(level.days, level.days_from, level.task_mode) for level in policy.levels] == [
        (14, "due_date", ""),
        (14, "previous", "beside"),
    ]
    assert policy.levels[0].texts == {"sv": {"subject": "Påminnelse {invoice_number}", "body": "Hej", "letter": ""}}
    assert policy.minimum_amount == Decimal("25.00")


def test_the_laws_refusals_show_on_their_fields_and_nothing_is_written(company):
    client, _user = staff_client(company, role="admin")
    before = list(ReminderLevel.objects.values_list("pk", "fee_amount"))

    response = client.post(
        policy_url(),
        policy_post(level_data(0, fee_amount="75"), level_data(1, days_from="previous", fee_amount="60"), save="1"),
    )

    assert response.status_code == 400
    formset = response.context["formset"]
    assert "60 SEK" in " ".join(formset.forms[0].errors["fee_amount"])  # above the cap
    assert "At most 1 reminders" in " ".join(formset.non_form_errors())  # a second Swedish fee
    assert 'id="levels-errors"' in response.content.decode()
    unknown = client.post(
        policy_url(),
        policy_post(level_data(0, **{"texts-en-subject": "Reminder {invoice_nummer}", "texts-en-body": "x"}), save="1"),
    )
    assert unknown.status_code == 400
    assert "invoice_nummer" in " ".join(unknown.context["formset"].forms[0].errors["texts-en-subject"])
    assert list(ReminderLevel.objects.values_list("pk", "fee_amount")) == before


def test_the_preview_fills_a_levels_email_with_a_real_overdue_invoice_before_saving(company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=20)
    client, _user = staff_client(company, role="admin")
    before = list(ReminderLevel.objects.values_list("pk", "texts"))
    data = policy_post(
        level_data(
            0,
            **{
                "texts-sv-subject": "Påminnelse om faktura {invoice_number}",
                "texts-sv-body": "Hej {customer_name}, betala {amount}.",
            },
        ),
        preview="0",
        preview_language="sv",
    )

    fragment = client.post(policy_url(), data, headers={"HX-Request": "true"}).content.decode()

    assert f"Påminnelse om faktura {invoice.display_number}" in fragment
    assert (invoice.buyer or {})["name"] in fragment
    assert 'id="preview-letter-pdf"' in fragment
    assert list(ReminderLevel.objects.values_list("pk", "texts")) == before  # nothing saved


def test_the_preview_names_an_unknown_variable(company, admin_user):
    overdue_invoice(company, admin_user, "400.00", days_overdue=20)
    client, _user = staff_client(company, role="admin")

    fragment = client.post(
        policy_url(),
        policy_post(level_data(0, **{"texts-sv-subject": "Hej {kund}", "texts-sv-body": "x"}), preview="0"),
        headers={"HX-Request": "true"},
    ).content.decode()

    assert "kund" in fragment
    assert "cannot be previewed yet" in fragment


def test_the_letter_preview_is_a_pdf_of_a_real_invoice_with_the_levels_text(company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=20)
    client, _user = staff_client(company, role="admin")

    response = client.post(
        reverse("staff:reminder_policy_letter", args=["person"]),
        policy_post(
            level_data(0, **{"texts-en-letter": "We have not received {amount} for {invoice_number}."}),
            preview="0",
            preview_language="en",
        ),
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert invoice.display_number in text
    assert "We have not received" in text
    assert not Reminder.objects.exists()


# --- the rate table ---------------------------------------------------------------------------------


def test_the_rate_table_is_read_by_everyone_and_names_the_missing_half_years(company):
    client, _user = staff_client(company, role="read_only")

    page = client.get(RATES).content.decode()

    assert 'id="rates-SE"' in page
    assert 'id="rates-read-only"' in page
    today = timezone.localdate()
    for gap in rate_gaps(until=today):
        assert f'data-gap="{gap.country}-{gap.starts_on.isoformat()}"' in page
    assert client.post(RATES, {}).status_code == 403


def test_only_the_superuser_adds_a_rate(company):
    client, user = staff_client(company, role="admin")
    body = {"country": "SE", "kind": "reference", "valid_from": "2028-01-01", "value": "2,25", "source": "Riksbanken"}

    assert client.post(RATES, body).status_code == 403
    assert not StatutoryRate.objects.filter(valid_from=dt.date(2028, 1, 1)).exists()

    user.is_superuser = True
    user.save()
    refused = client.post(RATES, {**body, "valid_from": "2028-02-01"})
    assert refused.status_code == 400
    assert "1 January or 1 July" in refused.content.decode()

    assert client.post(RATES, body).status_code == 302
    rate = StatutoryRate.objects.get(country="SE", kind="reference", valid_from=dt.date(2028, 1, 1))
    assert rate.value == Decimal("2.2500")
    assert rate.updated_by == user


def test_missing_half_years_run_from_the_first_rate_to_today():
    assert half_years_missing([dt.date(2025, 1, 1), dt.date(2026, 1, 1)], until=dt.date(2026, 8, 3)) == [
        dt.date(2025, 7, 1),
        dt.date(2026, 7, 1),
    ]
    assert half_years_missing([], until=dt.date(2026, 3, 1)) == [dt.date(2026, 1, 1)]
    assert half_years_missing([dt.date(2026, 1, 1)], until=dt.date(2026, 6, 30)) == []


def test_the_gaps_of_each_country_use_its_late_interest_rate():
    StatutoryRate.objects.filter(country="NO").delete()
    StatutoryRate.objects.create(
        country="NO", kind="late_interest", valid_from=dt.date(2026, 1, 1), value=Decimal("12"), source="x"
    )
    gaps = [gap for gap in rate_gaps(until=dt.date(2026, 9, 1)) if gap.country == "NO"]
    assert [(gap.kind, gap.starts_on, gap.ends_on) for gap in gaps] == [
        ("late_interest", dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    ]


# --- pauses and the invoice's reminders ---------------------------------------------------------------


def test_an_invoice_is_paused_from_its_page_and_the_pause_ended(company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=20)
    client, _user = staff_client(company)
    url = reverse("staff:invoice_reminder_pause", args=[invoice.pk])

    refused = client.post(url, {"reason": "whim"}, follow=True)
    assert "Reason" in " ".join(messages_of(refused))
    assert not ReminderPause.objects.exists()

    client.post(url, {"reason": "disputed", "note": "Says the work was not done"})

    pause = ReminderPause.objects.get(invoice=invoice)
    assert (pause.reason, pause.note, pause.ended_at) == ("disputed", "Says the work was not done", None)
    page = client.get(reverse("staff:invoice_detail", args=[invoice.pk])).content.decode()
    assert f'data-pause="{pause.pk}"' in page
    assert "data-paused" in page
    assert InvoiceEvent.objects.filter(invoice=invoice, kind="reminders_paused").exists()

    response = client.post(reverse("staff:reminder_pause_end", args=[pause.pk]))

    assert response.status_code == 302
    pause.refresh_from_db()
    assert pause.ended_at is not None
    again = client.post(reverse("staff:reminder_pause_end", args=[pause.pk]), follow=True)
    assert "already ended" in " ".join(messages_of(again))


def test_a_customer_is_paused_from_the_card(company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=20)
    client, _user = staff_client(company)

    client.post(
        reverse("staff:customer_reminder_pause", args=[invoice.customer_id]),
        {"reason": "payment_plan", "ends_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat()},
    )

    pause = ReminderPause.objects.get(customer_id=invoice.customer_id)
    assert pause.reason == "payment_plan"
    card = client.get(reverse("staff:customer_detail", args=[invoice.customer_id])).content.decode()
    assert f'data-pause="{pause.pk}"' in card
    page = client.get(reverse("staff:invoice_detail", args=[invoice.pk])).content.decode()
    assert "data-customer-paused" in page


def test_a_read_only_user_pauses_nothing(company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=20)
    pause = pause_create(
        company=company, actor=admin_user, invoice_id=invoice.pk, reason="other", starts_on=timezone.localdate()
    )
    client, _user = staff_client(company, role="read_only")

    assert (
        client.post(reverse("staff:invoice_reminder_pause", args=[invoice.pk]), {"reason": "other"}).status_code == 403
    )
    assert client.post(reverse("staff:reminder_pause_end", args=[pause.pk])).status_code == 403
    assert ReminderPause.objects.filter(ended_at__isnull=True).count() == 1


def test_another_companys_pause_is_not_found(company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=20)
    pause = pause_create(
        company=company, actor=admin_user, invoice_id=invoice.pk, reason="other", starts_on=timezone.localdate()
    )
    other = CompanyFactory(org_number="5566778899", bankgiro="5050-1055")
    client, _user = staff_client(other)

    assert client.post(reverse("staff:reminder_pause_end", args=[pause.pk])).status_code == 404
    assert (
        client.post(reverse("staff:invoice_reminder_pause", args=[invoice.pk]), {"reason": "other"}).status_code == 404
    )


def test_the_invoice_page_lists_its_reminders_with_their_delivery(company, admin_user):
    invoice = overdue_invoice(company, admin_user, "400.00", days_overdue=20)
    with SmtpServer() as smtp:
        email_channel(company, smtp.port, reminder_channel="email")
        reminders_run(company=company, actor=admin_user)
    [reminder] = Reminder.objects.filter(invoice=invoice)
    client, _user = staff_client(company, role="read_only")

    page = client.get(reverse("staff:invoice_detail", args=[invoice.pk])).content.decode()

    assert 'id="invoice-reminders"' in page
    assert f'data-level="{reminder.level}"' in page
    assert reverse("staff:send_detail", args=[reminder.delivery.batch_id]) in page
    assert reminder.new_due_on.isoformat() in page
    assert 'id="pause-reminders"' not in page  # read-only: no form


def test_the_reminders_page_links_to_the_rates_and_for_admins_to_the_settings(company):
    admin, _user = staff_client(company, role="admin")
    accountant, _other = staff_client(company)

    assert SETTINGS in admin.get(reverse("staff:reminders")).content.decode()
    page = accountant.get(reverse("staff:reminders")).content.decode()
    assert SETTINGS not in page
    assert RATES in page
