"""feedpub.text: XML-safe text, one-line clean text, word-boundary truncation, slugs."""

from __future__ import annotations

import pytest
from lxml import etree

from feedpub.text import clean_text, slugify, strip_illegal, truncate_words

XML_ILLEGAL = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))] + [
    "\ud800", "\udbff", "\udc00", "\udfff", "\ufffe", "\uffff",
]  # fmt: skip
C1 = [chr(c) for c in range(0x7F, 0xA0)]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("char", XML_ILLEGAL + C1 + BIDI, ids=lambda c: f"U+{ord(c):04X}")
def test_strip_illegal_removes(char: str) -> None:
    assert strip_illegal(f"a{char}b{char}") == "ab"


@pytest.mark.parametrize(
    "text",
    [
        "tab\there",
        "line\nfeed",
        "carriage\rreturn",
        "emoji 🌊",
        "Nguyễn Thị Lan",
        "\u200b\ufeff",
        "\ue000\ufffd",
    ],
)
def test_strip_illegal_keeps_legal_text(text: str) -> None:
    assert strip_illegal(text) == text


def test_strip_illegal_output_is_accepted_by_lxml() -> None:
    everything = "".join(chr(c) for c in range(0x0, 0x3000)) + "\ud800\udfff\ufffe\uffff"
    element = etree.Element("t")
    element.text = strip_illegal(everything)  # raises ValueError on any XML-illegal character
    assert etree.fromstring(etree.tostring(element)).text == element.text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Harbour   reopens\n\tafter  storm  ", "Harbour reopens after storm"),
        ("a\u00a0b\u2028c\u3000d", "a b c d"),  # every Unicode space folds to one ASCII space
        ("e\u0301te\u0301", "été"),  # NFC
        ("\u202eevil\u202c name", "evil name"),
        ("nul\x00 and\x07 bell", "nul and bell"),
        ("", ""),
        (" \n\t ", ""),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_clean_text_is_idempotent() -> None:
    once = clean_text(" A\u0301 \x01\u202e b\n")
    assert clean_text(once) == once


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short enough", 50, "short enough"),
        ("exactly ten", 11, "exactly ten"),
        ("the harbour reopened today after the storm", 25, "the harbour reopened…"),
        ("one two, three", 10, "one two…"),  # trailing punctuation before the ellipsis goes
        ("supercalifragilistic", 8, "superca…"),  # one long word: cut inside it
    ],
)
def test_truncate_words(text: str, limit: int, expected: str) -> None:
    assert truncate_words(text, limit) == expected


@pytest.mark.parametrize("limit", [10, 20, 33, 50, 80])
def test_truncate_words_cuts_on_a_word_boundary_within_the_limit(limit: int) -> None:
    text = "The port authority said on Friday that ships waiting offshore would dock within days."
    cut = truncate_words(text, limit)
    assert len(cut) <= limit
    assert cut.endswith("…")
    kept = cut[:-1]
    assert text.startswith(kept)
    assert text[len(kept)] in " ,."  # the cut falls between words, never inside one


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("World", "world"),
        ("Sport & Leisure", "sport-leisure"),
        ("  --Ünïcödé--  ", "unicode"),
        ("Storm Warning 🌀 Update", "storm-warning-update"),
        ("2026 Elections!", "2026-elections"),
        ("🌀🌊", ""),
        ("", ""),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_slugify_output_alphabet() -> None:
    slug = slugify("".join(chr(c) for c in range(0x20, 0x250)))
    assert set(slug) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert not slug.startswith("-") and not slug.endswith("-")


@pytest.mark.parametrize("code", [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x202A, 0x2069, 0xFFFE])
def test_strip_illegal_agrees_on_ascii_and_other_text(code: int) -> None:
    for text in (f"a{chr(code)}b\n", f"é{chr(code)}b\n"):  # the ASCII path and the regex
        kept = text.replace(chr(code), "") if code not in (0x09, 0x0A, 0x0D) else text
        assert strip_illegal(text) == kept
