"""The login link in a portal e-mail."""

from __future__ import annotations

import re

LINK = re.compile(r"https?://\S+/portal/\d+/login/\S+")


def link_in(text: str) -> str:
    [url] = LINK.findall(text)
    return url
