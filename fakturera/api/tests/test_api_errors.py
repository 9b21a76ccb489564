"""What an integrator reads when the API refuses a value the schemas check: our own
words, saying what is wrong and what to send instead, in the request's language,
never pydantic's English with its regexes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fakturera.api.tests.api_clients import LINES, ApiClient, api_for, error_of, new_key
from fakturera.api.v1.errors import message_for
from fakturera.catalog.models import Product
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Channel, Customer

pytestmark = pytest.mark.django_db

DECIMAL = (
    'Give a number with a point as decimal separator, as a string, such as "1250.00" '
    "(no sign, at most 10 digits before the point and 4 after)."
)
QUANTITY = (
    'Give a number with a point as decimal separator, as a string, such as "1250.00" '
    "(no sign, at most 9 digits before the point and 3 after)."
)
DATE = "Give a date as YYYY-MM-DD, such as 2026-11-20."
WHOLE = "Give a whole number, such as 30."
SEARCH = "Give at most 200 characters of search text, without NUL characters."


def _invoice(**changes: Any) -> dict[str, Any]:
    # Schemas are checked before the view runs, so the customer need not exist.
    return {"customer_id": 1, "lines": LINES, **changes}


def _line(**changes: Any) -> dict[str, Any]:
    return _invoice(lines=[{"description": "Massage", "unit_price": "695.00", **changes}])


# (method, path, body or query, field, message): one failing field each.
REFUSALS = [
    pytest.param("post", "/persons", {}, "name", "This field is required.", id="missing"),
    pytest.param("post", "/persons", {"name": "x" * 201}, "name", "At most 200 characters.", id="string_too_long"),
    pytest.param("post", "/persons", {"name": 5}, "name", "Give a text string, in double quotes.", id="string_type"),
    pytest.param("post", "/invoices", _line(unit_price="12,50"), "lines.0.unit_price", DECIMAL, id="decimal_comma"),
    pytest.param("post", "/invoices", _line(unit_price=12.5), "lines.0.unit_price", DECIMAL, id="decimal_number"),
    pytest.param("post", "/invoices", _line(quantity="-1"), "lines.0.quantity", QUANTITY, id="decimal_sign"),
    pytest.param(
        "post", "/products", {"name": "Bok", "unit_price": "1" * 11}, "unit_price", DECIMAL, id="decimal_long"
    ),
    pytest.param(
        "post",
        "/persons",
        {"name": "Anna", "country": "se"},
        "country",
        "Give a two-letter country code in capitals, such as SE.",
        id="country_code",
    ),
    pytest.param(
        "post",
        "/persons",
        {"name": "Anna", "email": "anna@"},
        "email",
        "Give an e-mail address such as anna@example.se, or an empty string for none.",
        id="email_address",
    ),
    pytest.param(
        "post",
        "/invoices",
        _line(vat_category="Q"),
        "lines.0.vat_category",
        "Choose one of: S, Z, E, AE, K, G, O.",
        id="literal_vat_category",
    ),
    pytest.param(
        "post", "/invoices", _invoice(currency="XXX"), "currency", "Choose one of: SEK, DKK, NOK, EUR.", id="literal"
    ),
    pytest.param(
        "post",
        "/persons",
        {"name": "Anna", "preferred_channel": "fax"},
        "preferred_channel",
        'Choose one of: "", ' + ", ".join(Channel.values) + ".",
        id="literal_with_empty_choice",
    ),
    pytest.param(
        "get", "/invoices", {"status": "paid"}, "status", "Choose one of: draft, issued, credited.", id="literal_query"
    ),
    pytest.param("post", "/invoices", _invoice(customer_id="x"), "customer_id", WHOLE, id="int_parsing"),
    pytest.param("get", "/invoices/abc", {}, "invoice_id", WHOLE, id="int_parsing_path"),
    pytest.param(
        "post",
        "/persons",
        {"name": "Anna", "payment_terms_days": 1.5},
        "payment_terms_days",
        "Give a whole number without decimals, such as 30.",
        id="int_from_float",
    ),
    pytest.param("post", "/invoices", _invoice(customer_id=0), "customer_id", "Give a number of at least 1.", id="ge"),
    pytest.param("get", "/persons", {"limit": "0"}, "limit", "Give a number of at least 1.", id="ge_query"),
    pytest.param(
        "post",
        "/persons",
        {"name": "Anna", "payment_terms_days": 366},
        "payment_terms_days",
        "Give a number of at most 365.",
        id="le",
    ),
    pytest.param("get", "/invoices", {"issued_from": "2026-13-01"}, "issued_from", DATE, id="date_parsing"),
    pytest.param("post", "/invoices", _invoice(issued_on="20.11.2026"), "issued_on", DATE, id="date_text"),
    pytest.param("post", "/invoices", _invoice(issued_on="2026-11-20T10:00:00"), "issued_on", DATE, id="date_time"),
    pytest.param("post", "/invoices", _invoice(issue="maybe"), "issue", "Give true or false.", id="bool_parsing"),
    pytest.param("get", "/invoices", {"is_overdue": "maybe"}, "is_overdue", "Give true or false.", id="bool_query"),
    pytest.param("post", "/invoices", _invoice(lines="none"), "lines", "Give a list (a JSON array).", id="list_type"),
    pytest.param(
        "post", "/invoices", _invoice(lines=LINES[:1] * 1001), "lines", "Give at most 1000 items.", id="list_too_long"
    ),
    pytest.param("get", "/persons", {"q": "Anna\x00"}, "q", SEARCH, id="search_text_nul"),
    pytest.param("get", "/invoices", {"q": "x" * 201}, "q", SEARCH, id="search_text_long"),
]


@pytest.fixture
def api(company):
    return api_for(company)


def _send(api: ApiClient, method: str, path: str, payload: dict[str, Any]):
    if method == "get":
        return api.get(path, **payload)
    return api.post(path, payload)


@pytest.mark.parametrize(("method", "path", "payload", "field", "message"), REFUSALS)
def test_a_refused_value_is_named_and_explained(api, method, path, payload, field, message):
    # when a request with one wrong value is sent
    response = _send(api, method, path, payload)

    # then it is a 422 naming the field, with our message, and nothing is written
    assert response.status_code == 422, response.content
    error = error_of(response)
    assert (error["code"], error["field"], error["message"]) == ("validation_failed", field, message)
    assert error["errors"] == {field: [message]}
    assert (Customer.objects.count(), Invoice.objects.count(), Product.objects.count()) == (0, 0, 0)


def test_every_refused_field_has_its_own_message(api):
    response = api.post("/invoices", {"lines": [{"unit_price": "12,50", "vat_category": "Q"}], "issue": "maybe"})

    assert response.status_code == 422
    assert error_of(response)["errors"] == {
        "customer_id": ["This field is required."],
        "lines.0.description": ["This field is required."],
        "lines.0.unit_price": [DECIMAL],
        "lines.0.vat_category": ["Choose one of: S, Z, E, AE, K, G, O."],
        "issue": ["Give true or false."],
    }


def test_messages_follow_the_requests_language(company, settings):
    from fakturera.core.tests.test_translations import _compile_swedish

    _compile_swedish()
    # Assigning LOCALE_PATHS makes Django drop the translations it has already loaded.
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)
    api = ApiClient(new_key(company).token)
    api.client = Client(headers={"Accept-Language": "sv"})

    response = api.post("/invoices", _line(unit_price="12,50", vat_category="Q"))

    assert response.status_code == 422
    assert error_of(response)["errors"] == {
        "lines.0.unit_price": [
            'Ange ett tal med punkt som decimaltecken, som en sträng, till exempel "1250.00" '
            "(utan förtecken, högst 10 siffror före punkten och 4 efter)."
        ],
        "lines.0.vat_category": ["Välj ett av: S, Z, E, AE, K, G, O."],
    }


# Requests beyond REFUSALS, several faults each, some of them odd.
ODD_REQUESTS = [
    ("post", "/persons", {"name": ["Anna"], "language": 1, "country": None, "notes": {"a": 1}}),
    ("post", "/invoices", {"customer_id": 10**30, "lines": [1, "line", None, {}], "issued_on": 12345}),
    ("post", "/invoices", {"customer_id": 1.5, "lines": [{"description": "A", "unit_price": "1e3", "quantity": ""}]}),
    ("post", "/invoices/1/credit", {"lines": [{"line_id": "first", "quantity": "1.1234567"}], "issued_on": True}),
    ("post", "/products", {"name": "Bok", "unit_price": "1.", "vat_rate": " 25", "is_active": "ja"}),
    ("get", "/invoices", {"number_from": "-1", "customer_id": "1.0", "limit": "501", "kind": "bill"}),
    ("get", "/organisations", {"offset": "x"}),
]


@pytest.mark.parametrize("language", ["en", "sv"])
def test_no_message_shows_pydantics_own_words(company, settings, language):
    from fakturera.core.tests.test_translations import _compile_swedish

    _compile_swedish()
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)
    api = ApiClient(new_key(company).token)
    api.client = Client(headers={"Accept-Language": language})
    requests = [param.values[:3] for param in REFUSALS] + ODD_REQUESTS

    messages = []
    for method, path, payload in requests:
        response = _send(api, method, path, payload)
        assert response.status_code == 422, (path, payload, response.content)
        error = error_of(response)
        messages += [error["message"], *(text for texts in error["errors"].values() for text in texts)]

    leaks = [text for text in messages if any(word in text for word in ("pattern", "Input should", "^", "should"))]
    assert not leaks
    assert "This value is not valid." not in messages  # every failure these requests make has its own words


@pytest.mark.parametrize(
    ("error", "message"),
    [
        # Types no schema of v1 produces today, worded for the day one does.
        ({"type": "extra_forbidden"}, "This field is unknown; leave it out."),
        ({"type": "string_too_short", "ctx": {"min_length": 1}}, "At least 1 character."),
        ({"type": "too_short", "ctx": {"field_type": "List", "min_length": 2}}, "Give at least 2 items."),
        ({"type": "greater_than", "ctx": {"gt": 0}}, "Give a number greater than 0."),
        ({"type": "less_than", "ctx": {"lt": "2100-01-01"}}, "Give a date before 2100-01-01."),
        ({"type": "enum", "ctx": {"expected": "'a' or 'b'"}}, "Choose one of: a, b."),
        ({"type": "model_type"}, "Give a JSON object with the fields the API documentation lists."),
        ({"type": "json_invalid"}, "The request body is not valid JSON."),
        ({"type": "int_parsing_size"}, "This number has too many digits."),
        (
            {"type": "decimal_parsing"},
            'Give a number with a point as decimal separator, as a string, such as "1250.00".',
        ),
        ({"type": "decimal_max_places", "ctx": {"decimal_places": 2}}, "At most 2 digits after the decimal point."),
        (
            {"type": "string_pattern_mismatch", "ctx": {"pattern": "^[0-9]+$"}},
            "This text is not in the form the API documentation gives for this field.",
        ),
        # Unknown types and unexpected contexts: nothing of pydantic's text gets through.
        (
            {"type": "value_error", "msg": "Value error, internal detail", "ctx": {"error": "x"}},
            "This value is not valid.",
        ),
        ({"type": "string_too_long", "msg": "String should have at most"}, "This value is not valid."),
        ({"type": "literal_error", "ctx": {"expected": "nothing quoted"}}, "This value is not valid."),
        ({}, "This value is not valid."),
    ],
)
def test_each_pydantic_error_type_has_words_or_the_generic_ones(error, message):
    assert message_for(error) == message


DATE_RANGE = "Give a date from 2000-01-01 to 2099-12-31."


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param(_invoice(issue=True, issued_on="1999-12-31"), "issued_on", id="before"),
        pytest.param(_line(period_end="2100-01-01"), "lines.0.period_end", id="after"),
    ],
)
def test_a_date_outside_the_kept_years_is_refused_by_rule(api, payload, field):
    # when a well-formed date outside the years the database keeps is sent
    response = api.post("/invoices", payload)

    # then it is refused by rule (the document allows any date's form), the field named
    assert response.status_code == 422, response.content
    error = error_of(response)
    assert (error["code"], error["field"], error["message"]) == ("refused", field, DATE_RANGE)
    assert Invoice.objects.count() == 0


def test_numbers_and_truth_values_in_a_body_are_json_not_text(api):
    # when a body sends a number as text and a truth value as 0
    response = api.post("/persons", {"name": "Anna", "payment_terms_days": "30"})
    flagged = api.post("/products", {"name": "Massage", "unit_price": "695", "is_active": 0})

    # then both are refused for their form: what the document states is what is read
    assert (response.status_code, error_of(response)["field"]) == (422, "payment_terms_days")
    assert (flagged.status_code, error_of(flagged)["field"]) == (422, "is_active")
    assert (Customer.objects.count(), Product.objects.count()) == (0, 0)


def test_an_unknown_query_parameter_is_refused_and_named(api):
    # when a list is asked for with a misspelt filter
    response = api.get("/invoices", stauts="issued")

    # then it is refused, naming the parameter, instead of answering every invoice
    assert response.status_code == 422, response.content
    error = error_of(response)
    assert (error["code"], error["field"]) == ("validation_failed", "stauts")
    assert error["message"] == "This query parameter is unknown; leave it out."


def test_an_unknown_query_parameter_without_a_key_is_still_a_401(client):
    response = client.get("/api/v1/invoices", {"stauts": "issued"})
    assert response.status_code == 401
