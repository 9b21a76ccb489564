"""Courses, their occurrences, the public registration form and registrations (seed 000).

An open course bills each processed registration's paying organisation; a
tailored course bills each customer on the occurrence's customers tab its agreed
price. The basis items that result live in billables (BasisItem.course_registration
and BasisItem.course_customer), as bookings' and journal notes' do.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fakturera.catalog.vat import VatCategory
from fakturera.core.errors import StateConflict
from fakturera.courses.states import RegistrationStatus
from fakturera.parties.models import Company, Customer, Language


class CourseKind(models.TextChoices):
    OPEN = "open", _("Open (price per participant)")
    TAILORED = "tailored", _("Tailored (price per customer)")


class Course(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=CourseKind.choices, default=CourseKind.OPEN)
    description = models.TextField(_("description"), blank=True)
    vat_category = models.CharField(
        _("VAT category"), max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=25)
    account_code = models.CharField(_("account"), max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["company", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_tailored(self) -> bool:
        return self.kind == CourseKind.TAILORED


class Occurrence(models.Model):
    """One run of a course: its dates, place, language and (open courses) its price."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="occurrences")
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH)
    price = models.DecimalField(_("price per participant"), max_digits=14, decimal_places=4, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "pk"]
        indexes = [models.Index(fields=["company", "starts_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="occurrence_dates_order"),
            models.CheckConstraint(condition=Q(price__gte=0), name="occurrence_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.course.name} {self.dates}"

    @property
    def dates(self) -> str:
        if self.starts_on == self.ends_on:
            return f"{self.starts_on:%Y-%m-%d}"
        return f"{self.starts_on:%Y-%m-%d}–{self.ends_on:%Y-%m-%d}"


class PriceCategory(models.Model):
    """An alternative price of an open occurrence (member, early bird ...); the participant picks one."""

    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="price_categories")
    name = models.CharField(_("name"), max_length=100)
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=4)

    class Meta:
        ordering = ["price", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["occurrence", "name"], name="price_category_name_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_category_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class OccurrenceCustomer(models.Model):
    """A tailored occurrence's customer: the organisation billed, its agreed price and contact persons."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="customers")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="course_agreements")
    price = models.DecimalField(_("agreed price"), max_digits=14, decimal_places=4)
    project_number = models.CharField(_("project number / invoice reference"), max_length=100, blank=True)
    contacts = models.ManyToManyField(Customer, verbose_name=_("contact persons"), blank=True, related_name="+")

    class Meta:
        ordering = ["customer__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["occurrence", "customer"], name="occurrence_customer_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="occurrence_customer_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.occurrence_id}"


class FieldUse(models.TextChoices):
    HIDDEN = "hidden", _("Not asked")
    OPTIONAL = "optional", _("Optional")
    REQUIRED = "required", _("Required")


# The billing fields a form may ask for; each form says which and whether required.
BILLING_FIELDS = ("peppol_id", "vat_number", "org_number", "project_number", "invoice_address")


class RegistrationForm(models.Model):
    """The public form of one occurrence, at /register/<token>/."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    occurrence = models.OneToOneField(Occurrence, on_delete=models.CASCADE, related_name="registration_form")
    token = models.CharField(max_length=32, unique=True)
    is_open = models.BooleanField(_("open for registrations"), default=True)
    needs_manager_approval = models.BooleanField(_("the manager approves each registration"), default=False)
    peppol_id = models.CharField(_("Peppol ID"), max_length=10, choices=FieldUse.choices, default=FieldUse.OPTIONAL)
    vat_number = models.CharField(_("VAT number"), max_length=10, choices=FieldUse.choices, default=FieldUse.OPTIONAL)
    org_number = models.CharField(
        _("organisation number"), max_length=10, choices=FieldUse.choices, default=FieldUse.REQUIRED
    )
    project_number = models.CharField(
        _("invoice reference / project number"), max_length=10, choices=FieldUse.choices, default=FieldUse.OPTIONAL
    )
    invoice_address = models.CharField(
        _("invoice address"), max_length=10, choices=FieldUse.choices, default=FieldUse.OPTIONAL
    )

    def __str__(self) -> str:
        return self.token

    def use(self, field: str) -> str:
        return getattr(self, field)


class Registration(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    occurrence = models.ForeignKey(Occurrence, on_delete=models.PROTECT, related_name="registrations")
    status = models.CharField(_("status"), max_length=20, choices=RegistrationStatus.choices)
    # As the participant typed it (normalised by the identifier checks).
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    personnummer = models.CharField(_("personnummer"), max_length=13, blank=True)
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    org_number = models.CharField(_("organisation number"), max_length=20, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    peppol_id = models.CharField(_("Peppol ID"), max_length=60, blank=True)
    project_number = models.CharField(_("invoice reference / project number"), max_length=100, blank=True)
    invoice_address_line1 = models.CharField(_("invoice address"), max_length=200, blank=True)
    invoice_postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    invoice_city = models.CharField(_("city"), max_length=100, blank=True)
    price_category = models.ForeignKey(
        PriceCategory, verbose_name=_("price category"), on_delete=models.PROTECT, null=True, blank=True
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH)
    message = models.TextField(_("message"), blank=True)
    manager_email = models.EmailField(_("manager's e-mail"), blank=True)
    manager_name = models.CharField(_("manager's name"), max_length=200, blank=True)
    # The approval e-mail was not sent: its manager address had reached its limit
    # (COURSE_APPROVAL_MAIL_LIMIT). Staff resend it or approve on the manager's behalf.
    approval_mail_held = models.BooleanField(_("approval e-mail held"), default=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Set by staff when processing.
    participant = models.ForeignKey(
        Customer, verbose_name=_("participant"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    represented_organisation = models.ForeignKey(
        Customer,
        verbose_name=_("represented organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    paying_organisation = models.ForeignKey(
        Customer,
        verbose_name=_("paying organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    processed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["company", "status"]),
            models.Index(fields=["occurrence", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="processed") | Q(participant__isnull=False, paying_organisation__isnull=False),
                name="registration_processed_is_linked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.occurrence_id})"

    @property
    def unit_price(self) -> Decimal:
        return self.price_category.price if self.price_category_id else self.occurrence.price


class RegistrationEventKind(models.TextChoices):
    APPROVAL_MAIL_SENT = "approval_mail_sent", _("Approval e-mail sent")
    APPROVAL_MAIL_HELD = "approval_mail_held", _("Approval e-mail held")
    APPROVAL_MAIL_RESEND = "approval_mail_resend", _("Approval e-mail resent by staff")
    APPROVED = "approved", _("Approved by the manager")
    DECLINED = "declined", _("Declined by the manager")
    APPROVED_ON_BEHALF = "approved_on_behalf", _("Approved by staff on the manager's behalf")


class RegistrationEvent(models.Model):
    """A registration's history: append-only rows (the manager's approval, its e-mails),
    as data: a kind, its parameters and the actor (None: the system or the manager's
    link). Worded in the reader's language when shown (selectors.registration_history)."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=RegistrationEventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise StateConflict("History events are never changed.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise StateConflict("History events are never removed.")
