"""The catalog page and its forms: prices and VAT are checked by the service and
explained on the field; nothing is written on error."""

from decimal import Decimal

import pytest
from django.urls import reverse

from fakturera.catalog.models import ContactType, Product, TreatmentType
from fakturera.catalog.tests.factories import ContactTypeFactory, ProductFactory, TreatmentTypeFactory
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.staff.tests.staff_clients import field_errors, log_in

pytestmark = pytest.mark.django_db

PRODUCT_POST = {
    "name": "Konsulttimme",
    "unit_price": "1 200,50",
    "vat": "S:25",
    "account_code": "3041",
    "is_active": "on",
    "unit": "h",
    "description": "Per started hour",
}
TREATMENT_POST = {
    "name": "Samtal 45 min",
    "unit_price": "950",
    "vat": "E:0",
    "account_code": "3001",
    "is_active": "on",
    "duration_minutes": "45",
}
CONTACT_POST = {
    "name": "Telefonsamtal",
    "unit_price": "0",
    "vat": "S:25",
    "account_code": "",
    "is_active": "on",
    "is_excluded_from_invoicing": "on",
}
FACTORIES = {"product": ProductFactory, "treatment-type": TreatmentTypeFactory, "contact-type": ContactTypeFactory}
POSTS = {"product": PRODUCT_POST, "treatment-type": TREATMENT_POST, "contact-type": CONTACT_POST}
MODELS = {"product": Product, "treatment-type": TreatmentType, "contact-type": ContactType}


def test_catalog_page_has_three_tables_of_this_company_only(client, company):
    # given
    log_in(client, company)
    ProductFactory(company=company, name="Mine product")
    TreatmentTypeFactory(company=company, name="Mine treatment")
    ContactTypeFactory(company=company, name="Mine contact")
    ProductFactory(company=CompanyFactory(), name="Their product")

    # when
    response = client.get(reverse("staff:catalog"))

    # then
    tables = response.context["tables"]
    assert response.status_code == 200
    assert [t["kind"] for t in tables] == ["product", "treatment-type", "contact-type"]
    assert [[item.name for item in t["items"]] for t in tables] == [
        ["Mine product"],
        ["Mine treatment"],
        ["Mine contact"],
    ]
    assert "Their product" not in response.content.decode()


def test_vat_is_one_select_of_the_company_countrys_choices(client, company):
    # given
    log_in(client, company)

    # when
    form = client.get(reverse("staff:catalog_create", args=["product"])).context["form"]

    # then
    values = [value for value, _label in form.fields["vat"].widget.choices]
    assert values == ["S:25", "S:12", "S:6", "Z:0", "E:0", "AE:0", "K:0", "G:0", "O:0"]


def test_create_product_reads_a_swedish_price(client, company):
    # given
    log_in(client, company)

    # when
    response = client.post(reverse("staff:catalog_create", args=["product"]), PRODUCT_POST)

    # then
    product = Product.objects.get(company=company)
    assert response.status_code == 302
    assert response.url == reverse("staff:catalog")
    assert product.name == "Konsulttimme"
    assert product.unit_price == Decimal("1200.5000")
    assert (product.vat_category, product.vat_rate) == ("S", Decimal("25.00"))
    assert product.account_code == "3041"
    assert product.unit == "h"
    assert product.is_active is True


def test_create_treatment_type_exempt_from_vat(client, company):
    # given
    log_in(client, company)

    # when
    client.post(reverse("staff:catalog_create", args=["treatment-type"]), TREATMENT_POST)

    # then
    treatment = TreatmentType.objects.get(company=company)
    assert treatment.unit_price == Decimal("950.0000")
    assert (treatment.vat_category, treatment.vat_rate) == ("E", Decimal("0.00"))
    assert treatment.duration_minutes == 45


def test_create_contact_type_excluded_from_invoicing(client, company):
    # given
    log_in(client, company)

    # when
    client.post(reverse("staff:catalog_create", args=["contact-type"]), CONTACT_POST)

    # then
    contact = ContactType.objects.get(company=company)
    assert contact.is_excluded_from_invoicing is True
    assert contact.unit_price == Decimal("0.0000")


def test_edit_changes_price_and_vat(client, company):
    # given
    log_in(client, company)
    product = ProductFactory(company=company, unit_price=Decimal("100.00"))

    # when
    response = client.post(
        reverse("staff:catalog_edit", args=["product", product.pk]),
        {**PRODUCT_POST, "unit_price": "12.345", "vat": "S:6", "is_active": ""},
    )

    # then
    product.refresh_from_db()
    assert response.status_code == 302
    assert product.unit_price == Decimal("12.3450")
    assert (product.vat_category, product.vat_rate) == ("S", Decimal("6.00"))
    assert product.is_active is False


def test_edit_form_shows_the_stored_price_and_vat(client, company):
    # given
    log_in(client, company)
    treatment = TreatmentTypeFactory(company=company, unit_price=Decimal("800.0000"), vat_category="E")

    # when
    form = client.get(reverse("staff:catalog_edit", args=["treatment-type", treatment.pk])).context["form"]

    # then
    assert form.initial["unit_price"] == "800.00"
    assert form.initial["vat"] == "E:0"


def test_negative_price_is_explained_and_nothing_is_written(client, company):
    # given
    log_in(client, company)

    # when
    response = client.post(reverse("staff:catalog_create", args=["product"]), {**PRODUCT_POST, "unit_price": "-5"})

    # then
    assert response.status_code == 400
    assert field_errors(response, "unit_price") == ["The price cannot be negative; credit an invoice instead."]
    assert "The price cannot be negative; credit an invoice instead." in response.content.decode()
    assert Product.objects.count() == 0


def test_negative_price_on_edit_keeps_the_stored_price(client, company):
    # given
    log_in(client, company)
    contact = ContactTypeFactory(company=company, name="Samtal", unit_price=Decimal("500.00"))

    # when
    response = client.post(
        reverse("staff:catalog_edit", args=["contact-type", contact.pk]), {**CONTACT_POST, "unit_price": "-500"}
    )

    # then
    contact.refresh_from_db()
    assert response.status_code == 400
    assert contact.unit_price == Decimal("500.0000")
    assert contact.name == "Samtal"


def test_unknown_vat_category_is_explained_on_the_vat_field_and_nothing_is_written(client, company):
    # given
    log_in(client, company)

    # when
    response = client.post(reverse("staff:catalog_create", args=["product"]), {**PRODUCT_POST, "vat": "X:0"})

    # then
    assert response.status_code == 400
    assert field_errors(response, "vat") == ["“X” is not a VAT category; use one of S, Z, E, AE, K, G, O."]
    assert Product.objects.count() == 0


def test_a_rate_the_country_does_not_have_is_explained(client, company):
    # given
    log_in(client, company)

    # when
    response = client.post(reverse("staff:catalog_create", args=["treatment-type"]), {**TREATMENT_POST, "vat": "S:7"})

    # then
    assert response.status_code == 400
    assert field_errors(response, "vat") == ["7 % is not a VAT rate in SE; the rates are 25 %, 12 %, 6 %."]
    assert TreatmentType.objects.count() == 0


def test_every_problem_is_reported_at_once(client, company):
    # given
    log_in(client, company)

    # when
    response = client.post(
        reverse("staff:catalog_create", args=["product"]),
        {**PRODUCT_POST, "unit_price": "abc", "vat": "AE:25", "account_code": "30"},
    )

    # then
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "unit_price": ["The price must be a number."],
        "vat": ["Lines with “Reverse charge” carry no VAT; the rate must be 0."],
        "account_code": ["An account is four digits (BAS chart of accounts), such as 3001."],
    }
    assert Product.objects.count() == 0


def test_unknown_catalog_kind_is_404(client, company):
    # given
    log_in(client, company)

    # when
    response = client.get(reverse("staff:catalog_create", args=["course"]))

    # then
    assert response.status_code == 404


@pytest.mark.parametrize("kind", ["product", "treatment-type", "contact-type"])
def test_another_companys_catalog_items_are_404(client, company, kind):
    # given
    log_in(client, company)
    theirs = FACTORIES[kind](company=CompanyFactory(), name="Theirs", unit_price=Decimal("100.00"))
    url = reverse("staff:catalog_edit", args=[kind, theirs.pk])

    # when
    looked = client.get(url)
    posted = client.post(url, {**POSTS[kind], "name": "Mine now"})

    # then
    theirs.refresh_from_db()
    assert (looked.status_code, posted.status_code) == (404, 404)
    assert theirs.name == "Theirs"
    assert theirs.unit_price == Decimal("100.0000")


@pytest.mark.parametrize("kind", ["product", "treatment-type", "contact-type"])
def test_read_only_users_cannot_save_catalog_items(client, company, kind):
    # given
    log_in(client, company, role="read_only")
    existing = FACTORIES[kind](company=company, name="Keep")

    # when
    created = client.post(reverse("staff:catalog_create", args=[kind]), POSTS[kind])
    edited = client.post(reverse("staff:catalog_edit", args=[kind, existing.pk]), POSTS[kind])

    # then
    existing.refresh_from_db()
    assert (created.status_code, edited.status_code) == (403, 403)
    assert MODELS[kind].objects.count() == 1
    assert existing.name == "Keep"
