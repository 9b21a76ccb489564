"""Background work of webhooks (django-tasks, database backend).

Queued rows name these tasks by path (`fakturera.webhooks.tasks.deliver_webhooks`);
migration 0003 moved the rows queued under their old path in the api app.
"""

from django_tasks import task

from fakturera.webhooks.services import deliveries_sweep, delivery_send


@task()
def deliver_webhooks(delivery_ids: list[int]) -> int:
    # Safe to run twice: a delivery is claimed (pending, due, not leased) before it is sent.
    sent = 0
    for delivery_id in delivery_ids:
        if delivery_send(delivery_id=delivery_id) is not None:
            sent += 1
    return sent


@task()
def sweep_webhooks() -> int:
    return deliveries_sweep()
