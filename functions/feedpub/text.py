"""Plain-text helpers shared by parsing and rendering: XML-safe text, summaries, slugs."""

from __future__ import annotations

import re
import unicodedata

# Characters XML 1.0 forbids (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) plus the
# C1 controls and bidi overrides/isolates, which are legal but let a title reorder the text around it.
_ILLEGAL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)
_ASCII_ILLEGAL = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_SPACES = re.compile(r"\s+")
_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def strip_illegal(value: str) -> str:
    """Remove characters lxml refuses (and that no reader can show) from any text.

    ASCII text is checked by bytes.translate, 4x faster than the regex on a story (issue 16)."""
    if value.isascii():
        data = value.encode("ascii")
        if len(data.translate(None, _ASCII_ILLEGAL)) == len(data):
            return value
    return _ILLEGAL.sub("", value)


def clean_text(value: str) -> str:
    """One line of plain text: XML-safe, NFC-normalized, inner white space folded."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", strip_illegal(value))).strip()


def truncate_words(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters on a word boundary, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def slugify(value: str) -> str:
    """A section name as it appears in URLs and paths: `Sport & Leisure` -> `sport-leisure`."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return _SLUG_STRIP.sub("-", ascii_text.lower()).strip("-")
