"""The catalog: products, treatment types (bookings) and contact types (journal notes)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from fakturera.billables.selectors import basis_open_count
from fakturera.catalog.models import ContactType, Priced, Product, TreatmentType
from fakturera.catalog.services import catalog_item_save
from fakturera.core.errors import DomainError
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.staff.forms.catalog import FORMS
from fakturera.staff.forms_errors import VAT_ALIASES, add_domain_error

# URL kind -> (model, heading of its table and form)
KINDS: dict[str, tuple[type[Priced], str]] = {
    "product": (Product, gettext_lazy("Products and services")),
    "treatment-type": (TreatmentType, gettext_lazy("Treatment types")),
    "contact-type": (ContactType, gettext_lazy("Contact types")),
}


@staff_view()
def catalog(request: HttpRequest) -> HttpResponse:
    company = request.company
    tables = [
        {"kind": kind, "title": title, "items": model.objects.filter(company=company).order_by("-is_active", "name")}
        for kind, (model, title) in KINDS.items()
    ]
    return render(request, "staff/catalog/catalog.html", {"section": "catalog", "tables": tables})


@staff_view()
def item_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    if kind not in KINDS:
        raise Http404
    model, title = KINDS[kind]
    company = request.company
    instance = get_for_company(model, company, pk=pk) if pk is not None else None
    form = FORMS[model](request.POST or None, company=company, instance=instance)
    if request.method == "POST" and form.is_valid():
        # A contact type's exclusion moves its notes' items out of the basis or back: say how many.
        in_basis = basis_open_count(company=company, contact_type_id=pk) if isinstance(instance, ContactType) else 0
        try:
            item = catalog_item_save(model=model, company=company, instance=instance, **form.service_fields())
        except DomainError as exc:
            add_domain_error(form, exc, aliases=VAT_ALIASES)
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": item.name})
            if isinstance(instance, ContactType):
                _basis_moved(request, in_basis, basis_open_count(company=company, contact_type_id=item.pk))
            return redirect("staff:catalog")
    context = {"section": "catalog", "form": form, "kind": kind, "title": title, "item": instance}
    return render(request, "staff/catalog/form.html", context, status=400 if form.errors else 200)


def _basis_moved(request: HttpRequest, before: int, after: int) -> None:
    if after < before:
        messages.info(
            request,
            ngettext(
                "%(count)d journal note left the basis.", "%(count)d journal notes left the basis.", before - after
            )
            % {"count": before - after},
        )
    elif after > before:
        messages.info(
            request,
            ngettext(
                "%(count)d journal note is back in the basis.",
                "%(count)d journal notes are back in the basis.",
                after - before,
            )
            % {"count": after - before},
        )
