# ruff: noqa: N999 - the command is named as the issue asks: `fakturera rotate-secrets`
"""`fakturera rotate-secrets`: re-encrypt every stored secret (each model's EncryptedField,
core/secrets.py) with the newest key, the first of FAKTURERA_SECRET_KEYS. Run it after
putting a new key first; then the old key may be removed. `--new-key` prints a fresh key
and changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from fakturera.core.secrets import new_key, rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first key of FAKTURERA_SECRET_KEYS (--new-key prints a new key)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--new-key", action="store_true", help="print a new key and change nothing")

    def handle(self, *args, **options) -> None:
        if options.get("new_key"):
            self.stdout.write(new_key())
            return
        written = rotate()
        self.stdout.write(f"{written} secrets re-encrypted with the newest key.")
