"""Properties over arbitrary text: any article either fails as an ArticleError or yields valid feeds.

60 examples per property keep the suite fast; set FEEDPUB_HYPOTHESIS_EXAMPLES=5000 for a deep run.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedpub.article import Article, parse_article, parse_datetime
from feedpub.config import SiteConfig
from feedpub.errors import ArticleError
from feedpub.sanitize import sanitize_html
from feedpub.text import clean_text, strip_illegal, truncate_words
from tests.support.feedcheck import NS, check_feed_files, parse_strict, render_article
from tests.support.paths import EXAMPLES

CONFIG = SiteConfig.from_toml(EXAMPLES / "feedpub.toml")
PROFILE = settings(
    max_examples=int(os.environ.get("FEEDPUB_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Pieces that trip up feed generators, mixed into otherwise arbitrary text.
SNIPPETS = [
    "<", ">", "&", '"', "'", "&amp;", "&amp;amp;", "&lt;b&gt;", "&eacute;", "&#233;", "&#x1F30A;", "]]>",
    "&#1;", "&#x202E;", "&#xFFFE;",
    "<b>", "</b>", "<script>alert(1)</script>", "<p>", "</p>", "<a href='javascript:x'>",
    "<img src=x onerror=y>",
    "<![CDATA[", "<!--", "-->", "\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\u2028", "\ufeff",
    "\ufffe", "\uffff", "\u202e", "\u2066", "\U0001f30a", "e\u0301", "\r\n", "\n\n", "---", "\t", "*", "_",
    "[x](y)", "# ", "> ", "- ", "`", "\\",
]  # fmt: skip
ANY_CHAR = st.characters(exclude_categories=())  # every code point, surrogates included
NO_SURROGATE = st.characters(exclude_categories=["Cs"])


def hostile_text(chars: st.SearchStrategy[str] = ANY_CHAR, max_size: int = 12) -> st.SearchStrategy[str]:
    piece = st.one_of(st.text(chars, max_size=8), st.sampled_from(SNIPPETS))
    return st.lists(piece, max_size=max_size).map("".join)


def fields_strategy(chars: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    text = hostile_text(chars)
    return st.fixed_dictionaries(
        {"title": text, "published": st.just("2026-11-20T08:00:00+07:00")},
        optional={
            "summary": text,
            "author": text,
            "tags": st.lists(text, max_size=4),
            "image": st.fixed_dictionaries(
                {"url": st.just("https://images.example.com/2026/11/a.jpg")},
                optional={"caption": text, "credit": text, "alt": text},
            ),
        },
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def assert_valid_or_rejected(path: str, data: bytes) -> Article | None:
    try:
        article = parse_article(path, data, CONFIG)
    except ArticleError as error:
        assert error.problems
        return None
    for value in (article.title, article.summary, *article.authors, *article.tags):
        assert value == clean_text(value)  # one clean line, nothing illegal
    assert strip_illegal(article.body_html) == article.body_html
    files = render_article(article, CONFIG)
    assert check_feed_files(files) == []
    rss = parse_strict(files[0].body)
    assert rss.findtext("channel/item/title") == article.title
    atom = parse_strict(files[1].body)
    assert atom.findtext("atom:entry/atom:summary", namespaces=NS) == article.summary
    item = json.loads(files[2].body)["items"][0]
    assert (item["title"], item["content_html"]) == (article.title, article.content_html)
    assert Article.from_dict(json.loads(json.dumps(article.to_dict()))) == article
    return article


@PROFILE
@given(fields=fields_strategy(ANY_CHAR), body=hostile_text(ANY_CHAR, max_size=30), html=st.booleans())
def test_json_article_is_rejected_or_renders_valid_feeds(
    fields: dict[str, Any], body: str, html: bool
) -> None:
    document = {**fields, ("body_html" if html else "body"): body}
    assert_valid_or_rejected("articles/sport/prop.json", json.dumps(document).encode("utf-8"))


@PROFILE
@given(fields=fields_strategy(ANY_CHAR), body=hostile_text(NO_SURROGATE, max_size=30))
def test_markdown_article_is_rejected_or_renders_valid_feeds(fields: dict[str, Any], body: str) -> None:
    # json.dumps makes every value a valid YAML double-quoted scalar, escapes (\ud800, \u0000) included
    front = "".join(f"{name}: {json.dumps(value)}\n" for name, value in fields.items())
    data = f"---\n{front}---\n{body}".encode()
    assert_valid_or_rejected("articles/world/prop.md", data)


@PROFILE
@given(
    title=st.text(NO_SURROGATE, min_size=1, max_size=40).filter(
        lambda t: clean_text(t) == t and "<" not in t and "&" not in t
    )
)
def test_plain_titles_survive_unchanged(title: str) -> None:
    document = {"title": title, "published": "2026-11-20T08:00:00Z", "body": "Body."}
    article = assert_valid_or_rejected("articles/sport/prop.json", json.dumps(document).encode())
    assert article is not None and article.title == title


@PROFILE
@given(value=st.text(max_size=40))
def test_parse_datetime_never_raises(value: str) -> None:
    result = parse_datetime(value)
    assert isinstance(result, str) or result.tzinfo is not None


@PROFILE
@given(html=hostile_text(ANY_CHAR, max_size=30))
def test_sanitize_never_lets_active_content_through(html: str) -> None:
    cleaned = sanitize_html(html, "https://www.example.com/world/a").lower()
    for fragment in ("<script", "javascript:", " onerror", "<iframe", "<style", "<!--"):
        assert fragment not in cleaned


@PROFILE
@given(text=st.text(max_size=200), limit=st.integers(min_value=2, max_value=120))
def test_truncate_words_respects_the_limit(text: str, limit: int) -> None:
    cut = truncate_words(text, limit)
    assert len(cut) <= limit
    assert cut == text or (cut.endswith("…") and text.startswith(cut[:-1]))


@pytest.mark.parametrize("title", ["]]>", "<![CDATA[x]]>", "a\x00b", "\ud800", "&#x1;", "<b></b>"])
def test_known_awkward_titles(title: str) -> None:
    document = {"title": title, "published": "2026-11-20T08:00:00Z", "body": "Body ]]> <![CDATA[ x"}
    assert_valid_or_rejected("articles/sport/prop.json", json.dumps(document).encode())
