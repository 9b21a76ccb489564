"""Absolute addresses of this installation, for what leaves it: links in e-mails (portal
login, course approval, invitations, invoice notices) and addresses staff copy for others.

They are built from settings.SITE_URL (FAKTURERA_SITE_URL: where people reach the
installation), never from a request's Host header, which a client chooses, nor from a
fixed host and port: `make run` on another port sends links to that port.
"""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """`path` (from reverse(), starting with "/") on the installation's address."""
    if not path.startswith("/"):
        raise ValueError(f"absolute_url takes a path starting with /, not {path!r}")
    return settings.SITE_URL.rstrip("/") + path
