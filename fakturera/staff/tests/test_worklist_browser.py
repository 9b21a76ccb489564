"""Billing tasks as a relationship manager handles them in Chromium: the invoice issued for their
customer shows as a task with the menu's badge, marked done in the list (the row changes in
place, the badge goes), and undone."""

from __future__ import annotations

import pytest

from fakturera.invoicing.tests.factories import issued_invoice
from fakturera.parties.tests.factories import PersonFactory
from fakturera.worklist.models import Task
from fakturera.worklist.states import TaskState

pytestmark = pytest.mark.browser


def test_the_task_opened_by_issuing_done_then_undone(staff_page):
    page, company, user = staff_page
    customer = PersonFactory(company=company, name="Anna Ek", relationship_manager=user)
    invoice = issued_invoice(company, user, "1000", customer=customer)
    task = Task.objects.get(invoice=invoice)

    page.goto("/")
    assert page.locator("#nav-open-tasks").inner_text() == "1"
    page.locator("#nav-tasks").click()
    row = page.locator(f"#task-{task.pk}")
    assert f"Follow up invoice {invoice.display_number} to Anna Ek" in row.inner_text()

    row.get_by_role("button", name="Done").click()
    row.get_by_role("button", name="Undo").wait_for()
    assert "Marked done" in row.inner_text()
    task.refresh_from_db()
    assert task.state == TaskState.CLOSED
    page.reload()
    assert page.locator("#nav-open-tasks").count() == 0
    assert page.locator(f"#task-{task.pk}").count() == 0  # the list shows open tasks

    page.goto("/worklist/?state=closed")
    page.locator(f"#task-{task.pk}").get_by_role("button", name="Undo").click()
    page.locator(f"#task-{task.pk}").get_by_role("button", name="Done").wait_for()
    task.refresh_from_db()
    assert task.state == TaskState.OPEN
    page.reload()
    assert page.locator("#nav-open-tasks").inner_text() == "1"
