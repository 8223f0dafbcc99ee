"""The sitemaps: Google's news sitemap, the month files and their index, validated against the
vendored schemas (tests/schemas/), byte-stable, and never broken by what an article holds."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import etree

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.feeds import NEWS_WINDOW, month_feed_name, news_months, recent_month_feeds
from feedpub.render import sitemaps
from feedpub.render.sitemaps import (
    SITEMAP_TYPE,
    SitemapEntry,
    news_language,
    render_month_sitemaps,
    render_news_sitemap,
    render_sitemap_index,
    render_sitemaps,
)
from feedpub.site import render_site
from tests.support.sitemaps import NS, assert_valid_sitemap, locs, schema
from tests.support.xpath import elements, log_messages, texts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
BANGKOK = timezone(timedelta(hours=7))
assert_valid = assert_valid_sitemap


def story(number: int, published: datetime, **fields: object) -> Article:
    """An article in the shape of a news story (invented text)."""
    base = Article(
        id=f"story-{number}", key=f"articles/world/story-{number}.md", title=f"Harbour story {number}",
        section="world", section_title="World", url=f"https://www.example.com/world/story-{number}",
        published=published, updated=None, summary="Officials said.", body_html="<p>Officials said.</p>",
        language="en",
    )  # fmt: skip
    return replace(base, **fields)  # type: ignore[arg-type]


def entries(*articles: Article) -> list[SitemapEntry]:
    return [SitemapEntry.of(article) for article in articles]


def news_locs(body: bytes) -> list[str]:
    return locs(body)


def test_every_sitemap_of_a_site_is_valid_against_the_schemas(config: SiteConfig) -> None:
    articles = [
        story(1, NOW - timedelta(hours=2), updated=NOW - timedelta(hours=1)),
        story(2, datetime(2026, 10, 31, 23, 30, tzinfo=BANGKOK), language="zh-Hant-TW"),
        story(3, datetime(2026, 9, 1, 0, 0, tzinfo=UTC), title="Rates & <bonds> \"up\" 'again'"),
        story(4, NOW - timedelta(hours=30), url="https://www.example.com/world/café opening?a=1&b=2"),
    ]
    files = {f.key: f for f in render_site(articles, config, NOW) if f.key.startswith("sitemaps/")}
    assert sorted(files) == [
        "sitemaps/articles-2026-09.xml", "sitemaps/articles-2026-10.xml", "sitemaps/articles-2026-11.xml",
        "sitemaps/index.xml", "sitemaps/news.xml",
    ]  # fmt: skip
    for key, file in files.items():
        assert file.content_type == SITEMAP_TYPE
        assert file.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
        assert_valid(key, file.body)


def test_news_sitemap_lists_the_last_48_hours_newest_first_with_each_storys_own_offset(
    config: SiteConfig,
) -> None:
    window = NEWS_WINDOW
    articles = [
        story(1, (NOW - timedelta(hours=1)).astimezone(BANGKOK)),
        story(2, NOW - window),  # exactly 48 hours old: still in
        story(3, NOW - window - timedelta(seconds=1)),  # just too old
        story(4, NOW + timedelta(minutes=1)),  # embargoed
        story(5, NOW - timedelta(hours=3), language="pt-BR"),
    ]
    file = render_news_sitemap(entries(*articles), config, NOW)
    document = assert_valid(file.key, file.body)
    assert news_locs(file.body) == [f"https://www.example.com/world/story-{n}" for n in (1, 5, 2)]
    dates = texts(document, "//news:publication_date/text()", NS)
    assert dates[0] == (NOW - timedelta(hours=1)).astimezone(BANGKOK).isoformat(timespec="seconds")
    assert dates[0].endswith("+07:00")
    assert texts(document, "//news:language/text()", NS) == ["en", "pt", "en"]
    assert set(texts(document, "//news:name/text()", NS)) == {config.title}
    assert texts(document, "//news:title/text()", NS)[1] == "Harbour story 5"


def test_news_sitemap_holds_at_most_1000_stories_the_newest(config: SiteConfig) -> None:
    articles = [story(n, NOW - timedelta(minutes=n)) for n in range(1, 1006)]
    file = render_news_sitemap(entries(*articles), config, NOW)
    assert_valid(file.key, file.body)
    locs = news_locs(file.body)
    assert len(locs) == sitemaps.MAX_NEWS_URLS
    assert locs[0].endswith("/story-1") and locs[-1].endswith("/story-1000")


def test_an_empty_news_sitemap_is_an_empty_urlset(config: SiteConfig) -> None:
    """Google accepts an empty news sitemap; the schema's only complaint is the missing <url>."""
    file = render_news_sitemap([], config, NOW)
    assert news_locs(file.body) == []
    validator = schema("sitemap-with-news.xsd")
    assert not validator.validate(etree.fromstring(file.body))
    [message] = log_messages(validator.error_log)
    assert "urlset': Missing child element(s)" in message
    assert "{http://www.sitemaps.org/schemas/sitemap/0.9}url" in message


@pytest.mark.parametrize(
    ("tag", "google"),
    [
        ("en", "en"), ("en-GB", "en"), ("EN-us", "en"), ("pt-BR", "pt"), ("fil", "fil"),
        ("zh", "zh-cn"), ("zh-CN", "zh-cn"), ("zh-Hans-CN", "zh-cn"), ("zh-TW", "zh-tw"),
        ("zh-Hant", "zh-tw"), ("zh-HK", "zh-tw"), ("zh_tw", "zh-tw"),
    ],
)  # fmt: skip
def test_news_language_is_googles_iso_639_code(tag: str, google: str) -> None:
    assert news_language(tag) == google


def test_markup_and_ampersands_in_titles_and_urls_are_escaped(config: SiteConfig) -> None:
    title = 'Fish & chips <script>alert(1)</script> ]]> "quoted"'
    url = "https://www.example.com/world/café?x=1&y=<2>"
    file = render_news_sitemap(entries(story(1, NOW, title=title, url=url)), config, NOW)
    document = assert_valid(file.key, file.body)
    assert b"<script>" not in file.body
    assert document.xpath("//news:title/text()", namespaces=NS) == [title]
    assert news_locs(file.body) == ["https://www.example.com/world/caf%C3%A9?x=1&y=%3C2%3E"]


def test_a_url_longer_than_the_schema_allows_is_left_out(config: SiteConfig) -> None:
    long = story(1, NOW, url="https://www.example.com/" + "a" * 2100)
    [part] = render_month_sitemaps("2026-11", entries(long, story(2, NOW)))
    assert_valid(part.file.key, part.file.body)
    assert news_locs(part.file.body) == ["https://www.example.com/world/story-2"]


def test_month_file_gives_lastmod_from_updated_else_published_oldest_first() -> None:
    updated = datetime(2026, 11, 25, 9, 0, tzinfo=BANGKOK)
    articles = [
        story(2, datetime(2026, 11, 20, 8, 0, tzinfo=UTC), updated=updated),
        story(1, datetime(2026, 11, 3, 8, 0, tzinfo=BANGKOK)),
        story(3, datetime(2026, 11, 20, 8, 0, tzinfo=UTC)),  # same time as 2: ordered by id
    ]
    [part] = render_month_sitemaps("2026-11", entries(*articles))
    assert part.file.key == "sitemaps/articles-2026-11.xml"
    document = assert_valid(part.file.key, part.file.body)
    assert [loc.rsplit("-", 1)[1] for loc in news_locs(part.file.body)] == ["1", "2", "3"]
    assert document.xpath("//s:lastmod/text()", namespaces=NS) == [
        "2026-11-03T08:00:00+07:00", "2026-11-25T09:00:00+07:00", "2026-11-20T08:00:00+00:00",
    ]  # fmt: skip
    assert part.lastmod == "2026-11-25T09:00:00+07:00"


def test_a_month_past_the_limits_continues_in_numbered_files_each_valid(
    config: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sitemaps, "MAX_URLS", 3)
    articles = [story(n, datetime(2026, 11, n, 8, 0, tzinfo=UTC)) for n in range(1, 8)]
    parts = render_month_sitemaps("2026-11", entries(*articles))
    assert [p.file.key for p in parts] == [
        "sitemaps/articles-2026-11.xml", "sitemaps/articles-2026-11-2.xml", "sitemaps/articles-2026-11-3.xml",
    ]  # fmt: skip
    assert [len(news_locs(p.file.body)) for p in parts] == [3, 3, 1]
    for part in parts:
        assert_valid(part.file.key, part.file.body)
    one = len(render_month_sitemaps("2026-11", entries(articles[0]))[0].file.body)
    monkeypatch.setattr(sitemaps, "MAX_URLS", 50_000)
    monkeypatch.setattr(sitemaps, "MAX_BYTES", one + 10)  # room for one URL a file
    parts = render_month_sitemaps("2026-11", entries(*articles))
    assert len(parts) == 7 and all(len(p.file.body) <= sitemaps.MAX_BYTES for p in parts)
    index = render_sitemap_index({p.file.key: p.lastmod for p in parts}, config)
    assert index is not None
    assert len(elements(assert_valid(index.key, index.body), "//s:sitemap", NS)) == 7


def test_index_lists_each_month_with_its_newest_lastmod(config: SiteConfig) -> None:
    articles = [
        story(1, datetime(2026, 10, 2, 8, 0, tzinfo=UTC), updated=datetime(2026, 11, 2, 8, 0, tzinfo=UTC)),
        story(2, datetime(2026, 10, 9, 8, 0, tzinfo=UTC)),
        story(3, datetime(2026, 11, 9, 8, 0, tzinfo=BANGKOK)),
    ]
    index = next(f for f in render_sitemaps(entries(*articles), config, NOW) if f.key == "sitemaps/index.xml")
    document = assert_valid(index.key, index.body)
    assert document.xpath("//s:loc/text()", namespaces=NS) == [
        f"{config.base_url}/sitemaps/articles-2026-10.xml",
        f"{config.base_url}/sitemaps/articles-2026-11.xml",
    ]
    assert document.xpath("//s:lastmod/text()", namespaces=NS) == [
        "2026-11-02T08:00:00+00:00", "2026-11-09T08:00:00+07:00",
    ]  # fmt: skip


def test_no_article_means_no_month_file_and_no_index(config: SiteConfig) -> None:
    assert render_month_sitemaps("2026-11", []) == []
    assert render_sitemap_index({}, config) is None
    assert render_sitemap_index({"sitemaps/articles-2026-11.xml": ""}, config) is None  # deleted
    assert [f.key for f in render_sitemaps([], config, NOW)] == ["sitemaps/news.xml"]


def test_drafts_and_embargoed_stories_are_in_no_sitemap(config: SiteConfig) -> None:
    articles = [story(1, NOW - timedelta(hours=1), draft=True), story(2, NOW + timedelta(days=40))]
    files = [f for f in render_site(articles, config, NOW) if f.key.startswith("sitemaps/")]
    assert [f.key for f in files] == ["sitemaps/news.xml"]
    assert news_locs(files[0].body) == []


def shuffled(items: list[Article], seed: int) -> Iterator[Article]:
    copy = list(items)
    random.Random(seed).shuffle(copy)
    yield from copy


def test_same_stories_same_bytes_whatever_the_order_or_the_clock(config: SiteConfig) -> None:
    articles = [story(n, NOW - timedelta(hours=n * 7)) for n in range(1, 30)]
    first = render_sitemaps(entries(*articles), config, NOW)
    again = render_sitemaps(entries(*shuffled(articles, 1)), config, NOW + timedelta(seconds=30))
    assert [(f.key, f.body) for f in first] == [(f.key, f.body) for f in again]
    later = render_sitemaps(entries(*articles), config, NOW + timedelta(hours=7))
    changed = {f.key for f, g in zip(first, later, strict=True) if f.body != g.body}
    assert changed == {"sitemaps/news.xml"}  # story 6 aged out; the archive did not move


def test_month_names_of_the_news_window_and_the_scheduled_run() -> None:
    turn = datetime(2026, 12, 1, 0, 3, tzinfo=UTC)
    assert news_months(turn) == ["month#2026-12", "month#2026-11"]
    assert news_months(NOW) == ["month#2026-11"]
    assert recent_month_feeds(turn) == {"month#2026-12", "month#2026-11"}
    assert recent_month_feeds(datetime(2027, 1, 15, tzinfo=UTC)) == {"month#2027-01", "month#2026-12"}
    # The month is UTC's: 06:00 on the 1st in Bangkok is still the previous month.
    assert month_feed_name(datetime(2026, 12, 1, 6, 0, tzinfo=BANGKOK)) == "month#2026-11"
