"""Two digest runs at the same moment (two schedulers, PostgreSQL's real row locks and unique
index) send each user's digest once: the second waits on the (user, day) the first inserted and
finds it taken. Billing tasks raised twice at once are raised once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fakturera.core.tests.concurrency import run_together
from fakturera.core.tests.smtp import SmtpServer
from fakturera.invoicing.tests.factories import overdue_invoice
from fakturera.worklist import services
from fakturera.worklist.models import DigestSent, Task, TaskEvent
from fakturera.worklist.states import NotificationKind, TaskPriority
from fakturera.worklist.tests.factories import manager

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_runs_at_once_send_each_digest_once(company, settings):
    users = [manager(company, email=f"staff{i}@klinik.example") for i in range(5)]
    for user in users:
        services.notify(company_id=company.pk, user_ids=[user.pk], kind=NotificationKind.INVOICE_SENT,
                        params={"number": "1", "customer": "Anna"})  # fmt: skip
    with SmtpServer() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", smtp.port, False
        today = timezone.localdate()
        results = run_together(*[lambda: services.digests_send(today=today)] * 3)
        received = smtp.received

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.sent for r in results) == 5
    assert sorted(r.recipients[0] for r in received) == sorted(u.email for u in users)
    assert DigestSent.objects.filter(on=today).count() == 5


def test_two_priority_runs_at_once_raise_each_task_once(company, admin_user):
    for _ in range(4):
        overdue_invoice(company, admin_user, "100", days_overdue=5)
    today = timezone.localdate()
    results = run_together(*[lambda: services.tasks_raise_priority(today=today)] * 2)
    assert sorted(results) == [0, 4], results
    assert set(Task.objects.values_list("priority", flat=True)) == {TaskPriority.HIGH}
    assert TaskEvent.objects.filter(kind="priority_raised").count() == 4
