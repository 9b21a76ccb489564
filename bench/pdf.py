"""`pdf`: render N issued invoices as PDFs in one `render_pdfs` call.

Setup is not timed: a company with a logo, N customers (every fourth an
organisation), three basis items each registered as N issued invoices, and each
invoice read into its DocumentData. The timed part is the one `render_pdfs` call
that the documents service makes after issuing. `pdf_verify` then checks that
every file is a one-page PDF holding its invoice's number and total.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import time
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db.models import Prefetch
from PIL import Image, ImageDraw
from pypdf import PdfReader
from stdnum import luhn

from fakturera.billables.models import BasisItem, BasisSourceKind
from fakturera.documents.data import DocumentData, document_data
from fakturera.documents.pdf.render import render_pdfs
from fakturera.invoicing.models import Invoice, InvoiceLine
from fakturera.invoicing.services import invoices_register_from_basis
from fakturera.parties.models import Customer, CustomerKind
from fakturera.parties.services import company_create

TEMPLATE = "standard"
PDF_ORG_NUMBER_BASE = "559900456"
ITEM_KINDS = [
    ("Samtalsterapi", Decimal("950.0000"), "E", Decimal("0.00")),
    ("Parterapi", Decimal("1400.0000"), "E", Decimal("0.00")),
    ("Massage", Decimal("695.0000"), "S", Decimal("25.00")),
    ("Kursbok", Decimal("349.0000"), "S", Decimal("6.00")),
]


@dataclass(frozen=True)
class PdfCase:
    documents: list[DocumentData]
    pdfs: list[bytes]


def _logo() -> ContentFile:
    image = Image.new("RGB", (480, 160), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 160, 160), fill=(31, 78, 121))
    draw.ellipse((200, 30, 300, 130), fill=(200, 120, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="bench-logo.png")


def pdf_setup(*, n: int, seed: int = 2) -> PdfCase:
    rng = random.Random(seed)
    actor, _created = get_user_model().objects.get_or_create(username="bench-pdf")
    org_number = PDF_ORG_NUMBER_BASE + luhn.calc_check_digit(PDF_ORG_NUMBER_BASE)
    company = company_create(
        actor=actor,
        name="Mottagningen Åkerö AB",
        org_number=org_number,
        vat_number=f"SE{org_number}01",
        bankgiro="991-2346",
        iban="SE45 5000 0000 0583 9825 7466",
        bic="ESSESESS",
        address_line1="Mätvägen 1",
        postal_code="111 22",
        city="Stockholm",
        email="faktura@akero.example",
        phone="08-123 45 67",
        logo=_logo(),
    )
    customers = [
        Customer(
            company=company,
            kind=CustomerKind.ORGANISATION if index % 4 == 0 else CustomerKind.PERSON,
            number=1001 + index,
            name=f"Organisation {index} AB" if index % 4 == 0 else f"Kund Öberg-Ærø {index}",
            email=f"kund{index}@post.example",
            address_line1=f"Gatan {index % 200 + 1}",
            postal_code="123 45",
            city="Västerås",
            language="en" if index % 5 == 0 else "sv",
        )
        for index in range(n)
    ]
    Customer.objects.bulk_create(customers, batch_size=2000)
    month_start = dt.date(2026, 10, 1)
    items = []
    for customer in customers:
        for position in range(3):
            name, price, category, rate = rng.choice(ITEM_KINDS)
            day = month_start + dt.timedelta(days=position * 7 + rng.randrange(5))
            items.append(
                BasisItem(
                    company=company,
                    customer=customer,
                    source=BasisSourceKind.MANUAL,
                    description=f"{name} {day:%Y-%m-%d}",
                    occurred_on=day,
                    quantity=Decimal("1.000"),
                    unit_price=price,
                    vat_category=category,
                    vat_rate=rate,
                    currency="SEK",
                    created_by=actor,
                )
            )
    BasisItem.objects.bulk_create(items, batch_size=5000)
    invoices_register_from_basis(company=company, actor=actor, issued_on=dt.date(2026, 11, 2))
    invoices = (
        Invoice.objects.filter(company=company)
        .select_related("credited_invoice")
        .prefetch_related(Prefetch("lines", InvoiceLine.objects.order_by("position")), "vat_breakdown")
        .order_by("number")
    )
    return PdfCase(documents=[document_data(invoice) for invoice in invoices], pdfs=[])


def pdf_run(case: PdfCase) -> float:
    """Seconds taken by the one render call."""
    started = time.perf_counter()
    case.pdfs[:] = render_pdfs(case.documents, template=TEMPLATE)
    return time.perf_counter() - started


def pdf_verify(case: PdfCase) -> None:
    if len(case.pdfs) != len(case.documents):
        raise AssertionError(f"{len(case.pdfs)} PDFs for {len(case.documents)} invoices")
    for index in (0, len(case.pdfs) // 2, len(case.pdfs) - 1):
        document, pdf = case.documents[index], case.pdfs[index]
        reader = PdfReader(io.BytesIO(pdf))
        text = reader.pages[0].extract_text()
        if len(reader.pages) != 1 or document.number not in text or document.payment_reference not in text:
            raise AssertionError(f"PDF {index} does not show invoice {document.number}")
