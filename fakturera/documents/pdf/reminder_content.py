"""What the reminder template prints, as plain strings: `reminder_content` turns one
Reminder into the JSON-ready dict `templates/reminder.typ` reads.

The letterhead, address block, footer and payment accounts are the invoice's own
(content.py), with the same labels (labels.py) and babel formats, so a reminder reads
like the invoices it reminds of.
"""

from __future__ import annotations

from typing import Any

from fakturera.documents.pdf.content import (
    address_lines,
    formats_for,
    payment_accounts,
    return_address,
    seller_footer,
)
from fakturera.documents.pdf.labels import LABELS
from fakturera.documents.reminders import Reminder


def reminder_content(reminder: Reminder, *, layout: str) -> dict[str, Any]:
    formats = formats_for(reminder.language)
    words = LABELS[formats.language]
    seller, buyer = reminder.seller, reminder.buyer
    currency = reminder.currency
    reminded_on = reminder.reminded_on

    meta = [[words["reminder_date"], formats.date(reminded_on)]]
    if buyer.customer_number is not None:
        meta.append([words["customer_number"], str(buyer.customer_number)])
    meta.append([words["new_due_date"], formats.date(reminder.due_on)])

    rows = [
        [
            invoice.number,
            formats.date(invoice.issued_on),
            formats.date(invoice.due_on),
            formats.amount(invoice.total_amount),
            formats.amount(invoice.paid_amount),
            formats.amount(invoice.remaining_amount),
            invoice.payment_reference,
            str(invoice.days_overdue(reminded_on)),
        ]
        for invoice in reminder.invoices
    ]

    # Each row: label, a detail under it (an interest period and its invoice), amount.
    totals = [[words["overdue_total"], "", formats.money(reminder.overdue_amount, currency)]]
    for fee in reminder.fees:
        totals.append([words[f"fee_{fee.kind}"], "", formats.money(fee.amount, currency)])
    for row in reminder.interest:
        label = words["interest_row"].format(
            rate=formats.rate(row.rate), principal=formats.money(row.principal_amount, currency)
        )
        detail = words["period"].format(start=formats.date(row.from_on), end=formats.date(row.to_on))
        if len(reminder.invoices) > 1:
            detail += ", " + words["interest_for_invoice"].format(number=row.invoice_number)
        totals.append([label, detail, formats.money(row.amount, currency)])
    total = [words["total_to_pay"], formats.money(reminder.total_amount, currency)]

    # What to pay, by when and with which reference first; then where to (as on the invoice).
    payment = [total, [words["new_due_date"], formats.date(reminder.due_on)]]
    payment.append([words["payment_reference"], reminder.reference_to_pay_with or words["reference_each"]])
    payment += payment_accounts(seller, words=words)

    title = words["reminder"]
    level = words["reminder_level"].format(level=reminder.level)
    addressee = reminder.address_block
    return {
        "lang": formats.language,
        "layout": layout,
        "title": title,
        "level": level,
        "colour": seller.brand_colour or "#1f4e79",
        "logo": seller.logo,  # its name: render.py passes the bytes, once per batch
        "seller": {"name": seller.name, "return-address": return_address(seller)},
        "buyer": {
            "name": addressee.name,
            "lines": address_lines(addressee, words=words, formats=formats, home_country=seller.country),
        },
        "buyer-label": words["customer"],
        "meta": meta,
        "text": reminder.text.strip(),
        "columns": [
            words[key]
            for key in (
                "invoice_column",
                "invoice_date",
                "due_date",
                "amount",
                "paid",
                "remaining",
                "payment_reference",
                "days_overdue",
            )
        ],
        "invoices": rows,
        "totals": totals,
        "total": total,
        "already-paid": words["already_paid"],
        "payment-title": words["payment_details"],
        "payment": payment,
        "footer": seller_footer(seller, words=words, formats=formats, home_country=buyer.country or seller.country),
        "page-label": words["page"],
        "pdf-title": f"{title} – {level} – {seller.name}",
        "date": [reminded_on.year, reminded_on.month, reminded_on.day],
    }
