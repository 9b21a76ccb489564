"""What is billable, and the invoice basis it becomes.

Sources (bookings, journal notes, course registrations and tailored-course
customers from the courses app, manual lines) produce basis items. A basis item is a priced line waiting for an invoice:
staff may edit its price, remove it, or add more, and registering turns it into
exactly one invoice line (the unique link on InvoiceLine.basis_item).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fakturera.catalog.models import ContactType, TreatmentType
from fakturera.catalog.vat import VatCategory
from fakturera.parties.models import Company, Customer


class PaymentStatus(models.TextChoices):
    NOT_PAID = "not_paid", _("Not paid")
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")
    SWISH = "swish", _("Swish")
    OTHER = "other", _("Other")


class Booking(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, verbose_name=_("client"), on_delete=models.PROTECT, related_name="bookings")
    treatment_type = models.ForeignKey(
        TreatmentType, verbose_name=_("treatment type"), on_delete=models.PROTECT, related_name="bookings"
    )
    starts_at = models.DateTimeField(_("time"))
    payment_status = models.CharField(
        _("payment"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.NOT_PAID
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["company", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.treatment_type} {self.starts_at:%Y-%m-%d %H:%M}"


class JournalNote(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, verbose_name=_("client"), on_delete=models.PROTECT, related_name="journal_notes"
    )
    contact_type = models.ForeignKey(
        ContactType, verbose_name=_("contact type"), on_delete=models.PROTECT, related_name="journal_notes"
    )
    noted_on = models.DateField(_("date"))
    text = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-noted_on", "-pk"]
        indexes = [models.Index(fields=["company", "noted_on"])]

    def __str__(self) -> str:
        return f"{self.contact_type} {self.noted_on}"


class BasisSourceKind(models.TextChoices):
    BOOKING = "booking", _("Booking")
    JOURNAL_NOTE = "journal_note", _("Journal note")
    MANUAL = "manual", _("Manual line")
    COURSE_REGISTRATION = "course_registration", _("Course registration")
    COURSE_CUSTOMER = "course_customer", _("Tailored course")


class BasisItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    INVOICED = "invoiced", _("Invoiced")
    REMOVED = "removed", _("Removed")
    # Invoiced, then credited with its items returned: a new item (returned_from) took its
    # place and its source row, which it let go.
    CREDITED = "credited", _("Credited and returned to the basis")


class RemovedBecause(models.TextChoices):
    PAID = "paid", _("Paid another way")
    STAFF = "staff", _("Removed by staff")
    BASIS_SOURCE = "basis_source", _("Not the company's basis source")
    EXCLUDED = "excluded", _("Contact type excluded from invoicing")
    CANCELLED = "cancelled", _("Cancelled")


NO_COURSE = {"course_registration__isnull": True, "course_customer__isnull": True}
NO_SEED_001 = {"booking__isnull": True, "journal_note__isnull": True}


class BasisItem(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="basis_items")
    source = models.CharField(_("source"), max_length=20, choices=BasisSourceKind.choices)
    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, null=True, blank=True, related_name="basis_item")
    journal_note = models.OneToOneField(
        JournalNote, on_delete=models.PROTECT, null=True, blank=True, related_name="basis_item"
    )
    # Courses (seed 000): the registration or tailored-course customer this item bills.
    course_registration = models.OneToOneField(
        "courses.Registration", on_delete=models.PROTECT, null=True, blank=True, related_name="basis_item"
    )
    course_customer = models.OneToOneField(
        "courses.OccurrenceCustomer", on_delete=models.PROTECT, null=True, blank=True, related_name="basis_item"
    )
    description = models.CharField(_("description"), max_length=300)
    # The buyer's reference (project number); items with different ones go on different invoices.
    buyer_reference = models.CharField(_("your reference / project number"), max_length=100, blank=True)
    occurred_on = models.DateField(_("date"))
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"))
    unit = models.CharField(_("unit"), max_length=20, default="st")
    unit_price = models.DecimalField(_("price"), max_digits=14, decimal_places=4)
    vat_category = models.CharField(_("VAT category"), max_length=2, choices=VatCategory.choices)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    account_code = models.CharField(_("account"), max_length=10, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=BasisItemStatus.choices, default=BasisItemStatus.OPEN)
    removed_because = models.CharField(max_length=20, choices=RemovedBecause.choices, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    invoiced_at = models.DateTimeField(null=True, blank=True)
    # The credited item this one was returned from (services.basis_items_return).
    returned_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="returned_as"
    )

    class Meta:
        ordering = ["occurred_on", "pk"]
        indexes = [models.Index(fields=["company", "status", "customer"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(source="booking", booking__isnull=False, journal_note__isnull=True, **NO_COURSE)
                    | Q(source="journal_note", journal_note__isnull=False, booking__isnull=True, **NO_COURSE)
                    | Q(source="manual", booking__isnull=True, journal_note__isnull=True, **NO_COURSE)
                    | Q(
                        source="course_registration",
                        course_registration__isnull=False,
                        course_customer__isnull=True,
                        **NO_SEED_001,
                    )
                    | Q(
                        source="course_customer",
                        course_customer__isnull=False,
                        course_registration__isnull=True,
                        **NO_SEED_001,
                    )
                    # A credited, returned item has handed its source row to the new item.
                    | Q(status="credited", **NO_SEED_001, **NO_COURSE)
                ),
                name="basis_item_source_link",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="basis_item_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="basis_item_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.description
