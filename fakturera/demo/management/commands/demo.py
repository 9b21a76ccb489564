"""`fakturera demo`: load the demo data once (idempotent)."""

from django.core.management.base import BaseCommand

from fakturera.demo.data import DEMO_PASSWORD, DEMO_USERNAME, demo_load


class Command(BaseCommand):
    help = "Load the demo companies, customers, bookings and invoices (does nothing when they exist)."

    def handle(self, *args: object, **options: object) -> None:
        result = demo_load()
        if result.created:
            self.stdout.write(f"Demo data loaded: {result.company.name}.")
        else:
            self.stdout.write(f"Demo data already loaded ({result.company.name}); nothing changed.")
        self.stdout.write(f"Demo login: {DEMO_USERNAME} / {DEMO_PASSWORD}")
