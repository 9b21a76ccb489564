"""core/rows.py reads and writes the same rows as the ORM, on every database."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from fakturera.core.rows import insert_tree, select_one, select_rows
from fakturera.invoicing.models import Invoice, InvoiceEvent, InvoiceLine
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.keys import api_key_create
from fakturera.parties.models import ApiKey, Company, Customer
from fakturera.parties.tests.factories import CompanyFactory, OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def _fields(instance):
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_a_row_with_its_relations_is_the_orms_row(company, admin_user):
    token_key = api_key_create(company=company, name="Bokföring", actor=admin_user).key

    key = select_one(ApiKey, where="t0.prefix = %s", params=[token_key.prefix], related=("company", "created_by"))

    expected = ApiKey.objects.select_related("company", "created_by").get(pk=token_key.pk)
    assert _fields(key) == _fields(expected)
    with CaptureQueriesContext(connection) as queries:
        assert _fields(key.company) == _fields(expected.company)
        assert key.created_by.username == admin_user.username
    assert len(queries) == 0
    assert isinstance(key.company, Company)
    assert key.company.payment_terms_days == expected.company.payment_terms_days


def test_json_decimal_date_and_boolean_columns_are_converted(company):
    customer = OrganisationFactory(company=company, payment_terms_days=15)
    rounding = CompanyFactory(is_rounding_to_whole_units=True)
    invoice = Invoice.objects.create(
        company=company, customer=customer, net_amount=Decimal("12.50"), vat_amount=Decimal("3.13"),
        rounding_amount=Decimal("0"), total_amount=Decimal("15.63"), buyer={"name": "Å", "lines": [1, 2]},
        due_on=dt.date(2026, 12, 1),
    )  # fmt: skip

    read = select_one(Invoice, where="t0.id = %s", params=[invoice.pk])

    assert read.buyer == {"name": "Å", "lines": [1, 2]}
    assert read.net_amount == Decimal("12.50")
    assert isinstance(read.net_amount, Decimal)
    assert read.due_on == dt.date(2026, 12, 1)
    assert read.created_at == Invoice.objects.get(pk=invoice.pk).created_at
    org = select_one(Customer, where="t0.id = %s", params=[customer.pk])
    assert model_to_dict(org) == model_to_dict(Customer.objects.get(pk=customer.pk))
    read_company = select_one(Company, where="t0.id = %s", params=[rounding.pk])
    assert read_company.is_rounding_to_whole_units is True
    assert read_company.has_ocr_length_digit is False


def test_an_unset_nullable_relation_is_none_and_a_set_one_is_in_hand(company):
    reference = PersonFactory(company=company, name="Kim Referens")
    with_reference = OrganisationFactory(company=company, invoice_reference=reference)
    without = OrganisationFactory(company=company)

    found = select_rows(
        Customer, where="t0.company_id = %s AND t0.kind = %s", params=[company.pk, "organisation"],
        related=("invoice_reference",),
    )  # fmt: skip

    by_pk = {customer.pk: customer for customer in found}
    assert set(by_pk) == {with_reference.pk, without.pk}
    with CaptureQueriesContext(connection) as queries:
        assert by_pk[with_reference.pk].invoice_reference.name == "Kim Referens"
        assert by_pk[without.pk].invoice_reference is None
    assert len(queries) == 0


def test_no_row_is_none(company):
    assert select_one(Customer, where="t0.id = %s AND t0.company_id = %s", params=[10**9, company.pk]) is None
    other = CompanyFactory()
    customer = PersonFactory(company=other)
    assert select_one(Customer, where="t0.id = %s AND t0.company_id = %s", params=[customer.pk, company.pk]) is None


def _draft(company, customer, actor):
    invoice = Invoice(
        company=company, customer=customer, created_by=actor, net_amount=Decimal("300.00"),
        vat_amount=Decimal("75.00"), rounding_amount=Decimal("0.00"), total_amount=Decimal("375.00"),
        seller={"name": company.name},
    )  # fmt: skip
    lines = [
        InvoiceLine(
            invoice=invoice,
            position=position,
            description=f"Rad {position}",
            quantity=Decimal("1.000"),
            unit_price=Decimal("100.0000"),
            vat_category="S",
            vat_rate=Decimal("25.00"),
            net_amount=Decimal("100.00"),
        )
        for position in (1, 2, 3)
    ]
    events = [InvoiceEvent(invoice=invoice, kind="created", actor=actor, at=AT, params={"via": "api"})]
    return invoice, lines, events


def test_a_tree_is_written_with_every_id_and_reads_back_as_written(company, admin_user):
    customer = PersonFactory(company=company)
    invoice, lines, events = _draft(company, customer, admin_user)

    with CaptureQueriesContext(connection) as queries:
        insert_tree(invoice, [("invoice", lines), ("invoice", []), ("invoice", events)])

    if connection.vendor == "postgresql":
        assert len(queries) == 1
    assert invoice.pk is not None
    assert not invoice._state.adding
    stored = Invoice.objects.get(pk=invoice.pk)
    assert _fields(stored) == _fields(invoice)
    assert stored.created_at is not None
    assert stored.status == InvoiceStatus.DRAFT
    assert [line.pk for line in lines] == list(stored.lines.order_by("position").values_list("pk", flat=True))
    for line in lines:
        assert _fields(InvoiceLine.objects.get(pk=line.pk)) == _fields(line)
        assert line.invoice is invoice
    assert [(e.pk, e.params, e.actor_id) for e in stored.events.all()] == [
        (events[0].pk, {"via": "api"}, admin_user.pk)
    ]


def test_a_refused_child_leaves_nothing(company, admin_user):
    customer = PersonFactory(company=company)
    invoice, lines, events = _draft(company, customer, admin_user)
    lines[2].position = 1  # the same position twice: invoice_line_position_unique

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_tree(invoice, [("invoice", lines), ("invoice", events)])

    assert not Invoice.objects.filter(customer=customer).exists()
    assert not InvoiceLine.objects.filter(description__startswith="Rad ").exists()


def test_two_trees_of_different_shapes_each_get_their_own_statement(company, admin_user):
    customer = PersonFactory(company=company)
    first, first_lines, _ = _draft(company, customer, admin_user)
    second, second_lines, _ = _draft(company, customer, admin_user)

    insert_tree(first, [("invoice", first_lines)])
    insert_tree(second, [("invoice", second_lines[:1])])

    assert first.lines.count() == 3
    assert second.lines.count() == 1
