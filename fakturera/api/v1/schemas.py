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
import re
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal, get_args

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    Strict,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError, core_schema

from fakturera.catalog.vat import VatCategory
from fakturera.core.money import CURRENCIES
from fakturera.core.text import (
    MULTI_LINE,
    MULTI_LINE_PATTERN,
    REQUIRED_LINE_PATTERN,
    SINGLE_LINE_PATTERN,
    TextRule,
    pydantic_error,
    refused_character,
)
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


def decimal_string(whole_digits: int, decimal_places: int, example: str) -> Any:
    """A decimal number as a string with at most the digits its column stores: the document
    says exactly what is accepted, so a value it allows is never refused for its form."""
    return Annotated[
        str,
        Field(
            pattern=rf"^\d{{1,{whole_digits}}}(\.\d{{1,{decimal_places}}})?$",
            examples=[example],
            description="A decimal number as a string",
        ),
        # A JSON number fails here too, with the same words: money travels as a string.
        ReportedAs("decimal_string", whole_digits=whole_digits, decimal_places=decimal_places),
    ]


# As the columns store them (invoicing, billables and catalog models).
PriceString = decimal_string(10, 4, "1250.00")
QuantityString = decimal_string(9, 3, "1")
RateString = decimal_string(3, 2, "25")
# A cash discount (seed 004): below 100 percent, as parties.terms checks it.
DiscountPercentString = decimal_string(2, 2, "2")
Currency = Literal[tuple(CURRENCIES)]  # type: ignore[valid-type]
LanguageCode = Literal[tuple(Language.values)]  # type: ignore[valid-type]
ChannelCode = Literal[("", *Channel.values)]  # type: ignore[valid-type]
VatCategoryCode = Literal[tuple(VatCategory.values)]  # type: ignore[valid-type]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["SE"]), ReportedAs("country_code")]


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: Any) -> Any:
    """A date is written YYYY-MM-DD, as the document's format says; not a number of seconds."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_type", "not a YYYY-MM-DD date")
    return value


# Any date, written as the document says (a filter: one before the first invoice finds none).
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_text)]


def _in_range(value: dt.date) -> dt.date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        bounds = {"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()}
        raise PydanticCustomError("date_range", "date out of range", bounds)
    return value


# A date in a body: any date is of the documented form; one outside the years the database
# keeps is refused by this rule (errors.py answers it as "refused", like the services' rules).
BoundedDate = Annotated[
    IsoDate,
    AfterValidator(_in_range),
    Field(description=f"From {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}"),
]


def _json_integer(value: Any) -> Any:
    """What JSON Schema calls an integer: a JSON number without a fraction (30 or 30.0);
    never text ("30") or a truth value (false)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "not a JSON integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise PydanticCustomError("int_from_float", "a fraction")
        return int(value)
    return value


# In a body, a number is a JSON number and a truth value true or false: what the document states
# is what is read ("30" or 0 for true are refused, as the document does).
JsonInt = BeforeValidator(_json_integer)
BodyId = Annotated[int, Field(ge=1, le=MAX_ID), JsonInt]
TermsDays = Annotated[int, Field(ge=0, le=365), JsonInt]
DiscountDays = Annotated[int, Field(ge=0, le=365), JsonInt]
Flag = Annotated[bool, Strict()]
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


# The document says what _email accepts: an address, or an empty string for none.
Email = Annotated[
    str,
    Field(max_length=254),
    AfterValidator(_email),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "email", "maxLength": 254},
                {"type": "string", "maxLength": 0},
            ],
            "examples": ["anna@example.se"],
        }
    ),
]


def _scale(places: int) -> Any:
    exponent = Decimal(1).scaleb(-places)
    return AfterValidator(lambda value: value.quantize(exponent))


# Out: each kind of figure with the scale it is stored with, however it was computed.
Amount = Annotated[Decimal, _scale(2)]


def plain_rate(value: Decimal) -> Decimal:
    """A rate as published (11.4321, 10), without the stored column's trailing zeros and never
    in exponent form (Decimal.normalize makes 10 into 1E+1)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


ExchangeRateValue = Annotated[Decimal, AfterValidator(plain_rate)]
Price = Annotated[Decimal, _scale(4)]
Quantity = Annotated[Decimal, _scale(3)]
Rate = Annotated[Decimal, _scale(2)]


# The document states core.text's rule as each text field's pattern; BodyIn checks it (in one
# pass over the body, with core.text's words), so the pattern is documentation, not a second check.


def text(max_length: int) -> Any:
    """One line of text (core.text: no control character, line break, tab or direction override;
    BodyIn checks it)."""
    return Annotated[str, Field(max_length=max_length, json_schema_extra={"pattern": SINGLE_LINE_PATTERN})]


def multiline_text(max_length: int) -> Any:
    """Free text of several lines (notes): line breaks and tabs allowed, control characters not."""
    return Annotated[str, Field(max_length=max_length, json_schema_extra={"pattern": MULTI_LINE_PATTERN}), MULTI_LINE]


def required_text(max_length: int) -> Any:
    """One line that must say something: not empty, not only spaces. The document says so; the
    service checks it, with the body's other rules, so every refused field is named at once."""
    return Annotated[
        str,
        Field(max_length=max_length),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": max_length, "pattern": REQUIRED_LINE_PATTERN}),
    ]


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


# A patch field left out is not changed; sent, it is checked as on create. The document shows no
# default for it (null is not a value it accepts).
UNCHANGED: Any = Field(None, json_schema_extra=_without_default)
# Four digits of the BAS chart, or empty for the default: documented here, checked by the
# service with the body's other rules.
AccountCode = Annotated[str, Field(max_length=10, examples=["3001"], json_schema_extra={"pattern": r"^(\d{4})?$"})]


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
    code: str = Field(
        description="Machine-readable: validation_failed (the request is not in the documented form), refused "
        "(a rule refuses its values), not_found, conflict, too_large, unavailable, invalid_key ..."
    )
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
    payment_terms_days: TermsDays | None = None
    cash_discount_percent: DiscountPercentString | None = Field(None, description="Empty: the company's")
    cash_discount_days: DiscountDays | None = Field(None, description="Empty: the company's")
    notes: multiline_text(5000) = ""


class PersonIn(_CustomerCommon):
    name: required_text(200)
    personnummer: text(20) = ""
    invoice_email: Email = Field("", description="Where invoices go, if not to `email`")


class PersonPatch(PersonIn):
    name: required_text(200) = UNCHANGED


class OrganisationIn(_CustomerCommon):
    name: required_text(200)
    org_number: text(30) = ""
    vat_number: text(30) = ""
    peppol_id: text(80) = ""
    gln: text(20) = ""
    invoice_reference_id: BodyId | None = Field(None, description="A person of this company")


class OrganisationPatch(OrganisationIn):
    name: required_text(200) = UNCHANGED


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
    cash_discount_percent: Rate | None
    cash_discount_days: int | None
    notes: str
    created_at: dt.datetime


class PersonOut(CustomerOut):
    personnummer: str
    invoice_email: str


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
    name: required_text(200)
    unit_price: PriceString
    vat_category: VatCategoryCode = "S"
    vat_rate: RateString = "25"
    account_code: AccountCode = "3001"
    is_active: Flag = True
    unit: text(20) = "st"
    description: multiline_text(5000) = ""


class ProductPatch(ProductIn):
    name: required_text(200) = UNCHANGED
    unit_price: PriceString = UNCHANGED


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
    description: required_text(300)
    quantity: QuantityString = "1"
    unit: text(20) = "st"
    unit_price: PriceString
    vat_category: VatCategoryCode | None = Field(None, description="Empty: the standard rate")
    vat_rate: RateString | None = None
    account_code: AccountCode = ""
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
    description: required_text(300)
    quantity: QuantityString = "1"
    unit: text(20) = "st"
    unit_price: PriceString
    vat_category: VatCategoryCode = "S"
    vat_rate: RateString = "25"
    account_code: AccountCode = ""
    period_start: BoundedDate | None = None
    period_end: BoundedDate | None = None


class _InvoiceHeader(BodyIn):
    currency: Currency | None = Field(None, description="Empty: the company's currency")
    language: LanguageCode | None = Field(None, description="Empty: the customer's language")
    payment_terms_days: TermsDays | None = Field(None, description="Empty: the customer's")
    cash_discount_percent: DiscountPercentString | None = Field(
        None, description="Percent off when paid within cash_discount_days; 0: none. Empty: the customer's"
    )
    cash_discount_days: DiscountDays | None = Field(
        None, description="The discount period, ending before the due date. Empty: the customer's"
    )
    buyer_reference: text(100) = ""
    order_reference: text(100) = ""
    seller_reference: text(100) = ""
    note: multiline_text(5000) = ""
    email: Email = Field("", description="Overrides the customer's address")


class InvoiceIn(_InvoiceHeader):
    customer_id: BodyId
    lines: list[LineIn] = Field(max_length=1000)
    issue: Flag = Field(False, description="Issue the invoice in the same call (one transaction)")
    issued_on: BoundedDate | None = Field(None, description="With issue: the invoice date; empty: today")


class InvoicePatch(_InvoiceHeader):
    lines: list[LineIn] | None = Field(None, max_length=1000, description="Replaces every line")


class IssueIn(BodyIn):
    issued_on: BoundedDate | None = Field(None, description="Empty: today")


class CreditLineIn(BodyIn):
    line_id: BodyId
    quantity: QuantityString


class CreditIn(BodyIn):
    lines: list[CreditLineIn] | None = Field(
        None, max_length=1000, description="Lines and quantities to credit; empty: everything left (a full credit)"
    )
    reason: text(300) = ""
    issued_on: BoundedDate | None = None
    return_to_basis: bool = Field(
        False,
        description="Return the basis items of the lines this credit leaves wholly credited to the basis, "
        "to be invoiced again (a booking or journal note is billable again)",
    )


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


class InvoicePaymentOut(Schema):
    """What an issued invoice has been paid (payments' receivable); null for drafts and credit notes."""

    state: str = Field(description="unpaid, partly_paid, paid or overpaid")
    paid_amount: Amount
    open_amount: Amount = Field(description="Negative when over-paid")
    credited_amount: Amount
    paid_on: dt.date | None
    days_late: int | None


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
    payment: InvoicePaymentOut | None = None


class InvoiceOut(InvoiceSummaryOut):
    language: str
    payment_terms_days: int
    cash_discount_percent: Rate
    cash_discount_days: int
    cash_discount_until: dt.date | None = Field(description="The last day to pay with the discount (once issued)")
    cash_discount_amount: Amount | None = Field(description="The discount on the total; null: none")
    buyer_reference: str
    order_reference: str
    seller_reference: str
    note: str
    email: str
    credit_reason: str
    seller: dict[str, Any]
    buyer: dict[str, Any]
    exchange_rate: ExchangeRateValue | None = Field(
        description="SEK per unit fixed at issue (a Swedish seller's invoice in another currency with VAT); null: none"
    )
    exchange_rate_on: dt.date | None = Field(description="The date of that rate")
    sek_vat_amount: Amount | None = Field(description="The VAT in SEK (Mervärdesskattelagen 17 kap. 29 §, BT-111)")
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
    # A filter takes any date (one before the first invoice simply finds none).
    issued_from: IsoDate | None = None
    issued_to: IsoDate | None = None
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


# --- payments ----------------------------------------------------------------------------------

# As payments stores a payment's amount (payments.models: 14 digits, 2 decimals).
MoneyString = decimal_string(12, 2, "1250.00")
PaymentMethodCode = Literal[("transfer", "bankgiro", "plusgiro", "swish", "card", "cash", "direct_debit", "other")]
PaymentStatusCode = Literal["unmatched", "credit", "allocated", "reversed"]


class PaymentIn(BodyIn):
    """A payment received: on an invoice (`invoice_id`), found by its payment reference
    (`reference`, OCR or RF), for a customer (their credit balance) or for no one yet."""

    amount: MoneyString
    currency: Currency
    booked_on: BoundedDate = Field(description="The day the money arrived; not after today")
    method: PaymentMethodCode = "transfer"
    invoice_id: BodyId | None = Field(None, description="The invoice it pays")
    reference: text(140) = Field("", description="The payment reference (OCR or RF) of the invoice it pays")
    customer_id: BodyId | None = Field(None, description="Without an invoice: the customer whose credit it becomes")
    payer_name: text(200) = ""
    message: multiline_text(2000) = ""


class AllocationIn(BodyIn):
    invoice_id: BodyId
    amount: MoneyString


class AllocateIn(BodyIn):
    allocations: list[AllocationIn] = Field(min_length=1, max_length=500)


class ReasonIn(BodyIn):
    reason: text(300) = ""


class AllocationOut(Schema):
    invoice_id: int | None
    kind: str
    amount: Amount
    on: dt.date


class PaymentOut(Schema):
    id: int
    status: str
    amount: Amount
    currency: str
    booked_on: dt.date
    value_on: dt.date | None
    method: str
    source: str
    customer_id: int | None
    payer_name: str
    reference: str
    message: str
    match: str
    allocated_amount: Amount
    days_late: int | None
    is_double: bool
    payment_import_id: int | None
    position: str
    created_at: dt.datetime
    reversed_at: dt.datetime | None
    reversal_reason: str
    allocations: list[AllocationOut]


class PaymentPage(Page):
    items: list[PaymentOut]


class PaymentQuery(Schema):
    status: PaymentStatusCode | None = None
    booked_from: IsoDate | None = Field(None, description="Payments made on or after this day")
    booked_to: IsoDate | None = Field(None, description="Payments made on or before this day")
    invoice_id: Id | None = Field(None, description="Payments put on this invoice")
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0


class SkippedLineOut(Schema):
    position: str
    reason: str = Field(description="already_booked, debit, reversal, not_booked, no_amount or zero_amount")
    amount: Amount | None
    currency: str
    reference: str
    payment_id: int | None = Field(None, description="For already_booked: the payment it was booked as")


class PaymentImportOut(Schema):
    id: int
    created_at: dt.datetime
    created_by: str | None
    via: str
    filename: str
    sha256: str
    size: int
    format: str
    version: str
    message_id: str
    account: str
    is_test: bool
    transaction_count: int
    booked_count: int
    matched_count: int
    unmatched_count: int
    skipped_count: int
    ignored_count: int
    totals: dict[str, str]
    warnings: list[str]
    same_file_as_id: int | None = Field(
        None,
        description="The file was imported before, byte for byte: that import's id. Nothing was booked again; "
        "`skipped` lists that import's lines.",
    )
    payment_ids: list[int]
    skipped: list[SkippedLineOut]


class FileRefusalBody(ErrorBody):
    line: int | None = Field(None, description="The line (record) of the file where it is wrong")
    path: str | None = Field(None, description="The element (camt) where it is wrong")


class FileRefusalOut(Schema):
    error: FileRefusalBody


# --- collections -------------------------------------------------------------------------------

CustomerKindCode = Literal["person", "organisation"]
LevelLanguage = Literal["sv", "en", "da", "nb"]
PauseReasonCode = Literal["disputed", "payment_plan", "other"]
NordicCountry = Literal["SE", "NO", "DK", "FI"]
RateKindCode = Literal["reference", "late_interest", "collection_rate"]
# The rate table's column (10 digits, 4 decimals); collections.services checks each kind's range.
StatutoryRateString = decimal_string(6, 4, "2.2500")


class LevelTextIn(BodyIn):
    subject: text(200) = Field("", description="The reminder e-mail's subject; variables as in the invoice e-mails")
    body: multiline_text(5000) = Field("", description="The reminder e-mail's text")
    letter: multiline_text(5000) = Field("", description="The letter's own words, printed above the figures")


class LevelIn(BodyIn):
    days: Annotated[int, Field(ge=1, le=365), JsonInt] = Field(
        description="Days after the due date or the previous reminder"
    )
    days_from: Literal["due_date", "previous"] = "due_date"
    channel: ChannelCode = Field("", description="Empty: the way the customer's invoices go")
    fee_amount: MoneyString | None = Field(
        None, description="In the currency of the company's country; capped by the law at run time"
    )
    is_claiming_interest: Flag = True
    new_due_days: Annotated[int, Field(ge=0, le=90), JsonInt] = Field(10, description="Days to pay the reminder")
    task_mode: Literal["", "beside", "instead"] = Field(
        "", description="A staff task beside the reminder, or instead of it (no letter, no fee)"
    )
    texts: dict[LevelLanguage, LevelTextIn] = Field(
        default_factory=dict, description="Per language; a language left out uses the standard reminder text"
    )


class PolicyIn(BodyIn):
    levels: list[LevelIn] = Field(min_length=1, max_length=6, description="Level 1 first")
    minimum_amount: MoneyString = Field("0", description="An open amount below it gets no reminder")
    last_level_action: Literal["stop", "collection"] = "stop"


class LevelTextOut(Schema):
    subject: str = ""
    body: str = ""
    letter: str = ""


class LevelOut(Schema):
    number: int
    days: int
    days_from: str
    channel: str
    fee_amount: Amount | None
    is_claiming_interest: bool
    new_due_days: int
    task_mode: str
    texts: dict[str, LevelTextOut]


class PolicyOut(Schema):
    customer_kind: str
    is_default: bool = Field(description="The built-in policy: the company has saved none for this kind")
    minimum_amount: Amount
    last_level_action: str
    levels: list[LevelOut]


class ReminderOut(Schema):
    id: int
    invoice_id: int
    customer_id: int
    level: int
    state: Literal["queued", "sent", "failed", "undone"]
    attempt: int
    assessed_on: dt.date = Field(description="The reminder's date")
    queued_at: dt.datetime
    sent_at: dt.datetime | None
    currency: str
    open_amount: Amount
    fee_amount: Amount
    fee_kind: str
    interest_amount: Amount
    interest_until: dt.date | None
    interest_periods: list[dict[str, str]]
    new_due_on: dt.date | None
    delivery_id: int | None
    error: str


class PauseIn(BodyIn):
    """Exactly one of `invoice_id` and `customer_id`."""

    invoice_id: BodyId | None = None
    customer_id: BodyId | None = Field(None, description="All the customer's invoices")
    reason: PauseReasonCode
    note: text(300) = ""
    starts_on: IsoDate | None = Field(None, description="Empty: today")
    ends_on: IsoDate | None = Field(None, description="Empty: until ended")


class PauseOut(Schema):
    id: int
    invoice_id: int | None
    customer_id: int | None
    reason: str
    note: str
    starts_on: dt.date
    ends_on: dt.date | None
    created_at: dt.datetime
    ended_at: dt.datetime | None


class PauseQuery(Schema):
    invoice_id: Id | None = None
    customer_id: Id | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0


class PausePage(Page):
    items: list[PauseOut]


class DueOut(Schema):
    invoice_id: int
    customer_id: int
    number: str
    currency: str
    due_on: dt.date
    open_amount: Amount
    level: int
    fee_amount: Amount
    fee_kind: str
    interest_amount: Amount
    new_due_on: dt.date | None = Field(description="None for a level given as a staff task only")
    is_task_only: bool
    is_last_level: bool


class HeldOut(Schema):
    invoice_id: int
    reason: Literal["paused", "below_minimum", "payment_waiting"]


class AssessmentOut(Schema):
    on: dt.date
    overdue_count: int
    due: list[DueOut]
    held: list[HeldOut]
    warnings: list[str]


class RunIn(BodyIn):
    invoice_ids: list[BodyId] | None = Field(
        None, max_length=100000, description="Only these invoices (those due among them); empty: every one due"
    )


class NotSentOut(Schema):
    invoice_id: int
    reason: str


class RunOut(Schema):
    queued: int = Field(description="Reminders queued for sending, with distribution's undo window")
    tasks: int = Field(description="Levels given as a staff task only")
    not_sent: list[NotSentOut]
    batch_ids: list[int] = Field(description="Distribution's sends (GET their progress or undo them in the staff UI)")
    warnings: list[str]


InterestChargeStateCode = Literal["proposed", "below_minimum", "no_rate", "issued", "dismissed"]


class InterestPeriodOut(Schema):
    rate: str = Field(description="Annual late-payment interest in percent (the law's margin included)")
    from_on: dt.date = Field(description="The first day counted (the day after the due date, or a payment)")
    to_on: dt.date = Field(description="The last day counted (a payment's date, or a rate's last day)")
    days: int
    principal: Amount = Field(description="What was unpaid on those days")
    amount: Amount


class InterestFeeOut(Schema):
    reminder_id: int
    level: int
    on: dt.date = Field(description="The reminder's date")
    kind: str = Field(description="reminder_fee or late_compensation")
    amount: Amount


class InterestChargeOut(Schema):
    id: int
    invoice_id: int = Field(description="The invoice paid late")
    invoice_number: str
    customer_id: int
    state: InterestChargeStateCode
    currency: str
    due_on: dt.date
    paid_on: dt.date
    days_late: int
    interest_amount: Amount
    fee_amount: Amount
    total_amount: Amount
    interest_periods: list[InterestPeriodOut]
    fees: list[InterestFeeOut]
    charge_invoice_id: int | None = Field(description="The interest invoice, once issued (GET /invoices/{id})")
    dismiss_reason: str
    error: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


class InterestChargeQuery(Schema):
    state: InterestChargeStateCode | None = None
    invoice_id: Id | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0


class InterestChargePage(Page):
    items: list[InterestChargeOut]


class InterestIssueIn(BodyIn):
    ids: list[BodyId] = Field(min_length=1, max_length=10000, description="The proposals to issue")


class InterestIssuedOut(Schema):
    id: int
    invoice_id: int = Field(description="The interest invoice")
    number: str


class InterestIssueOut(Schema):
    issued: list[InterestIssuedOut]
    not_sent: list[NotSentOut]


class InterestDismissIn(BodyIn):
    reason: text(300) = Field(description="Why the interest is not invoiced (kept in the invoice's history)")


class RateIn(BodyIn):
    country: NordicCountry
    kind: RateKindCode
    valid_from: IsoDate = Field(description="Reference and late-interest rates: 1 January or 1 July")
    value: StatutoryRateString = Field(description="Percent, or kroner for the Norwegian collection rate")
    source: text(500) = Field(description="Where it was published")
    rate_id: BodyId | None = Field(None, description="Correct this row instead of adding one")


class RateOut(Schema):
    id: int
    country: str
    kind: str
    valid_from: dt.date
    value: str
    source: str
    updated_at: dt.datetime


class RateGapOut(Schema):
    country: str
    kind: str
    starts_on: dt.date
    ends_on: dt.date


class RateTableOut(Schema):
    items: list[RateOut]
    gaps: list[RateGapOut] = Field(description="Half-years without a late-interest rate up to today: not claimed")


class RateQuery(Schema):
    country: NordicCountry | None = None
    kind: RateKindCode | None = None


# --- tasks (worklist) ----------------------------------------------------------------------------

TaskStateCode = Literal["open", "closed"]
TaskKindCode = Literal["billing", "reminder_call", "custom"]


class TaskEventOut(Schema):
    kind: str = Field(description="opened, closed, reopened or priority_raised")
    at: dt.datetime
    actor_id: int | None
    params: dict[str, Any] = Field(
        description="The event's data: for closed, the reason and the payment or credit note"
    )
    text: str = Field(description="The event in words, in the request's language")


class TaskOut(Schema):
    id: int
    kind: str = Field(description="billing (opened by issuing), reminder_call or custom")
    state: str = Field(description="open or closed")
    priority: str = Field(description="low, normal or high (high once the due date has passed)")
    title: str = Field(description="What to do, in the request's language")
    text: str
    invoice_id: int | None
    customer_id: int | None
    assignee_id: int | None = Field(description="None: the company's team")
    due_on: dt.date | None
    is_overdue: bool
    params: dict[str, Any]
    created_at: dt.datetime
    closed_at: dt.datetime | None
    close_reason: str = Field(description="done (by a person), paid or credited; empty while open")
    history: list[TaskEventOut] | None = None


class TaskPage(Page):
    items: list[TaskOut]


class TaskQuery(Schema):
    state: TaskStateCode | None = None
    kind: TaskKindCode | None = None
    assignee_id: Id | None = Field(None, description="Tasks assigned to this user")
    is_unassigned: bool = Field(False, description="Only the tasks assigned to nobody (the team's)")
    invoice_id: Id | None = None
    customer_id: Id | None = None
    due_from: IsoDate | None = None
    due_to: IsoDate | None = None
    is_overdue: bool = Field(False, description="Open and past the due date")
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0


# --- exchange rates ---------------------------------------------------------------------------

# As invoicing stores a rate (ExchangeRate.rate: SEK per one unit, 8 decimals).
ExchangeRateString = decimal_string(4, 8, "11.4321")
ForeignCurrency = Literal[tuple(code for code in CURRENCIES if code != "SEK")]  # type: ignore[valid-type]


class ExchangeRateIn(BodyIn):
    currency: ForeignCurrency
    rate_on: BoundedDate = Field(description="The day the rate was published")
    rate: ExchangeRateString = Field(description="SEK per one unit of the currency (a rate per 100 divided by 100)")


class ExchangeRatesIn(BodyIn):
    """Rates to store; one for a currency and day that has one replaces it (issued invoices keep theirs)."""

    rates: list[ExchangeRateIn] = Field(min_length=1, max_length=1000)


class ExchangeRateOut(Schema):
    id: int
    currency: str
    rate_on: dt.date
    rate: ExchangeRateValue
    source: str = Field(description="manual, riksbank or api")


class ExchangeRateQuery(Schema):
    currency: ForeignCurrency | None = None
    rate_from: IsoDate | None = None
    rate_to: IsoDate | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0


class ExchangeRatePage(Page):
    items: list[ExchangeRateOut]


# --- bookkeeping --------------------------------------------------------------------------------

SeriesCode = Literal["B", "C"]
SieTypeCode = Literal["4I", "4E"]
JournalFormat = Literal["csv", "xlsx"]


class TransactionOut(Schema):
    position: int
    account: str = Field(description="The account (BAS)")
    amount: Amount = Field(description="In the company's currency (SEK): debit positive, credit negative")
    text: str


class VoucherOut(Schema):
    id: int
    series: str = Field(description="B customer invoices and credit notes, C customer payments")
    number: int = Field(description="Gap-free per series and fiscal year")
    fiscal_year: int
    date: dt.date
    text: str
    source_kind: str = Field(
        description="invoice, credit_note, payment, allocation, credit_transfer, refund, payment_reversed, reversal"
    )
    source_id: int
    reverses_id: int | None = Field(description="The voucher this one corrects")
    created_at: dt.datetime
    transactions: list[TransactionOut]


class VoucherPage(Page):
    items: list[VoucherOut]


class VoucherQuery(Schema):
    date_from: IsoDate | None = Field(None, alias="from", description="Vouchers dated on or after this day")
    date_to: IsoDate | None = Field(None, alias="to", description="Vouchers dated on or before this day")
    series: SeriesCode | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0


class SieQuery(Schema):
    date_from: IsoDate = Field(alias="from", description="The first day (the period lies in one fiscal year)")
    date_to: IsoDate = Field(alias="to", description="The last day")
    type: SieTypeCode = Field("4I", description="4I vouchers for import; 4E also the year's balances")


class JournalQuery(Schema):
    date_from: IsoDate = Field(alias="from", description="The first day")
    date_to: IsoDate = Field(alias="to", description="The last day")
    format: JournalFormat = "csv"
    series: SeriesCode | None = None
