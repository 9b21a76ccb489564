"""Company settings and staff roles: administrators only; identifiers checked by
company_update; a changed basis source moves the basis with it."""

import datetime as dt
import io
import os
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from fakturera.billables.models import BasisItem
from fakturera.billables.services import booking_create, journal_note_create
from fakturera.catalog.tests.factories import ContactTypeFactory, TreatmentTypeFactory
from fakturera.core.models import StoredFile
from fakturera.parties.models import Company, CompanyUser, Invitation
from fakturera.parties.tests.factories import CompanyFactory, PersonFactory, StaffFactory
from fakturera.staff.tests.staff_clients import field_errors, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # Nothing may be written there: uploads go to the database (core.storage).
    settings.MEDIA_ROOT = tmp_path / "media"


def settings_post(company: Company, **changes: object) -> dict[str, object]:
    """What the settings form posts for `company` as it is, with `changes`."""
    data: dict[str, object] = {
        name: getattr(company, name)
        for name in (
            "name", "country", "org_number", "vat_number", "bankgiro", "iban", "bic", "peppol_id", "email",
            "phone", "website", "address_line1", "address_line2", "postal_code", "city", "brand_colour",
            "basis_source", "payment_terms_days", "default_currency", "pdf_template",
        )
    }  # fmt: skip
    for flag in ("is_f_tax_approved", "is_rounding_to_whole_units", "has_ocr_length_digit",
                 "is_invoicing_organisation_of_person", "is_embedding_pdf_in_ubl"):  # fmt: skip
        if getattr(company, flag):
            data[flag] = "on"
    data.update(changes)
    return data


def image_file(image_format: str, *, size: tuple[int, int] = (40, 20), noise: bool = False) -> SimpleUploadedFile:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (31, 78, 121))
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    extension = {"JPEG": "jpg"}.get(image_format, image_format.lower())
    return SimpleUploadedFile(f"logo.{extension}", buffer.getvalue(), content_type=f"image/{extension}")


# --- who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["accountant", "read_only"])
def test_only_administrators_reach_the_settings(client, company, role):
    # given
    log_in(client, company, role=role)
    name = company.name

    # when
    responses = [
        client.get(reverse("staff:company_settings")),
        client.post(reverse("staff:company_settings"), settings_post(company, name="Taken Over AB")),
        client.get(reverse("staff:company_staff")),
        client.post(reverse("staff:company_staff"), {"action": "add", "username": "someone", "role": "admin"}),
    ]

    # then
    company.refresh_from_db()
    assert [r.status_code for r in responses] == [403] * 4
    assert company.name == name


def test_settings_edit_other_companies_never(client, company):
    # given
    log_in(client, company, role="admin")
    other = CompanyFactory(name="Other AB")

    # when
    client.post(reverse("staff:company_settings"), settings_post(company, name="Renamed AB"))

    # then
    other.refresh_from_db()
    company.refresh_from_db()
    assert (company.name, other.name) == ("Renamed AB", "Other AB")


# --- legal data and invoicing settings --------------------------------------------------------------


def test_save_legal_data_and_invoicing_settings(client, company):
    # given
    log_in(client, company, role="admin")

    # when
    response = client.post(
        reverse("staff:company_settings"),
        settings_post(
            company,
            name="Klinik Norr AB",
            org_number="5567321707",
            vat_number="SE556732170701",
            bankgiro="9912346",
            iban="SE45 5000 0000 0583 9825 7466",
            bic="ESSESESS",
            peppol_id="0007:5567321707",
            website="https://norr.example.se",
            brand_colour="#AA3300",
            payment_terms_days="20",
            default_currency="EUR",
            is_rounding_to_whole_units="on",
            has_ocr_length_digit="on",
            is_f_tax_approved="",
        ),
    )

    # then
    company.refresh_from_db()
    assert response.status_code == 302
    assert response.url == reverse("staff:company_settings")
    assert company.name == "Klinik Norr AB"
    assert company.org_number == "556732-1707"
    assert company.vat_number == "SE556732170701"
    assert company.bankgiro == "991-2346"
    assert company.iban == "SE4550000000058398257466"
    assert company.bic == "ESSESESS"
    assert company.peppol_id == "0007:5567321707"
    assert company.brand_colour == "#aa3300"
    assert company.payment_terms_days == 20
    assert company.default_currency == "EUR"
    assert company.is_rounding_to_whole_units is True
    assert company.has_ocr_length_digit is True
    assert company.is_f_tax_approved is False


def test_bad_org_number_is_explained_and_nothing_is_saved(client, company):
    # given
    log_in(client, company, role="admin")
    before = Company.objects.values().get(pk=company.pk)

    # when
    response = client.post(
        reverse("staff:company_settings"), settings_post(company, name="Changed AB", org_number="556732-1708")
    )

    # then
    assert response.status_code == 400
    assert field_errors(response, "org_number") == [
        "“556732-1708” is not a valid Swedish organisation number: the check digit does not match."
    ]
    assert Company.objects.values().get(pk=company.pk) == before


def test_bad_peppol_id_and_bankgiro_are_explained_at_once(client, company):
    # given
    log_in(client, company, role="admin")
    before = Company.objects.values().get(pk=company.pk)

    # when
    response = client.post(
        reverse("staff:company_settings"), settings_post(company, peppol_id="0007:123", bankgiro="991-2347")
    )

    # then
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "peppol_id": ["“123” is not a valid Swedish organisation number, which scheme 0007 requires."],
        "bankgiro": ["“991-2347” is not a valid bankgiro number: the check digit does not match."],
    }
    assert Company.objects.values().get(pk=company.pk) == before


def test_payment_terms_out_of_range_are_refused(client, company):
    # given
    log_in(client, company, role="admin")

    # when
    response = client.post(reverse("staff:company_settings"), settings_post(company, payment_terms_days="400"))

    # then
    company.refresh_from_db()
    assert response.status_code == 400
    assert field_errors(response, "payment_terms_days") == ["Payment terms are 0 to 365 days."]
    assert company.payment_terms_days == 30


def test_another_companys_org_number_is_refused(client, company):
    # given
    log_in(client, company, role="admin")
    other = CompanyFactory()
    mine = company.org_number

    # when
    response = client.post(reverse("staff:company_settings"), settings_post(company, org_number=other.org_number))

    # then
    company.refresh_from_db()
    assert response.status_code == 400
    assert field_errors(response, "org_number") == ["Another company already has this organisation number."]
    assert company.org_number == mine


# --- logo -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_logo_png_or_jpeg_is_stored(client, company, image_format, settings):
    # given
    log_in(client, company, role="admin")

    # when
    response = client.post(reverse("staff:company_settings"), settings_post(company, logo=image_file(image_format)))

    # then
    company.refresh_from_db()
    assert response.status_code == 302
    assert company.logo.name.startswith(f"logos/{company.pk}/logo")
    stored = StoredFile.objects.get(name=company.logo.name)
    with Image.open(io.BytesIO(bytes(stored.content))) as image:
        assert (image.format, image.size) == (image_format, (40, 20))
    assert not (settings.MEDIA_ROOT).exists()  # nothing on the machine's disk
    # and the settings page shows it, from the staff view that reads it from the database
    page = client.get(reverse("staff:company_settings")).content.decode()
    shown = reverse("staff:company_logo")
    assert f'src="{shown}?v=' in page
    answered = client.get(shown)
    assert answered.status_code == 200
    assert answered["Content-Type"] == {"PNG": "image/png", "JPEG": "image/jpeg"}[image_format]
    assert answered.content == bytes(stored.content)


def test_the_logo_view_answers_only_the_own_company_and_404_without_one(client, company):
    # given another company with a logo, and ours without one
    CompanyFactory(logo="logos/theirs.png")
    StoredFile.objects.create(name="logos/theirs.png", content=b"x", size=1, sha256="0" * 64)
    log_in(client, company, role="read_only")

    # when / then: the view answers the active company's logo only
    assert client.get(reverse("staff:company_logo"), {"v": "logos/theirs.png"}).status_code == 404


def test_logo_can_be_cleared(client, company):
    # given
    log_in(client, company, role="admin")
    client.post(reverse("staff:company_settings"), settings_post(company, logo=image_file("PNG")))

    # when
    response = client.post(reverse("staff:company_settings"), settings_post(company, **{"logo-clear": "on"}))

    # then
    company.refresh_from_db()
    assert response.status_code == 302
    assert company.logo.name == ""


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: image_file("GIF"), "The logo must be a PNG or JPEG image; this one is GIF."),
        (
            lambda: SimpleUploadedFile("logo.png", b"%PDF-1.7 not an image", content_type="image/png"),
            "The logo must be a PNG or JPEG image; this file is not an image.",
        ),
        (lambda: image_file("PNG", size=(1000, 1000), noise=True), "The logo is 2.9 MB; it may be at most 2 MB."),
    ],
    ids=["gif", "not-an-image", "too-large"],
)
def test_bad_logo_is_explained_and_nothing_is_saved(client, company, upload, message):
    # given
    log_in(client, company, role="admin")
    name = company.name

    # when
    response = client.post(reverse("staff:company_settings"), settings_post(company, name="Changed AB", logo=upload()))

    # then
    company.refresh_from_db()
    assert response.status_code == 400
    assert field_errors(response, "logo") == [message]
    assert company.logo.name == ""
    assert company.name == name


# --- basis source ---------------------------------------------------------------------------------


def test_switching_the_basis_source_moves_the_basis(client, company):
    # given
    user = log_in(client, company, role="admin")
    customer = PersonFactory(company=company)
    booking = booking_create(
        company=company,
        customer=customer,
        treatment_type=TreatmentTypeFactory(company=company),
        starts_at=timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0)),
    )
    note = journal_note_create(
        company=company,
        customer=customer,
        contact_type=ContactTypeFactory(company=company, unit_price=Decimal("500.00")),
        noted_on=dt.date(2026, 11, 2),
    )

    # when
    response = client.post(reverse("staff:company_settings"), settings_post(company, basis_source="journal_notes"))

    # then
    company.refresh_from_db()
    booking_item = BasisItem.objects.get(booking=booking)
    note_item = BasisItem.objects.get(journal_note=note)
    assert response.status_code == 302
    assert company.basis_source == "journal_notes"
    assert (booking_item.status, booking_item.removed_because) == ("removed", "basis_source")
    assert (note_item.status, note_item.unit_price, note_item.created_by) == ("open", Decimal("500.0000"), user)


def test_a_refused_save_does_not_switch_the_basis_source(client, company):
    # given
    log_in(client, company, role="admin")

    # when
    response = client.post(
        reverse("staff:company_settings"),
        settings_post(company, basis_source="journal_notes", vat_number="SE1"),
    )

    # then
    company.refresh_from_db()
    assert response.status_code == 400
    assert company.basis_source == "bookings"


# --- staff and roles ------------------------------------------------------------------------------


def test_staff_list_shows_users_and_roles_of_this_company_only(client, company):
    # given
    admin = log_in(client, company, role="admin")
    reader = StaffFactory(company=company, role="read_only").user
    outsider = StaffFactory(company=CompanyFactory()).user

    # when
    response = client.get(reverse("staff:company_staff"))

    # then
    assert response.status_code == 200
    assert sorted((m.user.username, m.role) for m in response.context["members"]) == sorted(
        [(admin.username, "admin"), (reader.username, "read_only")]
    )
    assert outsider.username not in response.content.decode()


def test_an_existing_user_of_another_company_is_never_attached_directly(client, company):
    # given: a user who works for another company
    log_in(client, company, role="admin")
    other = StaffFactory(role="admin").user
    url = reverse("staff:company_staff")

    # when: the old way (a user name) and an invitation of their e-mail address
    by_name = client.post(url, {"action": "add", "username": other.username, "role": "accountant"})
    invited = client.post(url, {"action": "invite", "email": other.email, "role": "accountant"})

    # then: no role without their consent, only an open invitation
    assert by_name.status_code == 400
    assert invited.status_code == 302
    assert not CompanyUser.objects.filter(company=company, user=other).exists()
    assert Invitation.objects.get(company=company).email == other.email


def test_change_a_role(client, company):
    # given
    log_in(client, company, role="admin")
    member = StaffFactory(company=company, role="read_only")

    # when
    response = client.post(
        reverse("staff:company_staff"), {"action": "role", "member": member.pk, "role": "accountant"}
    )

    # then
    member.refresh_from_db()
    assert response.status_code == 302
    assert member.role == "accountant"


def test_the_last_administrator_cannot_step_down(client, company):
    # given
    admin = log_in(client, company, role="admin")
    membership = CompanyUser.objects.get(company=company, user=admin)

    # when
    response = client.post(
        reverse("staff:company_staff"), {"action": "role", "member": membership.pk, "role": "read_only"}
    )

    # then
    membership.refresh_from_db()
    assert response.status_code == 400
    assert "The company needs at least one administrator" in response.content.decode()
    assert membership.role == "admin"


def test_another_companys_staff_membership_is_404(client, company):
    # given
    log_in(client, company, role="admin")
    theirs = StaffFactory(company=CompanyFactory(), role="accountant")

    # when
    response = client.post(reverse("staff:company_staff"), {"action": "role", "member": theirs.pk, "role": "admin"})

    # then
    theirs.refresh_from_db()
    assert response.status_code == 404
    assert theirs.role == "accountant"


def test_remove_a_user_from_the_company_but_never_the_last_administrator(client, company):
    # given
    admin = log_in(client, company, role="admin")
    member = StaffFactory(company=company, role="accountant")
    own = CompanyUser.objects.get(company=company, user=admin)

    # when
    client.post(reverse("staff:company_staff"), {"action": "remove", "member": member.pk})
    response = client.post(reverse("staff:company_staff"), {"action": "remove", "member": own.pk}, follow=True)

    # then
    assert not CompanyUser.objects.filter(pk=member.pk).exists()
    assert CompanyUser.objects.filter(pk=own.pk).exists()
    assert "The company needs at least one administrator" in response.content.decode()


def test_a_member_of_another_company_cannot_be_removed(client, company):
    # given
    log_in(client, company, role="admin")
    theirs = StaffFactory(company=CompanyFactory(), role="accountant")

    # when
    response = client.post(reverse("staff:company_staff"), {"action": "remove", "member": theirs.pk})

    # then
    assert response.status_code == 404
    assert CompanyUser.objects.filter(pk=theirs.pk).exists()
