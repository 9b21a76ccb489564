"""The Swedish catalogue: complete, placeholders intact, and used by the staff pages.

The .mo files are build output (`make translations` runs `pybabel compile`); the
page test compiles the catalogue itself into LOCALE_PATHS, so it does not depend
on whether the Makefile ran first.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from fakturera.billables.tests.factories import customer_with_items
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.staff.tests.staff_clients import log_in

LOCALE_DIR = Path(django_settings.LOCALE_PATHS[0])
SV_PO = LOCALE_DIR / "sv" / "LC_MESSAGES" / "django.po"
SV_MO = SV_PO.with_suffix(".mo")

# %(name)s, %(size).1f, %s, %d ... ("%%" is a literal percent sign, not a placeholder),
# {name} / {0}, and HTML tags.
PLACEHOLDER = re.compile(r"%%|%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|\{[^{}]*\}|<[^<>]+>")
QUOTES = "“”"


def _placeholders(text: str) -> Counter:
    found = Counter(token for token in PLACEHOLDER.findall(text) if token != "%%")
    found.update(char for char in text if char in QUOTES)
    return found


def _catalog():
    with SV_PO.open("rb") as handle:
        return read_po(handle, locale="sv")


def test_swedish_catalogue_is_complete_and_keeps_placeholders():
    catalog = _catalog()
    assert not catalog.fuzzy, "the header of sv/django.po is marked fuzzy; pybabel compile would skip it"
    problems = []
    entries = [message for message in catalog if message.id]
    assert len(entries) > 100
    for message in entries:
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        label = repr(ids[0])
        if message.fuzzy:
            problems.append(f"{label}: fuzzy")
        if not all(strings):
            problems.append(f"{label}: untranslated")
            continue
        if len(ids) > 1 and len(strings) != 2:
            problems.append(f"{label}: {len(strings)} plural forms instead of 2")
        for index, string in enumerate(strings):
            source = ids[min(index, len(ids) - 1)]
            expected, got = _placeholders(source), _placeholders(string)
            if expected != got:
                problems.append(
                    f"{label} (form {index}): placeholders {sorted(got.elements())} "
                    f"instead of {sorted(expected.elements())}"
                )
    assert not problems, "sv/django.po:\n" + "\n".join(problems)


def _compile_swedish() -> None:
    """Write sv/django.mo next to the .po, as `pybabel compile` does, if it differs."""
    buffer = io.BytesIO()
    write_mo(buffer, _catalog())
    data = buffer.getvalue()
    if SV_MO.exists() and SV_MO.read_bytes() == data:
        return
    fd, temporary = tempfile.mkstemp(dir=SV_MO.parent, prefix=".django.mo.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, SV_MO)


@pytest.mark.django_db
def test_staff_page_in_swedish(settings):
    _compile_swedish()
    # Assigning LOCALE_PATHS makes Django drop the translations it has already loaded
    # (django.test.signals), so a catalogue compiled just now is read.
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)

    company = CompanyFactory()
    customer_with_items(company, "850.00", name="Anna Andersson")
    client = Client(headers={"accept-language": "sv"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    log_in(client, company, role="admin")

    # The autouse `_english` fixture of fakturera/conftest.py holds English; override it here.
    with translation.override("sv"):
        assert translation.gettext("Basis") == "Underlag"
        response = client.get(reverse("staff:basis"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="sv">' in html
    for word in ("Fakturaunderlag", "Underlag", "Fakturor", "Kunder", "Inställningar", "Registrera", "Moms"):
        assert word in html, f"{word!r} is not on the Swedish basis page"
    for english in (">Invoices<", ">Customers<", ">Register<", "Invoice basis"):
        assert english not in html, f"{english!r} is still in English on the Swedish basis page"
    assert "Anna Andersson" in html


def test_swedish_catalogue_defines_each_message_once():
    # Branches append their strings and the catalogue is union-merged (.gitattributes):
    # babel silently keeps one of two definitions, GNU msgfmt refuses the file.
    keys = Counter()
    context, msgid, current = None, None, None
    for line in [*SV_PO.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("msgctxt "):
            context, current = line[8:], "ctxt"
        elif line.startswith("msgid "):
            msgid, current = line[6:], "id"
        elif line.startswith('"') and current in ("ctxt", "id"):
            if current == "id":
                msgid += line
            else:
                context += line
        elif line.startswith("msgstr") or not line.strip():
            if msgid is not None and msgid != '""':
                keys[(context, msgid)] += 1
            context, msgid, current = None, None, None
    duplicates = [key for key, count in keys.items() if count > 1]
    assert not duplicates, f"defined more than once in {SV_PO.name}: {duplicates}"
