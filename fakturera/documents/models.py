"""The stored documents of issued invoices and credit notes.

A document is rendered once and kept with its SHA-256: every later download and
every delivery returns these bytes (seed 004: the PDF stored with the contact).
Bytes live in the database by default, so a document and the invoice it belongs to
commit or roll back together and a backup holds both; with an S3-compatible store
configured they are an object there, named by `storage_key`, written before the row
(DESIGN.md, "Where the bytes are"). Read them only with `services.document_bytes`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Company, Customer


class DocumentFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    UBL = "ubl", _("Peppol BIS Billing 3.0 (UBL)")


class InvoiceDocument(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="documents")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="documents")
    format = models.CharField(max_length=3, choices=DocumentFormat.choices)
    # The PDF layout (PdfTemplate); "" for UBL, which has one form.
    template = models.CharField(max_length=20, blank=True)
    # The bytes, when they are in the database; empty when they are in the S3 store. On
    # PostgreSQL compressed with LZ4, not pglz (migration 0003 says why).
    content = models.BinaryField(default=b"", blank=True)
    # The object's key in the S3 store (below FAKTURERA_S3_PREFIX), or "" when the bytes are in
    # `content`: documents written before the store was configured keep theirs in the row.
    storage_key = models.CharField(max_length=300, blank=True, default="")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "format", "template"], name="invoice_document_unique")
        ]
        indexes = [models.Index(fields=["company", "customer"])]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.format} {self.template}"

    @property
    def filename(self) -> str:
        number = self.invoice.display_number
        prefix = "kreditfaktura" if self.invoice.is_credit_note else "faktura"
        return f"{prefix}-{number}.{'pdf' if self.format == DocumentFormat.PDF else 'xml'}"
