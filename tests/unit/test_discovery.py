"""WebSub discovery: every feed names its hubs and itself in its body and in its Link header, the
feed pages name the hubs for browsers and readers, and turning push off removes every hub link.

Checked the way a WebSub subscriber discovers (W3C WebSub section 4): feedparser for the XML
feeds' links, the JSON Feed's `hubs`, and the Link header parsed by its rel values.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime

import feedparser
import lxml.html
import pytest

from feedpub.build import collect_articles
from feedpub.config import SiteConfig
from feedpub.render import RenderedFile
from feedpub.site import render_site
from tests.support.clock import NOW
from tests.support.feedcheck import check_feed_files
from tests.support.paths import EXAMPLES
from tests.support.xpath import texts

HUBS = ("https://pubsubhubbub.appspot.com/", "http://127.0.0.1:8181/")
LINK = re.compile(r'<([^>]*)>;\s*rel="([^"]*)"')


def site_files(config: SiteConfig, now: datetime = NOW) -> dict[str, RenderedFile]:
    articles, _ = collect_articles(EXAMPLES, config)
    return {file.key: file for file in render_site(articles, config, now)}


@pytest.fixture(scope="module")
def pushed() -> dict[str, RenderedFile]:
    return site_files(replace(SiteConfig.from_toml(EXAMPLES / "feedpub.toml"), websub_hubs=HUBS))


def rels(header: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for url, rel in LINK.findall(header):
        found.setdefault(rel, []).append(url)
    return found


def public_url(key: str) -> str:
    return "https://www.example.com/" + key


def test_every_feed_advertises_its_hubs_and_itself_in_rss_and_atom(pushed: dict[str, RenderedFile]) -> None:
    xml_feeds = [file for key, file in pushed.items() if key.startswith("feeds/") and key.endswith(".xml")]
    assert len(xml_feeds) >= 8, "the site and every section, RSS and Atom"
    for file in xml_feeds:
        links = feedparser.parse(file.body).feed.links
        assert [link.href for link in links if link.rel == "hub"] == list(HUBS), file.key
        assert [link.href for link in links if link.rel == "self"] == [public_url(file.key)], file.key


def test_every_json_feed_names_its_hubs(pushed: dict[str, RenderedFile]) -> None:
    json_feeds = [file for key, file in pushed.items() if key.endswith(".json")]
    assert json_feeds
    for file in json_feeds:
        document = json.loads(file.body)
        assert document["hubs"] == [{"type": "WebSub", "url": hub} for hub in HUBS], file.key
        assert document["feed_url"] == public_url(file.key)


def test_every_feed_response_carries_a_link_header_with_hubs_and_self(
    pushed: dict[str, RenderedFile],
) -> None:
    for key, file in pushed.items():
        if key.startswith("sitemaps/"):
            assert file.link == "", "sitemaps are for crawlers, not WebSub topics"
            continue
        if key.endswith("index.html"):
            assert file.link == "", "pages are not topics"
            continue
        assert rels(file.link) == {"hub": list(HUBS), "self": [public_url(key)]}, key


def test_feed_pages_offer_every_format_and_the_hubs(pushed: dict[str, RenderedFile]) -> None:
    pages = [file for key, file in pushed.items() if key.endswith("index.html")]
    assert pages
    for page in pages:
        document = lxml.html.document_fromstring(page.body.decode())
        assert texts(document, "//head/link[@rel='hub']/@href") == list(HUBS)
        folder = page.key.removesuffix("index.html")
        assert sorted(texts(document, "//head/link[@rel='alternate']/@href")) == sorted(
            public_url(folder + name) for name in ("atom.xml", "feed.json", "rss.xml")
        )


def test_feeds_with_hubs_still_pass_every_check(pushed: dict[str, RenderedFile]) -> None:
    assert check_feed_files(pushed.values()) == []


def test_the_rss_channel_link_stays_the_site_not_a_hub(pushed: dict[str, RenderedFile]) -> None:
    # feedgen makes the last link added the RSS channel <link>: a hub must never become it.
    assert feedparser.parse(pushed["feeds/rss.xml"].body).feed.link == "https://www.example.com/"


def test_push_off_removes_every_hub_link_and_changes_nothing_else() -> None:
    config = SiteConfig.from_toml(EXAMPLES / "feedpub.toml")
    plain = site_files(config)
    with_hubs = site_files(replace(config, websub_hubs=HUBS))
    assert plain.keys() == with_hubs.keys()
    for key, file in plain.items():
        assert b'rel="hub"' not in file.body and b'"hubs"' not in file.body, key
        assert "hub" not in rels(file.link), key
        stripped = re.sub(
            rb'\s*<(atom:)?link (href="[^"]*" )?rel="hub"( href="[^"]*")?/?>', b"", with_hubs[key].body
        )
        if key.endswith(".xml") or key.endswith(".html"):
            assert stripped == file.body, key
