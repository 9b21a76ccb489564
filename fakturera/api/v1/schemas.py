"""What the API reads and writes. Money, prices, quantities and rates travel as
decimal strings ("1250.00"), never as JSON numbers: a float cannot hold 0.1.

Every string has the length its column allows, so an over-long value is a 422
here rather than a database error; ids are bounded to the database's integers.
Every string of a body takes only the characters core.text allows: one line unless the
field is declared `multiline_text` (BodyIn checks every field, whatever its type).
A refused value is reported by its error type, which errors.py words for the client.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal, get_args

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import AfterValidator, ConfigDict, GetCoreSchemaHandler, ValidationError, model_validator
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError, core_schema

from fakturera.catalog.vat import VatCategory
from fakturera.core.money import CURRENCIES
from fakturera.core.text import MULTI_LINE, TextRule, pydantic_error, refused_character
from fakturera.parties.models import Channel, Language

MAX_ID = 2**63 - 1
# What the database stores as a date, with room for due dates computed from it.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)
SEARCH_MAX_LENGTH = 200


class ReportedAs:
    """Any failure of the annotated type is one error of `error_type` (with `context`),
    which errors.py words for the client: a pattern's regex tells an integrator nothing.

    Checked by pydantic-core itself (a custom-error schema), so a valid value costs
    nothing more; the JSON schema is the inner type's, pattern included. pydantic's
    own message, seen only outside the API, is the type's name.
    """

    def __init__(self, error_type: str, **context: int) -> None:
        self.error_type = error_type
        self.context = context

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.custom_error_schema(
            handler(source),
            custom_error_type=self.error_type,
            custom_error_message=self.error_type.replace("_", " "),
            custom_error_context=self.context or None,
        )


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
DecimalString = Annotated[
    str,
    Field(pattern=r"^\d{1,10}(\.\d{1,6})?$", examples=["1250.00"], description="A decimal number as a string"),
    # A JSON number fails here too, with the same words: money travels as a string.
    ReportedAs("decimal_string", whole_digits=10, decimal_places=6),
]
Currency = Literal[tuple(CURRENCIES)]  # type: ignore[valid-type]
LanguageCode = Literal[tuple(Language.values)]  # type: ignore[valid-type]
ChannelCode = Literal[("", *Channel.values)]  # type: ignore[valid-type]
VatCategoryCode = Literal[tuple(VatCategory.values)]  # type: ignore[valid-type]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["SE"]), ReportedAs("country_code")]
BoundedDate = Annotated[dt.date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]
# A query parameter is always a string: only its length or a NUL (PostgreSQL takes none in text) fails.
SearchText = Annotated[
    str,
    Field(max_length=SEARCH_MAX_LENGTH, pattern=r"^[^\x00]*$"),
    ReportedAs("search_text", max_length=SEARCH_MAX_LENGTH),
]


def _email(value: str) -> str:
    value = value.strip()
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise PydanticCustomError("email_address", "not a valid e-mail address") from None
    return value


Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]


def _scale(places: int) -> Any:
    exponent = Decimal(1).scaleb(-places)
    return AfterValidator(lambda value: value.quantize(exponent))


# Out: each kind of figure with the scale it is stored with, however it was computed.
Amount = Annotated[Decimal, _scale(2)]
Price = Annotated[Decimal, _scale(4)]
Quantity = Annotated[Decimal, _scale(3)]
Rate = Annotated[Decimal, _scale(2)]


def text(max_length: int) -> Any:
    """One line of text (core.text: no control character, line break, tab or direction override;
    BodyIn checks it)."""
    return Annotated[str, Field(max_length=max_length)]


def multiline_text(max_length: int) -> Any:
    """Free text of several lines (notes): line breaks and tabs allowed, control characters not."""
    return Annotated[str, Field(max_length=max_length), MULTI_LINE]


# --- errors ------------------------------------------------------------------------------------


class BodyIn(Schema):
    """A request body: a field the API does not know is refused (422, the field named), never
    ignored. A misspelt field silently left out would change what the call does (a credit body
    with "line" instead of "lines" would credit everything)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _allowed_text(cls, data: Any) -> Any:
        """Every string of the body takes only the characters core.text allows, one line unless
        the field is declared multiline_text. Checked before the fields' own types, so a field
        of any type (a plain str added later, a code, a decimal string, an e-mail address)
        refuses a control character with the same words, the field named. One pass over the
        body's values, not a validator per field: this is on the path of every write."""
        raw = data._obj if isinstance(data, DjangoGetter) else data
        if isinstance(raw, dict) and (refused := _refused_text(cls, raw)):
            # Refused here, the nested bodies (lines) are not validated: report theirs too.
            raise ValidationError.from_exception_data(cls.__name__, refused + _refused_within(cls, raw))
        return data


def _refused_text(schema: type[BodyIn], raw: dict[str, Any]) -> list[InitErrorDetails]:
    """The strings of this body (not of those nested in it) that core.text refuses."""
    multiline = _multiline_fields(schema)
    return [
        InitErrorDetails(type=pydantic_error(character), loc=(name,), input=value)
        for name, value in raw.items()
        if isinstance(value, str) and (character := refused_character(value, multiline=name in multiline))
    ]


def _refused_within(schema: type[BodyIn], raw: dict[str, Any]) -> list[InitErrorDetails]:
    """The refused strings of the bodies nested in this one (an invoice's lines), their paths whole."""
    refused: list[InitErrorDetails] = []
    for name, inner in _nested_bodies(schema).items():
        value = raw.get(name)
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            if isinstance(item, dict):
                prefix = (name,) if index is None else (name, index)
                for error in _refused_text(inner, item) + _refused_within(inner, item):
                    refused.append({**error, "loc": (*prefix, *error["loc"])})
    return refused


@cache
def _multiline_fields(schema: type[BodyIn]) -> frozenset[str]:
    return frozenset(
        name
        for name, field in schema.model_fields.items()
        if any(isinstance(item, TextRule) and item.multiline for item in field.metadata)
    )


@cache
def _nested_bodies(schema: type[BodyIn]) -> dict[str, type[BodyIn]]:
    """The fields that hold a body or a list of bodies (an invoice's lines), with its schema."""

    def inner(annotation: Any) -> list[Any]:
        return [annotation, *(found for arg in get_args(annotation) for found in inner(arg))]

    return {
        name: kind
        for name, field in schema.model_fields.items()
        for kind in inner(field.annotation)
        if isinstance(kind, type) and issubclass(kind, BodyIn)
    }


class ErrorBody(Schema):
    code: str = Field(description="Machine-readable: validation_failed, not_found, conflict, invalid_key ...")
    message: str
    field: str | None = None
    errors: dict[str, list[str]] = Field(default_factory=dict, description="Every failing field with its messages")


class ErrorOut(Schema):
    error: ErrorBody


# --- customers ---------------------------------------------------------------------------------


class _CustomerCommon(BodyIn):
    email: Email = ""
    phone: text(40) = ""
    language: LanguageCode = "sv"
    preferred_channel: ChannelCode = ""
    address_line1: text(200) = ""
    address_line2: text(200) = ""
    postal_code: text(20) = ""
    city: text(100) = ""
    country: CountryCode = "SE"
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] | None = None
    notes: multiline_text(5000) = ""


class PersonIn(_CustomerCommon):
    name: text(200)
    personnummer: text(20) = ""


class PersonPatch(PersonIn):
    name: text(200) = ""


class OrganisationIn(_CustomerCommon):
    name: text(200)
    org_number: text(30) = ""
    vat_number: text(30) = ""
    peppol_id: text(80) = ""
    gln: text(20) = ""
    invoice_reference_id: Id | None = Field(None, description="A person of this company")


class OrganisationPatch(OrganisationIn):
    name: text(200) = ""


class CustomerOut(Schema):
    id: int
    number: int
    kind: str
    name: str
    email: str
    phone: str
    language: str
    preferred_channel: str
    address_line1: str
    address_line2: str
    postal_code: str
    city: str
    country: str
    payment_terms_days: int | None
    notes: str
    created_at: dt.datetime


class PersonOut(CustomerOut):
    personnummer: str


class OrganisationOut(CustomerOut):
    org_number: str
    vat_number: str
    peppol_id: str
    gln: str
    invoice_reference_id: int | None


class CustomerQuery(Schema):
    q: SearchText = Field("", description="Part of the name")
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0


# --- products ----------------------------------------------------------------------------------


class ProductIn(BodyIn):
    name: text(200)
    unit_price: DecimalString
    vat_category: VatCategoryCode = "S"
    vat_rate: DecimalString = "25"
    account_code: text(10) = "3001"
    is_active: bool = True
    unit: text(20) = "st"
    description: multiline_text(5000) = ""


class ProductPatch(ProductIn):
    name: text(200) = ""
    unit_price: DecimalString = "0"


class ProductOut(Schema):
    id: int
    name: str
    unit_price: Price
    vat_category: str
    vat_rate: Rate
    account_code: str
    is_active: bool
    unit: str
    description: str


class PageQuery(Schema):
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0


# --- basis -------------------------------------------------------------------------------------


class BasisItemIn(BodyIn):
    description: text(300)
    quantity: DecimalString = "1"
    unit: text(20) = "st"
    unit_price: DecimalString
    vat_category: VatCategoryCode | None = Field(None, description="Empty: the standard rate")
    vat_rate: DecimalString | None = None
    account_code: text(10) = ""
    occurred_on: BoundedDate | None = Field(None, description="Empty: today")
    currency: Currency | None = Field(None, description="Empty: the company's currency")
    period_start: BoundedDate | None = None
    period_end: BoundedDate | None = None


class BasisItemOut(Schema):
    id: int
    customer_id: int
    source: str
    status: str
    description: str
    occurred_on: dt.date
    quantity: Quantity
    unit: str
    unit_price: Price
    vat_category: str
    vat_rate: Rate
    account_code: str
    currency: str
    period_start: dt.date | None
    period_end: dt.date | None


class BasisOut(Schema):
    customer_id: int
    currency: str | None
    net_amount: Amount
    vat_amount: Amount
    rounding_amount: Amount
    total_amount: Amount
    items: list[BasisItemOut]


# --- invoices ----------------------------------------------------------------------------------


class LineIn(BodyIn):
    description: text(300)
    quantity: DecimalString = "1"
    unit: text(20) = "st"
    unit_price: DecimalString
    vat_category: VatCategoryCode = "S"
    vat_rate: DecimalString = "25"
    account_code: text(10) = ""
    period_start: BoundedDate | None = None
    period_end: BoundedDate | None = None


class _InvoiceHeader(BodyIn):
    currency: Currency | None = Field(None, description="Empty: the company's currency")
    language: LanguageCode | None = Field(None, description="Empty: the customer's language")
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] | None = Field(None, description="Empty: the customer's")
    buyer_reference: text(100) = ""
    order_reference: text(100) = ""
    seller_reference: text(100) = ""
    note: multiline_text(5000) = ""
    email: Email = Field("", description="Overrides the customer's address")


class InvoiceIn(_InvoiceHeader):
    customer_id: Id
    lines: list[LineIn] = Field(max_length=1000)
    issue: bool = Field(False, description="Issue the invoice in the same call (one transaction)")
    issued_on: BoundedDate | None = Field(None, description="With issue: the invoice date; empty: today")


class InvoicePatch(_InvoiceHeader):
    lines: list[LineIn] | None = Field(None, max_length=1000, description="Replaces every line")


class IssueIn(BodyIn):
    issued_on: BoundedDate | None = Field(None, description="Empty: today")


class CreditLineIn(BodyIn):
    line_id: Id
    quantity: DecimalString


class CreditIn(BodyIn):
    lines: list[CreditLineIn] | None = Field(
        None, max_length=1000, description="Lines and quantities to credit; empty: everything left (a full credit)"
    )
    reason: text(300) = ""
    issued_on: BoundedDate | None = None


class LineOut(Schema):
    id: int
    position: int
    description: str
    quantity: Quantity
    unit: str
    unit_price: Price
    vat_category: str
    vat_rate: Rate
    net_amount: Amount
    account_code: str
    period_start: dt.date | None
    period_end: dt.date | None
    basis_item_id: int | None
    credited_line_id: int | None


class VatOut(Schema):
    vat_category: str
    vat_rate: Rate
    taxable_amount: Amount
    vat_amount: Amount


class EventOut(Schema):
    """One event of an invoice's history: `code` (the same as `kind`) and `params` as stored,
    `message` the event worded in the request's language (Accept-Language). `details` holds
    the same as `params` (kept for clients written before `params`)."""

    kind: str
    at: dt.datetime
    actor: str | None
    message: str
    details: dict[str, Any]
    code: str
    params: dict[str, Any]


class InvoiceSummaryOut(Schema):
    id: int
    kind: str
    status: str
    number: int | None
    display_number: str
    customer_id: int
    customer_name: str
    currency: str
    issued_on: dt.date | None
    due_on: dt.date | None
    payment_reference: str
    net_amount: Amount
    vat_amount: Amount
    rounding_amount: Amount
    total_amount: Amount
    credited_invoice_id: int | None
    created_at: dt.datetime
    issued_at: dt.datetime | None


class InvoiceOut(InvoiceSummaryOut):
    language: str
    payment_terms_days: int
    buyer_reference: str
    order_reference: str
    seller_reference: str
    note: str
    email: str
    credit_reason: str
    seller: dict[str, Any]
    buyer: dict[str, Any]
    lines: list[LineOut]
    vat_breakdown: list[VatOut]
    credit_note_ids: list[int]
    history: list[EventOut]


InvoiceStatusCode = Literal["draft", "issued", "credited"]
InvoiceKindCode = Literal["invoice", "credit_note"]


class InvoiceQuery(Schema):
    status: InvoiceStatusCode | None = None
    kind: InvoiceKindCode | None = None
    customer_id: Id | None = None
    issued_from: BoundedDate | None = None
    issued_to: BoundedDate | None = None
    number_from: Annotated[int, Field(ge=0, le=MAX_ID)] | None = None
    number_to: Annotated[int, Field(ge=0, le=MAX_ID)] | None = None
    is_overdue: bool = False
    q: SearchText = Field("", description="Customer name, payment reference, your reference or number")
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0


class Page(Schema):
    count: int
    limit: int
    offset: int


class PersonPage(Page):
    items: list[PersonOut]


class OrganisationPage(Page):
    items: list[OrganisationOut]


class ProductPage(Page):
    items: list[ProductOut]


class InvoicePage(Page):
    items: list[InvoiceSummaryOut]
