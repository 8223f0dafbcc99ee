"""Checks every rendered feed must pass: strict XML, feedparser without bozo, Atom RFC, JSON schema."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any

import feedparser
from jsonschema import Draft202012Validator
from lxml import etree

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.feeds import section_feed, site_feed
from feedpub.render import RenderedFile, render_feed_set
from tests.support.atom_check import atom_violations
from tests.support.paths import SCHEMAS
from tests.support.xpath import texts

SCHEMA_PATH = SCHEMAS / "jsonfeed-1.1.json"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "media": "http://search.yahoo.com/mrss/",
}


def parse_strict(data: bytes) -> etree._Element:
    """Parse XML the strict way: no recovery, no entity expansion, no network."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False, huge_tree=False)
    return etree.fromstring(data, parser)


@cache
def json_feed_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def json_feed_errors(document: Any) -> list[str]:
    """Schema violations of a parsed JSON Feed document."""
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in json_feed_validator().iter_errors(document)
    ]


@cache
def feedparser_reads_json() -> bool:
    """feedparser 6.0.x reads RSS and Atom only; JSON Feed support came after it."""
    minimal = b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": []}'
    return str(feedparser.parse(minimal).get("version", "")).startswith("json")


def feedparser_problem(data: bytes) -> str | None:
    """None when feedparser reads the document cleanly, else why it set bozo."""
    parsed = feedparser.parse(data)
    if parsed.bozo:
        return repr(parsed.get("bozo_exception"))
    return None


def check_feed_file(file: RenderedFile) -> list[str]:
    """Everything wrong with one rendered file, as sentences (empty when it is fine)."""
    problems: list[str] = []
    if file.key.endswith(".html"):
        return html_page_problems(file)
    if file.key.endswith(".xml"):
        try:
            parse_strict(file.body)
        except etree.XMLSyntaxError as exc:
            return [f"{file.key}: not well-formed: {exc}"]
        bozo = feedparser_problem(file.body)
        if bozo:
            problems.append(f"{file.key}: feedparser bozo: {bozo}")
        if file.key.endswith("atom.xml"):
            problems += [f"{file.key}: {v}" for v in atom_violations(file.body)]
    else:
        try:
            document = json.loads(file.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return [f"{file.key}: not JSON: {exc}"]
        problems += [f"{file.key}: {e}" for e in json_feed_errors(document)]
        if feedparser_reads_json():
            bozo = feedparser_problem(file.body)
            if bozo:
                problems.append(f"{file.key}: feedparser bozo: {bozo}")
    return problems


def html_page_problems(file: RenderedFile) -> list[str]:
    """The feed set's page for browsers: UTF-8 HTML with a title and the three feed links."""
    import lxml.html

    try:
        document = lxml.html.document_fromstring(file.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return [f"{file.key}: not an HTML page: {exc}"]
    problems = []
    if not document.findtext(".//title"):
        problems.append(f"{file.key}: no <title>")
    alternates = texts(document, "//link[@rel='alternate']/@type")
    if sorted(alternates) != ["application/atom+xml", "application/feed+json", "application/rss+xml"]:
        problems.append(f"{file.key}: feed autodiscovery links are {alternates}")
    return problems


def check_feed_files(files: Iterable[RenderedFile]) -> list[str]:
    return [problem for file in files for problem in check_feed_file(file)]


def render_article(article: Article, config: SiteConfig) -> list[RenderedFile]:
    """The site and section feed sets of a site that has just this one article."""
    return render_feed_set(site_feed(config), [article], config) + render_feed_set(
        section_feed(config, article.section, article.section_title), [article], config
    )
