"""Payers' names against customers' names: the index finds what comparing every name finds."""

from __future__ import annotations

import random

from fakturera.payments.rules import NameIndex, names_agree

NAMES = [
    "Anna Andersson",
    "Andersson, Anna",
    "Anna",
    "Kliniken Syd AB",
    "Kliniken Syd Malmö AB",
    "Syd",
    "Åsa Öberg",
    "ASA OBERG",
    "Kund 00012",
    "Kund 00123",
    "Kund",
    "AB",
    "",
    "Per-Olof Ek",
    "Bygg & Måleri i Norr HB",
    "Norr Bygg",
]


def test_the_index_finds_exactly_the_agreeing_names_in_their_order():
    rng = random.Random(5)
    words = ["anna", "andersson", "kund", "syd", "kliniken", "öberg", "åsa", "norr", "bygg", "ek", "per", "olof"]
    names = NAMES + [" ".join(rng.sample(words, rng.randint(1, 5))) for _ in range(300)]
    entries = list(enumerate(names, start=100))
    index = NameIndex(entries)
    payers = [*NAMES, "KLINIKEN SYD", "Okänd Betalare 00001", " ".join(words), *names[-40:]]
    for payer in payers:
        expected = [pk for pk, name in entries if names_agree(payer, name)]
        assert index.agreeing(payer) == expected, payer
        assert index.agreeing(payer, limit=3) == expected[:3]


def test_a_long_payer_name_is_compared_by_its_shared_words():
    long_name = " ".join(f"ord{n}" for n in range(14))
    entries = [(1, "ord1 ord2"), (2, long_name), (3, "ord1 annat"), (4, long_name + " extra")]
    index = NameIndex(entries)
    assert index.agreeing(long_name) == [pk for pk, name in entries if names_agree(long_name, name)] == [1, 2, 4]


def test_names_are_folded_alike_with_and_without_accents():
    from fakturera.payments.rules import name_words

    assert name_words("ÅKE ÖBERG") == name_words("Ake Oberg") == frozenset({"ake", "oberg"})
    assert name_words("Kliniken Syd AB") == frozenset({"kliniken", "syd"})
    assert names_agree("STRASSE MÜLLER", "Müller Straße")
