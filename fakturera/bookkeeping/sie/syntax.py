"""The text of an SIE 4 file: fields, quoting, the PC8 character set, the checksum's content.

SIE filformat 4B §5.5-5.10: one record a line ending in LF (CR before it allowed); fields
separated by spaces or TABs; any field may be quoted and one with spaces must be; a `"` inside a
field is written `\\"`; no control characters (ASCII 0-31, 127) inside a string; the character
set is IBM PC 8-bit, code page 437 (`#FORMAT PC8`, the only value the spec allows).

Backslashes: the spec only defines `\\"`, and real files hold a literal backslash before other
characters (`"1110\\1002 Hus 1:1"` in the BL Administration sample). So a backslash is literal,
except that `\\\\` reads as one backslash: we write `\\\\` only where a single backslash would be
misread (before a quote, before another backslash, at the end of the field), so every text we
write reads back exactly and `1110\\1002` is written as it is.

#KSUMMA (§10.14): the CRC-32 covers the labels and the field contents of every record between
the opening and the closing #KSUMMA, without the separating blanks, the quotes around fields,
the braces of object lists and voucher blocks, and with `\\"` counted as `"` alone: exactly the
unescaped values, concatenated. CRC-32 with polynomial EDB88320, preset FFFFFFFF and inverted at
the end (§10.11-10.13) is `zlib.crc32`.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

PC8 = "cp437"
# Python's cp437 codec encodes through a dict, character by character: 17 times slower than an
# encoding map built from the same table, which matters for a file of a million lines.
_PC8_MAP = codecs.charmap_build(bytes(range(256)).decode(PC8))


def pc8_bytes(text: str) -> bytes:
    """`text` in code page 437; UnicodeEncodeError for a character it lacks (see pc8_text)."""
    return codecs.charmap_encode(text, "strict", _PC8_MAP)[0]


# Characters our texts may hold that code page 437 lacks (../shared/formats/README.md, "SIE 4":
# € § and the en dash), written as the nearest ASCII; anything else not in PC8 loses its accent
# (NFKD) or becomes "?". Never a quote: a replacement must not end a quoted field.
_REPLACEMENTS = {
    "€": "EUR",
    "§": "par.",
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "‘": "'",
    "’": "'",
    "‚": "'",
    "“": "'",
    "”": "'",
    "„": "'",
    "«": "'",
    "»": "'",
    "…": "...",
    "•": "*",
    "™": "TM",
    "©": "(c)",
    "®": "(R)",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
}
# Control characters (§5.7) become a space: an invoice line's text may hold a line break.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_ESCAPE = re.compile(r'["\\]')
# A backslash that would be misread: before a quote, before a backslash, at the end.
_AMBIGUOUS_BACKSLASH = re.compile(r'\\(?=["\\]|\Z)')
# Printable ASCII but the blank, the quote, the backslash and the braces.
_BARE = re.compile(r"[!#-\[\]-z|~]+\Z")
_UNESCAPE = re.compile(r'\\(["\\])')

# One token of a line: a quoted field (group 1), a brace (group 2) or a bare field (group 3).
TOKEN = re.compile(r'[ \t]*(?:"((?:[^"\\]|\\.)*)"|([{}])|([^ \t"{}]+))')


def _pc8_char(char: str) -> str:
    try:
        pc8_bytes(char)
    except UnicodeEncodeError:
        pass
    else:
        return char
    if char in _REPLACEMENTS:
        return _REPLACEMENTS[char]
    stripped = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    try:
        pc8_bytes(stripped)
    except UnicodeEncodeError:
        return "?"
    return stripped if stripped and '"' not in stripped and "\\" not in stripped else "?"


def pc8_text(value: str) -> str:
    """`value` as PC8 can hold it and §5.7 allows it inside a string (see _REPLACEMENTS)."""
    if not value.isascii():
        try:
            pc8_bytes(value)
        except UnicodeEncodeError:
            value = "".join(map(_pc8_char, value))
    if _CONTROL.search(value):
        value = _CONTROL.sub(" ", value)
    return value


def quoted(value: str) -> tuple[str, str]:
    """(the field as written, quoted; its checksum content). Texts are always quoted, as the
    spec's examples and every sample file quote them."""
    value = pc8_text(value)
    if _ESCAPE.search(value) is None:
        return f'"{value}"', value
    escaped = _AMBIGUOUS_BACKSLASH.sub(r"\\\\", value).replace('"', '\\"')
    return f'"{escaped}"', value


def field(value: str) -> tuple[str, str]:
    """A short identifier (series, organisation number, sign): bare when it can be, else quoted."""
    if _BARE.match(value):
        return value, value
    return quoted(value)


def unescape(value: str) -> str:
    return _UNESCAPE.sub(r"\1", value) if "\\" in value else value
