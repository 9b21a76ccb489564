"""In Chromium: a manager's approval e-mail held by the limit per address, and staff
approving on the manager's behalf from the registration's page."""

import pytest
from django.core import mail

from fakturera.courses.models import Registration, RegistrationEventKind
from fakturera.courses.tests.factories import make_occurrence, submit

pytestmark = pytest.mark.browser


def test_staff_approve_a_held_registration_on_the_managers_behalf(staff_page, settings):
    # given: two registrations naming the same manager, whose address gets one approval e-mail a day
    settings.COURSE_APPROVAL_MAIL_LIMIT = "1/86400"
    page, company, user = staff_page
    occurrence = make_occurrence(company, approval=True)
    submit(occurrence, name="Anna Lind", manager_email="chef@firma.example", manager_name="Karin Chef")
    held = submit(occurrence, name="Bo Berg", email="bo.berg@firma.example", manager_email="chef@firma.example")
    assert [m.to for m in mail.outbox] == [["chef@firma.example"]]

    # when: staff open the occurrence's registrations
    page.goto(f"/courses/occurrences/{occurrence.pk}/")
    row = page.locator(f"#registration-{held.pk}")

    # then: the held mail shows on its row
    assert "Approval e-mail held" in row.inner_text()
    assert "Approval e-mail held" not in page.locator("#registrations tbody tr").first.inner_text()

    # when: they open it and approve on the manager's behalf
    row.get_by_role("link", name="Open").click()
    page.locator("#approval-mail-held").wait_for()
    page.get_by_role("button", name="Approve on the manager's behalf").click()

    # then: the registration is received, ready to process, and the history names the staff user
    page.get_by_text("The registration is approved on the manager's behalf.").wait_for()
    assert page.locator("#registration-status").inner_text() == "Received, to be processed"
    history = page.locator("#history").inner_text()
    name = user.get_full_name() or user.get_username()
    assert f"Approved by {name} on behalf of the manager (chef@firma.example)." in history
    assert "Approval e-mail to chef@firma.example held" in history
    assert page.get_by_role("button", name="Process and add to the basis").is_visible()
    assert page.locator("#approval").count() == 0
    held.refresh_from_db()
    assert held.status == "received"
    assert held.events.get(kind=RegistrationEventKind.APPROVED_ON_BEHALF).actor == user
    assert Registration.objects.filter(status="awaiting_approval").count() == 1
    assert len(mail.outbox) == 1
