"""What the Typst templates print, as plain strings: `document_content` turns one
DocumentData into the JSON-ready dict the templates read.

Every label is chosen and every number, date and amount formatted here, with
babel for the document's language, so the templates only place text and the
formatting rules live in one place that tests can read.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_symbol

from fakturera.documents.data import DocumentData, Party
from fakturera.documents.pdf.labels import DATE_FORMATS, LABELS, LOCALES

NO_BREAK_SPACE = "\u00a0"
# Categories whose lines carry no VAT for a reason the invoice must state.
EXEMPT_CATEGORIES = ("E", "AE", "K", "G", "O")
# The buyer's VAT number must be on the invoice for these (ML 17 kap. 24 §).
BUYER_VAT_CATEGORIES = ("AE", "K")


class Formats:
    """Babel formatting for one language.

    Results are memoised per value: an invoice run repeats the same prices, rates
    and dates thousands of times, and babel takes tens of microseconds a number.
    """

    def __init__(self, language: str) -> None:
        self.language = language
        self.locale = Locale.parse(LOCALES[language])
        # The locale's own percent pattern ("25 %" in Swedish, "25%" in English),
        # with the decimals that rates like 25.5 % need.
        self._percent = self.locale.percent_formats[None].pattern.replace("#,##0", "#,##0.##")
        self.amount = lru_cache(maxsize=4096)(self._amount)
        self.money = lru_cache(maxsize=4096)(self._money)
        self.quantity = lru_cache(maxsize=1024)(self._quantity)
        self.unit_price = lru_cache(maxsize=4096)(self._unit_price)
        self.rate = lru_cache(maxsize=64)(self._rate)
        self.date = lru_cache(maxsize=1024)(self._date)

    def _amount(self, value: Decimal) -> str:
        return format_decimal(value, "#,##0.00", locale=self.locale)

    def _money(self, value: Decimal, currency: str) -> str:
        text = format_currency(value, currency, locale=self.locale)
        # CLDR's currency spacing, which babel leaves out: "SEK 1,250.00", not "SEK1,250.00".
        symbol = get_currency_symbol(currency, locale=self.locale)
        if symbol[-1:].isalpha():
            text = re.sub(rf"{re.escape(symbol)}(?=\d)", symbol + NO_BREAK_SPACE, text)
        return text

    def exchange_rate(self, value: Decimal) -> str:
        # As the Riksbank publishes them: four decimals at least, more when the rate has them.
        return format_decimal(value, "#,##0.0000####", locale=self.locale)

    def _quantity(self, value: Decimal) -> str:
        return format_decimal(value, "#,##0.###", locale=self.locale)

    def _unit_price(self, value: Decimal) -> str:
        # Prices are stored with four decimals; show two unless the rest matters.
        return format_decimal(value, "#,##0.00##", locale=self.locale)

    def _rate(self, value: Decimal) -> str:
        return format_percent(value / 100, self._percent, locale=self.locale)

    def _date(self, value: dt.date) -> str:
        return format_date(value, DATE_FORMATS[self.language], locale=self.locale)

    def country(self, code: str) -> str:
        return self.locale.territories.get(code, code)


@cache
def formats_for(language: str) -> Formats:
    return Formats(language if language in LOCALES else "sv")


def _grouped_iban(iban: str) -> str:
    """An IBAN in groups of four (ISO 13616's printed form), kept on one line."""
    compact = iban.replace(" ", "")
    return NO_BREAK_SPACE.join(compact[start : start + 4] for start in range(0, len(compact), 4))


def _address(party: Party, *, formats: Formats, home_country: str) -> list[str]:
    place = " ".join(part for part in (party.postal_code, party.city) if part)
    lines = [party.address_line1, party.address_line2, place]
    if party.country and party.country != home_country:
        lines.append(formats.country(party.country).upper())
    return [line for line in lines if line]


def address_lines(party: Party, *, words: dict[str, str], formats: Formats, home_country: str) -> list[str]:
    """The address block under the name: for the attention of, street, place, country."""
    lines = [f"{words['attention']} {party.reference_name}"] if party.reference_name else []
    return lines + _address(party, formats=formats, home_country=home_country)


def payment_accounts(seller: Party, *, words: dict[str, str]) -> list[list[str]]:
    """Where to pay, as the payment box prints it: bankgiro, IBAN in groups of four, BIC."""
    rows = []
    for key in ("bankgiro", "iban", "bic"):
        if value := getattr(seller, key):
            rows.append([words[key], _grouped_iban(value) if key == "iban" else value.replace(" ", NO_BREAK_SPACE)])
    return rows


def seller_footer(seller: Party, *, words: dict[str, str], formats: Formats, home_country: str) -> list[list[str]]:
    """The letterhead's footer columns: address, contact, the law's identifiers, bank."""
    legal = []
    if seller.org_number:
        legal.append(f"{words['org_number']} {seller.org_number}")
    if seller.vat_number:
        legal.append(f"{words['vat_number']} {seller.vat_number}")
    if seller.is_f_tax_approved:
        legal.append(words["f_tax"])
    contact = [
        f"{words['phone']} {seller.phone}" if seller.phone else "",
        f"{words['email']} {seller.email}" if seller.email else "",
        seller.website,
    ]
    bank = [
        f"{words['bankgiro']} {seller.bankgiro}" if seller.bankgiro else "",
        f"{words['iban']} {_grouped_iban(seller.iban)}" if seller.iban else "",
        f"{words['bic']} {seller.bic}" if seller.bic else "",
    ]
    seller_address = _address(seller, formats=formats, home_country=home_country)
    footer = [[seller.name, *seller_address], contact, legal, bank]
    return [column for column in footer if any(column)]


def return_address(seller: Party) -> str:
    """The sender's line above the window's address."""
    place = f"{seller.postal_code} {seller.city}".strip()
    return ", ".join(part for part in (seller.name, seller.address_line1, place) if part)


def _cash_discount_text(doc: DocumentData, words: dict[str, str], formats: Formats) -> str:
    """The payment terms with their cash discount, as one sentence (seed 004): "2 % kassarabatt
    vid betalning senast 2026-12-16 (att betala 9 800,00 kr), därefter 30 dagar netto"."""
    if doc.is_credit_note or doc.cash_discount_until is None or doc.cash_discount_payable_amount is None:
        return ""
    return words["cash_discount"].format(
        percent=formats.rate(doc.cash_discount_percent),
        date=formats.date(doc.cash_discount_until),
        amount=formats.money(doc.cash_discount_payable_amount, doc.currency),
        days=doc.payment_terms_days,
    )


def document_content(doc: DocumentData) -> dict[str, Any]:
    formats = formats_for(doc.language)
    words = LABELS[formats.language]
    seller, buyer = doc.seller, doc.buyer
    credit = doc.is_credit_note

    # The address block is the addressee's: the address the letter goes to (documents.data).
    addressee = doc.address_block
    buyer_lines = address_lines(addressee, words=words, formats=formats, home_country=seller.country)

    meta = [[words["credit_note_number" if credit else "invoice_number"], doc.number]]
    meta.append([words["credit_note_date" if credit else "invoice_date"], formats.date(doc.issued_on)])
    if not credit and doc.due_on:
        meta.append([words["due_date"], formats.date(doc.due_on)])
        meta.append([words["payment_terms"], words["payment_terms_days"].format(days=doc.payment_terms_days)])
    if doc.payment_reference:
        meta.append([words["payment_reference"], doc.payment_reference])
    if buyer.customer_number is not None:
        meta.append([words["customer_number"], str(buyer.customer_number)])
    for key in ("buyer_reference", "order_reference", "seller_reference"):
        if value := getattr(doc, key):
            meta.append([words[key], value])

    credit_lines = []
    if credit:
        credited_on = formats.date(doc.credited_issued_on) if doc.credited_issued_on else ""
        credit_lines.append(words["credit_for"].format(number=doc.credited_number, date=credited_on))
        if doc.credit_reason:
            credit_lines.append(words["credit_reason"].format(reason=doc.credit_reason))

    lines = []
    for line in doc.lines:
        period = ""
        if line.period_start and line.period_end:
            period = words["period"].format(start=formats.date(line.period_start), end=formats.date(line.period_end))
        lines.append(
            [
                line.description,
                period,
                formats.quantity(line.quantity),
                line.unit,
                formats.unit_price(line.unit_price),
                formats.rate(line.vat_rate),
                formats.amount(line.net_amount),
            ]
        )

    vat_rows = []
    notes = []
    for group in doc.vat:
        if group.vat_category == "S":
            name = formats.rate(group.vat_rate)
        else:
            name = words.get(group.vat_category, group.vat_category)
        vat_rows.append([name, formats.amount(group.taxable_amount), formats.amount(group.vat_amount)])
        if group.vat_category in EXEMPT_CATEGORIES or group.exemption_reason:
            text = words.get(f"text_{group.vat_category}") or group.exemption_reason
            if text and text not in notes:
                notes.append(text)
        if group.vat_category in BUYER_VAT_CATEGORIES and buyer.vat_number:
            text = words["buyer_vat_number"].format(vat_number=buyer.vat_number)
            if text not in notes:
                notes.append(text)

    if doc.sek_vat_amount is not None and doc.exchange_rate is not None and doc.exchange_rate_on is not None:
        # Mervärdesskattelagen 17 kap. 29 §: the VAT in kronor too, with the rate that gave it.
        notes.append(
            words["vat_in_sek"].format(
                amount=formats.money(doc.sek_vat_amount, "SEK"),
                rate=formats.exchange_rate(doc.exchange_rate),
                currency=doc.currency,
                date=formats.date(doc.exchange_rate_on),
            )
        )

    totals = [
        [words["net_total"], formats.money(doc.net_amount, doc.currency)],
        [words["vat_total"], formats.money(doc.vat_amount, doc.currency)],
    ]
    if doc.rounding_amount:
        totals.append([words["rounding"], formats.money(doc.rounding_amount, doc.currency)])
    total = [words["total_credited" if credit else "total_to_pay"], formats.money(doc.total_amount, doc.currency)]
    if doc.prepaid_amount and not credit:
        # Paid from the credit balance: the invoice's total, what the balance paid, what is left.
        totals.append([words["invoice_total"], formats.money(doc.total_amount, doc.currency)])
        totals.append([words["prepaid"], formats.money(-doc.prepaid_amount, doc.currency)])
        total = [words["total_to_pay"], formats.money(max(doc.payable_amount, Decimal(0)), doc.currency)]

    payment = []
    if doc.is_settled:
        # Not a demand to pay: the customer's credit balance settled it.
        payment.append([words["settled"], ""])
    elif not credit:
        # What to pay, when and with which reference first; then where to.
        payment.append([total[0], total[1]])
        if doc.due_on:
            payment.append([words["due_date"], formats.date(doc.due_on)])
        if doc.cash_discount_until and doc.cash_discount_payable_amount is not None:
            # Seed 004: or the discounted amount by the discount's last day.
            payment.append(
                [
                    words["cash_discount_pay_by"].format(date=formats.date(doc.cash_discount_until)),
                    formats.money(doc.cash_discount_payable_amount, doc.currency),
                ]
            )
        if doc.payment_reference:
            payment.append([words["payment_reference"], doc.payment_reference])
        payment += payment_accounts(seller, words=words)

    footer = seller_footer(seller, words=words, formats=formats, home_country=buyer.country or seller.country)

    title = words["credit_note" if credit else "invoice"]
    return {
        "lang": formats.language,
        "title": title,
        "number-label": words["number_prefix"],
        "number": doc.number,
        "colour": seller.brand_colour or "#1f4e79",
        "logo": seller.logo,  # its name: render.py passes the bytes, once per batch
        "seller": {
            "name": seller.name,
            "return-address": return_address(seller),
        },
        "buyer": {"name": addressee.name, "lines": buyer_lines},
        "buyer-label": words["customer"],
        "meta": meta,
        "credit": credit_lines,
        "columns": [words[key] for key in ("description", "quantity", "unit", "unit_price", "vat_rate", "amount")],
        "lines": lines,
        "vat-columns": [words["vat_group"], words["taxable_amount"], words["vat_amount"]],
        "vat": vat_rows,
        "notes": notes,
        "totals": totals,
        "total": total,
        "texts": [text for text in (_cash_discount_text(doc, words, formats), doc.note) if text],
        "payment-title": words["payment_details"],
        "payment": payment,
        "footer": footer,
        "page-label": words["page"],
        "pdf-title": f"{title} {doc.number} – {seller.name}",
        "date": [doc.issued_on.year, doc.issued_on.month, doc.issued_on.day],
    }
