"""No members or paid body in any public output: a property over generated sites.

Each generated article's body carries a marker sentence of its own, in its second paragraph (the
first is the default summary, public by definition). The whole site is rendered by
`feedpub.site.render_site`, the function `feedpub build` and the publisher use, so every output
added to it (sitemaps, tag and author feeds, partner variants) is covered without changing this
test; the article pages and the most-viewed feed are added beside it. For every file, no
non-public marker may appear in its raw bytes nor once entities, CDATA and JSON strings are
decoded; and every public marker must appear in each feed that lists its item, which proves the
search would find a leak.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedpub.article import ACCESS_LEVELS, Article, parse_article
from feedpub.build import build
from feedpub.choices import FeedChoice
from feedpub.config import SiteConfig
from feedpub.feeds import section_feed, site_feed
from feedpub.names import PARTNERS
from feedpub.render import ATOM_TYPE, JSON_FEED_TYPE, RSS_TYPE, RenderedFile
from feedpub.render.html_page import HTML_TYPE, render_article_page
from feedpub.render.jsonfeed import render_most_viewed
from feedpub.site import render_site
from feedpub.views.ranking import RankedArticle
from tests.support import leaks
from tests.support.clock import NOW
from tests.support.paths import EXAMPLES

CONFIG = SiteConfig.from_toml(EXAMPLES / "feedpub.toml").with_overrides(
    tag_feeds=FeedChoice.parse("all", "tag_feeds"),
    author_feeds=FeedChoice.parse("all", "author_feeds"),
    partners=PARTNERS,
    logo_url="https://images.example.com/logo.png",
)
"""Every kind of feed set the site can have, switched on."""
PROFILE = settings(
    max_examples=int(os.environ.get("FEEDPUB_HYPOTHESIS_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CONTENT_TYPES = {RSS_TYPE, ATOM_TYPE, JSON_FEED_TYPE}
"""The feeds that carry each item's content_html (an HTML feed page shows summaries only)."""
WORDS = ["harbour", "council", "Ellis", "ferry", "storm", "vote", "café", "rates", "bridge", "Port"]
NAMES = ["Marta Lindqvist", "Pieter Aalto", "Jo O'Neill", "Ana & Bo"]
SNIPPETS = ["<", ">", "&", '"', "&amp;", "<b>", "</b>", "<script>x()</script>", "]]>", "<!--", "*", "_",
            "`", "# ", "> ", "- ", "[x](y)", "\n", "\u202e", "\x00", "e\u0301"]  # fmt: skip


def marker(index: int) -> str:
    """A sentence only article `index`'s body holds, with characters every format escapes."""
    return f"Qx{index}Zbody says “rates & fees” rose 5 < 6 — café."


def token(index: int) -> str:
    """The marker's first word: plain ASCII, so no escaping can hide it from a byte search."""
    return f"Qx{index}Zbody"


def messy(max_size: int = 8) -> st.SearchStrategy[str]:
    chars = st.characters(exclude_categories=["Cs"])
    return st.lists(st.one_of(st.text(chars, max_size=6), st.sampled_from(SNIPPETS)), max_size=max_size).map(
        "".join
    )


@st.composite
def article_fields(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """Front matter and body of one article; the body is lead, marker, then anything."""
    lead = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12)))
    tail = draw(messy(12))
    fields: dict[str, Any] = {
        "id": f"story-{index}",
        "title": f"{draw(st.sampled_from(WORDS))} {draw(messy())}",
        "section": draw(st.sampled_from(["world", "national", "business", "Arts & Life"])),
        "published": (NOW - timedelta(minutes=draw(st.integers(-600, 50_000)))).isoformat(),
        "body": f"{lead}\n\n{marker(index)}\n\n{tail}\n",
    }
    access = draw(st.sampled_from([*ACCESS_LEVELS, None]))
    optional: dict[str, Any] = {
        "access": access,
        "summary": draw(st.one_of(st.none(), messy())),
        "tags": draw(st.lists(st.sampled_from(WORDS), max_size=3)),
        "authors": draw(st.lists(st.sampled_from(NAMES), max_size=2)),
        "draft": draw(st.sampled_from([None, False, True])),
        "image": draw(
            st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {"url": st.just(f"https://images.example.com/{index}.jpg")},
                    optional={
                        "caption": messy(),
                        "credit": messy(),
                        "width": st.just(800),
                        "height": st.just(600),
                    },
                ),
            )
        ),
    }
    fields.update((name, value) for name, value in optional.items() if value not in (None, []))
    return fields


def markdown(fields: dict[str, Any]) -> bytes:
    """The article file an editor would upload (values JSON-encoded: valid YAML scalars)."""
    front = "".join(f"{name}: {json.dumps(value)}\n" for name, value in fields.items() if name != "body")
    return f"---\n{front}---\n\n{fields['body']}".encode()


sites = st.integers(1, 7).flatmap(lambda n: st.tuples(*(article_fields(i) for i in range(n))))


def readings(file: RenderedFile) -> list[str]:
    """Every way a reader could see the file's text (raw, parsed, entity-decoded)."""
    return list(leaks.readings(file.key, file.content_type, file.body))


def check_site(files: list[RenderedFile], articles: list[Article]) -> None:
    """No non-public marker anywhere; every public marker in each content feed listing its item."""
    assert files
    listed = [a for a in articles if a.is_listed(NOW)]
    found: list[tuple[str, str]] = []  # (file, article) of each leak
    for file in files:
        texts = readings(file)
        for article in articles:
            index = int(article.id.removeprefix("story-"))
            seen = any(marker(index) in text or token(index) in text for text in texts)
            if not article.is_public and (seen or token(index).encode() in file.body):
                found.append((file.key, article.id))
            lists_it = any(f"article/{article.id}" in text for text in texts)
            if article.is_public and article in listed and lists_it and file.content_type in CONTENT_TYPES:
                assert any(marker(index) in text for text in texts), (file.key, article.id)
    assert found == []


def all_outputs(articles: list[Article]) -> list[RenderedFile]:
    """render_site's files, the article pages `feedpub serve` shows, and a most-viewed feed."""
    files = render_site(articles, CONFIG, NOW)
    for article in articles:
        spec = section_feed(CONFIG, article.section, article.section_title)
        page = render_article_page(article, CONFIG, spec)
        files.append(RenderedFile(f"{article.section}/{article.id}.html", HTML_TYPE, page))
    ranked = [RankedArticle(rank=i + 1, views=10, article=a) for i, a in enumerate(articles)]
    body = render_most_viewed(site_feed(CONFIG), ranked, CONFIG, 24, "most-viewed.json")
    files.append(RenderedFile("feeds/most-viewed.json", JSON_FEED_TYPE, body))
    return files


@PROFILE
@given(site=sites)
def test_no_members_or_paid_body_reaches_any_output(site: tuple[dict[str, Any], ...]) -> None:
    articles = [parse_article(f"articles/x/story-{i}.md", markdown(f), CONFIG) for i, f in enumerate(site)]
    for index, article in enumerate(articles):
        assert article.is_public or article.body_html == ""
        assert article.is_public or token(index) not in json.dumps(article.to_dict())
    check_site(all_outputs(articles), articles)


@settings(PROFILE, max_examples=min(PROFILE.max_examples, 8))
@given(site=sites)
def test_feedpub_build_writes_no_members_or_paid_body(site: tuple[dict[str, Any], ...]) -> None:
    """The same through the real files: Markdown in a folder, `feedpub build`, every file written."""
    with tempfile.TemporaryDirectory() as folder:
        src, out = Path(folder) / "src", Path(folder) / "out"
        for index, fields in enumerate(site):
            path = src / "articles" / "news" / f"story-{index}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(markdown(fields))
        result = build(src, out, CONFIG, NOW, jobs=1)
        assert result.errors == [] and len(result.articles) == len(site)
        written = sorted(out.rglob("*"))
        files = [
            RenderedFile(p.relative_to(out).as_posix(), _type(p), p.read_bytes())
            for p in written
            if p.is_file()
        ]
        assert sorted(f.key for f in files) == sorted(result.written)
        check_site(files, result.articles)


def _type(path: Path) -> str:
    """The content type a built file is served with, from its name."""
    return {".json": JSON_FEED_TYPE, ".html": HTML_TYPE}.get(path.suffix) or (
        ATOM_TYPE
        if path.name.startswith("atom")
        else RSS_TYPE
        if path.name.startswith("rss")
        else "application/xml"
    )


def test_the_search_finds_a_body_that_is_there() -> None:
    """The detector itself: a public article's marker is found raw and, once escaped, decoded."""
    fields = {
        "id": "story-3",
        "title": "Vote",
        "published": "2026-11-20T08:00:00Z",
        "body": f"Lead.\n\n{marker(3)}\n",
    }
    article = parse_article("articles/x/story-3.md", markdown(fields), CONFIG)
    files = render_site([article], CONFIG, NOW)
    rss = next(f for f in files if f.key == "feeds/rss.xml")
    assert marker(3).encode() not in rss.body  # escaped in the bytes...
    assert any(marker(3) in text for text in readings(rss))  # ...and found once decoded
