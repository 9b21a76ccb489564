"""The message for a bad organisation number, as a person sees it in Chromium."""

import pytest

from fakturera.parties.models import Customer

pytestmark = pytest.mark.browser


def test_bad_org_number_is_shown_next_to_the_field_and_no_customer_is_created(staff_page):
    # given
    page, company, _user = staff_page
    page.goto("/customers/")
    page.get_by_role("link", name="New organisation").click()

    # when
    page.fill("input[name=name]", "Tandvården Syd AB")
    page.fill("input[name=org_number]", "556732-1708")
    page.fill("input[name=email]", "faktura@tandsyd.se")
    page.get_by_role("button", name="Save").click()

    # then
    field = page.locator(".field", has=page.locator("input[name=org_number]"))
    error = field.locator(".error")
    error.wait_for()
    assert error.is_visible()
    assert error.inner_text() == (
        "“556732-1708” is not a valid Swedish organisation number: the check digit does not match."
    )
    assert page.input_value("input[name=org_number]") == "556732-1708"
    assert page.locator(".errorbox").inner_text() == "Nothing was saved. Please correct the fields marked below."
    assert Customer.objects.filter(company=company).count() == 0
