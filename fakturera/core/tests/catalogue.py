"""The translatable strings of the code, found as `makemessages` would find them but
without GNU gettext (a fresh machine may not have xgettext): babel's Python extractor
reads the .py files, and the Django templates are first turned into Python calls by
Django's own `templatize` (what makemessages feeds xgettext)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import extract
from django.utils.translation.template import templatize

# Django's gettext functions and makemessages' keywords, in babel's notation: the
# argument positions of the singular, the plural and (marked "c") the context.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
TEMPLATE_SUFFIXES = (".html", ".txt")


@dataclass(frozen=True)
class Found:
    context: str | None
    ids: tuple[str, ...]  # the singular, and the plural when there is one
    where: str  # path:line

    @property
    def msgid(self) -> str:
        return self.ids[0]


def _python(path: Path, source: bytes, where: Path) -> Iterator[Found]:
    for lineno, message, _comments, context in extract("python", io.BytesIO(source), KEYWORDS, [], {}):
        ids = message if isinstance(message, tuple) else (message,)
        if ids and ids[0]:
            yield Found(context, tuple(ids), f"{where}:{lineno}")


def _is_source(path: Path) -> bool:
    return "tests" not in path.parts and "migrations" not in path.parts


def messages_in_code(package: Path) -> Iterator[Found]:
    """Every gettext call with a literal string in the package's Python code (tests and
    migrations left out) and every {% translate %}, {% blocktranslate %} and _("…") in
    its templates, each with the file and line it is on (relative to the package's parent)."""
    base = package.parent
    for path in sorted(package.rglob("*.py")):
        if _is_source(path.relative_to(package)):
            yield from _python(path, path.read_bytes(), path.relative_to(base))
    for path in sorted(package.rglob("*")):
        if path.suffix not in TEMPLATE_SUFFIXES or "templates" not in path.parts:
            continue
        # templatize keeps the template's lines and their indentation, which Python's
        # tokenizer would read as blocks; the calls it writes are each on one line.
        code = "\n".join(
            line.lstrip() for line in templatize(path.read_text(encoding="utf-8"), origin=str(path)).splitlines()
        )
        yield from _python(path, code.encode("utf-8"), path.relative_to(base))


# Template text a person reads that is the same in every language: the product's and
# services' names, abbreviations and units.
SAME_IN_EVERY_LANGUAGE = {"Fakturera", "Autogiro", "PDF", "HTTP", "ms", "SHA-256", "fk_"}
_UNTRANSLATED_BLOCKS = re.compile(
    r"\{%\s*(blocktrans(?:late)?|comment)\b.*?\{%\s*end(?:blocktrans(?:late)?|comment)\s*%\}", re.S
)
_TEMPLATE_CODE = re.compile(r"\{([%{#]).*?[%}#]\}", re.S)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S)
_READ_ATTRIBUTE = re.compile(r'\b(?:title|placeholder|aria-label|alt|data-confirm|hx-confirm)="([^"]*)"')
_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"[A-Za-zÅÄÖåäö][\w’'.-]*[A-Za-z0-9_]|[A-Za-zÅÄÖåäö]{2,}")


def _blank(match: re.Match) -> str:
    """The match replaced by one mark, keeping its line breaks so line numbers hold."""
    return "§" + "\n" * match.group(0).count("\n")


def untranslated_template_text(package: Path) -> Iterator[str]:
    """Words in templates that a person reads but no translate tag holds: text between
    tags and the read attributes (title, placeholder, aria-label, ...), as path:line: words."""
    base = package.parent
    for path in sorted(package.rglob("*.html")):
        if "templates" not in path.parts:
            continue
        text = _UNTRANSLATED_BLOCKS.sub(_blank, path.read_text(encoding="utf-8"))
        text = _TEMPLATE_CODE.sub(_blank, text)
        text = _SCRIPT_OR_STYLE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
        for match in _READ_ATTRIBUTE.finditer(text):
            words = [w for w in _WORD.findall(match.group(1)) if w not in SAME_IN_EVERY_LANGUAGE]
            if words:
                line = text.count("\n", 0, match.start()) + 1
                yield f"{path.relative_to(base)}:{line}: {match.group(0)}"
        shown = _TAG.sub(lambda m: "\n" * m.group(0).count("\n"), text)
        for number, line in enumerate(shown.splitlines(), 1):
            words = [w for w in _WORD.findall(re.sub(r"&#?\w+;", " ", line)) if w not in SAME_IN_EVERY_LANGUAGE]
            if words:
                yield f"{path.relative_to(base)}:{number}: {line.strip()}"
