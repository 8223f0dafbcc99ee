"""The rendered feeds of the examples, read the way feed readers and validators read them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
import pytest
from lxml import etree

from feedpub.article import Article
from feedpub.build import collect_articles
from feedpub.config import SiteConfig
from feedpub.feeds import FeedSpec, feed_specs, select_items
from feedpub.render import RenderedFile, feed_updated, render_feed_set
from feedpub.site import render_site
from tests.support.atom_check import atom_violations
from tests.support.clock import NOW
from tests.support.feedcheck import NS, check_feed_file, feedparser_reads_json, json_feed_errors, parse_strict
from tests.support.paths import EXAMPLES
from tests.support.xpath import attributes

CONFIG = SiteConfig.from_toml(EXAMPLES / "feedpub.toml")
ARTICLES, ERRORS = collect_articles(EXAMPLES, CONFIG, jobs=1)
SPECS = feed_specs(CONFIG, ARTICLES, NOW)
FILES = {f.key: f for f in render_site(ARTICLES, CONFIG, NOW)}
ATOM_NS = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True)
class FeedSet:
    spec: FeedSpec
    items: list[Article]
    rss: etree._Element
    atom: etree._Element
    json: dict[str, Any]
    raw: dict[str, bytes]


def _feed_set(spec: FeedSpec) -> FeedSet:
    raw = {name: FILES[spec.key(name)].body for name in ("rss.xml", "atom.xml", "feed.json")}
    return FeedSet(
        spec=spec,
        items=select_items(ARTICLES, spec, CONFIG, NOW),
        rss=parse_strict(raw["rss.xml"]),
        atom=parse_strict(raw["atom.xml"]),
        json=json.loads(raw["feed.json"]),
        raw=raw,
    )


SETS = [_feed_set(spec) for spec in SPECS]
SET_IDS = [spec.name for spec in SPECS]


def test_examples_render_every_feed_set() -> None:
    assert ERRORS == []
    assert [s.name for s in SPECS] == [
        "site", "business", "national", "sport", "world", "tags/diplomacy", "tags/economy",
        "tags/ports", "tags/transport", "authors/declan-moffatt", "authors/mara-lindqvist",
        "authors/priyanka-sethi",
    ]  # fmt: skip
    feed_set_files = [key for key in FILES if key.startswith("feeds/") and "/partners/" not in key]
    assert len(feed_set_files) == 4 * len(SPECS)  # rss, atom, json and the HTML page
    assert sorted(set(FILES) - set(feed_set_files)) == [
        "feeds/partners/smartnews/rss.xml", "sitemaps/articles-2026-11.xml", "sitemaps/index.xml",
        "sitemaps/news.xml",
    ]  # fmt: skip
    site = SETS[0]
    assert len(site.items) == len(ARTICLES) - 2  # one draft, one embargoed
    sections = [s for s in SETS if s.spec.kind == "section"]
    assert sum(len(s.items) for s in sections) == len(site.items)  # each story in one section


@pytest.mark.parametrize("key", sorted(FILES))
def test_feed_file_is_valid(key: str) -> None:
    assert check_feed_file(FILES[key]) == []


@pytest.mark.skipif(
    not feedparser_reads_json(),
    reason="the installed feedparser (6.0.x) has no JSON Feed parser; feed.json is checked against "
    "tests/schemas/jsonfeed-1.1.json instead",
)
@pytest.mark.parametrize("fs", SETS, ids=SET_IDS)
def test_feedparser_reads_json_feed(fs: FeedSet) -> None:
    parsed = feedparser.parse(fs.raw["feed.json"])
    assert parsed.bozo == 0
    assert [e.id for e in parsed.entries] == [fs.spec.item_id(a) for a in fs.items]


@pytest.mark.parametrize("fs", SETS, ids=SET_IDS)
@pytest.mark.parametrize("name", ["rss.xml", "atom.xml"])
def test_feedparser_reads_xml_feeds_without_bozo(fs: FeedSet, name: str) -> None:
    parsed = feedparser.parse(fs.raw[name])
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == ("rss20" if name == "rss.xml" else "atom10")
    assert len(parsed.entries) == len(fs.items)
    for entry, item in zip(parsed.entries, fs.items, strict=True):
        assert entry.title == item.title
        assert entry.id == fs.spec.item_id(item)
        assert entry.link == item.url


# --- RSS ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fs", SETS, ids=SET_IDS)
def test_rss_channel(fs: FeedSet) -> None:
    assert fs.rss.tag == "rss" and fs.rss.get("version") == "2.0"
    [channel] = fs.rss.findall("channel")
    assert channel.findtext("title") == fs.spec.title
    assert channel.findtext("link") == fs.spec.home_url  # the home page, not the self link
    assert channel.findtext("description") == fs.spec.description
    [self_link] = channel.findall("atom:link", NS)
    assert attributes(self_link) == {
        "href": fs.spec.url("rss.xml"),
        "rel": "self",
        "type": "application/rss+xml",
    }
    assert channel.findtext("language") == CONFIG.language
    assert channel.findtext("ttl") == str(CONFIG.ttl_minutes)
    last_build = parsedate_to_datetime(channel.findtext("lastBuildDate") or "")
    assert last_build == feed_updated(fs.items, CONFIG)


@pytest.mark.parametrize("fs", SETS, ids=SET_IDS)
def test_rss_items(fs: FeedSet) -> None:
    items = fs.rss.findall("channel/item")
    assert len(items) == len(fs.items)
    for element, article in zip(items, fs.items, strict=True):
        assert element.findtext("title") == article.title
        assert [e.text for e in element.findall("link")] == [article.url]
        assert element.findtext("description") == article.summary
        assert element.findtext("content:encoded", namespaces=NS) == article.content_html
        [guid] = element.findall("guid")
        assert guid.get("isPermaLink") == "false"
        assert guid.text == fs.spec.item_id(article)
        assert parsedate_to_datetime(element.findtext("pubDate") or "") == article.published
        categories = [c.text for c in element.findall("category")]
        assert categories == [article.section_title, *article.tags]
        assert [c.text for c in element.findall("dc:creator", NS)] == list(article.authors)
        enclosures = element.findall("enclosure")
        media = element.findall("media:content", NS)
        if article.image is None:
            assert enclosures == [] and media == []
            continue
        image = article.image
        [enclosure] = enclosures
        assert attributes(enclosure) == {"url": image.url, "length": str(image.length), "type": image.type}
        [content] = media
        assert content.get("url") == image.url
        assert content.get("type") == image.type and content.get("medium") == "image"
        assert content.get("width") == str(image.width) and content.get("height") == str(image.height)
        assert content.findtext("media:description", namespaces=NS) == image.caption
        description = content.find("media:description", NS)
        assert description is not None and description.get("type") == "plain"
        assert content.findtext("media:credit", namespaces=NS) == image.credit


def test_rss_example_with_image_has_media_caption_and_credit() -> None:
    site = SETS[0]
    [item] = [i for i in site.rss.findall("channel/item") if "smith-sons" in (i.findtext("link") or "")]
    assert item.findtext("media:content/media:credit", namespaces=NS) == "Herald photo / Jane Doe"
    assert item.find("enclosure") is not None


# --- Atom -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fs", SETS, ids=SET_IDS)
def test_atom_is_rfc4287_conformant(fs: FeedSet) -> None:
    assert atom_violations(fs.raw["atom.xml"]) == []


@pytest.mark.parametrize("fs", SETS, ids=SET_IDS)
def test_atom_feed(fs: FeedSet) -> None:
    feed = fs.atom
    assert feed.tag == f"{ATOM_NS}feed"
    assert feed.findtext("atom:id", namespaces=NS) == fs.spec.feed_id
    assert feed.findtext("atom:title", namespaces=NS) == fs.spec.title
    updated = feed.findtext("atom:updated", namespaces=NS) or ""
    newest = max(a.modified for a in fs.items)
    assert datetime.fromisoformat(updated) == newest
    assert updated == newest.isoformat()
    links = {link.get("rel"): link.attrib for link in feed.findall("atom:link", NS)}
    assert links["self"]["href"] == fs.spec.url("atom.xml")
    assert links["self"]["type"] == "application/atom+xml"
    assert links["alternate"]["href"] == fs.spec.home_url
    assert feed.findtext("atom:author/atom:name", namespaces=NS) == CONFIG.title


@pytest.mark.parametrize("fs", SETS, ids=SET_IDS)
def test_atom_entries(fs: FeedSet) -> None:
    entries = fs.atom.findall("atom:entry", NS)
    assert len(entries) == len(fs.items)
    for entry, article in zip(entries, fs.items, strict=True):
        assert entry.findtext("atom:id", namespaces=NS) == fs.spec.item_id(article)
        assert entry.findtext("atom:title", namespaces=NS) == article.title
        assert entry.findtext("atom:updated", namespaces=NS) == article.modified.isoformat()
        assert entry.findtext("atom:published", namespaces=NS) == article.published.isoformat()
        names = [n.text for n in entry.findall("atom:author/atom:name", NS)]
        assert names == list(article.authors)
        assert entry.findtext("atom:summary", namespaces=NS) == article.summary
        [content] = entry.findall("atom:content", NS)
        assert content.get("type") == "html"
        assert len(content) == 0 and content.text == article.content_html  # escaped, not parsed markup
        links = entry.findall("atom:link", NS)
        alternates = [attributes(link) for link in links if link.get("rel") == "alternate"]
        assert alternates == [{"href": article.url, "rel": "alternate", "type": "text/html"}]
        enclosures = [attributes(link) for link in links if link.get("rel") == "enclosure"]
        if article.image is None:
            assert enclosures == []
        else:
            assert enclosures == [{"href": article.image.url, "rel": "enclosure", "type": article.image.type}]
        terms = [(c.get("term"), c.get("label")) for c in entry.findall("atom:category", NS)]
        assert terms == [(article.section, article.section_title), *((t, None) for t in article.tags)]


# --- JSON Feed ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fs", SETS, ids=SET_IDS)
def test_json_feed_matches_the_schema(fs: FeedSet) -> None:
    assert json_feed_errors(fs.json) == []


@pytest.mark.parametrize("fs", SETS, ids=SET_IDS)
def test_json_feed(fs: FeedSet) -> None:
    document = fs.json
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["title"] == fs.spec.title
    assert document["home_page_url"] == fs.spec.home_url
    assert document["feed_url"] == fs.spec.url("feed.json")
    assert document["language"] == CONFIG.language
    assert len(document["items"]) == len(fs.items)
    for item, article in zip(document["items"], fs.items, strict=True):
        expected: dict[str, Any] = {
            "id": fs.spec.item_id(article),
            "url": article.url,
            "title": article.title,
            "content_html": article.content_html,
            "summary": article.summary,
            "date_published": article.published.isoformat(),
            "date_modified": article.modified.isoformat(),
            "tags": [article.section_title, *article.tags],
            "language": article.language,
        }
        if article.authors:
            expected["authors"] = [{"name": name} for name in article.authors]
        if article.image is not None:
            expected["image"] = article.image.url
        assert item == expected


def test_json_feed_example_item_has_every_field() -> None:
    [item] = [i for i in SETS[0].json["items"] if i["url"].endswith("/smith-sons-bid")]
    assert set(item) == {
        "id", "url", "title", "content_html", "summary", "image", "date_published", "date_modified",
        "authors", "tags", "language",
    }  # fmt: skip


# --- across formats -------------------------------------------------------------------------------


@pytest.mark.parametrize("fs", SETS, ids=SET_IDS)
def test_same_guids_in_every_format_newest_first(fs: FeedSet) -> None:
    rss = [g.text for g in fs.rss.findall("channel/item/guid")]
    atom = [i.text for i in fs.atom.findall("atom:entry/atom:id", NS)]
    feed_json = [i["id"] for i in fs.json["items"]]
    assert rss == atom == feed_json == [fs.spec.item_id(a) for a in fs.items]
    published = [a.published for a in fs.items]
    assert published == sorted(published, reverse=True)


def test_section_feeds_use_the_site_guids() -> None:
    site = {i["url"]: i["id"] for i in SETS[0].json["items"]}
    for fs in SETS[1:]:
        for item in fs.json["items"]:
            assert site[item["url"]] == item["id"]


def test_titles_with_ampersand_and_quotes_are_escaped_exactly_once() -> None:
    title = 'Smith & Sons rejects "low-ball" bid from Carrow Group'
    for fs in (SETS[0], next(s for s in SETS if s.spec.name == "business")):
        for name in ("rss.xml", "atom.xml"):
            raw = fs.raw[name]
            assert b'<title>Smith &amp; Sons rejects "low-ball" bid from Carrow Group</title>' in raw
            assert b"<title>Smith &amp;amp;" not in raw
            titles = [e.title for e in feedparser.parse(raw).entries]
            assert title in titles
        assert title in [i["title"] for i in fs.json["items"]]
        assert b'Smith & Sons rejects \\"low-ball\\"' in fs.raw["feed.json"]


def test_drafts_and_embargoed_articles_are_in_no_feed() -> None:
    hidden = {a.id for a in ARTICLES if not a.is_listed(NOW)}
    assert hidden == {"rail-budget-draft", "quarterly-outlook-embargo"}
    for body in (f.body for f in FILES.values()):
        for article_id in hidden:
            assert article_id.encode() not in body


def test_rendering_is_a_pure_function() -> None:
    again = {f.key: f for f in render_site(list(reversed(ARTICLES)), CONFIG, NOW)}
    assert again == FILES


@pytest.mark.parametrize("name", ["site", "world"])
def test_empty_feed_set_is_valid(name: str) -> None:
    spec = next(s for s in SPECS if s.name == name)
    files = render_feed_set(spec, [], CONFIG)
    for file in files:
        assert check_feed_file(file) == []
    atom = parse_strict(files[1].body)
    assert atom.findtext("atom:updated", namespaces=NS) == "2026-01-01T00:00:00+00:00"
    assert json.loads(files[2].body)["items"] == []


# --- the Atom checker itself ------------------------------------------------------------------------

GOOD_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>tag:example.com,2026:feed</id><title>T</title><updated>2026-11-20T08:00:00Z</updated>
  <author><name>A</name></author>
  <entry>
    <id>tag:example.com,2026:1</id><title>E</title><updated>2026-11-20T08:00:00+07:00</updated>
    <content type="html">&lt;p&gt;x&lt;/p&gt;</content>
  </entry>
</feed>"""


def _mutate(old: str, new: str) -> bytes:
    assert old in GOOD_ATOM
    return GOOD_ATOM.replace(old, new, 1).encode()


def test_atom_checker_accepts_a_minimal_feed() -> None:
    assert atom_violations(GOOD_ATOM.encode()) == []


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("<id>tag:example.com,2026:feed</id>", "", "feed: must have exactly one atom:id, has 0"),
        ("<title>T</title>", "<title>T</title><title>U</title>", "exactly one atom:title, has 2"),
        ("<updated>2026-11-20T08:00:00Z</updated>", "", "exactly one atom:updated"),
        ("<id>tag:example.com,2026:1</id>", "<id>relative/1</id>", "is not an absolute IRI"),
        ("<id>tag:example.com,2026:1</id>", "<id>tag:example.com,2026:has space</id>", "not an absolute IRI"),
        ("2026-11-20T08:00:00+07:00", "2026-11-20 08:00:00", "is not an RFC 3339 date-time"),
        ("2026-11-20T08:00:00+07:00", "2026-02-30T08:00:00Z", "is not an RFC 3339 date-time"),
        ("<author><name>A</name></author>", "", "no atom:author in the entry and none in the feed"),
        (
            '<content type="html">&lt;p&gt;x&lt;/p&gt;</content>',
            "",
            "needs atom:content or an alternate link",
        ),
        ("&lt;p&gt;x&lt;/p&gt;", "<p>x</p>", "content type=html must hold escaped text"),
        ("<title>E</title>", '<title type="html"><b>E</b></title>', "type=html must hold escaped text"),
        ("<title>E</title>", '<title type="markdown">E</title>', "type must be text, html or xhtml"),
        (
            "<title>E</title>",
            '<title>E</title><link href="https://a/1"/><link rel="alternate" href="https://a/2"/>',
            "2 alternate links with type=''",
        ),
        ("<author><name>A</name></author>", "<author><email>a@b</email></author>", "exactly one atom:name"),
        (
            "<title>E</title>",
            "<title>E</title><summary>a</summary><summary>b</summary>",
            "at most one atom:summary",
        ),
        (
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            '<feed xmlns="http://example.com/not-atom">',
            "not atom:feed",
        ),
        ("</feed>", "", "not well-formed XML"),
    ],
)
def test_atom_checker_finds_violations(old: str, new: str, fragment: str) -> None:
    violations = atom_violations(_mutate(old, new))
    assert any(fragment in v for v in violations), violations


def test_atom_checker_allows_alternates_differing_by_type_or_language() -> None:
    links = (
        '<link rel="alternate" type="text/html" href="https://a/1"/>'
        '<link rel="alternate" type="text/html" hreflang="fr" href="https://a/fr/1"/>'
        '<link rel="alternate" type="application/pdf" href="https://a/1.pdf"/>'
    )
    assert atom_violations(_mutate("<title>E</title>", "<title>E</title>" + links)) == []


def test_rendered_file_type_is_immutable() -> None:
    file = FILES["feeds/rss.xml"]
    assert isinstance(file, RenderedFile)
    with pytest.raises(AttributeError):
        file.body = b""  # type: ignore[misc]
