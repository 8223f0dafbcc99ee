"""Article bodies to safe HTML: Markdown rendering, allowlist sanitizing, absolute URLs."""

from __future__ import annotations

from urllib.parse import urljoin

import lxml.html
import nh3
import pyromark

from feedpub.text import clean_text, strip_illegal

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dfn", "div",
        "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
        "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
        "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Tags whose text is dropped with them rather than left behind as stray words.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "svg", "math"})


MARKDOWN_OPTIONS = pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH


def markdown_to_html(markdown: str) -> str:
    """Render CommonMark (plus tables and strikethrough); the result still needs sanitizing.

    pulldown-cmark (via pyromark) is linear on every hostile input measured, where markdown-it-py
    took seconds on 100,000 '[' (docs/benchmarks.md, issue 16); raw HTML passes through to nh3.
    """
    return pyromark.html(markdown, options=MARKDOWN_OPTIONS)


MAX_NESTING = 255
"""Deeper markup is refused: the sanitizer's time grows with the square of the depth, and no story
needs it. libxml2's HTML parser stops at 256 levels, which is how it is detected."""


def nests_too_deep(html: str) -> bool:
    """Whether elements nest more than MAX_NESTING deep (a linear parse; p, li... close themselves)."""
    parser = lxml.html.HTMLParser(recover=True)
    lxml.html.document_fromstring(f"<html><body>{html}</body></html>", parser=parser)
    return any("depth" in error.message.lower() for error in parser.error_log)


def sanitize_html(html: str, base_url: str) -> str:
    """Keep only allowlisted markup, and make every link and image absolute against `base_url`.

    Feed readers show items far from the site, so a relative `href` would point nowhere.
    """

    def absolutize(tag: str, attribute: str, value: str) -> str | None:
        if attribute in URL_ATTRIBUTES:
            try:
                return urljoin(base_url, value.strip())
            except ValueError:  # e.g. an unbalanced '[' in the host: drop the attribute
                return None
        return value

    cleaned: str = nh3.clean(
        strip_illegal(html),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=absolutize,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener",
        strip_comments=True,
    )
    # Character references (&#1;, &#x202E;) are decoded by the sanitizer, so clean its output too.
    return strip_illegal(cleaned).strip()


def html_to_text(html: str) -> str:
    """The visible text of an HTML fragment, on one line."""
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return clean_text(root.text_content())


def first_paragraph_text(html: str) -> str:
    """The plain text of the first non-empty paragraph, the default summary of an article."""
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for paragraph in root.iter("p"):
        text = clean_text(paragraph.text_content())
        if text:
            return text
    # No paragraph: the blocks' texts, kept apart so that <h2>Storm</h2><h3>warning</h3> reads
    # "Storm warning".
    parts = [root.text or ""] + [child.text_content() + " " + (child.tail or "") for child in root]
    return clean_text(" ".join(parts))
