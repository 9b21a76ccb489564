"""Forms of the task and notification pages: the task list's filter, a user's e-mail choice and
the company's billing-task setting. They parse; worklist.services decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fakturera.core.text import TextCheckedForm
from fakturera.staff.forms.basis import DATE_WIDGET
from fakturera.worklist.selectors import SCOPES, TaskFilter
from fakturera.worklist.states import BillingTasks, EmailMode, TaskKind

STATES = [("open", pgettext_lazy("tasks", "Open")), ("closed", pgettext_lazy("tasks", "Done")), ("any", _("All"))]


class TaskFilterForm(TextCheckedForm):
    state = forms.ChoiceField(label=_("State"), choices=STATES, required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    due_from = forms.DateField(label=_("Due from"), required=False, widget=DATE_WIDGET)
    due_to = forms.DateField(label=_("Due to"), required=False, widget=DATE_WIDGET)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds")), *TaskKind.choices]

    def to_filter(self, scope: str) -> TaskFilter:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return TaskFilter(
            scope=scope if scope in SCOPES else "mine",
            state=data.get("state") or "open",
            kind=data.get("kind") or "",
            due_from=data.get("due_from"),
            due_to=data.get("due_to"),
            is_overdue=bool(data.get("overdue")),
        )


class EmailModeForm(TextCheckedForm):
    email_mode = forms.ChoiceField(
        label=_("Notifications by e-mail"), choices=EmailMode.choices, widget=forms.RadioSelect
    )


class WorklistSettingsForm(TextCheckedForm):
    billing_tasks = forms.ChoiceField(
        label=_("Open a billing task when an invoice is issued"), choices=BillingTasks.choices
    )
    billing_task_min_amount = forms.CharField(
        label=_("Only for invoices above"),
        max_length=30,
        required=False,
        help_text=_(
            "In the company's currency, VAT included. Invoices in another currency always get a task: "
            "they cannot be compared without an exchange rate."
        ),
    )
