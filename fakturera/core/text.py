"""Which characters typed text may hold: the one rule every input applies.

An invoice's text ends up in UBL (XML 1.0), in a PDF and in e-mail. A character one of
them cannot carry is refused where it is typed, with a message naming it (U+000B), never
stored to break a document later. Two kinds of field:

- multi-line (notes, descriptions of products and courses, message bodies): refused are
  the characters XML 1.0 cannot carry (the C0 controls other than TAB, LF and CR; the
  unpaired surrogates; U+FFFE and U+FFFF), DEL and the C1 controls (U+007F to U+009F:
  no text means them, and e-mail and PDF fonts do not).
- single-line (everything else: names, references, addresses, subjects, e-mail
  addresses): also TAB, CR, LF, U+2028 and U+2029 (one line, so no header is ever
  injected), and the bidirectional embedding, override and isolate controls (U+202A to
  U+202E, U+2066 to U+2069), with which a name can be made to read as another. The marks
  U+200E and U+200F stay allowed: they change no order of characters around them.

Single-line is the default: an input declares the few fields that take several lines.
`validate_single_line` and `validate_multi_line` are Django validators, `SingleLineText`
and `MultiLineText` pydantic types, `TextCheckedForm` a form base that applies the rule
to every field of a form, and `check_texts` the services' own check.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from fakturera.core.errors import ValidationFailed

# What no text field takes: XML 1.0's exclusions, DEL and C1, the surrogates (only unpaired
# ones exist in a Python str), U+FFFE and U+FFFF.
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
# What a single-line field does not take besides.
_LINE_BREAK = "\t\n\r\u2028\u2029"
_DIRECTION = "\u202a-\u202e\u2066-\u2069"

MULTI_LINE_REFUSED = re.compile(f"[{_CONTROL}]")
SINGLE_LINE_REFUSED = re.compile(f"[{_CONTROL}{_LINE_BREAK}{_DIRECTION}]")


def _escaped(characters: str) -> str:
    """A character class's text with every character written as \\uXXXX (ranges kept), as a
    JSON Schema pattern carries it: no raw control character or lone surrogate in a document."""
    return "".join(character if character == "-" else f"\\u{ord(character):04x}" for character in characters)


# The same rule as patterns the API's document states (JSON Schema / ECMA-262 and Python's re
# read them alike); test_text checks they refuse exactly what the rule refuses. Without the
# surrogates: text in JSON is Unicode characters (RFC 8259, section 8.2), which a surrogate is
# not, and a pattern naming them is one regex engines refuse; the API still refuses a lone one.
_SURROGATES = "\ud800-\udfff"
SINGLE_LINE_CLASS = _escaped(_CONTROL.replace(_SURROGATES, "") + _LINE_BREAK + _DIRECTION)
MULTI_LINE_CLASS = _escaped(_CONTROL.replace(_SURROGATES, ""))
SINGLE_LINE_PATTERN = f"^[^{SINGLE_LINE_CLASS}]*$"
MULTI_LINE_PATTERN = f"^[^{MULTI_LINE_CLASS}]*$"
# One line that says something: at least one character that is not white space.
REQUIRED_LINE_PATTERN = f"^[^{SINGLE_LINE_CLASS}]*[^\\s{SINGLE_LINE_CLASS}][^{SINGLE_LINE_CLASS}]*$"

# The kinds of refusal, which are also the API's error types.
CONTROL = "text_control"
LINE_BREAK = "text_line_break"
DIRECTION = "text_direction"
KINDS = (CONTROL, LINE_BREAK, DIRECTION)


def codepoint(character: str) -> str:
    return f"U+{ord(character):04X}"


def refused_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of `value` this kind of field does not take, or None."""
    found = (MULTI_LINE_REFUSED if multiline else SINGLE_LINE_REFUSED).search(value)
    return found.group() if found else None


def kind_of(character: str) -> str:
    if character in _LINE_BREAK:
        return LINE_BREAK
    if MULTI_LINE_REFUSED.fullmatch(character):
        return CONTROL
    return DIRECTION


def message(kind: str, character: str) -> str:
    """The refusal in the current language; `character` as U+XXXX."""
    if kind == LINE_BREAK:
        return _("This field takes a single line: remove the line break or tab (%(character)s).") % {
            "character": character
        }
    if kind == DIRECTION:
        return _(
            "Remove the character %(character)s: it changes the direction the text is shown in, "
            "which this field does not allow."
        ) % {"character": character}
    return _(
        "Remove the character %(character)s: it is a control character that invoices, PDFs and e-mail cannot carry."
    ) % {"character": character}


def text_error(value: str, *, multiline: bool = False) -> str | None:
    """The message for `value`, or None when it is acceptable."""
    character = refused_character(value, multiline=multiline)
    if character is None:
        return None
    return message(kind_of(character), codepoint(character))


def search_term(value: str, *, limit: int = 100) -> str:
    """What a search box's text looks for: without the characters a single-line field
    refuses (a NUL would not even reach PostgreSQL), trimmed, at most `limit` characters.
    A search only reads, so it is answered rather than refused."""
    return SINGLE_LINE_REFUSED.sub("", value).strip()[:limit]


# --- Django ------------------------------------------------------------------------------------


def _validate(value: Any, *, multiline: bool) -> None:
    if not isinstance(value, str):
        return
    character = refused_character(value, multiline=multiline)
    if character is not None:
        kind, point = kind_of(character), codepoint(character)
        raise ValidationError(message(kind, point), code=kind, params={"character": point})


def validate_single_line(value: Any) -> None:
    _validate(value, multiline=False)


def validate_multi_line(value: Any) -> None:
    _validate(value, multiline=True)


def is_multi_line_widget(widget: forms.Widget) -> bool:
    return isinstance(widget, forms.Textarea)


class TextCheckedForm(forms.Form):
    """A form whose every field takes only text the rule allows: a field with a Textarea is
    multi-line, any other single-line. Applied when the form is cleaned, so fields a form adds
    in its own __init__ are covered too; each refusal is an error on its field."""

    def check_text_fields(self) -> None:
        for field in self.fields.values():
            if getattr(field, "text_checked", False):
                continue
            rule = validate_multi_line if is_multi_line_widget(field.widget) else validate_single_line
            # Form fields are deep-copied per form, so this changes no other form.
            field.validators = [*field.validators, rule]
            field.text_checked = True  # type: ignore[attr-defined]

    def full_clean(self) -> None:
        self.check_text_fields()
        super().full_clean()


# --- pydantic ----------------------------------------------------------------------------------


def pydantic_error(character: str) -> PydanticCustomError:
    """The refusal of `character` as pydantic's error: its kind as the type, U+XXXX in the context."""
    kind = kind_of(character)
    return PydanticCustomError(kind, kind.replace("_", " ") + " {character}", {"character": codepoint(character)})


def _pydantic_check(value: str, *, multiline: bool) -> str:
    character = refused_character(value, multiline=multiline)
    if character is not None:
        raise pydantic_error(character)
    return value


def check_single_line(value: str) -> str:
    return _pydantic_check(value, multiline=False)


def check_multi_line(value: str) -> str:
    return _pydantic_check(value, multiline=True)


class TextRule:
    """Annotated metadata: the rule for a str (checked by pydantic-core after the type's own
    checks). A schema that walks its fields sees from it which rule a field declared."""

    def __init__(self, *, multiline: bool) -> None:
        self.multiline = multiline

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        check = check_multi_line if self.multiline else check_single_line
        return core_schema.no_info_after_validator_function(check, handler(source))

    def __repr__(self) -> str:
        return f"TextRule(multiline={self.multiline})"


SINGLE_LINE = TextRule(multiline=False)
MULTI_LINE = TextRule(multiline=True)
SingleLineText = Annotated[str, SINGLE_LINE]
MultiLineText = Annotated[str, MULTI_LINE]


# --- services ----------------------------------------------------------------------------------


def text_errors(
    values: Mapping[str, Any], *, multiline: Collection[str] = (), prefix: str = ""
) -> dict[str, list[str]]:
    """Every str in `values` checked (single-line unless its name is in `multiline`):
    {prefix + name: [message]} for each refused one."""
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if isinstance(value, str):
            error = text_error(value, multiline=name in multiline)
            if error is not None:
                errors[prefix + name] = [error]
    return errors


def check_texts(values: Mapping[str, Any], *, multiline: Collection[str] = (), prefix: str = "") -> None:
    """A service's last check before it writes typed text: ValidationFailed naming each field."""
    errors = text_errors(values, multiline=multiline, prefix=prefix)
    if errors:
        raise ValidationFailed(errors)
