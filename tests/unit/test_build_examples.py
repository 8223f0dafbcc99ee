"""The examples build into feeds that every consumer accepts."""

from __future__ import annotations

from pathlib import Path

import feedparser
from lxml import etree

from feedpub.build import build
from feedpub.config import SiteConfig
from tests.support.clock import NOW
from tests.support.paths import EXAMPLES
from tests.support.sitemaps import assert_valid_sitemap


def test_examples_build_into_valid_feeds(tmp_path: Path, config: SiteConfig) -> None:
    result = build(EXAMPLES, tmp_path, config, NOW, jobs=1)
    assert result.errors == []
    assert len(result.articles) == len(list((EXAMPLES / "articles").rglob("*.*")))
    feeds = sorted(result.written)
    assert "feeds/rss.xml" in feeds and "feeds/world/atom.xml" in feeds
    for key in [k for k in feeds if k.startswith("sitemaps/")]:
        assert_valid_sitemap(key, (tmp_path / key).read_bytes())
    for key in [k for k in feeds if k.startswith("feeds/")]:
        data = (tmp_path / key).read_bytes()
        if key.endswith(".xml"):
            etree.fromstring(data, etree.XMLParser(resolve_entities=False))
        parsed = feedparser.parse(data) if key.endswith(".xml") else None
        if parsed is not None:
            assert parsed.bozo == 0, (key, parsed.get("bozo_exception"))
            assert parsed.entries, key
    site = feedparser.parse((tmp_path / "feeds/rss.xml").read_bytes())
    titles = [e.title for e in site.entries]
    assert not any("embargo" in e.link for e in site.entries)
    assert not any("rail-budget-draft" in e.link for e in site.entries)
    assert len(titles) == len(set(titles))
