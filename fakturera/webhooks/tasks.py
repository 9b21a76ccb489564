"""Background work of webhooks (django-tasks, database backend).

Queued rows name these tasks by path (`fakturera.webhooks.tasks.deliver_webhooks`);
migration 0003 moved the rows queued under their old path in the api app.
"""

from django_tasks import task

from fakturera.webhooks.services import deliveries_send, deliveries_sweep


@task()
def deliver_webhooks(delivery_ids: list[int]) -> int:
    # Safe to run twice: a delivery is claimed (pending, due, not leased) before it is sent.
    # Each on its own: one that fails unexpectedly is recorded and the rest go on.
    return deliveries_send(delivery_ids=delivery_ids)


@task()
def sweep_webhooks() -> int:
    return deliveries_sweep()
