"""Two-factor authentication in Chromium: turn it on with the QR code's key and a code, log
out, log in again with the password and then a code."""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP

pytestmark = pytest.mark.browser


def code_for(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app that scanned `secret` shows (so many 30-second steps on)."""
    key = b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def test_turn_on_log_out_and_log_in_with_a_code(staff_page):
    page, _company, user = staff_page

    # when: the user turns two-factor authentication on from the security page
    page.goto("/basis/")
    page.get_by_role("link", name=user.username).click()
    page.get_by_role("button", name="Set up two-factor authentication").click()
    page.locator(".qr-code svg").wait_for(state="visible")  # the button posts: wait for the answer
    secret = page.locator("#totp-secret").inner_text()
    page.fill("input[name=code]", code_for(secret))
    page.get_by_role("button", name="Turn on").click()
    page.locator("#recovery-codes").wait_for()
    assert len(page.locator(".recovery-codes li").all_inner_texts()) == 10

    # and logs out, and in again with the password
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login/"))
    page.goto("/invoices/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "secret-pass-1")
    page.click("button[type=submit]")

    # then a code is asked for before any staff page
    page.wait_for_url(re.compile(r"/login/code/"))
    page.get_by_role("heading", name="Enter your code").wait_for()
    page.goto("/customers/")
    assert "/login/code/" in page.url

    page.fill("input[name=code]", code_for(secret, steps_ahead=1))  # a code not used yet
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/customers/$"))
    assert page.get_by_role("heading", name="Customers").first.is_visible()
