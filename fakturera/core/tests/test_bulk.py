"""core/bulk.py writes the same rows on PostgreSQL (COPY) and elsewhere (bulk_create)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from fakturera.collections.models import OverdueNotice
from fakturera.core.bulk import bulk_insert
from fakturera.invoicing.models import InvoiceEvent, NumberSeries
from fakturera.invoicing.tests.factories import DraftInvoiceFactory
from fakturera.parties.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def test_rows_get_the_model_defaults_for_the_fields_not_given():
    first, second = CompanyFactory(), CompanyFactory()

    count = bulk_insert(NumberSeries, ["company_id", "name"], [(first.pk, "Kreditfakturor"), (second.pk, "Extra")])

    assert count == 2
    rows = NumberSeries.objects.filter(name__in=["Kreditfakturor", "Extra"]).order_by("name")
    assert [(s.company_id, s.prefix, s.next_number) for s in rows] == [(second.pk, "", 1), (first.pk, "", 1)]


def test_a_row_a_unique_constraint_refuses_raises_djangos_integrity_error_and_stores_nothing():
    company = CompanyFactory()
    before = NumberSeries.objects.count()

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(NumberSeries, ["company_id", "name"], [(company.pk, "Extra"), (company.pk, "Extra")])

    assert NumberSeries.objects.count() == before


def test_json_values_are_stored_as_json_even_when_rows_share_one_object(company, admin_user):
    invoice = DraftInvoiceFactory(company=company, actor=admin_user, lines=[{"description": "x", "unit_price": "1"}])
    shared = {"note": 'ÅÄÖ "quoted" \\ and a tab\t', "n": 2}

    bulk_insert(
        InvoiceEvent,
        ["invoice_id", "kind", "at", "params"],
        [(invoice.pk, "edited", AT, shared), (invoice.pk, "edited", AT, {"n": 3}), (invoice.pk, "edited", AT, shared)],
    )

    events = InvoiceEvent.objects.filter(invoice=invoice, kind="edited").order_by("pk")
    assert [e.params for e in events] == [shared, {"n": 3}, shared]
    assert all(e.at == AT and e.actor_id is None for e in events)


def test_dates_and_times_are_stored_as_given_in_any_time_zone_and_rows_sharing_them(company, admin_user):
    invoices = [
        DraftInvoiceFactory(company=company, actor=admin_user, lines=[{"description": "x", "unit_price": "1"}])
        for _ in range(4)
    ]
    stockholm = dt.datetime(2026, 7, 1, 0, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Stockholm"))  # 30 June in UTC
    day = dt.date(2026, 2, 28)
    given = [
        (AT, day, dt.date(2026, 12, 31)),
        (stockholm, day, dt.date(2024, 2, 29)),
        (AT, dt.date(1999, 1, 1), day),
        ("2026-11-02T09:30:00+00:00", "2026-02-28", "2026-02-28"),  # text passes through as it is
    ]

    bulk_insert(
        OverdueNotice,
        ["company_id", "invoice_id", "customer_id", "found_at", "due_on", "found_on"],
        [(company.pk, invoice.pk, invoice.customer_id, *row) for invoice, row in zip(invoices, given, strict=True)],
    )

    notices = {n.invoice_id: n for n in OverdueNotice.objects.filter(company=company)}
    stored = [(notices[i.pk].found_at, notices[i.pk].due_on, notices[i.pk].found_on) for i in invoices]
    assert stored[:3] == given[:3]
    assert stored[1][0].utcoffset() == dt.timedelta(0)
    assert stored[1][0] == stockholm
    assert stored[3] == (AT, day, day)


@pytest.mark.django_db
def test_bulk_insert_returning_ids_gives_each_rows_key_in_order():
    from django.contrib.auth.models import Group

    from fakturera.core.bulk import bulk_insert_returning_ids

    ids = bulk_insert_returning_ids(Group, ("name",), [(f"group {n}",) for n in range(7)])
    assert len(set(ids)) == 7
    assert [Group.objects.get(pk=pk).name for pk in ids] == [f"group {n}" for n in range(7)]
    # The sequence moved on: an ordinary insert afterwards takes a new key.
    assert Group.objects.create(name="after").pk not in ids
    assert bulk_insert_returning_ids(Group, ("name",), []) == []


def test_rows_a_unique_key_already_holds_are_skipped_and_the_new_ones_counted(company, admin_user):
    from fakturera.core.bulk import bulk_insert_new
    from fakturera.distribution.models import InvoiceSending

    invoices = [DraftInvoiceFactory(company=company) for _ in range(3)]
    assert bulk_insert_new(InvoiceSending, ("invoice_id",), [(invoices[0].pk,)]) == 1

    inserted = bulk_insert_new(InvoiceSending, ("invoice_id",), [(invoice.pk,) for invoice in invoices])

    assert inserted == 2
    assert InvoiceSending.objects.filter(invoice__in=invoices).count() == 3
    assert set(InvoiceSending.objects.values_list("status", flat=True)) == {"unsent"}


def test_an_integer_array_goes_as_its_text_and_anything_else_as_the_list():
    from fakturera.core.bulk import array_parameter

    assert array_parameter([3, 1, 2]) == "{3,1,2}"
    assert array_parameter(range(2)) == "{0,1}"
    assert array_parameter([]) == []
    assert array_parameter(["a", "b,c"]) == ["a", "b,c"]
    assert array_parameter([1, True]) == [1, True]


def test_any_of_finds_the_rows_of_many_ids_and_of_many_keys(company, admin_user):
    from fakturera.core.bulk import any_of

    invoices = [
        DraftInvoiceFactory(company=company, actor=admin_user, lines=[{"description": "x", "unit_price": "1"}])
        for _ in range(3)
    ]
    ids = [invoices[0].pk, invoices[2].pk, 10**12]

    from fakturera.invoicing.models import Invoice

    assert sorted(Invoice.objects.filter(any_of(Invoice, ids)).values_list("pk", flat=True)) == sorted(ids[:2])
    assert list(Invoice.objects.filter(any_of(Invoice, [])).values_list("pk", flat=True)) == []
    series = NumberSeries.objects.filter(company=company).first()
    assert series is not None
    assert list(NumberSeries.objects.filter(any_of(NumberSeries, [series.name, "ingen"], "name"))) == [series]


def test_binary_rows_keep_every_byte_text_and_time_as_given(company, admin_user):
    from fakturera.documents.models import InvoiceDocument
    from fakturera.invoicing.tests.factories import issued_invoice

    invoices = [issued_invoice(company, admin_user, "100") for _ in range(2)]
    InvoiceDocument.objects.filter(invoice__in=invoices).delete()
    every_byte = bytes(range(256)) * 40 + b"\\\n\r\t\x00"
    rows = [
        (company.pk, invoices[0].pk, invoices[0].customer_id, "pdf", "standard", every_byte, "", "a" * 64, 10245),
        (
            company.pk,
            invoices[1].pk,
            invoices[1].customer_id,
            "ubl",
            "",
            b"",
            "nyckel/\u00e5\u00e4\u00f6\t\\",
            "b" * 64,
            0,
        ),
    ]
    fields = (
        "company_id",
        "invoice_id",
        "customer_id",
        "format",
        "template",
        "content",
        "storage_key",
        "sha256",
        "size",
    )

    assert bulk_insert(InvoiceDocument, fields, rows, binary=True) == 2

    stored = InvoiceDocument.objects.filter(invoice__in=invoices).order_by("invoice_id")
    assert [
        tuple(bytes(v) if isinstance(v, memoryview) else v for v in (getattr(d, f) for f in fields)) for d in stored
    ] == rows
    assert all(d.created_at is not None for d in stored)


def test_a_binary_row_a_unique_constraint_refuses_raises_djangos_integrity_error():
    company = CompanyFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(NumberSeries, ["company_id", "name"], [(company.pk, "Extra"), (company.pk, "Extra")], binary=True)

    assert not NumberSeries.objects.filter(company=company, name="Extra").exists()


def test_binary_copy_takes_no_json_columns(company, admin_user):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("binary COPY is PostgreSQL's; elsewhere the rows go through bulk_create")
    invoice = DraftInvoiceFactory(company=company, actor=admin_user, lines=[{"description": "x", "unit_price": "1"}])

    with pytest.raises(ValueError, match="JSON"):
        bulk_insert(InvoiceEvent, ["invoice_id", "kind", "at", "params"], [(invoice.pk, "edited", AT, {})], binary=True)


def test_a_binary_value_of_the_wrong_type_is_refused_naming_the_table_and_the_columns_types():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("binary COPY is PostgreSQL's; elsewhere the rows go through bulk_create")
    company = CompanyFactory()

    with pytest.raises(TypeError, match=r"invoicing_numberseries: row 2 .*name=int"), transaction.atomic():
        bulk_insert(NumberSeries, ["company_id", "name"], [(company.pk, "Extra"), (company.pk, 12345)], binary=True)

    assert not NumberSeries.objects.filter(company=company, name="Extra").exists()
