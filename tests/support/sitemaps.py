"""Validating sitemaps against the vendored schemas in tests/schemas/ (sources in their headers)."""

from __future__ import annotations

from functools import cache

from lxml import etree

from feedpub.names import NEWS_SITEMAP_FILE, SITEMAP_INDEX_FILE
from tests.support.paths import ROOT
from tests.support.xpath import texts

SCHEMAS = ROOT / "tests" / "schemas"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
NS = {"s": SITEMAP_NS, "news": NEWS_NS}


@cache
def schema(name: str) -> etree.XMLSchema:
    """One vendored schema, parsed once (imports resolve beside it, never over the network)."""
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def schema_for(key: str) -> etree.XMLSchema:
    """The news sitemap needs the sitemap and news schemas at once; the index has its own."""
    name = key.rsplit("/", 1)[-1]
    if name == NEWS_SITEMAP_FILE:
        return schema("sitemap-with-news.xsd")
    if name == SITEMAP_INDEX_FILE:
        return schema("siteindex.xsd")
    return schema("sitemap.xsd")


def assert_valid_sitemap(key: str, body: bytes) -> etree._Element:
    """The parsed sitemap, after checking it against its schema. An empty news sitemap (Google
    accepts one) is checked as a well-formed, empty `urlset` instead: the schema wants a `url`."""
    document = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    if key.endswith(NEWS_SITEMAP_FILE) and len(document) == 0:
        assert document.tag == f"{{{SITEMAP_NS}}}urlset"
        return document
    validator = schema_for(key)
    assert validator.validate(document), f"{key}: {validator.error_log}"
    return document


def locs(body: bytes) -> list[str]:
    """The `loc`s of a sitemap or sitemap index, in order."""
    return texts(etree.fromstring(body), "//s:loc/text()", NS)
