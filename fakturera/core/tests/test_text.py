"""The one rule for typed text (core/text.py): what it refuses, in which words, and that what
it lets through can always be carried by UBL (XML 1.0) and by an e-mail header."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP, default

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from fakturera.core import mail, text
from fakturera.core.errors import ValidationFailed

# Every character the rule refuses in any field, and those refused only on one line.
CONTROL = [chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]]
CONTROL += ["\ud800", "\udfff", "\ufffe", "\uffff"]
ONE_LINE_ONLY = ["\t", "\n", "\r", "\u2028", "\u2029"]
ONE_LINE_ONLY += [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]
ALLOWED = ["Åsa Öberg", "Ærøskøbing", "Zoë «café» – 5 € ≈ 4,7 $", "\u200fشركة\u200e", "日本語", "😀 emoji", "a\u00a0b"]


@pytest.mark.parametrize("character", CONTROL)
def test_a_control_character_is_refused_in_every_field(character):
    assert text.refused_character(f"a{character}b") == character
    assert text.refused_character(f"a{character}b", multiline=True) == character


@pytest.mark.parametrize("character", ONE_LINE_ONLY)
def test_line_breaks_tabs_and_direction_overrides_are_refused_on_one_line_only(character):
    assert text.refused_character(f"a{character}b") == character
    assert text.refused_character(f"a{character}b", multiline=True) is None


@pytest.mark.parametrize("value", ALLOWED)
def test_ordinary_text_of_any_script_is_allowed(value):
    assert text.refused_character(value) is None
    assert text.refused_character(value, multiline=True) is None


def test_the_message_names_the_character():
    assert text.text_error("a\x0bb") == (
        "Remove the character U+000B: it is a control character that invoices, PDFs and e-mail cannot carry."
    )
    assert text.text_error("a\nb") == "This field takes a single line: remove the line break or tab (U+000A)."
    assert text.text_error("a\u202eb") == (
        "Remove the character U+202E: it changes the direction the text is shown in, which this field does not allow."
    )
    assert text.text_error("\U0001f600") is None


def test_the_django_validators_refuse_with_a_code_and_the_character():
    with pytest.raises(ValidationError) as caught:
        text.validate_single_line("a\tb")
    assert caught.value.code == text.LINE_BREAK
    assert caught.value.params == {"character": "U+0009"}
    text.validate_multi_line("a\tb\r\nc")
    with pytest.raises(ValidationError):
        text.validate_multi_line("a\x1bb")


def test_the_pydantic_types_refuse_with_the_character_in_the_context():
    class Body(BaseModel):
        name: text.SingleLineText = ""
        notes: text.MultiLineText = ""

    Body(name="Åsa", notes="rad 1\nrad 2")
    with pytest.raises(PydanticValidationError) as caught:
        Body(name="a\x85b", notes="a\x0cb")
    errors = {error["loc"]: (error["type"], error["ctx"]) for error in caught.value.errors()}
    assert errors == {
        ("name",): (text.CONTROL, {"character": "U+0085"}),
        ("notes",): (text.CONTROL, {"character": "U+000C"}),
    }


def test_the_service_check_names_every_refused_field_with_its_prefix():
    with pytest.raises(ValidationFailed) as caught:
        text.check_texts(
            {"description": "a\x0bb", "note": "ok\nok", "unit": "st\n", "quantity": 2},
            multiline={"note"},
            prefix="lines.0.",
        )
    assert set(caught.value.errors) == {"lines.0.description", "lines.0.unit"}
    assert caught.value.field == "lines.0.description"


class _Form(text.TextCheckedForm):
    name = forms.CharField()
    notes = forms.CharField(widget=forms.Textarea, required=False)
    count = forms.IntegerField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A field a form adds in its own __init__ (as the public form does) is covered too.
        self.fields["added"] = forms.CharField(required=False)


def test_a_checked_form_refuses_on_the_field_and_keeps_textareas_multi_line():
    form = _Form({"name": "Bo\x0bEk", "notes": "rad 1\r\nrad 2", "count": "3", "added": "x\u2028y"})
    assert not form.is_valid()
    assert set(form.errors) == {"name", "added"}
    assert form.errors["name"] == [
        "Remove the character U+000B: it is a control character that invoices, PDFs and e-mail cannot carry."
    ]
    assert _Form({"name": "Bo Ek", "notes": "rad 1\r\nrad 2"}).is_valid()


def test_checking_a_form_twice_adds_the_rule_once():
    form = _Form({"name": "Bo"})
    form.is_valid()
    form.full_clean()
    assert form.fields["name"].validators.count(text.validate_single_line) == 1


# --- what is allowed can be carried --------------------------------------------------------------

any_text = st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=60)


@settings(max_examples=400, deadline=None)
@given(any_text)
def test_any_text_the_multi_line_rule_allows_builds_xml(value):
    if text.refused_character(value, multiline=True) is not None:
        return
    root = etree.Element("Note")
    root.text = value  # lxml refuses what XML 1.0 cannot carry
    parsed = etree.fromstring(etree.tostring(root, encoding="UTF-8"))
    # XML normalises a raw CR on reading; lxml writes it as &#13; so it survives.
    assert parsed.text in (value, None) or parsed.text == value.replace("\r\n", "\n").replace("\r", "\n")


@settings(max_examples=400, deadline=None)
@given(any_text)
def test_any_text_the_single_line_rule_allows_is_one_e_mail_header(value):
    if text.refused_character(value) is not None:
        return
    message = EmailMessage(policy=SMTP)
    message["Subject"] = value
    message["To"] = "anna@example.se"
    message.set_content("x")
    parsed = BytesParser(policy=SMTP).parsebytes(message.as_bytes())
    assert list(parsed.keys()) == ["Subject", "To", "Content-Type", "Content-Transfer-Encoding", "MIME-Version"]
    assert parsed["To"] == "anna@example.se"


@settings(max_examples=300, deadline=None)
@given(any_text, any_text)
def test_any_text_the_rules_allow_makes_one_message_of_the_mail_module(line, lines):
    """Through core.mail as the product sends: a single-line value as the subject and the
    sender's name, a multi-line one as the body; the headers stay the ones written."""
    if text.refused_character(line) is not None or text.refused_character(lines, multiline=True) is not None:
        return
    message = mail.Message(sender=(line, "faktura@example.se"), to=["anna@example.se"], subject=line, body=lines)
    parsed = BytesParser(policy=default).parsebytes(mail.render(message).content)
    assert list(parsed.keys()) == [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
    ]
    assert " ".join(str(parsed["Subject"]).split()) == " ".join(line.split())
    assert parsed.get_payload(decode=True).decode() == lines


@settings(max_examples=200, deadline=None)
@given(any_text)
def test_the_rule_refuses_whatever_xml_cannot_carry(value):
    try:
        etree.Element("Note").text = value
    except ValueError:
        assert text.refused_character(value, multiline=True) is not None


def test_the_documented_patterns_refuse_exactly_what_the_rule_refuses():
    # The API's document states the rule as patterns (JSON Schema); they must not drift from it.
    single = re.compile(text.SINGLE_LINE_PATTERN)
    multi = re.compile(text.MULTI_LINE_PATTERN)
    for point in [*range(0xD800), *range(0xE000, 0x110000)]:  # lone surrogates are no JSON text
        character = chr(point)
        assert (single.fullmatch(character) is None) == (text.refused_character(character) is not None), hex(point)
        assert (multi.fullmatch(character) is None) == (
            text.refused_character(character, multiline=True) is not None
        ), hex(point)
    required = re.compile(text.REQUIRED_LINE_PATTERN)
    assert [bool(required.fullmatch(value)) for value in ("Anna", " Anna ", "", "   ", "Anna\x0b")] == [
        True,
        True,
        False,
        False,
        False,
    ]
