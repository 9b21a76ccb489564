"""Charts in a real page, in Chromium: the drawing shows under the Content-Security-Policy with
its colours from the stylesheet, its title and each bar's tooltip, and on a phone (375 px)
the narrow drawing takes its place without making the page scroll sideways. The pages that
will use the charts do not exist yet: `chart_urls` serves one for the test."""

from __future__ import annotations

import pytest

from fakturera.staff.tests.test_csp_browser import Violations

pytestmark = [pytest.mark.browser, pytest.mark.urls("fakturera.staff.tests.chart_urls")]

NBSP = "\u00a0"


def _fill(locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).fill")


def test_a_chart_shows_its_bars_with_titles_and_fits_a_phone(staff_page):
    page, _company, _user = staff_page
    violations = Violations(page)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    violations.visit("/charts-for-tests/")

    chart = page.get_by_role("img", name="Cash-in forecast")
    assert chart.is_visible()
    assert chart.get_attribute("class") == "chart-svg chart-wide-svg"
    assert not page.locator("#forecast .chart-narrow svg").is_visible()
    overdue = chart.locator("rect[data-value='40000']")
    assert overdue.locator("title").text_content() == f"Overdue, Invoices due: 40,000.00{NBSP}SEK"
    assert overdue.bounding_box()["height"] > 50
    assert _fill(overdue) == "rgb(179, 38, 30)"  # the overdue mark's red, from fakturera.css
    due = chart.locator("rect[data-value='11000']")
    assert due.locator("title").text_content() == f"Week 60, Invoices due: 11,000.00{NBSP}SEK"
    assert _fill(due) == "rgb(31, 78, 121)"
    assert chart.locator("polygon.chart-band-area").is_visible()
    due.hover()  # the tooltip is the browser's own: its text is the <title> read above

    aged = page.get_by_role("img", name="Receivables by customer")
    assert aged.locator("title", has_text="<script>").count() == 1
    assert not dialogs  # the name is text, not a script
    # the figures, for screen readers and paper, are in a table beside the drawing
    table = page.get_by_role("table", name="Cash-in forecast")
    assert table.locator("tbody tr").count() == 13
    violations.check("the charts")

    page.set_viewport_size({"width": 375, "height": 740})
    narrow = page.locator("#forecast .chart-narrow svg")
    narrow.wait_for(state="visible")
    assert not page.locator("#forecast .chart-wide svg").is_visible()
    assert page.get_by_role("img", name="Cash-in forecast").get_attribute("class") == "chart-svg chart-narrow-svg"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = narrow.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 375
    # the axis labels stay readable: at least 10 px high on the phone
    tick = page.locator("#forecast .chart-narrow .chart-axis text").first
    assert tick.bounding_box()["height"] >= 10
    assert page.locator("#aged .chart-narrow svg").is_visible()
    violations.check("the charts on a phone")
