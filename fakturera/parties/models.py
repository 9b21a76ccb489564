"""Companies (tenants), their staff and roles, the customers they invoice, and the
API keys they give their integrations.

A customer is a person or an organisation, in one table: invoices, basis items
and bookings point at one kind of row whatever the customer is, and the few
fields that belong to one kind only stay empty on the other.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fakturera.core.identifiers import COUNTRY_CHOICES
from fakturera.core.money import CURRENCY_CHOICES


def logo_upload_to(company: Company, filename: str) -> str:
    return f"logos/{company.pk or 'new'}/{filename}"


class BasisSource(models.TextChoices):
    BOOKINGS = "bookings", _("Bookings")
    JOURNAL_NOTES = "journal_notes", _("Journal notes")


class PdfTemplate(models.TextChoices):
    """Invoice layouts (documents/pdf/templates/<value>.typ)."""

    STANDARD = "standard", _("Standard")
    WINDOW = "window", _("Window envelope")


class Channel(models.TextChoices):
    """Delivery channels; routing and sending come with distribution."""

    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    PRINT = "print", _("Print")
    PORTAL = "portal", _("Portal")
    PEPPOL = "peppol", _("Peppol e-invoice")
    EXPORT = "export", _("Export")
    DIRECT_DEBIT = "direct_debit", _("Direct debit (Autogiro)")


class AdvanceUnit(models.TextChoices):
    """The interval of a period text's advance (the values of recurring/schedule.py)."""

    DAYS = "days", _("Days")
    WEEKS = "weeks", _("Weeks")
    MONTHS = "months", _("Months")


class Language(models.TextChoices):
    SWEDISH = "sv", "Svenska"
    ENGLISH = "en", "English"
    DANISH = "da", "Dansk"
    NORWEGIAN = "nb", "Norsk"


class PostalAddress(models.Model):
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address, line 2"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="SE")

    class Meta:
        abstract = True

    @property
    def has_postal_address(self) -> bool:
        return bool(self.address_line1 and self.postal_code and self.city)

    def address_lines(self) -> list[str]:
        last = " ".join(part for part in (self.postal_code, self.city) if part)
        return [line for line in (self.address_line1, self.address_line2, last) if line]


class Company(PostalAddress):
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, choices=COUNTRY_CHOICES, default="SE")
    org_number = models.CharField(_("organisation number"), max_length=20)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    is_f_tax_approved = models.BooleanField(_("approved for F-tax"), default=True)
    bankgiro = models.CharField(_("bankgiro"), max_length=10, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    peppol_id = models.CharField(_("Peppol ID"), max_length=60, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    # In the configured storage (core/storage.py: the database, or the S3 store), under the
    # company's id; logos uploaded before kept their names (logos/<file>).
    logo = models.ImageField(_("logo"), upload_to=logo_upload_to, blank=True)
    brand_colour = models.CharField(_("brand colour"), max_length=7, default="#1f4e79")

    # Invoicing settings.
    basis_source = models.CharField(
        _("invoice basis from"), max_length=20, choices=BasisSource.choices, default=BasisSource.BOOKINGS
    )
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    # An early-payment cash discount (seed 004): percent off when paid within the days; 0 = none.
    cash_discount_percent = models.DecimalField(
        _("cash discount (%)"), max_digits=4, decimal_places=2, default=Decimal("0.00")
    )
    cash_discount_days = models.PositiveSmallIntegerField(_("cash discount period (days)"), default=0)
    default_currency = models.CharField(_("default currency"), max_length=3, choices=CURRENCY_CHOICES, default="SEK")
    is_rounding_to_whole_units = models.BooleanField(_("round totals to whole units"), default=False)
    # How far ahead of today an invoice may be dated (invoicing/issuing.py, "Issue dates").
    issue_days_ahead = models.PositiveSmallIntegerField(_("invoice date at most days ahead"), default=30)
    has_ocr_length_digit = models.BooleanField(_("OCR reference with length digit"), default=False)
    is_invoicing_organisation_of_person = models.BooleanField(_("invoice a person's organisation"), default=False)
    # Documents.
    pdf_template = models.CharField(
        _("invoice layout"), max_length=20, choices=PdfTemplate.choices, default=PdfTemplate.STANDARD
    )
    is_embedding_pdf_in_ubl = models.BooleanField(_("attach the PDF to e-invoices"), default=False)
    # Recurring invoices (seed 002, "Periodtext"): a text on each generated line naming the
    # period it bills, [START] and [END] replaced by dates moved on by the advance.
    has_period_text = models.BooleanField(_("add the period text to generated lines"), default=False)
    period_text_template = models.CharField(
        _("period text"), max_length=200, default="Gäller för perioden [START] till [END]"
    )
    period_advance_factor = models.PositiveSmallIntegerField(_("advance"), default=0)
    period_advance_unit = models.CharField(
        _("advance interval"),
        max_length=10,
        choices=AdvanceUnit.choices,
        default=AdvanceUnit.WEEKS,
    )
    # Every staff member of this company logs in with a second factor (staff/two_factor.py):
    # one without a device is sent to set one up before any page of the company opens.
    requires_two_factor = models.BooleanField(_("require two-factor authentication"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [models.UniqueConstraint(fields=["country", "org_number"], name="company_org_number_unique")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    ACCOUNTANT = "accountant", _("Accountant")
    READ_ONLY = "read_only", _("Read-only")


# What each role may do; views ask `role_allows(role, need)`.
ROLE_RANK = {Role.READ_ONLY: 0, Role.ACCOUNTANT: 1, Role.ADMIN: 2}


class CompanyUser(models.Model):
    """A user's role in one company; a user may work for several companies."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="company_roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.ACCOUNTANT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "user"], name="company_user_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.role})"


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class Customer(PostalAddress):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="customers")
    kind = models.CharField(_("kind"), max_length=12, choices=CustomerKind.choices)
    number = models.PositiveIntegerField(_("customer number"))
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("For an organisation: where invoices go."))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH)
    relationship_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_customers",
    )
    preferred_channel = models.CharField(
        _("preferred delivery channel"), max_length=20, choices=Channel.choices, blank=True
    )
    # Persons only.
    personnummer = models.CharField(_("personnummer"), max_length=13, blank=True)
    invoice_email = models.EmailField(
        _("invoice e-mail"), blank=True, help_text=_("For a person: where invoices go, if not to the e-mail above.")
    )
    # Organisations only.
    org_number = models.CharField(_("organisation number"), max_length=20, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    peppol_id = models.CharField(_("Peppol ID"), max_length=60, blank=True)
    gln = models.CharField(_("GLN"), max_length=13, blank=True)
    invoice_reference = models.ForeignKey(
        "self",
        verbose_name=_("invoice reference person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": CustomerKind.PERSON},
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), null=True, blank=True, help_text=_("Empty: the company's terms.")
    )
    cash_discount_percent = models.DecimalField(
        _("cash discount (%)"), max_digits=4, decimal_places=2, null=True, blank=True,
        help_text=_("Empty: the company's cash discount."),
    )  # fmt: skip
    cash_discount_days = models.PositiveSmallIntegerField(
        _("cash discount period (days)"), null=True, blank=True, help_text=_("Empty: the company's period.")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="customer_number_unique"),
            models.CheckConstraint(
                condition=Q(kind="organisation") | (Q(org_number="") & Q(vat_number="") & Q(peppol_id="")),
                name="customer_person_has_no_org_identifiers",
            ),
        ]
        indexes = [models.Index(fields=["company", "kind", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_organisation(self) -> bool:
        return self.kind == CustomerKind.ORGANISATION


class OrganisationMember(models.Model):
    """A person's membership of an organisation (employee, participant's employer...)."""

    organisation = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="organisations")
    title = models.CharField(_("title"), max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "person"], name="organisation_member_unique")]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.organisation_id}"


class ApiKey(models.Model):
    """A company's credential for its integrations: `fk_<prefix>_<secret>`, shown once.

    The secret is never stored, only its SHA-256: a leaked database does not leak
    working keys. The prefix is stored in clear so a request finds its key with one
    indexed lookup and so staff can tell their keys apart. Made, revoked and checked
    by `parties/keys.py`; the API authenticates its requests with it.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    is_read_only = models.BooleanField(_("read-only"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # Disabled when the administrator answerable for it (its creator, or who enabled it again)
    # leaves the company or stops being an administrator; another administrator may enable
    # it again after review, and then answers for it (keys.py).
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_because_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None


class Invitation(models.Model):
    """An administrator's invitation of a person, by e-mail, to a role in the company.

    The link's token is made when the mail is sent (and again at each resend, which makes the
    earlier link useless); only its SHA-256 is stored. Pending until accepted, revoked or
    expired; accepting creates the CompanyUser (invitations.py)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    language = models.CharField(max_length=2, default="sv")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("invitation")

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.company_id}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
