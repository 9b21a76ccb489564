"""The task and notification pages: mine, the team's and all tasks with their filters, done and
undone (htmx swaps the row; a plain POST goes back), the menu's badges, the notifications page and
the user's e-mail choice, the company's billing-task setting (administrators only)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from fakturera.invoicing.tests.factories import issued_invoice, overdue_invoice
from fakturera.parties.tests.factories import CompanyFactory, StaffFactory
from fakturera.staff.tests.staff_clients import log_in
from fakturera.worklist import services
from fakturera.worklist.models import Task, WorklistSettings
from fakturera.worklist.states import BillingTasks, EmailMode, NotificationKind, TaskPriority, TaskState
from fakturera.worklist.tests.factories import customer_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, company):
    user = log_in(client, company)
    return client, user


def _rows(response) -> list[int]:
    return [task.pk for task in response.context["page"].object_list]


def test_mine_the_teams_and_all(staff, company, admin_user):
    client, me = staff
    mine = issued_invoice(company, admin_user, "100", customer=customer_of(company, me, name="Anna Ek"))
    teams = issued_invoice(company, admin_user, "100", customer=customer_of(company))
    sara = StaffFactory(company=company).user
    saras = issued_invoice(company, admin_user, "100", customer=customer_of(company, sara))
    url = reverse("staff:task_list")
    task = {i.pk: Task.objects.get(invoice=i).pk for i in (mine, teams, saras)}

    response = client.get(url)
    assert _rows(response) == [task[mine.pk]]
    html = response.content.decode()
    assert f"Follow up invoice {mine.display_number} to Anna Ek" in html
    assert 'id="nav-open-tasks"' in html
    assert _rows(client.get(url, {"scope": "team"})) == [task[teams.pk]]
    assert sorted(_rows(client.get(url, {"scope": "all"}))) == sorted(task.values())


def test_filters_state_kind_due_and_overdue(staff, company, admin_user):
    client, me = staff
    customer = customer_of(company, me)
    old = overdue_invoice(company, admin_user, "100", customer=customer, days_overdue=3)
    new = issued_invoice(company, admin_user, "100", customer=customer, issued_on=timezone.localdate())
    old_task, new_task = Task.objects.get(invoice=old), Task.objects.get(invoice=new)
    services.task_open(company=company, actor=me, text="Ring Anna", assignee_id=me.pk)
    url = reverse("staff:task_list")

    assert len(_rows(client.get(url, {"kind": "billing"}))) == 2
    assert _rows(client.get(url, {"overdue": "on"})) == [old_task.pk]
    assert _rows(client.get(url, {"due_from": new_task.due_on.isoformat(), "kind": "billing"})) == [new_task.pk]
    assert _rows(client.get(url, {"due_to": old_task.due_on.isoformat()})) == [old_task.pk]
    services.task_done(company=company, actor=me, task_id=old_task.pk)
    assert _rows(client.get(url, {"state": "closed"})) == [old_task.pk]
    # A value the filter does not know is left out, never an error page.
    assert client.get(url, {"state": "weird", "due_from": "yesterday", "scope": "x"}).status_code == 200


def test_done_and_undo_swap_the_row_with_htmx(staff, company, admin_user):
    client, me = staff
    invoice = issued_invoice(company, admin_user, "100", customer=customer_of(company, me))
    task = Task.objects.get(invoice=invoice)

    response = client.post(reverse("staff:task_done", args=[task.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="task-{task.pk}"')
    assert "Marked done" in html
    assert reverse("staff:task_undo", args=[task.pk]) in html
    task.refresh_from_db()
    assert task.state == TaskState.CLOSED

    again = client.post(reverse("staff:task_done", args=[task.pk]), headers={"HX-Request": "true"})
    assert again.status_code == 400
    assert "already done" in again.content.decode()

    response = client.post(reverse("staff:task_undo", args=[task.pk]))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.OPEN


def test_another_companys_task_is_a_404(staff, company):
    client, _me = staff
    other = CompanyFactory()
    invoice = issued_invoice(other, StaffFactory(company=other).user, "100")
    task = Task.objects.get(invoice=invoice)
    assert client.post(reverse("staff:task_done", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.state == TaskState.OPEN


def test_a_read_only_user_sees_tasks_but_marks_none_done(client, company, admin_user):
    me = log_in(client, company, role="read_only")
    invoice = issued_invoice(company, admin_user, "100", customer=customer_of(company, me))
    task = Task.objects.get(invoice=invoice)
    assert client.get(reverse("staff:task_list")).status_code == 200
    assert client.post(reverse("staff:task_done", args=[task.pk])).status_code == 403
    # Their own notifications are theirs to manage.
    response = client.post(reverse("staff:notification_list"), {"email_mode": EmailMode.NEVER})
    assert response.status_code == 302


def test_the_notifications_page_badge_mark_read_and_email_choice(staff, company):
    client, me = staff
    services.notify(
        company_id=company.pk,
        user_ids=[me.pk],
        kind=NotificationKind.INVOICE_SENT,
        params={"number": "1042", "customer": "Anna Ek", "channel": "print", "recipient": "Anna Ek"},
    )
    url = reverse("staff:notification_list")
    response = client.get(url)
    page = response.content.decode()
    assert response.context["form"].initial == {"email_mode": EmailMode.DIGEST}
    assert 'id="nav-unread"' in page
    assert "Invoice 1042 to Anna Ek was sent by Print to Anna Ek." in page

    client.post(url, {"action": "read_all"})
    assert 'id="nav-unread"' not in client.get(url).content.decode()

    response = client.post(url, {"email_mode": EmailMode.IMMEDIATELY})
    assert response.status_code == 302
    from fakturera.worklist.selectors import email_mode_of

    assert email_mode_of(user=me) == EmailMode.IMMEDIATELY
    refused = client.post(url, {"email_mode": "hourly"})
    assert refused.status_code == 400
    assert email_mode_of(user=me) == EmailMode.IMMEDIATELY


def test_the_company_setting_is_an_administrators(client, company):
    url = reverse("staff:worklist_settings")
    log_in(client, company, role="accountant")
    assert client.get(url).status_code == 403
    log_in(client, company, role="admin")
    refused = client.post(url, {"billing_tasks": BillingTasks.ABOVE, "billing_task_min_amount": "0"})
    assert refused.status_code == 400
    assert "Give the amount above which" in refused.content.decode()
    assert not WorklistSettings.objects.filter(company=company).exists()
    assert (
        client.post(url, {"billing_tasks": BillingTasks.ABOVE, "billing_task_min_amount": "5 000"}).status_code == 302
    )
    saved = WorklistSettings.objects.get(company=company)
    assert (saved.billing_tasks, str(saved.billing_task_min_amount)) == ("above", "5000.00")


def test_an_overdue_task_shows_it(staff, company, admin_user):
    client, me = staff
    customer = customer_of(company, me)
    invoice = overdue_invoice(company, admin_user, "100", customer=customer, days_overdue=2)
    in_time = issued_invoice(company, admin_user, "100", customer=customer, issued_on=timezone.localdate())
    task = Task.objects.get(invoice=invoice)
    services.tasks_raise_priority(today=timezone.localdate())
    html = client.get(reverse("staff:task_list")).content.decode()
    task.refresh_from_db()
    assert Task.objects.get(invoice=in_time).priority == TaskPriority.NORMAL
    assert task.priority == TaskPriority.HIGH
    assert f'<tr id="task-{task.pk}" class="task-row overdue">' in html
    assert "High" in html
    assert f'<tr id="task-{Task.objects.get(invoice=in_time).pk}" class="task-row">' in html
