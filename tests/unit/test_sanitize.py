"""feedpub.sanitize: Markdown to HTML, allowlist sanitizing, absolute links, first-paragraph text."""

from __future__ import annotations

import pytest
from lxml import etree

from feedpub.sanitize import (
    ALLOWED_TAGS,
    first_paragraph_text,
    html_to_text,
    markdown_to_html,
    sanitize_html,
)
from tests.support.xpath import itertext

BASE = "https://www.example.com/world/2026/storm-update"

HOSTILE = {
    "script": ('<script>alert("x")</script><p>ok</p>', ["<script", "alert"], ["<p>ok</p>"]),
    "script uppercase": ("<SCRIPT>alert(1)</SCRIPT>ok", ["script", "alert"], ["ok"]),
    "event handlers": (
        '<p onclick="a()" onmouseover="b()">hi</p><img src="/a.jpg" onerror="c()"><body onload="d()">',
        ["onclick", "onmouseover", "onerror", "onload", "a()", "c()"],
        ["<p>hi</p>"],
    ),
    "javascript links": (
        '<a href="javascript:alert(1)">a</a><a href="JaVaScRiPt:alert(1)">b</a>'
        '<a href=" javascript:alert(1)">c</a><a href="jav&#x09;ascript:alert(1)">d</a>'
        '<a href="&#106;avascript:alert(1)">e</a>',
        ["href", "javascript", "alert"],
        ['<a rel="noopener">a</a>'],
    ),
    "vbscript link": ('<a href="vbscript:msgbox(1)">v</a>', ["href", "vbscript"], []),
    "data links and images": (
        '<a href="data:text/html;base64,PHNjcmlwdD4=">d</a><img src="data:image/png;base64,AAAA">',
        ["data:", "href", "src"],
        ["<img>"],
    ),
    "iframe": (
        '<iframe src="https://evil.example/">inner</iframe><p>after</p>',
        ["iframe", "evil", "inner"],
        ["<p>after</p>"],
    ),
    "svg script": (
        "<svg><script>alert(1)</script><circle/></svg>x",
        ["svg", "script", "circle", "alert"],
        ["x"],
    ),
    "math": ("<math><mi>x</mi></math>y", ["math", "<mi"], ["y"]),
    "style attributes": (
        '<p style="color:red;background:url(javascript:alert(1))">s</p>'
        '<div style="width: expression(alert(1))">e</div>',
        ["style", "expression", "javascript", "url("],
        ["<p>s</p>", "<div>e</div>"],
    ),
    "style element": ("<style>body{display:none}</style>text", ["style", "display"], ["text"]),
    "object and embed": (
        '<object data="x.swf"></object><embed src="y.swf">z',
        ["object", "embed", "swf"],
        ["z"],
    ),
    "forms": (
        '<form action="/steal"><input name="pw"><button>go</button></form>',
        ["form", "input", "steal"],
        [],
    ),
    "meta and base": (
        '<meta http-equiv="refresh" content="0;url=https://evil/"><base href="https://evil/">',
        ["meta", "base", "evil"],
        [],
    ),
    "comments": (
        "<!-- secret --><p>x</p><!--[if IE]><script>a</script><![endif]-->",
        ["secret", "<!--", "script"],
        ["<p>x</p>"],
    ),
    "srcset": (
        '<img src="https://a.example/b.jpg" srcset="https://evil/x 2x">',
        ["srcset", "evil"],
        ['src="https://a.example/b.jpg"'],
    ),
    "target and rel": (
        '<a href="https://a.example/" target="_blank" rel="opener">x</a>',
        ["target", 'rel="opener"'],
        ['rel="noopener"'],
    ),
    "unknown tags unwrap": (
        "<custom-tag>c</custom-tag><font color=red>f</font><center>m</center>",
        ["custom", "font", "color", "center"],
        ["c", "f", "m"],
    ),
}


@pytest.mark.parametrize(("html", "forbidden", "required"), list(HOSTILE.values()), ids=list(HOSTILE))
def test_sanitize_removes_hostile_markup(html: str, forbidden: list[str], required: list[str]) -> None:
    cleaned = sanitize_html(html, BASE)
    for fragment in forbidden:
        assert fragment.lower() not in cleaned.lower(), (fragment, cleaned)
    for fragment in required:
        assert fragment in cleaned, (fragment, cleaned)


@pytest.mark.parametrize(
    ("href", "absolute"),
    [
        ("../storm", "https://www.example.com/world/storm"),
        ("/", "https://www.example.com/"),
        ("maps/storm.png", "https://www.example.com/world/2026/maps/storm.png"),
        ("?page=2", "https://www.example.com/world/2026/storm-update?page=2"),
        ("#timeline", "https://www.example.com/world/2026/storm-update#timeline"),
        ("//cdn.example.net/x", "https://cdn.example.net/x"),
        ("  /padded  ", "https://www.example.com/padded"),
        ("https://other.example.org/a", "https://other.example.org/a"),
        ("mailto:desk@example.com", "mailto:desk@example.com"),
    ],
)
def test_relative_urls_become_absolute(href: str, absolute: str) -> None:
    cleaned = sanitize_html(
        f'<a href="{href}">a</a><img src="{href}"><blockquote cite="{href}">q</blockquote>', BASE
    )
    assert cleaned.count(f'"{absolute}"') == 3, cleaned


def test_ftp_links_lose_their_href() -> None:
    assert sanitize_html('<a href="ftp://files.example.com/x">f</a>', BASE) == '<a rel="noopener">f</a>'


def test_allowed_markup_survives() -> None:
    html = (
        '<h2>Head</h2><p><strong>b</strong> <em>i</em> <code>c</code> <a href="https://a.example/" '
        'title="t" hreflang="en">a</a></p><ul><li>one</li></ul><ol start="3"><li>3</li></ol>'
        '<table><thead><tr><th scope="col">h</th></tr></thead><tbody><tr><td colspan="2">d</td></tr>'
        '</tbody></table><figure><img src="https://a.example/i.jpg" alt="x" width="10" height="5">'
        '<figcaption>cap</figcaption></figure><time datetime="2026-11-20">Nov 20</time>'
    )
    cleaned = sanitize_html(html, BASE)
    for fragment in ['<h2>Head</h2>', '<strong>b</strong>', 'title="t"', 'hreflang="en"', 'start="3"',
                     'scope="col"', 'colspan="2"', 'width="10"', '<figcaption>cap</figcaption>',
                     'datetime="2026-11-20"']:  # fmt: skip
        assert fragment in cleaned


def test_sanitized_html_is_a_well_formed_fragment() -> None:
    cleaned = sanitize_html("<p>unclosed <b>bold <i>both</p> & < > \" '", BASE)
    root = etree.fromstring(f"<div>{cleaned.replace('<br>', '<br/>')}</div>".encode())
    assert "".join(itertext(root)).startswith("unclosed bold both")


def test_sanitize_removes_illegal_characters_in_raw_text() -> None:
    cleaned = sanitize_html("<p>a\x00b\x01c\u202ed\ud800e\ufffe</p>", BASE)
    assert cleaned == "<p>abcde</p>"


@pytest.mark.parametrize("reference", ["&#1;", "&#x0B;", "&#xFFFE;", "&#x202E;", "&#x2066;"])
def test_sanitize_output_has_no_illegal_characters_from_references(reference: str) -> None:
    cleaned = sanitize_html(f"<p>a{reference}b</p>", BASE)
    element = etree.Element("content")
    element.text = cleaned  # lxml refuses XML-illegal characters
    assert "\u202e" not in cleaned and "\u2066" not in cleaned


def test_markdown_renders_commonmark_tables_and_strikethrough() -> None:
    html = markdown_to_html("# T\n\n*em* **strong** ~~gone~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h1>T</h1>" in html
    assert "<em>em</em>" in html and "<strong>strong</strong>" in html
    assert "<del>gone</del>" in html  # markdown-it-py wrote <s>; both are allowlisted
    assert "<table>" in html and "<td>1</td>" in html


def test_markdown_passes_raw_html_on_for_the_sanitizer() -> None:
    html = markdown_to_html('<div class="x">raw</div>\n\n<script>alert(1)</script>\n')
    assert '<div class="x">raw</div>' in html
    assert "<script>" not in sanitize_html(html, BASE)


def test_javascript_links_lose_their_href_in_the_sanitizer() -> None:
    # markdown-it-py refused the link itself (leaving the Markdown as text); pulldown-cmark, like
    # cmark, writes it and the sanitizer's scheme allowlist drops the href.
    html = markdown_to_html("[x](javascript:alert(1))")
    assert sanitize_html(html, BASE) == '<p><a rel="noopener">x</a></p>'


def test_allowlist_has_no_active_content() -> None:
    assert not ALLOWED_TAGS & {"script", "style", "iframe", "object", "embed", "svg", "math", "form", "base"}


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<h2>Head</h2><p> </p><p>First  para\n text</p><p>Second</p>", "First para text"),
        ("<p><strong>Bold</strong> start &amp; more</p>", "Bold start & more"),
        ("<h2>Only a heading</h2>", "Only a heading"),
        ("plain text", "plain text"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_first_paragraph_text(html: str, text: str) -> None:
    assert first_paragraph_text(html) == text


def test_first_paragraph_text_keeps_words_of_adjacent_blocks_apart() -> None:
    assert first_paragraph_text("<h2>Storm</h2><h3>warning</h3>") == "Storm warning"


def test_html_to_text() -> None:
    assert html_to_text("<p>Hello <b>world</b> &amp; co</p>") == "Hello world & co"
    assert html_to_text("  ") == ""
