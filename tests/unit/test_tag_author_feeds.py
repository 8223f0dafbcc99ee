"""Tag and author feeds: which exist (the site config chooses), what each is called, what it carries."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from feedpub.article import Article
from feedpub.choices import FeedChoice
from feedpub.config import SiteConfig
from feedpub.feeds import (
    MAX_AUTHOR_FEEDS,
    MAX_TAG_FEEDS,
    feed_specs,
    feeds_of,
    group_items,
    select_items,
    spec_for,
)
from feedpub.site import render_site
from tests.support.clock import NOW
from tests.support.feedcheck import check_feed_files

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def story(
    id: str,
    tags: tuple[str, ...] = (),
    authors: tuple[str, ...] = (),
    *,
    minutes: int = 0,
    draft: bool = False,
) -> Article:
    return Article(
        id=id, key=f"articles/world/{id}.md", title=f"Harbour story {id}", section="world",
        section_title="World", url=f"https://www.example.com/world/{id}",
        published=T0 + timedelta(minutes=minutes), updated=None, summary="s", body_html="<p>b</p>",
        language="en", authors=authors, tags=tags, draft=draft,
    )  # fmt: skip


def site(tags: object = "all", authors: object = "all", **settings: object) -> SiteConfig:
    return SiteConfig.from_mapping({"title": "The Harbour Herald", "tag_feeds": tags, "author_feeds": authors,
                                    **settings})  # fmt: skip


def test_by_default_an_article_is_in_the_site_and_section_feeds_only() -> None:
    article = story("a", tags=("Climate",), authors=("Ana Lima",))
    assert feeds_of(article, SiteConfig()) == ["site", "section#world"]
    assert feeds_of(replace(article, draft=True), site()) == []


def test_all_gives_every_tag_and_author_a_feed_named_by_its_slug() -> None:
    article = story("a", tags=("Climate", "Port Ellis", "Économie"), authors=("Ana Lima", "Tomás Ríos"))
    assert feeds_of(article, site()) == [
        "site", "section#world", "tag#climate", "tag#port-ellis", "tag#economie",
        "author#ana-lima", "author#tomas-rios",
    ]  # fmt: skip


def test_a_list_chooses_by_slug_whatever_the_spelling() -> None:
    config = site(tags=["port ellis", "ELECTIONS"], authors=["Ana Lima"])
    assert config.tag_feeds == FeedChoice("listed", frozenset({"port-ellis", "elections"}))
    article = story("a", tags=("Climate", "Port Ellis", "Elections"), authors=("Ana Lima", "Bo Chen"))
    assert feeds_of(article, config)[2:] == ["tag#port-ellis", "tag#elections", "author#ana-lima"]


def test_names_that_fold_to_one_slug_share_one_feed_titled_deterministically() -> None:
    config = site()
    one = story("one", tags=("Port Ellis",), minutes=1)
    two = story("two", tags=("port ellis", "PORT-ELLIS"), minutes=2)
    assert feeds_of(two, config).count("tag#port-ellis") == 1
    for order in ([one, two], [two, one]):
        specs = {spec.feed: spec for spec in feed_specs(config, order, NOW)}
        spec = specs["tag#port-ellis"]
        assert spec.title == "The Harbour Herald: PORT-ELLIS"  # the smallest spelling, whatever the order
        assert spec.folder == "tags/port-ellis"
        assert spec.key("rss.xml") == "feeds/tags/port-ellis/rss.xml"
        assert spec.url("feed.json") == "https://www.example.com/feeds/tags/port-ellis/feed.json"
        assert spec.feed_id.endswith(":feed/tags/port-ellis")
    assert [a.id for a in group_items([one, two], config, NOW)["tag#port-ellis"]] == ["two", "one"]


def test_fan_out_is_bounded_and_extra_tags_stay_categories() -> None:
    tags = tuple(f"Topic {n}" for n in range(MAX_TAG_FEEDS + 5))
    authors = tuple(f"Writer {n}" for n in range(MAX_AUTHOR_FEEDS + 2))
    article = story("a", tags=tags, authors=authors)
    feeds = feeds_of(article, site())
    assert [f for f in feeds if f.startswith("tag#")] == [f"tag#topic-{n}" for n in range(MAX_TAG_FEEDS)]
    assert [f for f in feeds if f.startswith("author#")] == [
        f"author#writer-{n}" for n in range(MAX_AUTHOR_FEEDS)
    ]
    files = {file.key: file for file in render_site([article], site(), NOW)}
    assert "feeds/tags/topic-9/rss.xml" in files and "feeds/tags/topic-10/rss.xml" not in files
    assert b"<category>Topic 14</category>" in files["feeds/rss.xml"].body  # still a category of the item


def test_items_per_kind_sets_each_kind_of_feed_apart() -> None:
    config = site(items_per_kind={"tag": 2, "author": 3}, items_per_feed=4)
    articles = [story(f"s{n}", tags=("Climate",), authors=("Ana Lima",), minutes=n) for n in range(6)]
    groups = group_items(articles, config, NOW)
    sizes = {feed: len(items) for feed, items in groups.items()}
    assert sizes == {"site": 4, "section#world": 4, "tag#climate": 2, "author#ana-lima": 3}
    assert [a.id for a in groups["tag#climate"]] == ["s5", "s4"]
    spec = spec_for("tag#climate", config, groups["tag#climate"])
    assert select_items(articles, spec, config, NOW) == groups["tag#climate"]


def test_embargoed_and_draft_stories_make_no_tag_feed_yet() -> None:
    config = site()
    later = story("later", tags=("Secret Merger",), minutes=60 * 24 * 365)
    draft = story("draft", authors=("New Hire",), draft=True)
    feeds = list(group_items([later, draft], config, NOW))
    assert feeds == ["site"]


def test_every_tag_and_author_feed_set_is_valid_and_ordered() -> None:
    config = site()
    articles = [
        story("a", tags=("Climate", "Port Ellis"), authors=("Ana Lima",), minutes=1),
        story("b", tags=("Climate & Energy <live>",), authors=("Bo Chen", "Ana Lima"), minutes=2),
    ]
    files = render_site(articles, config, NOW)
    assert check_feed_files(files) == []
    keys = [file.key for file in files]
    assert (
        keys.index("feeds/rss.xml")
        < keys.index("feeds/world/rss.xml")
        < keys.index("feeds/tags/climate/rss.xml")
        < keys.index("feeds/authors/ana-lima/rss.xml")
    )
    climate = json.loads(next(f for f in files if f.key == "feeds/tags/climate/feed.json").body)
    assert climate["title"] == "The Harbour Herald: Climate"
    assert climate["home_page_url"] == "https://www.example.com/feeds/tags/climate/"
    assert [item["id"].rsplit("/", 1)[-1] for item in climate["items"]] == ["a"]
    energy = json.loads(next(f for f in files if f.key == "feeds/tags/climate-energy-live/feed.json").body)
    assert energy["title"] == "The Harbour Herald: Climate & Energy <live>"
    ana = json.loads(next(f for f in files if f.key == "feeds/authors/ana-lima/feed.json").body)
    assert ana["description"] == "The latest stories by Ana Lima from The Harbour Herald."
    assert [item["id"].rsplit("/", 1)[-1] for item in ana["items"]] == ["b", "a"]
    # one GUID per story in every feed it is in
    site_ids = {
        item["id"] for item in json.loads(next(f for f in files if f.key == "feeds/feed.json").body)["items"]
    }
    assert {item["id"] for item in ana["items"]} == site_ids


@pytest.mark.parametrize(("tags", "authors"), [("none", "none"), (["Climate"], "none"), ("all", ["Bo Chen"])])
def test_only_the_chosen_feed_sets_are_written(tags: object, authors: object) -> None:
    articles = [story("a", tags=("Climate", "Port Ellis"), authors=("Ana Lima", "Bo Chen"))]
    folders = {spec.folder for spec in feed_specs(site(tags, authors), articles, NOW)}
    expected = {"", "world"}
    expected |= {"tags/climate"} if tags != "none" else set()
    expected |= {"tags/port-ellis"} if tags == "all" else set()
    expected |= {"authors/bo-chen"} if authors != "none" else set()
    assert folders == expected
