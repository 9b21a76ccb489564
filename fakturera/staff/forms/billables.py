"""Forms for bookings and journal notes; the services keep the basis in step."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fakturera.billables.models import Booking, JournalNote, PaymentStatus
from fakturera.catalog.models import ContactType, TreatmentType
from fakturera.core.text import TextCheckedForm
from fakturera.parties.models import Company, Customer
from fakturera.staff.pickers import PickerField


def _active_or_current(model: type, company: Company, current_id: int | None) -> Any:
    """Active types, plus the one the row already has even if it was retired since."""
    condition = Q(is_active=True)
    if current_id:
        condition |= Q(pk=current_id)
    return model.objects.filter(condition, company=company).order_by("name")


class BookingForm(TextCheckedForm):
    customer = PickerField(kind="customers", label=_("Client"))
    treatment_type = forms.ModelChoiceField(label=_("Treatment type"), queryset=TreatmentType.objects.none())
    starts_at = forms.DateTimeField(
        label=_("Time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    payment_status = forms.ChoiceField(
        label=_("Payment"), choices=PaymentStatus.choices, initial=PaymentStatus.NOT_PAID
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, company: Company, instance: Booking | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {
                "customer": instance.customer_id,
                "treatment_type": instance.treatment_type_id,
                "starts_at": instance.starts_at,
                "payment_status": instance.payment_status,
                "note": instance.note,
            }
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(company=company).order_by("name")  # type: ignore[attr-defined]
        self.fields["treatment_type"].queryset = _active_or_current(  # type: ignore[attr-defined]
            TreatmentType, company, instance.treatment_type_id if instance else None
        )


class PaymentStatusForm(TextCheckedForm):
    payment_status = forms.ChoiceField(label=_("Payment"), choices=PaymentStatus.choices)


class JournalNoteForm(TextCheckedForm):
    customer = PickerField(kind="customers", label=_("Client"))
    contact_type = forms.ModelChoiceField(label=_("Contact type"), queryset=ContactType.objects.none())
    noted_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    text = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, company: Company, instance: JournalNote | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs["initial"] = {
                "customer": instance.customer_id,
                "contact_type": instance.contact_type_id,
                "noted_on": instance.noted_on,
                "text": instance.text,
            }
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(company=company).order_by("name")  # type: ignore[attr-defined]
        self.fields["contact_type"].queryset = _active_or_current(  # type: ignore[attr-defined]
            ContactType, company, instance.contact_type_id if instance else None
        )
