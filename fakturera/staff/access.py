"""Which role may open which staff page: the one table the menus, tabs and links ask.

Roles rank as parties has them (`ROLE_RANK`, `role_allows`): read-only < accountant <
administrator. A page (a URL name of `staff.urls`) not in `PAGES` is open to every role;
what changes something (a POST) needs an accountant unless the view says otherwise. The
views enforce the same with `staff_view(role=...)`; `staff/tests/test_access.py` walks
every staff URL as each role and holds the views and this table to each other, and holds
the menu to offer no link to a page the role is refused.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fakturera.parties.models import Role
from fakturera.parties.tenancy import role_allows

ADMIN = Role.ADMIN.value
ACCOUNTANT = Role.ACCOUNTANT.value

PAGES: dict[str, str] = {
    # Settings: the company, its users and roles, its channels, its API keys and webhooks.
    "company_settings": ADMIN,
    "company_staff": ADMIN,
    "distribution_settings": ADMIN,
    "integrations": ADMIN,
    "webhook_create": ADMIN,
    "webhook_edit": ADMIN,
    "webhook_test": ADMIN,
    "webhook_deliveries": ADMIN,
    "autogiro_settings": ADMIN,
    "payment_settings": ADMIN,
    "exchange_rates": ADMIN,
    "bookkeeping_settings": ADMIN,
    "period_close": ADMIN,
    "period_reopen": ADMIN,
    "collection_settings": ADMIN,
    "reminder_policy": ADMIN,
    "reminder_policy_letter": ADMIN,
    "worklist_settings": ADMIN,
    "failed_tasks": ADMIN,
    "failed_task_rerun": ADMIN,
    # Pages that only change something: a read-only user is not offered them.
    "invoice_create": ACCOUNTANT,
    "invoice_edit": ACCOUNTANT,
    "invoice_issue": ACCOUNTANT,
    "invoice_credit": ACCOUNTANT,
    "invoice_delete": ACCOUNTANT,
    "send": ACCOUNTANT,
    "reminders_send": ACCOUNTANT,
    "interest_invoices_decide": ACCOUNTANT,
    "debt_collection_hand_over": ACCOUNTANT,
    "debt_collection_export": ACCOUNTANT,
    "debt_collection_undo": ACCOUNTANT,
    "customer_create": ACCOUNTANT,
    "customer_edit": ACCOUNTANT,
    "course_create": ACCOUNTANT,
    "course_edit": ACCOUNTANT,
    "occurrence_create": ACCOUNTANT,
    "occurrence_edit": ACCOUNTANT,
    "recurring_create": ACCOUNTANT,
}


def needs(page: str) -> str:
    """The role a page needs to be opened."""
    return PAGES.get(page, Role.READ_ONLY.value)


def may_open(role: str | None, page: str) -> bool:
    return role_allows(role, needs(page))


class _May(dict):
    """`may.<page>` in templates: whether the active role may open that page."""

    def __init__(self, role: str | None):
        super().__init__()
        self.role = role

    def __missing__(self, page: str) -> bool:
        allowed = may_open(self.role, page)
        self[page] = allowed
        return allowed


def context(request: HttpRequest) -> dict[str, Any]:
    """Templates' `may` (a context processor, settings.TEMPLATES)."""
    return {"may": _May(getattr(request, "company_role", None))}
