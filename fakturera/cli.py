"""The `fakturera` console command: Django's management commands under our name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fakturera.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - read the settings now, to refuse a bad configuration plainly
    except ImproperlyConfigured as exc:
        sys.exit(f"fakturera: {exc}")
    execute_from_command_line(["fakturera", *sys.argv[1:]])


if __name__ == "__main__":
    main()
