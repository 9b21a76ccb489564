"""Collections: the rate table, each company's reminder policy and settings, pauses, and one
row per reminder of an invoice's level (DESIGN.md, "The model").

Collections never writes another app's tables: invoices, customers and deliveries are
referenced by key, and what they say is read through their selectors."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fakturera.collections.states import (
    CollectionClaimState,
    DaysFrom,
    FeeKindChoice,
    InterestChargeState,
    InterestInvoiceMode,
    LastLevelAction,
    PauseReason,
    RateKindChoice,
    ReminderState,
    TaskMode,
)
from fakturera.core.identifiers import COUNTRY_CHOICES
from fakturera.core.money import CURRENCY_CHOICES
from fakturera.distribution.models import Delivery
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Channel, Company, Customer, CustomerKind

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0.00")}


class StatutoryRate(models.Model):
    """A published figure of one country, in force from `valid_from` (law.RateKind): a
    reference rate, a statutory late-interest rate or Norway's inkassosats. The law's margin
    (+8 points) is not stored here but in law.py. One table for the installation: the rates
    are the law's, not a company's."""

    country = models.CharField(_("country"), max_length=2, choices=COUNTRY_CHOICES)
    kind = models.CharField(_("kind"), max_length=20, choices=RateKindChoice.choices)
    valid_from = models.DateField(_("valid from"))
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=4)
    source = models.CharField(_("source"), max_length=500)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country", "kind", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["country", "kind", "valid_from"], name="statutory_rate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.kind} {self.valid_from} {self.value}"


class CollectionSettings(models.Model):
    """The company's choices for collections; a company without a row has the defaults."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="collection_settings")
    # lag (1981:739) 2 §: a Swedish reminder fee only where agreed when the debt arose; the
    # company's terms say so for every customer unless the customer's own terms differ.
    is_reminder_fee_agreed = models.BooleanField(_("reminder fee agreed in the terms"), default=False)
    # lag (1981:739) 4 a §: between businesses, the one-off förseningsersättning instead of fees.
    is_claiming_late_compensation = models.BooleanField(
        _("claim the late-payment compensation from businesses"), default=False
    )
    # The daily job sends the reminders due (collections.jobs); off (the default: letters reach
    # customers only once the company has chosen so, also after an upgrade), staff send them
    # from the Reminders page.
    is_reminding_automatically = models.BooleanField(_("send the reminders due every day"), default=False)
    bank_import_stale_days = models.PositiveSmallIntegerField(
        _("warn when the last bank import is older than (days)"), default=2
    )
    interest_invoice_mode = models.CharField(
        _("interest invoices"), max_length=10, choices=InterestInvoiceMode.choices, default=InterestInvoiceMode.PROPOSE
    )
    interest_invoice_minimum_amount = models.DecimalField(
        _("smallest interest invoiced"), max_digits=14, decimal_places=2, default=Decimal("100.00")
    )

    def __str__(self) -> str:
        return str(self.company_id)


class CustomerCollectionTerms(models.Model):
    """A customer's own terms, where they differ from the company's (a table of its own:
    parties' tables are not collections' to change)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    # None: the company's terms.
    is_reminder_fee_agreed = models.BooleanField(_("reminder fee agreed"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["company"], name="collection_terms_company")]

    def __str__(self) -> str:
        return str(self.customer_id)


class ReminderPolicy(models.Model):
    """A company's reminder schedule for one kind of customer: its levels, the smallest amount
    reminded and what follows the last level."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer_kind = models.CharField(_("customer kind"), max_length=12, choices=CustomerKind.choices)
    # In the invoice's currency: an open amount below it gets no reminder.
    minimum_amount = models.DecimalField(_("smallest amount reminded"), **MONEY)
    last_level_action = models.CharField(
        _("after the last level"), max_length=12, choices=LastLevelAction.choices, default=LastLevelAction.STOP
    )
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "customer_kind"], name="reminder_policy_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.customer_kind}"


class ReminderLevel(models.Model):
    """One level: when it is due, how it travels, what it charges and says."""

    policy = models.ForeignKey(ReminderPolicy, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField(_("level"))
    days = models.PositiveSmallIntegerField(_("days"))
    days_from = models.CharField(_("counted"), max_length=10, choices=DaysFrom.choices, default=DaysFrom.DUE_DATE)
    # Blank: distribution's routing (its reminder channel, the customer's, the default).
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    # In the currency of the company's country; None or 0: no fee. Capped by law at run time.
    fee_amount = models.DecimalField(_("fee"), max_digits=14, decimal_places=2, null=True, blank=True)
    is_claiming_interest = models.BooleanField(_("claim late-payment interest"), default=True)
    new_due_days = models.PositiveSmallIntegerField(_("new due date (days)"), default=10)
    task_mode = models.CharField(_("staff task"), max_length=10, choices=TaskMode.choices, blank=True, default="")
    # {"sv": {"subject": ..., "body": ..., "letter": ...}, "en": {...}}: a language left out
    # uses distribution's reminder text. Variables as in the invoice e-mails (distribution.mail).
    texts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="reminder_level_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="reminder_level_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} level {self.number}"


class ReminderPause(models.Model):
    """No reminders for an invoice, or for all of a customer's invoices, from `starts_on` until
    `ends_on` (open: until ended). Ending it keeps the row (who, when): the history."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=20, choices=PauseReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(invoice__isnull=False, customer__isnull=True)
                | Q(invoice__isnull=True, customer__isnull=False),
                name="reminder_pause_invoice_or_customer",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="reminder_pause_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["company", "ended_at"], name="reminder_pause_open")]

    def __str__(self) -> str:
        return f"pause {self.invoice_id or ''}{self.customer_id or ''}"


class Reminder(models.Model):
    """One level of one invoice's reminders: at most one row per (invoice, level), whatever
    runs, clicks or workers meet (the run's idempotency: an insert that meets the key sends
    nothing). A failed or undone reminder stays and is queued again by the run (attempt + 1)."""

    # A reminder run writes a hundred thousand rows at once: PostgreSQL would check each row's
    # company, customer, invoice and delivery at commit (a lookup and a row lock each, seconds in
    # all), so those columns have no database constraint. The run writes its rows in the
    # transaction that holds their invoices locked (distribution's invoices_send, FOR UPDATE), and
    # the unique key (invoice, level) stays; Django still cascades and protects on delete (as
    # payments' ledger, payments/models.py). The customer's index is the first column of
    # reminder_customer_on.
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    level = models.PositiveSmallIntegerField(_("level"))
    state = models.CharField(_("state"), max_length=10, choices=ReminderState.choices, default=ReminderState.QUEUED)
    attempt = models.PositiveSmallIntegerField(default=1)
    # The day the run decided it (the law's dates count from it) and when it was queued/sent.
    assessed_on = models.DateField(_("reminder date"))
    queued_at = models.DateTimeField(_("queued"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    open_amount = models.DecimalField(_("open"), **MONEY)
    fee_amount = models.DecimalField(_("fee"), **MONEY)
    fee_kind = models.CharField(_("fee kind"), max_length=20, choices=FeeKindChoice.choices, blank=True, default="")
    interest_amount = models.DecimalField(_("interest"), **MONEY)
    interest_until = models.DateField(_("interest until"), null=True, blank=True)
    # The interest period by period, as the letter prints it: [{"rate", "from", "to", "amount"}].
    interest_periods = models.JSONField(default=list, blank=True)
    new_due_on = models.DateField(_("new due date"), null=True, blank=True)
    # The delivery it went with (distribution's), None for a task-only level or before routing.
    delivery = models.ForeignKey(
        Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False
    )
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        ordering = ["invoice_id", "level"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level"], name="reminder_invoice_level_unique"),
            models.CheckConstraint(condition=Q(level__gte=1), name="reminder_level_positive"),
            models.CheckConstraint(condition=Q(fee_amount__gte=0), name="reminder_fee_not_negative"),
        ]
        indexes = [
            models.Index(fields=["company", "state"], name="reminder_company_state"),
            models.Index(fields=["customer", "assessed_on"], name="reminder_customer_on"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} level {self.level} {self.state}"


class InterestCharge(models.Model):
    """The late-payment interest and the reminder fees owed on one invoice paid after its due
    date (DESIGN.md, "Interest invoices"): at most one row per paid invoice, unique in the
    database, so an `invoice.paid` published twice or a run again never proposes twice. Issued,
    it names the interest invoice (räntefaktura) made of it; that invoice is never charged
    fees or interest itself (`charge_invoice` is the mark the run reads)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    invoice_number = models.CharField(_("invoice"), max_length=40)
    state = models.CharField(_("state"), max_length=15, choices=InterestChargeState.choices)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    due_on = models.DateField(_("due date"))
    paid_on = models.DateField(_("paid on"))
    days_late = models.PositiveIntegerField(_("days late"))
    interest_amount = models.DecimalField(_("interest"), **MONEY)
    # Period by period, as the interest invoice's lines say: [{"rate", "from", "to", "days",
    # "principal", "amount"}].
    interest_periods = models.JSONField(default=list, blank=True)
    fee_amount = models.DecimalField(_("fees"), **MONEY)
    # The reminders' fees not yet invoiced: [{"reminder_id", "level", "on", "kind", "amount"}].
    fees = models.JSONField(default=list, blank=True)
    # Why nothing could be computed (a day without a rate), for the NO_RATE state.
    error = models.CharField(_("error"), max_length=300, blank=True)
    charge_invoice = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="interest_charge"
    )
    # Stamped by the recording call (not auto_now_add, which a bulk insert would overwrite): the
    # rows a call finds with its own time are the ones it inserted.
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    dismiss_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(interest_amount__gte=0), name="interest_charge_interest_not_negative"),
            models.CheckConstraint(condition=Q(fee_amount__gte=0), name="interest_charge_fee_not_negative"),
        ]
        indexes = [models.Index(fields=["company", "state"], name="interest_charge_company_state")]

    def __str__(self) -> str:
        return f"interest charge {self.invoice_id} {self.state}"

    @property
    def total_amount(self) -> Decimal:
        return self.interest_amount + self.fee_amount


class OverdueNotice(models.Model):
    """An invoice found overdue and unpaid for the first time (`invoice.overdue`): one row per
    invoice, unique in the database, so the event is published once whatever runs or jobs
    meet (collections.overdue)."""

    # A reminder run finds a hundred thousand at once, and a notice is only a mark that the
    # invoice was announced: no database constraint (PostgreSQL checked each row's company,
    # customer and invoice at commit, a lookup and a row lock each: 1 s of a 100,000-reminder run).
    # The invoice's unique index stays (the "once"); Django still cascades on delete.
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    due_on = models.DateField(_("due date"))
    found_on = models.DateField(_("found overdue"))
    # The finding run's time: the rows it inserted (the others' inserts are skipped by the key).
    found_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["company", "found_at"], name="overdue_notice_company_at")]

    def __str__(self) -> str:
        return f"{self.invoice_id} overdue {self.found_on}"


class CollectionClaim(models.Model):
    """An invoice handed over to debt collection (the policy's last level action): one row per
    invoice, unique in the database. Handed over by the run once the last reminder's deadline
    has passed unpaid, or by staff; exported to the collection agency as CSV or XLSX; undone
    with a reason before it is exported (collections.collection_agency)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", db_index=False)
    state = models.CharField(
        _("state"), max_length=12, choices=CollectionClaimState.choices, default=CollectionClaimState.HANDED_OVER
    )
    handed_over_on = models.DateField(_("handed over"))
    handed_over_at = models.DateTimeField()
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    # What was open when handed over; the export reads what is open when it is made.
    open_amount = models.DecimalField(_("open"), **MONEY)
    last_level = models.PositiveSmallIntegerField(_("last reminder level"))
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undo_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-handed_over_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="undone") | (Q(undone_at__isnull=False) & ~Q(undo_reason="")),
                name="collection_claim_undone_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(state="exported") | Q(exported_at__isnull=False),
                name="collection_claim_exported_has_time",
            ),
        ]
        indexes = [models.Index(fields=["company", "state"], name="collection_claim_company_state")]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.state}"
