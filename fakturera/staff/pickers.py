"""Search-as-you-type pickers: one widget and one form field for every choice of a
customer, person, organisation, product or user, so no page lists a whole register.

The widget is a hidden input with the chosen id and a text input the person types in;
fakturera.js (`data-picker`) asks the kind's URL (`views/pickers.py`) for at most
`LIMIT` matching options as an HTML fragment and lets arrow keys and Enter choose one.
Without JavaScript the typed text is looked up on the server: one match (or an exact
customer number) is taken, several or none are a clear error on the field. Either way
the id is checked against the field's queryset, which the form scopes to the company.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Model, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fakturera.catalog.models import Product
from fakturera.core.money import format_money
from fakturera.core.text import search_term
from fakturera.parties.models import Company, Customer, CustomerKind
from fakturera.payments.selectors import open_receivables

LIMIT = 20


def customer_search(qs: QuerySet[Customer], term: str) -> QuerySet[Customer]:
    """Name, e-mail, customer number or organisation number (with or without the dash)."""
    condition = Q(name__icontains=term) | Q(email__icontains=term) | Q(org_number__icontains=term)
    digits = term.replace("-", "").replace(" ", "")
    if digits.isdigit():
        qs = qs.annotate(org_digits=Replace("org_number", Value("-"), Value("")))
        condition |= Q(org_digits__contains=digits)
        if len(digits) <= 9:
            condition |= Q(number=int(digits))
    return qs.filter(condition)


def product_search(qs: QuerySet[Product], term: str) -> QuerySet[Product]:
    return qs.filter(Q(name__icontains=term) | Q(description__icontains=term))


def user_search(qs: QuerySet, term: str) -> QuerySet:
    return qs.filter(
        Q(username__icontains=term)
        | Q(first_name__icontains=term)
        | Q(last_name__icontains=term)
        | Q(email__icontains=term)
    )


def customer_label(customer: Customer) -> str:
    return f"{customer.name} ({customer.number})"


def user_label(user: Any) -> str:
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


def receivable_search(qs: QuerySet, term: str) -> QuerySet:
    """An open invoice by its number, OCR reference or customer's name."""
    return qs.filter(
        Q(number__icontains=term) | Q(payment_reference__icontains=term) | Q(customer__name__icontains=term)
    )


def receivable_label(receivable: Any) -> str:
    open_amount = format_money(receivable.open_amount, receivable.currency)
    return f"{receivable.number} · {receivable.customer.name} · {open_amount}"


def company_users(company: Company) -> QuerySet:
    return get_user_model().objects.filter(company_roles__company=company).order_by("username")


@dataclass(frozen=True)
class Kind:
    """One kind of thing to pick: its company-scoped rows, how a term narrows them, its label."""

    url_name: str
    scope: Callable[[Company], QuerySet]
    search: Callable[[QuerySet, str], QuerySet]
    label: Callable[[Any], str]
    order: tuple[str, ...]
    none_found: Any
    several_found: Any
    placeholder: Any

    def matching(self, company: Company, term: str) -> QuerySet:
        return self.search(self.scope(company), term).order_by(*self.order)


def _customers(kind: str | None) -> Callable[[Company], QuerySet[Customer]]:
    def scope(company: Company) -> QuerySet[Customer]:
        qs = Customer.objects.filter(company=company)
        return qs.filter(kind=kind) if kind else qs

    return scope


KINDS: dict[str, Kind] = {
    "customers": Kind(
        "staff:pick_customers", _customers(None), customer_search, customer_label, ("name", "pk"),
        _("No customer matches what was typed (%(text)s)."),
        _("Several customers match what was typed (%(text)s): choose one from the list or type more."),
        _("Name, number, org number or e-mail"),
    ),
    "persons": Kind(
        "staff:pick_persons", _customers(CustomerKind.PERSON), customer_search, customer_label, ("name", "pk"),
        _("No person matches what was typed (%(text)s)."),
        _("Several persons match what was typed (%(text)s): choose one from the list or type more."),
        _("Name, number or e-mail"),
    ),
    "organisations": Kind(
        "staff:pick_organisations", _customers(CustomerKind.ORGANISATION), customer_search, customer_label,
        ("name", "pk"),
        _("No organisation matches what was typed (%(text)s)."),
        _("Several organisations match what was typed (%(text)s): choose one from the list or type more."),
        _("Name, number, org number or e-mail"),
    ),
    "products": Kind(
        "staff:pick_products", lambda company: Product.objects.filter(company=company, is_active=True),
        product_search, str, ("name", "pk"),
        _("No product matches what was typed (%(text)s)."),
        _("Several products match what was typed (%(text)s): choose one from the list or type more."),
        _("Product name"),
    ),
    "users": Kind(
        "staff:pick_users", company_users, user_search, user_label, ("username", "pk"),
        _("No user of the company matches what was typed (%(text)s)."),
        _("Several users match what was typed (%(text)s): choose one from the list or type more."),
        _("Name, user name or e-mail"),
    ),
    "invoices": Kind(
        "staff:pick_invoices",
        lambda company: open_receivables(company=company).select_related("customer"),
        receivable_search,
        receivable_label, ("due_on", "pk"),
        _("No open invoice matches what was typed (%(text)s)."),
        _("Several open invoices match what was typed (%(text)s): choose one from the list or type more."),
        _("Invoice number, OCR or customer"),
    ),
}  # fmt: skip


def lookup(queryset: QuerySet, kind_name: str, text: str) -> Model:
    """The one row of `queryset` the typed text names: a customer number exactly, else the
    only match; several or none are a ValidationError that says so."""
    kind = KINDS[kind_name]
    text = search_term(text)
    if not text:
        raise forms.ValidationError(kind.none_found, code="invalid_choice", params={"text": ""})
    if queryset.model is Customer and text.isdigit():
        exact = queryset.filter(number=int(text)).first() if len(text) <= 9 else None
        if exact is not None:
            return exact
    found = list(kind.search(queryset, text).order_by(*kind.order)[:2])
    if len(found) == 1:
        return found[0]
    message = kind.none_found if not found else kind.several_found
    raise forms.ValidationError(message, code="invalid_choice", params={"text": text})


class PickerWidget(forms.Widget):
    """A hidden input with the id and a combobox text input named `<name>_text`."""

    template_name = "staff/includes/picker.html"

    def __init__(self, kind: str, *, fill: str = "", attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.kind = kind
        # "form" or "tr": choosing a product fills the description, price, VAT and unit there.
        self.fill = fill

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        pk, text = value if isinstance(value, tuple) else (value, "")
        context["widget"].update(
            {
                "pk": "" if pk in (None, "") else str(pk),
                "text": text,
                "url": reverse(KINDS[self.kind].url_name),
                "fill": self.fill,
                "placeholder": KINDS[self.kind].placeholder,
            }
        )
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> tuple[str, str] | None:
        if name not in data and f"{name}_text" not in data:
            return None
        return (str(data.get(name) or "").strip(), str(data.get(f"{name}_text") or "").strip())

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and f"{name}_text" not in data


class PickerField(forms.ModelChoiceField):
    """A model choice among `queryset` (the form scopes it to the company) through a picker.

    What the person typed is kept on an error, so nothing they entered is lost.
    """

    def __init__(self, *, kind: str, fill: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Customer.objects.none())
        super().__init__(widget=PickerWidget(kind, fill=fill), empty_label=None, **kwargs)
        self.kind = kind
        # Also where the input stands in a table cell with no <label> of its own.
        self.widget.attrs.setdefault("aria-label", self.label)

    def label_from_instance(self, obj: Model) -> str:
        return KINDS[self.kind].label(obj)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, tuple):
            return value
        if isinstance(value, Model):
            return (value.pk, self.label_from_instance(value))
        if value in (None, ""):
            return ("", "")
        found = self.queryset.filter(pk=value).first() if str(value).isdigit() else None
        return (value, self.label_from_instance(found)) if found else ("", "")

    def to_python(self, value: Any) -> Model | None:
        pk, text = value if isinstance(value, tuple) else (str(value or ""), "")
        if pk:
            found = self.queryset.filter(pk=pk).first() if pk.isdigit() else None
            if found is not None and (not text or text == self.label_from_instance(found)):
                return found
            if not text:
                raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        if not text:
            return None
        return self._lookup(text)

    def _lookup(self, text: str) -> Model:
        return lookup(self.queryset, self.kind, text)

    def has_changed(self, initial: Any, data: Any) -> bool:
        if self.disabled:
            return False
        chosen = data[0] or data[1] if isinstance(data, tuple) else data
        before = initial.pk if isinstance(initial, Model) else initial
        return str(before if before is not None else "") != str(chosen or "")


class PickerMultipleWidget(PickerWidget):
    """The chosen rows as ticked boxes named `name`, and a picker that adds one more."""

    template_name = "staff/includes/picker_multiple.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        chosen, text = value if isinstance(value, tuple) else (value or [], "")
        context = super().get_context(name, ("", text), attrs)
        context["widget"]["chosen"] = chosen
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> tuple[list[str], str]:
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name) or []
        return ([str(v) for v in values if str(v)], str(data.get(f"{name}_text") or "").strip())

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False


class PickerMultipleField(forms.ModelMultipleChoiceField):
    """Several rows of `queryset`, each added through a picker; typed text adds the one it names."""

    def __init__(self, *, kind: str, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Customer.objects.none())
        super().__init__(widget=PickerMultipleWidget(kind), **kwargs)
        self.kind = kind
        self.widget.attrs.setdefault("aria-label", self.label)

    def label_from_instance(self, obj: Model) -> str:
        return KINDS[self.kind].label(obj)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str):
            ids, text = value
        else:
            ids, text = list(value or []), ""
        ids = [v.pk if isinstance(v, Model) else v for v in ids]
        digits = [str(v) for v in ids if str(v).isdigit()]
        rows = {str(row.pk): row for row in self.queryset.filter(pk__in=digits)} if digits else {}
        return ([(pk, self.label_from_instance(rows[pk])) for pk in digits if pk in rows], text)

    def clean(self, value: Any) -> QuerySet:
        ids, text = value if isinstance(value, tuple) else (list(value or []), "")
        # Not super().clean(): it would pass the ids through prepare_value (the widget's pairs).
        chosen = list(self._check_values(ids)) if ids else []
        if text:
            found = lookup(self.queryset, self.kind, text)
            if found not in chosen:
                chosen.append(found)
        if self.required and not chosen:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return self.queryset.filter(pk__in=[row.pk for row in chosen])

    def has_changed(self, initial: Any, data: Any) -> bool:
        ids, text = data if isinstance(data, tuple) else (data or [], "")
        before = {str(v.pk if isinstance(v, Model) else v) for v in initial or []}
        return bool(text) or before != {str(v) for v in ids}
