"""`fakturera webhooks_sweep`: enqueue the webhook deliveries that are due.

Run it every minute or so (cron, a systemd timer): it sends retries on task
backends that cannot defer, and deliveries whose worker died while sending.
"""

from django.core.management.base import BaseCommand

from fakturera.webhooks.services import deliveries_sweep


class Command(BaseCommand):
    help = "Enqueue the webhook deliveries that are due (retries, and any a dead worker left)."

    def handle(self, *args, **options):
        count = deliveries_sweep()
        self.stdout.write(f"{count} webhook deliveries enqueued")
