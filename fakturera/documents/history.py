"""How documents' own event reads in an invoice's history (registered from apps.py)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fakturera.documents.models import DocumentFormat
from fakturera.documents.services import DOCUMENT_FAILED
from fakturera.invoicing.history import Params, register_kind

NAMES = {DocumentFormat.PDF: "PDF", DocumentFormat.UBL: "Peppol XML (UBL)"}


def _failed(params: Params) -> str:
    formats = ", ".join(NAMES.get(fmt, str(fmt)) for fmt in params.get("formats") or [])
    return _(
        "Its documents (%(formats)s) could not be made: its text holds something they cannot carry, such as a "
        "control character."
    ) % {"formats": formats}


def register() -> None:
    register_kind(DOCUMENT_FAILED, label=gettext_lazy("Document failed"), sentence=_failed)
