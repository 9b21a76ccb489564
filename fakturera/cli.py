"""The `fakturera` console command: Django's management commands under our name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fakturera.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fakturera", *sys.argv[1:]])


if __name__ == "__main__":
    main()
