"""The original documents the scenarios follow (../shared/seeds/NNN_*.txt), and the check
that every step a scenario quotes between « and » in its comments is the document's own
text, word for word (spacing aside), so the quotes cannot drift from the document."""

from __future__ import annotations

import re
from pathlib import Path

from fakturera.conftest import shared_path

QUOTE = re.compile(r"«([^»]+)»")


def _words(text: str) -> str:
    return " ".join(text.split())


def seed_text(number: str) -> str:
    [path] = shared_path("seeds").glob(f"{number}_*.txt")
    return _words(path.read_text(encoding="utf-8"))


def quotes_of(module_file: str) -> list[str]:
    """The «quoted» passages of a module's comments; a quote may run over several comment lines."""
    comments = " ".join(
        line.split("#", 1)[1] for line in Path(module_file).read_text(encoding="utf-8").splitlines() if "#" in line
    )
    return [_words(quote) for quote in QUOTE.findall(comments)]


def assert_quotes_are_the_documents(module_file: str, number: str) -> None:
    text = seed_text(number)
    quotes = quotes_of(module_file)
    assert quotes, "the scenario quotes its document"
    assert [quote for quote in quotes if quote not in text] == []
