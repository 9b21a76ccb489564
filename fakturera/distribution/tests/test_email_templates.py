"""E-mail templates: the template language's rule (distribution.mail) refuses an unknown
variable by name, in the staff form and in the service, and saves nothing; the Preview
fills the unsaved template in with a real invoice of the company and saves nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakturera.core.errors import ValidationFailed
from fakturera.distribution.mail import VARIABLES, fill, template_problems, unknown_variables
from fakturera.distribution.models import EmailTemplate
from fakturera.distribution.services import email_template_save
from fakturera.invoicing.tests.factories import draft_invoice, issued_invoice
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory
from fakturera.staff.tests.invoice_helpers import staff_client

ALL = "{customer_name}, {invoice_number}, {amount}, {due_date}, {ocr}, {portal_link}, {company_name}"


@pytest.mark.parametrize(
    ("template", "unknown"),
    [
        ("Faktura {invoice_number} från {company_name}", []),
        ("Hej {kundnamn}", ["{kundnamn}"]),
        ("Hej {{ customer_name }}", ["{{ customer_name }}"]),
        ("Hej { customer_name }", ["{ customer_name }"]),
        ("Hej {Customer_Name} och {foo} och {foo}", ["{Customer_Name}", "{foo}"]),
        ("{invoice.customer.__class__}", ["{invoice.customer.__class__}"]),
        ("Pris {1} och {} och en klammer { här", []),  # not written as a variable: stays as it is
    ],
)
def test_what_is_written_as_a_variable_but_is_none(template, unknown):
    assert unknown_variables(template) == unknown


def test_the_refusal_names_the_variable_and_the_ones_to_use():
    problems = template_problems(subject="Faktura {nummer}", body="Hej {customer_name}")

    assert problems == {
        "subject": [f"Unknown variable {{nummer}}: the variables you can use are {ALL}."],
    }


@given(st.lists(st.sampled_from(VARIABLES)), st.text(alphabet=st.characters(blacklist_characters="{}")))
def test_every_known_variable_passes_and_is_filled(names, words):
    template = words + "".join("{" + name + "}" for name in names)
    assert unknown_variables(template) == []
    assert "{" not in fill(template, dict.fromkeys(VARIABLES, "x"))


@pytest.mark.django_db
def test_the_service_refuses_an_unknown_variable_and_saves_nothing(company):
    with pytest.raises(ValidationFailed) as refused:
        email_template_save(
            company=company, purpose="invoice", language="sv", subject="Faktura", body="Hej {kund}, {{ amount }}"
        )

    assert refused.value.errors == {
        "body": [
            f"Unknown variable {{kund}}: the variables you can use are {ALL}.",
            f"Unknown variable {{{{ amount }}}}: the variables you can use are {ALL}.",
        ]
    }
    assert not EmailTemplate.objects.exists()


FIELDS = {"template-purpose": "invoice", "template-language": "sv"}


@pytest.mark.django_db
def test_the_staff_form_refuses_an_unknown_variable_keeps_what_was_typed_and_saves_nothing(company):
    admin, _user = staff_client(company, role="admin")

    response = admin.post(
        "/settings/distribution/",
        {"action": "template", **FIELDS, "template-subject": "Faktura {fakturanummer}", "template-body": "Hej"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Unknown variable {fakturanummer}: the variables you can use are {customer_name}" in html
    assert 'value="Faktura {fakturanummer}"' in html
    assert not EmailTemplate.objects.exists()


@pytest.mark.django_db
def test_the_preview_fills_the_unsaved_template_in_with_the_latest_issued_invoice(company, admin_user):
    anna = PersonFactory(company=company, name="Anna Andersson")
    issued_invoice(company, admin_user, "100", customer=PersonFactory(company=company, name="Bertil Berg"))
    latest = issued_invoice(company, admin_user, "1000", customer=anna)
    draft_invoice(company, admin_user, "5")  # a draft has no number: never previewed with
    admin, _user = staff_client(company, role="admin")

    response = admin.post(
        "/settings/distribution/",
        {
            "action": ["template", "preview"],
            **FIELDS,
            "template-subject": "Faktura {invoice_number}",
            "template-body": "Hej {customer_name}, att betala: {amount}.",
        },
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<dd id="preview-subject">Faktura {latest.display_number}</dd>' in html
    assert "Hej Anna Andersson, att betala: 1\xa0250,00\xa0kr." in html
    assert "<html" not in html  # the panel only
    assert not EmailTemplate.objects.exists()


@pytest.mark.django_db
def test_the_preview_with_an_invoice_the_user_picks_and_only_the_companys_own(company, admin_user):
    first = issued_invoice(company, admin_user, "100", customer=PersonFactory(company=company, name="Bertil Berg"))
    second = issued_invoice(company, admin_user, "200")
    other_company = CompanyFactory()
    foreign = [issued_invoice(other_company, admin_user, "300") for _ in range(3)][-1]
    assert foreign.number not in (first.number, second.number)
    admin, _user = staff_client(company, role="admin")

    def preview(number: str) -> str:
        data = {"action": "preview", **FIELDS, "template-subject": "{invoice_number}"}
        data |= {"template-body": "{customer_name}", "template-preview_invoice": number}
        return admin.post("/settings/distribution/", data, headers={"HX-Request": "true"}).content.decode()

    picked = preview(first.display_number)
    assert f'<dd id="preview-subject">{first.display_number}</dd>' in picked
    assert "Bertil Berg" in picked
    assert f"There is no issued invoice {foreign.display_number}." in preview(foreign.display_number)
    refused = preview("{customer_name}")
    assert "There is no issued invoice" in refused


@pytest.mark.django_db
def test_the_preview_names_an_unknown_variable_instead(company, admin_user):
    issued_invoice(company, admin_user, "100")
    admin, _user = staff_client(company, role="admin")

    html = admin.post(
        "/settings/distribution/",
        {"action": "preview", **FIELDS, "template-subject": "Faktura", "template-body": "Hej {namn}"},
        headers={"HX-Request": "true"},
    ).content.decode()

    assert "Unknown variable {namn}" in html
    assert "preview-subject" not in html


@pytest.mark.django_db
def test_the_preview_says_so_when_the_company_has_no_issued_invoice(company):
    admin, _user = staff_client(company, role="admin")

    html = admin.post(
        "/settings/distribution/",
        {"action": "preview", **FIELDS, "template-subject": "Faktura", "template-body": "Hej"},
        headers={"HX-Request": "true"},
    ).content.decode()

    assert "There is no issued invoice to preview with yet." in html


@pytest.mark.django_db
def test_without_htmx_the_preview_is_on_the_whole_page_with_the_form_as_typed(company, admin_user):
    invoice = issued_invoice(company, admin_user, "100")
    admin, _user = staff_client(company, role="admin")

    response = admin.post(
        "/settings/distribution/",
        {
            "action": ["template", "preview"],
            **FIELDS,
            "template-subject": "Nr {invoice_number}",
            "template-body": "Hej",
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<dd id="preview-subject">Nr {invoice.display_number}</dd>' in html
    assert 'value="Nr {invoice_number}"' in html
    assert not EmailTemplate.objects.exists()
