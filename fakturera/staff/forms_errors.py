"""Show a service's refusal on the form that asked for it."""

from __future__ import annotations

from django import forms

from fakturera.core.errors import DomainError, ValidationFailed

# Service fields that forms show as one combined field ("S:25" is category and rate).
VAT_ALIASES = {"vat_category": "vat", "vat_rate": "vat"}


def add_domain_error(form: forms.Form, exc: DomainError, *, aliases: dict[str, str] | None = None) -> None:
    """Attach each message to its field (renamed by `aliases`) when the form has it, else to the
    form as a whole; a message already shown on that field is not repeated."""
    aliases = aliases or {}
    errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "__all__": [exc.message]}
    for field, messages in errors.items():
        name = aliases.get(field, field)
        target = name if name in form.fields else None
        for message in messages:
            if message not in form.errors.get(target or "__all__", []):
                form.add_error(target, message)
