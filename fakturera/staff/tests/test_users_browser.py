"""An invitation as people see it in Chromium: the administrator invites, the person opens
the mailed link, chooses a name and a password, and works with the role they were given."""

import re

import pytest
from django.core import mail

from fakturera.parties.models import CompanyUser

pytestmark = pytest.mark.browser


def test_invite_accept_and_log_in_with_the_new_role(staff_page, browser, live_server):
    # given an administrator on Staff and roles
    page, company, _admin = staff_page
    page.goto("/settings/staff/")

    # when they invite an accountant
    page.fill("#invite-form input[name=email]", "karin@example.se")
    page.select_option("#invite-form select[name=role]", "accountant")
    page.get_by_role("button", name="Send invitation").click()

    # then the invitation is listed and the mail holds the link
    page.locator("#invitations").get_by_text("karin@example.se").wait_for()
    [sent] = mail.outbox
    link = re.search(r"https?://\S+(/invitations/[^/\s]+/)", sent.body).group(1)

    # when the person opens the link in their own browser and sets a password
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    person = context.new_page()
    person.set_default_timeout(10_000)
    person.goto(link)
    person.fill("input[name=name]", "Karin Berg")
    person.fill("input[name=password]", "lång-och-säker-1")
    person.fill("input[name=password_again]", "lång-och-säker-1")
    person.get_by_role("button", name="Accept the invitation").click()

    # then they are in, as an accountant: no Settings in the menu, and settings refused
    person.wait_for_url(re.compile(r"/$"))  # the start page: what needs doing
    assert f"Welcome: you now work for {company.name}." in person.locator(".messages").inner_text()
    assert person.locator("#nav-settings").count() == 0
    person.goto("/settings/")
    assert person.locator("h1").inner_text() == "Not allowed"
    assert CompanyUser.objects.get(company=company, user__email="karin@example.se").role == "accountant"

    # and they log in again later with their e-mail address and password
    person.get_by_role("button", name="Log out").click()
    person.goto("/login/")
    person.fill("input[name=username]", "karin@example.se")
    person.fill("input[name=password]", "lång-och-säker-1")
    person.click("button[type=submit]")
    person.wait_for_url(re.compile(r"/$"))  # the start page: what needs doing
    assert person.locator(".topbar .user").inner_text() == "Karin Berg"
    context.close()
