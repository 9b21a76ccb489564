"""No form of the staff pages, the public registration page or the portal takes a character
UBL, a PDF or an e-mail cannot carry (core/text.py): every form class of the project is a
TextCheckedForm, every text field of each refuses U+000B on that field, and the issue's
reproduction through the pages writes nothing."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from fakturera.core import text
from fakturera.core.text import TextCheckedForm
from fakturera.courses.models import Registration
from fakturera.courses.selectors import registration_form_forget
from fakturera.courses.tests.factories import make_occurrence
from fakturera.invoicing.models import Invoice, NumberSeries
from fakturera.parties.models import Customer
from fakturera.parties.tests.factories import PersonFactory
from fakturera.staff.tests.invoice_helpers import staff_client

SKIPPED = (".tests", ".migrations", "__main__")
CONTROL_MESSAGE = "Remove the character U+000B: it is a control character that invoices, PDFs and e-mail cannot carry."


def _form_classes() -> list[type[forms.BaseForm]]:
    """Every form class of the project: each module imported (tests, migrations aside), then
    every subclass of Django's BaseForm defined in one of them. The staff pages, the public
    pages and the portal hold them today; one added anywhere else is found too."""
    import fakturera

    for module in pkgutil.walk_packages(fakturera.__path__, "fakturera."):
        if not any(part in module.name for part in SKIPPED):
            importlib.import_module(module.name)
    found = set()
    pending = [forms.BaseForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("fakturera.") and not any(part in cls.__module__ for part in SKIPPED):
            found.add(cls)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


FORM_CLASSES = _form_classes()


def test_the_walk_finds_the_forms_of_every_interface():
    names = {cls.__name__ for cls in FORM_CLASSES}
    assert {"CustomerForm", "DraftForm", "DraftLineForm", "PublicRegistrationForm", "LoginForm", "ApiKeyForm"} <= names
    assert len(FORM_CLASSES) > 40
    modules = {cls.__module__.split(".")[1] for cls in FORM_CLASSES}
    assert {"staff", "public", "portal"} <= modules


@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_form_is_text_checked(form_class):
    assert issubclass(form_class, TextCheckedForm), (
        f"{form_class.__qualname__} takes any character: derive it from core.text.TextCheckedForm"
    )


def _text_fields(form_class: type[forms.BaseForm]) -> dict[str, forms.Field]:
    """The declared fields as a bound form of this class holds them, with the rule applied
    (without the form's own __init__, which needs its company, customer ...)."""
    form = form_class.__new__(form_class)
    forms.BaseForm.__init__(form, data={})
    if isinstance(form, TextCheckedForm):  # one that is not fails test_every_form_is_text_checked
        form.check_text_fields()
    return {name: field for name, field in form.fields.items() if isinstance(field, forms.CharField)}


CHAR_FIELDS = [
    pytest.param(form_class, name, id=f"{form_class.__qualname__}.{name}")
    for form_class in FORM_CLASSES
    for name in _text_fields(form_class)
]


def test_there_are_text_fields_to_check():
    assert len(CHAR_FIELDS) > 60


@pytest.mark.parametrize(("form_class", "name"), CHAR_FIELDS)
def test_every_text_field_of_every_form_refuses_a_control_character(form_class, name):
    field = _text_fields(form_class)[name]
    with pytest.raises(ValidationError) as caught:
        field.clean("a\x0bb")
    assert CONTROL_MESSAGE in caught.value.messages


@pytest.mark.parametrize(("form_class", "name"), CHAR_FIELDS)
def test_only_textareas_take_line_breaks(form_class, name):
    field = _text_fields(form_class)[name]
    try:
        field.clean("a\nb")
    except ValidationError as exc:
        codes = {error.code for error in exc.error_list}
    else:
        codes = set()
    assert (text.LINE_BREAK not in codes) == isinstance(field.widget, forms.Textarea)


@pytest.fixture
def _forms_read_afresh():
    cache.clear()
    registration_form_forget()
    yield
    registration_form_forget()
    cache.clear()


# --- the issue, through the pages ----------------------------------------------------------------


def _draft_data(customer_pk: int, description: str, **header: str) -> dict[str, str]:
    data = {
        "customer": str(customer_pk),
        "currency": "SEK",
        "payment_terms_days": "",
        "buyer_reference": "",
        "order_reference": "",
        "seller_reference": "",
        "email": "",
        "note": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **header,
    }
    row = {"description": description, "quantity": "1", "unit": "st", "unit_price": "1000", "vat": "S:25"}
    data.update({f"lines-0-{name}": value for name, value in row.items()})
    return data


@pytest.mark.django_db
def test_the_issue_reproduced_a_control_character_in_a_draft_line_writes_nothing(company):
    client, _user = staff_client(company)
    customer = PersonFactory(company=company)
    series_before = NumberSeries.objects.get(company=company).next_number

    line = client.post(reverse("staff:invoice_create"), _draft_data(customer.pk, "Konsul\x0btation"))
    header = client.post(
        reverse("staff:invoice_create"), _draft_data(customer.pk, "Konsultation", buyer_reference="P\n7")
    )

    assert line.status_code == 200
    assert line.context["formset"].forms[0].errors["description"] == [CONTROL_MESSAGE]
    assert header.context["form"].errors["buyer_reference"] == [
        "This field takes a single line: remove the line break or tab (U+000A)."
    ]
    assert not Invoice.objects.filter(company=company).exists()
    assert NumberSeries.objects.get(company=company).next_number == series_before


@pytest.mark.django_db
def test_a_customer_named_with_a_control_character_is_refused(company):
    client, _user = staff_client(company, role="admin")
    before = Customer.objects.filter(company=company).count()
    response = client.post(
        reverse("staff:customer_create", args=["person"]),
        {"name": "Bo\x0bEk", "country": "SE", "language": "sv", "notes": "rad 1\nrad 2"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [CONTROL_MESSAGE]
    assert Customer.objects.filter(company=company).count() == before


@pytest.mark.django_db
@pytest.mark.usefixtures("_forms_read_afresh")
def test_the_public_form_refuses_a_control_character_and_stores_nothing(company):
    occurrence = make_occurrence(company)
    url = reverse("course_register", args=[occurrence.registration_form.token])
    good = {
        "name": "Anna Lind",
        "email": "anna.lind@firma.example",
        "organisation_name": "Firma Ett AB",
        "org_number": "556036-0793",
        "peppol_id": "0007:5560360793",
        "project_number": "P-100",
    }

    refused = Client().post(url, {**good, "name": "Anna\x0bLind", "lang": "en"})

    assert refused.status_code == 400
    assert refused.context["form"].errors["name"] == [CONTROL_MESSAGE]
    assert Registration.objects.count() == 0
    # The message takes several lines; a name does not.
    broken = Client().post(url, {**good, "organisation_name": "Firma\r\nBcc: x@example.se", "lang": "en"})
    assert broken.status_code == 400
    assert Registration.objects.count() == 0
    accepted = Client().post(url, {**good, "message": "Vegetarisk kost.\r\nRullstol.", "lang": "en"})
    assert accepted.status_code == 302
    assert Registration.objects.get().message == "Vegetarisk kost.\r\nRullstol."
