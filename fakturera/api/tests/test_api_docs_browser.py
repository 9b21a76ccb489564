"""The API documentation (/api/v1/docs) works offline: Swagger UI's files are our static
files (django-ninja's, through the "ninja" app), nothing is fetched from another host, and
the page passes our Content-Security-Policy (no inline script, no data: images, no
validator badge from swagger.io)."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from fakturera.staff.tests.test_csp_browser import Violations

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


@pytest.mark.browser
def test_the_docs_render_every_operation_with_other_hosts_blocked_and_nothing_refused(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    elsewhere: list[str] = []

    def only_this_machine(route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    context.route("**/*", only_this_machine)
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = Violations(page)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    try:
        violations.visit("/api/v1/docs")
        page.locator(".swagger-ui .opblock").first.wait_for()
        operations = page.locator(".swagger-ui .opblock").count()
        schema = json.loads(Client().get("/api/v1/openapi.json").content)
        expected = sum(
            len([m for m in item if m in {"get", "post", "put", "patch", "delete"}])
            for item in schema["paths"].values()
        )
        assert operations == expected
        # One operation opened, with its parameters and responses (their styles and icons too).
        page.locator(".swagger-ui .opblock-summary").first.click()
        page.locator(".swagger-ui .opblock-body .responses-wrapper").first.wait_for()
        page.wait_for_load_state("networkidle")
        violations.check("the API documentation with an operation open")
        assert not elsewhere, f"the docs asked other hosts for {elsewhere}"
        assert not failed, f"requests failed: {failed}"
        assert not page.locator(".swagger-ui img[src*='validator']").count()
    finally:
        context.close()


def test_the_docs_page_loads_swagger_from_our_static_files_without_the_validator():
    html = Client().get("/api/v1/docs").content.decode()

    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts
    assert all(src.startswith("/static/") for src in scripts), scripts
    assert not re.search(r"https?://", re.sub(r'"url": "[^"]*"', "", html)), "a link to another host"
    settings = json.loads(
        re.search(r'<script type="application/json" id="swagger-settings">(.*?)</script>', html, re.S).group(1)
    )
    assert settings["validatorUrl"] is None  # else a badge image from validator.swagger.io, which the policy refuses
