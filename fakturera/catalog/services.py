"""Writes to the catalog: products, treatment types and contact types share the
checks of a price and a VAT category/rate."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _

from fakturera.catalog.events import CONTACT_TYPE_EXCLUSION_CHANGED
from fakturera.catalog.models import ContactType, Priced, Product, TreatmentType
from fakturera.catalog.vat import clean_vat
from fakturera.core.errors import DomainError, ErrorCollector
from fakturera.core.events import publish
from fakturera.core.money import clean_unit_price
from fakturera.core.text import check_texts
from fakturera.parties.models import Company

P = TypeVar("P", bound=Priced)

FIELDS: dict[type[Priced], set[str]] = {
    Product: {"name", "unit_price", "vat_category", "vat_rate", "account_code", "is_active", "unit", "description"},
    TreatmentType: {"name", "unit_price", "vat_category", "vat_rate", "account_code", "is_active", "duration_minutes"},
    ContactType: {
        "name", "unit_price", "vat_category", "vat_rate", "account_code", "is_active", "is_excluded_from_invoicing",
    },
}  # fmt: skip


def _clean(company: Company, data: dict[str, Any]) -> dict[str, Any]:
    errors = ErrorCollector()
    with errors.check():
        check_texts(data, multiline={"description"})
    if not (data.get("name") or "").strip():
        errors.add("name", _("A name is needed."))
    with errors.check():
        data["unit_price"] = clean_unit_price(data.get("unit_price"))
    with errors.check():
        key = clean_vat(data.get("vat_category", "S"), data.get("vat_rate"), country=company.country)
        data["vat_category"], data["vat_rate"] = key.category, key.rate
    account = (data.get("account_code") or "").strip()
    if account and not (account.isdigit() and len(account) == 4):
        errors.add("account_code", _("An account is four digits (BAS chart of accounts), such as 3001."))
    errors.raise_if_any()
    return data


@transaction.atomic
def catalog_item_save(*, model: type[P], company: Company, instance: P | None = None, **fields: Any) -> P:
    unknown = set(fields) - FIELDS[model]
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    current = {name: getattr(instance, name) for name in FIELDS[model]} if instance else {}
    data = _clean(company, {**current, **fields})
    if instance is None:
        return model.objects.create(company=company, **data)
    for name, value in data.items():
        setattr(instance, name, value)
    instance.save()
    excluded = data.get("is_excluded_from_invoicing")
    if isinstance(instance, ContactType) and current["is_excluded_from_invoicing"] != excluded:
        # Its journal notes' open items leave the basis, or come back (billables subscribes).
        publish(
            CONTACT_TYPE_EXCLUSION_CHANGED,
            company_id=company.pk,
            contact_type_id=instance.pk,
            is_excluded=bool(excluded),
        )
    return instance
