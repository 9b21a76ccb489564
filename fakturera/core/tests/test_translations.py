"""The Swedish catalogue: complete (every string of the code and templates translated),
placeholders intact, Swedish typography, and used by the staff pages.

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
from fakturera.core.tests.catalogue import messages_in_code, untranslated_template_text
from fakturera.parties.tests.factories import CompanyFactory
from fakturera.staff.tests.staff_clients import log_in

LOCALE_DIR = Path(django_settings.LOCALE_PATHS[0])
SV_PO = LOCALE_DIR / "sv" / "LC_MESSAGES" / "django.po"
SV_MO = SV_PO.with_suffix(".mo")

# %(name)s, %(size).1f, %s, %d ... ("%%" is a literal percent sign, not a placeholder),
# {name} / {0}, and HTML tags.
PLACEHOLDER = re.compile(r"%%|%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|\{[^{}]*\}|<[^<>]+>")
# Quotation marks: English “…”, Swedish ”…”; a translation keeps as many as its source.
QUOTES = "“”"
PACKAGE = Path(django_settings.BASE_DIR) / "fakturera"


def _placeholders(text: str) -> Counter:
    found = Counter(token for token in PLACEHOLDER.findall(text) if token != "%%")
    found.update("quotation mark" for char in text if char in QUOTES)
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


def _strings(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def test_every_string_of_the_code_and_templates_has_a_swedish_translation():
    catalog = _catalog()
    missing: dict[tuple[str | None, str], list[str]] = {}
    for found in messages_in_code(PACKAGE):
        message = catalog.get(found.msgid, context=found.context)
        if message is None or message.fuzzy or not all(_strings(message.string)):
            missing.setdefault((found.context, found.msgid), []).append(found.where)
        elif len(found.ids) != len(_strings(message.id)):
            missing.setdefault((found.context, found.msgid), []).append(f"{found.where} (plural forms differ)")
    assert not missing, (
        f"{len(missing)} string(s) have no Swedish translation in {SV_PO.relative_to(PACKAGE.parent)} "
        "(append msgid/msgstr at its end, then `make translations`):\n"
        + "\n".join(
            f"{', '.join(where)}: {'msgctxt ' + repr(context) + ' ' if context else ''}msgid {msgid!r}"
            for (context, msgid), where in sorted(missing.items(), key=lambda item: item[1][0])
        )
    )


def test_templates_show_no_text_outside_translate_tags():
    found = list(untranslated_template_text(PACKAGE))
    assert not found, "text in English only (wrap it in {% translate %} or {% blocktranslate %}):\n" + "\n".join(found)


def test_the_template_text_finder_sees_text_and_read_attributes(tmp_path):
    templates = tmp_path / "app" / "templates"
    templates.mkdir(parents=True)
    (templates / "page.html").write_text(
        '{% load i18n %}<h1>{% translate "Invoices" %}</h1>\n'
        "<p>{% blocktranslate %}Due on {{ date }}{% endblocktranslate %} · PDF</p>\n"
        '<button title="Send now" data-confirm="{% translate \'Sure?\' %}">Send</button>\n'
        '<input placeholder="{{ value }}"><a href="{% url \'x\' %}">{{ name }}</a>\n'
    )

    assert list(untranslated_template_text(tmp_path / "app")) == [
        'app/templates/page.html:3: title="Send now"',
        "app/templates/page.html:3: Send",
    ]


def test_the_code_finder_sees_python_and_templates():
    """The completeness test is only as good as its finder: it reads gettext in Python
    (with plural and context) and the translate tags of templates."""
    found = {(item.context, item.msgid): item for item in messages_in_code(PACKAGE)}
    assert found[(None, "Save template")].where.startswith(
        "fakturera/staff/templates/staff/distribution/settings.html:"
    )
    assert any(len(item.ids) == 2 for item in found.values()), "no ngettext found"
    assert any(item.context for item in found.values()), "no pgettext found"
    assert any(".py:" in item.where for item in found.values())
    assert len(found) > 1000


# Swedish quotes ”…” (the same mark on both sides) and the apostrophe ’. Straight quotes
# stay only around a literal that the English has too (a JSON value such as "1250.00").
WRONG_MARKS = {"“": "English opening quote “ (Swedish uses ” on both sides)", "‘": "‘ (Swedish uses ’)", "„": "„"}
STRAIGHT_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
TAG = re.compile(r"<[^<>]+>")


def _typography_problems(source: str, string: str) -> list[str]:
    text = TAG.sub("", string)  # an HTML tag's attributes keep their straight quotes
    problems = [wrong for mark, wrong in WRONG_MARKS.items() if mark in text]
    literals = TAG.sub("", source)
    for quoted in STRAIGHT_QUOTED.findall(text):
        if quoted not in literals:
            problems.append(f"straight quotes {quoted} (Swedish uses ”…”)")
        text = text.replace(quoted, "")
    if '"' in text:
        problems.append('a straight quote " (Swedish uses ”…”)')
    if "'" in text:
        problems.append("a straight apostrophe ' (Swedish uses ’)")
    return problems


@pytest.mark.parametrize(
    ("source", "string", "refused"),
    [
        ("The key “%(name)s” was revoked.", "Nyckeln ”%(name)s” har återkallats.", False),
        ("The key “%(name)s” was revoked.", "Nyckeln “%(name)s” har återkallats.", True),
        ('Press "Register all".', 'Klicka på "Registrera alla".', True),
        ("The customer's channel", "Kundens kanal", False),
        ("Ola's invoice", "Ola's faktura", True),
        ("Ola's invoice", "Ola’s faktura", False),
        ('such as "1250.00".', 'till exempel "1250.00".', False),
        ('See <a href="%(url)s">the list</a>.', 'Se <a href="%(url)s">listan</a>.', False),
    ],
)
def test_swedish_typography_rule(source, string, refused):
    assert bool(_typography_problems(source, string)) is refused


def test_swedish_translations_use_swedish_quotation_marks():
    problems = []
    for message in _catalog():
        if not message.id:
            continue
        sources = _strings(message.id)
        for index, string in enumerate(_strings(message.string)):
            for problem in _typography_problems(sources[min(index, len(sources) - 1)], string or ""):
                problems.append(f"{message.id if isinstance(message.id, str) else message.id[0]!r}: {problem}")
    assert not problems, f"{SV_PO.name}:\n" + "\n".join(problems)


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
