"""A URL configuration for the browser test of the charts (test_charts_browser.py): the site's
own URLs and one page that shows two charts, until the pages that use them exist."""

from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from fakturera.staff.charts import Band, BarChart, Category, HorizontalBarChart, Series

PAGE = """{% extends "staff/base.html" %}{% load charts %}
{% block content %}<div class="card">{% chart forecast %}</div><div class="card">{% chart aged %}</div>{% endblock %}"""


def charts_page(request: HttpRequest) -> HttpResponse:
    weeks = [f"Week {number}" for number in range(49, 61)]
    forecast = BarChart(
        title="Cash-in forecast",
        currency="SEK",
        key="forecast",
        category_heading="Week",
        categories=[Category("Overdue", mark="overdue"), *weeks],
        series=[
            Series("Invoices due", [Decimal(40000)] + [Decimal(1000 * n) for n in range(12)]),
            Series("Recurring", [None] + [Decimal(5000)] * 12),
        ],
        band=Band(
            "Likely range",
            [None] + [Decimal(800 * n + 4000) for n in range(12)],
            [None] + [Decimal(1300 * n + 6000) for n in range(12)],
        ),
    )
    aged = HorizontalBarChart(
        title="Receivables by customer",
        currency="SEK",
        key="aged",
        categories=['<script>alert(1)</script> & "quotes" AB', "Ett mycket långt organisationsnamn utan mellanrum AB"],
        series=[Series("", [Decimal("125000"), Decimal("-2500")])],
    )
    template = engines["django"].from_string(PAGE)
    return HttpResponse(template.render({"forecast": forecast, "aged": aged}, request))


urlpatterns = [
    path("charts-for-tests/", charts_page),
    path("", include("fakturera.urls")),
]
