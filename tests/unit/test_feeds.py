"""feedpub.feeds and feedpub.site: which feed sets exist, which items each carries, ids claimed once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.feeds import FeedSpec, feed_specs, id_prefix, section_feed, select_items, site_feed
from feedpub.site import claim_ids, render_site
from tests.support.clock import NOW

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def make(
    id: str,
    section: str = "world",
    published: datetime = T0,
    *,
    draft: bool = False,
    key: str | None = None,
    section_title: str | None = None,
    updated: datetime | None = None,
) -> Article:
    return Article(
        id=id, key=key or f"articles/{section}/{id}.md", title=f"Title {id}", section=section,
        section_title=section_title or section.title(), url=f"https://www.example.com/{section}/{id}",
        published=published, updated=updated, summary="s", body_html="<p>b</p>", language="en",
        draft=draft,
    )  # fmt: skip


def ids(articles: list[Article]) -> list[str]:
    return [a.id for a in articles]


# --- select_items ---------------------------------------------------------------------------------


def test_newest_first(config: SiteConfig) -> None:
    articles = [make(f"a{i}", published=T0 + timedelta(hours=i)) for i in (3, 1, 4, 0, 2)]
    assert ids(select_items(articles, site_feed(config), config, NOW, 50)) == ["a4", "a3", "a2", "a1", "a0"]


def test_instants_not_wall_clocks_decide_the_order(config: SiteConfig) -> None:
    plus7 = timezone(timedelta(hours=7))
    minus5 = timezone(timedelta(hours=-5))
    early = make("early", published=datetime(2026, 11, 20, 14, 0, tzinfo=plus7))  # 07:00 UTC
    late = make("late", published=datetime(2026, 11, 20, 3, 0, tzinfo=minus5))  # 08:00 UTC
    assert ids(select_items([early, late], site_feed(config), config, NOW, 50)) == ["late", "early"]


def test_ties_are_broken_by_id_the_largest_first(config: SiteConfig) -> None:
    same_instant = [
        make("bravo", published=T0),
        make("alpha", published=T0.astimezone(timezone(timedelta(hours=7)))),
        make("charlie", published=T0),
        make("zulu", published=T0 - timedelta(seconds=1)),
    ]
    expected = ["charlie", "bravo", "alpha", "zulu"]
    assert ids(select_items(same_instant, site_feed(config), config, NOW, 50)) == expected
    assert ids(select_items(reversed(same_instant), site_feed(config), config, NOW, 50)) == expected


@pytest.mark.parametrize("limit", [1, 2, 5, 50])
def test_cap_keeps_the_newest(config: SiteConfig, limit: int) -> None:
    articles = [make(f"a{i:02d}", published=T0 + timedelta(minutes=i)) for i in range(5)]
    chosen = select_items(articles, site_feed(config), config, NOW, limit)
    assert ids(chosen) == [f"a{i:02d}" for i in range(4, -1, -1)][:limit]


def test_section_filter(config: SiteConfig) -> None:
    articles = [make("w1", "world"), make("s1", "sport"), make("w2", "world", T0 + timedelta(hours=1))]
    assert ids(select_items(articles, section_feed(config, "world"), config, NOW, 50)) == ["w2", "w1"]
    assert ids(select_items(articles, section_feed(config, "sport"), config, NOW, 50)) == ["s1"]
    assert select_items(articles, section_feed(config, "business"), config, NOW, 50) == []
    assert len(select_items(articles, site_feed(config), config, NOW, 50)) == 3


def test_drafts_and_embargoed_articles_are_left_out(config: SiteConfig) -> None:
    articles = [
        make("listed"),
        make("draft", draft=True),
        make("embargoed", published=NOW + timedelta(seconds=1)),
        make("exactly-now", published=NOW),
    ]
    assert ids(select_items(articles, site_feed(config), config, NOW, 50)) == ["exactly-now", "listed"]


def test_select_items_accepts_any_iterable(config: SiteConfig) -> None:
    generator = (make(f"g{i}") for i in range(3))
    assert ids(select_items(generator, site_feed(config), config, NOW, 50)) == ["g2", "g1", "g0"]


# --- feed specs ---------------------------------------------------------------------------------


def test_site_feed(config: SiteConfig) -> None:
    spec = site_feed(config)
    assert spec.name == "site" and spec.section is None
    assert spec.title == "The Harbour Herald"
    assert spec.home_url == "https://www.example.com/"
    assert spec.key("rss.xml") == "feeds/rss.xml"
    assert spec.url("atom.xml") == "https://www.example.com/feeds/atom.xml"
    assert spec.feed_id == "tag:www.example.com,2026-01-01:feed/site"
    assert spec.item_id(make("storm")) == "tag:www.example.com,2026-01-01:article/storm"


def test_section_feed(config: SiteConfig) -> None:
    spec = section_feed(config, "world")
    assert spec.section == "world"
    assert spec.title == "The Harbour Herald: World"
    assert spec.description == "The latest World stories from The Harbour Herald."
    assert spec.home_url == "https://www.example.com/world/"
    assert spec.key("feed.json") == "feeds/world/feed.json"
    assert spec.url("feed.json") == "https://www.example.com/feeds/world/feed.json"
    assert spec.feed_id == "tag:www.example.com,2026-01-01:feed/world"
    # item ids do not depend on the feed set: the same story has one GUID everywhere
    assert spec.item_id(make("storm")) == site_feed(config).item_id(make("storm"))


def test_section_titles_prefer_config_then_article_then_slug(config: SiteConfig) -> None:
    assert section_feed(config, "world", "Ignored").title.endswith(": World")
    assert section_feed(config, "arts", "Arts & Culture").title.endswith(": Arts & Culture")
    assert section_feed(config, "arts-culture").title.endswith(": Arts Culture")


def test_id_prefix(config: SiteConfig) -> None:
    assert id_prefix(config) == "tag:www.example.com,2026-01-01:"
    other = SiteConfig(id_authority="example.org", id_date="2024")
    assert id_prefix(other) == "tag:example.org,2024:"


def test_feed_specs_site_first_then_sections_sorted(config: SiteConfig) -> None:
    articles = [make("a", "world"), make("b", "business"), make("c", "sport"), make("d", "world")]
    specs = feed_specs(config, articles, NOW)
    assert [s.name for s in specs] == ["site", "business", "sport", "world"]
    assert all(isinstance(s, FeedSpec) for s in specs)
    assert [s.name for s in feed_specs(config, [], NOW)] == ["site"]


def test_sections_with_only_drafts_or_embargoed_articles_get_no_feed_yet(config: SiteConfig) -> None:
    articles = [
        make("a", "world"),
        make("b", "secret", draft=True),
        make("c", "later", published=NOW + timedelta(days=1)),
    ]
    assert [s.name for s in feed_specs(config, articles, NOW)] == ["site", "world"]
    assert [s.name for s in feed_specs(config, articles, NOW + timedelta(days=2))] == [
        "site",
        "later",
        "world",
    ]


def test_feed_specs_take_the_section_title_from_the_newest_item(config: SiteConfig) -> None:
    # As the publisher does with the index's Query: the same title whatever order a build reads.
    articles = [
        make("a", "arts", section_title="Arts & Culture"),
        make("b", "arts", section_title="Arts"),
    ]
    [_, arts] = feed_specs(config, articles, NOW)
    assert arts.title == "The Harbour Herald: Arts"  # b: same time as a, ties go to the larger id
    [_, arts] = feed_specs(config, list(reversed(articles)), NOW)
    assert arts.title == "The Harbour Herald: Arts"


# --- site -----------------------------------------------------------------------------------------


def test_claim_ids_keeps_the_first_by_key_and_names_the_others() -> None:
    first = make("storm", key="articles/national/storm.md")
    second = make("storm", key="articles/world/storm.md")
    third = make("storm", key="articles/sport/storm.md")
    other = make("calm")
    kept, rejected = claim_ids([second, other, third, first])
    assert kept == [first, other]  # in key order
    assert [e.path for e in rejected] == ["articles/sport/storm.md", "articles/world/storm.md"]
    for error in rejected:
        [problem] = error.problems
        assert problem.field == "id"
        assert "'storm' is already the id of articles/national/storm.md" in problem.message


def test_claim_ids_without_duplicates() -> None:
    articles = [make("a"), make("b")]
    kept, rejected = claim_ids(articles)
    assert sorted(ids(kept)) == ["a", "b"] and rejected == []


def test_render_site_file_layout(config: SiteConfig) -> None:
    articles = [make("a", "world"), make("b", "sport")]
    keys = [f.key for f in render_site(articles, config, NOW)]
    assert keys == [
        "feeds/rss.xml", "feeds/atom.xml", "feeds/feed.json", "feeds/index.html",
        "feeds/sport/rss.xml", "feeds/sport/atom.xml", "feeds/sport/feed.json", "feeds/sport/index.html",
        "feeds/world/rss.xml", "feeds/world/atom.xml", "feeds/world/feed.json", "feeds/world/index.html",
        "feeds/partners/smartnews/rss.xml",  # the examples enable SmartNews, which has its own variant
        "sitemaps/news.xml", f"sitemaps/articles-{T0:%Y-%m}.xml", "sitemaps/index.xml",
    ]  # fmt: skip
    files = render_site(articles, config, NOW)
    types = {f.key.rsplit("/", 1)[-1]: f.content_type for f in files if f.key.startswith("feeds/")}
    assert types == {
        "rss.xml": "application/rss+xml; charset=utf-8",
        "atom.xml": "application/atom+xml; charset=utf-8",
        "feed.json": "application/feed+json; charset=utf-8",
        "index.html": "text/html; charset=utf-8",
    }
