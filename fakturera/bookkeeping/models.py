"""Vouchers (verifikationer) with their transactions, the company's account mapping and its
closed months (see DESIGN.md).

A voucher is never changed nor deleted (Bokföringslagen 5 kap. 5 §): a correction is a new
voucher that reverses it (`reverses`). Its lines are the SIE #TRANS rows: an account, an amount
in the company's currency, signed (debit positive, credit negative, as SIE 4 writes them), and
they add up to zero.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fakturera.bookkeeping.states import Series, SourceKind
from fakturera.core.errors import StateConflict
from fakturera.parties.models import Company


class VoucherCounter(models.Model):
    """The next number of a series in a fiscal year: its row is locked by the statement that
    takes numbers (numbering.py), so two bookings queue and a rollback gives the numbers back."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    series = models.CharField(max_length=4, choices=Series.choices)
    fiscal_year_start = models.DateField()
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "series", "fiscal_year_start"], name="voucher_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.fiscal_year_start:%Y} {self.next_number}"


class Voucher(models.Model):
    # The tenant column of a table a bank file writes fifty thousand rows of at once: no database
    # constraint (checked at commit, a lookup each), as payments' ledger; Django still protects.
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    series = models.CharField(_("series"), max_length=4, choices=Series.choices)
    fiscal_year_start = models.DateField(_("fiscal year"))
    number = models.PositiveIntegerField(_("number"))
    date = models.DateField(_("date"))
    text = models.CharField(_("text"), max_length=200)
    source_kind = models.CharField(_("source"), max_length=20, choices=SourceKind.choices)
    source_id = models.BigIntegerField()
    # A document or payment in another currency than the books': the currency and the rate (SEK per
    # unit) its amounts were booked at; a payment's voucher clears the receivable at the invoice's.
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    exchange_rate = models.DecimalField(
        _("exchange rate (SEK)"), max_digits=16, decimal_places=8, null=True, blank=True
    )
    # A correction: this voucher reverses that one, line by line.
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip

    class Meta:
        ordering = ["series", "fiscal_year_start", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "series", "fiscal_year_start", "number"], name="voucher_number_unique"
            ),
            # A business event is booked once: an invoice, a payment received, a group of allocations.
            models.UniqueConstraint(fields=["company", "source_kind", "source_id"], name="voucher_source_unique"),
        ]
        indexes = [models.Index(fields=["company", "date"])]

    def __str__(self) -> str:
        return f"{self.series}{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise StateConflict("A voucher is never changed; reverse it instead.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise StateConflict("A voucher is never deleted; reverse it instead.")


class VoucherLine(models.Model):
    """One transaction (SIE #TRANS) of a voucher."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="lines", db_index=False)
    position = models.PositiveSmallIntegerField()
    account = models.CharField(_("account"), max_length=6)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    text = models.CharField(_("text"), max_length=200, blank=True)
    # An SIE object list ("1 \"100\"": dimension and object), empty when none.
    object = models.CharField(_("object"), max_length=60, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["voucher", "position"]
        constraints = [
            models.UniqueConstraint(fields=["voucher", "position"], name="voucher_line_position_unique"),
            models.CheckConstraint(condition=~Q(amount=0), name="voucher_line_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount}"


class AccountMapping(models.Model):
    """The company's own account for one purpose (rules.PURPOSES), where it differs from the BAS
    default (rules.BAS_DEFAULTS). Saved as a whole and checked as a whole (services)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    purpose = models.CharField(_("purpose"), max_length=20)
    account = models.CharField(_("account"), max_length=6)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "purpose"], name="account_mapping_unique")]

    def __str__(self) -> str:
        return f"{self.purpose}: {self.account}"


class PeriodLock(models.Model):
    """A month closed for bookkeeping. Reopening keeps the row (who and when) and sets
    `unlocked_at`; a month is closed while it has a row without one."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField(_("month"))  # its first day
    locked_at = models.DateTimeField(auto_now_add=True)
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-month", "-locked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "month"], condition=Q(unlocked_at__isnull=True), name="period_lock_once"
            ),
        ]
        indexes = [models.Index(fields=["company", "month"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
