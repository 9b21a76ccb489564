"""Autogiro: the company's agreement with Bankgirot, its payers' mandates, and the
payment orders that go to Bankgirot in one file per run (see DESIGN.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from fakturera.invoicing.models import MONEY, Invoice
from fakturera.parties.models import Company, Customer


class AutogiroSettings(models.Model):
    """The payee in Bankgirot's files: BGC customer number and the bankgiro collected to."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="autogiro_settings")
    customer_number = models.CharField(_("Bankgirot customer number"), max_length=6)
    bankgiro = models.CharField(_("bankgiro"), max_length=10)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.customer_number} {self.bankgiro}"


class MandateStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    # A mandate ends ("avslutat"); a booking or registration is called off ("avbokad").
    CANCELLED = "cancelled", pgettext_lazy("autogiro mandate", "Cancelled")


class Mandate(models.Model):
    """A payer's consent to be debited: from a bank account (clearing + account) or a bankgiro."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="autogiro_mandates")
    # Our id of the payer at Bankgirot (up to 16 digits; for a bankgiro mandate, the bankgiro).
    payer_number = models.CharField(_("payer number"), max_length=16)
    clearing_number = models.CharField(_("clearing number"), max_length=5, blank=True)
    account_number = models.CharField(_("account number"), max_length=12, blank=True)
    payer_bankgiro = models.CharField(_("payer's bankgiro"), max_length=10, blank=True)
    # Personnummer (YYYYMMDDNNNN) or organisation number of the account holder.
    holder_id_number = models.CharField(_("personal or organisation number"), max_length=13, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=MandateStatus.choices, default=MandateStatus.ACTIVE)
    valid_from = models.DateField(_("valid from"))
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Bankgirot knows a payer by payer number: one active mandate per number and payee.
            models.UniqueConstraint(
                fields=["company", "payer_number"],
                condition=Q(status="active"),
                name="autogiro_active_payer_number_unique",
            ),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(status="active"), name="autogiro_one_active_mandate_per_customer"
            ),
            models.CheckConstraint(
                condition=(~Q(payer_bankgiro="") & Q(clearing_number="", account_number=""))
                | (Q(payer_bankgiro="") & ~Q(clearing_number="") & ~Q(account_number="")),
                name="autogiro_mandate_account_or_bankgiro",
            ),
            models.CheckConstraint(
                condition=Q(status="active", cancelled_on__isnull=True)
                | Q(status="cancelled", cancelled_on__isnull=False),
                name="autogiro_mandate_cancelled_has_date",
            ),
        ]
        indexes = [models.Index(fields=["company", "status"])]

    def __str__(self) -> str:
        return self.payer_number

    @property
    def is_active(self) -> bool:
        return self.status == MandateStatus.ACTIVE

    @property
    def account_display(self) -> str:
        if self.payer_bankgiro:
            return f"Bankgiro {self.payer_bankgiro}"
        return f"{self.clearing_number}-{self.account_number}"


class Run(models.Model):
    """One payment-order file: written once per company and date, then downloaded as the same bytes."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    run_on = models.DateField(_("run date"))
    content = models.BinaryField()
    order_count = models.PositiveIntegerField(default=0)
    total_amount = models.DecimalField(_("total"), **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-run_on", "-pk"]
        constraints = [models.UniqueConstraint(fields=["company", "run_on"], name="autogiro_run_once_a_day")]

    def __str__(self) -> str:
        return f"{self.company_id} {self.run_on}"

    @property
    def filename(self) -> str:
        return f"autogiro-{self.run_on:%Y%m%d}.txt"


class PaymentOrderStatus(models.TextChoices):
    """waiting -> filed (in a run's file) -> what Bankgirot reported: approved (collected),
    rejected (refused on receipt, with the comment code) or stopped (not collected on the payment
    date: insufficient funds, no Autogiro connection, renewed funds check); a stopped order
    can still be approved by a later report (status 9: Bankgirot tries again)."""

    WAITING = "waiting", _("Waiting for the next file")
    FILED = "filed", _("In a file to Bankgirot")
    APPROVED = "approved", _("Collected")
    REJECTED = "rejected", pgettext_lazy("autogiro payment order", "Rejected by Bankgirot")
    STOPPED = "stopped", pgettext_lazy("autogiro payment order", "Not collected")


# Bankgirot's reasons (Bg Autogiro Teknisk manual 2014; ../shared/formats/README.md section 4.2):
# the status of a stopped payment in the payment specification, and the comment code of a
# rejected payment order. The words of codes not listed are "comment code NN".
STOPPED_REASONS = {
    "1": _("insufficient funds"),
    "2": _("no Autogiro connection (the account is closed or the mandate missing)"),
    "9": _("renewed funds check: Bankgirot tries the collection again"),
}
REJECTED_REASONS = {
    "01": _("no mandate for the payer number"),
    "02": _("the account is not approved or is closed"),
    "06": _("wrong period code"),
    "07": _("wrong number of occurrences"),
    "08": _("the amount is not numeric"),
    "09": _("payouts are not allowed"),
    "10": _("the bankgiro number is unknown"),
    "12": _("wrong payment date"),
    "13": _("the payment date has passed"),
    "15": _("the bankgiro number of the opening record differs from the order's"),
    "24": _("the amount is above the maximum"),
}


def result_reason(status: str, code: str) -> str:
    """Bankgirot's reason for a rejected or stopped order, in the reader's language."""
    if status == PaymentOrderStatus.STOPPED:
        known = STOPPED_REASONS.get(code)
        return str(known) if known else gettext("status %(code)s") % {"code": code}
    if status == PaymentOrderStatus.REJECTED:
        known = REJECTED_REASONS.get(code)
        return str(known) if known else gettext("comment code %(code)s") % {"code": code}
    return ""


class PaymentOrder(models.Model):
    """An invoice to be collected by Autogiro; one per invoice (unique), whatever calls twice."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="autogiro_payment_order")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="payment_orders")
    payer_number = models.CharField(_("payer number"), max_length=16)
    amount = models.DecimalField(_("amount"), **MONEY)
    due_on = models.DateField(_("due date"))
    # Bankgirot's payee reference (16 characters): the OCR number, the only link back in reports.
    reference = models.CharField(_("reference"), max_length=16)
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentOrderStatus.choices, default=PaymentOrderStatus.WAITING
    )
    run = models.ForeignKey(Run, on_delete=models.PROTECT, null=True, blank=True, related_name="orders")
    # What Bankgirot reported (approved, rejected, stopped): its status or comment code, the
    # payment date it gave (a rejected order's may be no date) and when the report was read.
    result_code = models.CharField(_("Bankgirot's code"), max_length=2, blank=True)
    result_on = models.DateField(_("payment date reported"), null=True, blank=True)
    result_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="autogiro_payment_order_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="waiting", run__isnull=True) | (~Q(status="waiting") & Q(run__isnull=False)),
                name="autogiro_payment_order_filed_has_run",
            ),
        ]
        indexes = [models.Index(fields=["company", "status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.amount}"

    @property
    def result_reason(self) -> str:
        return result_reason(self.status, self.result_code)
