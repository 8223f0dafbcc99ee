"""Sitemaps (sitemaps.org 0.9): Google's news sitemap, one file per month of articles, and their index.

Pure functions of the entries, like the feeds: no generation time anywhere, a fixed order, so the
same articles always give the same bytes and the publisher writes a file only when it changes.
A build renders them from the article list, the publisher from the index's slim month entries;
both go through `SitemapEntry`, so both write identical bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from urllib.parse import quote
from xml.sax.saxutils import escape

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.feeds import NEWS_WINDOW, month_of
from feedpub.names import NEWS_SITEMAP_FILE, SITEMAP_INDEX_FILE, month_sitemap_key, sitemap_key
from feedpub.render import RenderedFile

SITEMAP_TYPE = "application/xml; charset=utf-8"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
MAX_URLS = 50_000
"""sitemaps.org: at most 50,000 URLs per file (and per index)."""
MAX_BYTES = 50 * 1024 * 1024
"""sitemaps.org: at most 50 MB (52,428,800 bytes) per file, uncompressed."""
MAX_NEWS_URLS = 1_000
"""Google: at most 1,000 `news:news` entries per news sitemap."""
MIN_LOC, MAX_LOC = 12, 2048
"""The schema's bounds on a `loc`; Google ignores longer URLs, so an article with one is left out."""
URL_SAFE = "/:?#[]@!$&'()*+,;=%~"
"""Kept as they are when escaping a URL: RFC 3986 reserved characters, and `%` (already escaped)."""
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
URLSET_CLOSE = "</urlset>\n"


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """What the sitemaps show of an article: the index keeps just this per month (no payload)."""

    id: str
    url: str
    title: str
    language: str
    published: datetime
    modified: datetime
    """`updated`, else `published`: a month file's `lastmod`."""

    @classmethod
    def of(cls, article: Article) -> SitemapEntry:
        """The entry of an article."""
        return cls(
            article.id, article.url, article.title, article.language, article.published, article.modified
        )

    def order(self) -> tuple[datetime, str]:
        """(published, id): the feeds' order, which is also the index's sort key order."""
        return (self.published, self.id)


@dataclass(frozen=True, slots=True)
class MonthSitemap:
    """One file of a month's sitemap and the `lastmod` the index gives it (its newest entry's)."""

    file: RenderedFile
    lastmod: str


def news_language(language: str) -> str:
    """Google's language code for a BCP 47 tag: ISO 639 (the primary subtag, lower-case), except
    Chinese, which Google wants as zh-cn (Simplified) or zh-tw (Traditional: Hant, TW, HK, MO)."""
    subtags = language.strip().lower().replace("_", "-").split("-")
    if subtags[0] != "zh":
        return subtags[0]
    return "zh-tw" if {"hant", "tw", "hk", "mo"} & set(subtags[1:]) else "zh-cn"


def w3c_datetime(when: datetime) -> str:
    """W3C Datetime to the second, with the article's own UTC offset (e.g. 2026-11-20T08:00:00+07:00)."""
    return when.isoformat(timespec="seconds")


def sitemap_url(url: str) -> str:
    """The URL as a sitemap must give it: non-ASCII and spaces percent-encoded (UTF-8); the rest,
    escapes included, as written. XML escaping (`&amp;`) is done where it is written."""
    return quote(url, safe=URL_SAFE)


def _loc(url: str) -> str | None:
    """The escaped `loc` text, or None when the URL is outside the schema's length bounds."""
    encoded = sitemap_url(url)
    return escape(encoded) if MIN_LOC <= len(encoded) <= MAX_LOC else None


def _urlset(lines: Iterable[str], news: bool = False) -> bytes:
    namespaces = f'xmlns="{SITEMAP_NS}"' + (f' xmlns:news="{NEWS_NS}"' if news else "")
    return (XML_DECLARATION + f"<urlset {namespaces}>\n" + "".join(lines) + URLSET_CLOSE).encode()


def news_entries(entries: Iterable[SitemapEntry], now: datetime) -> list[SitemapEntry]:
    """The news sitemap's articles: published in the 48 hours up to `now`, newest first, at most 1,000."""
    start = now - NEWS_WINDOW
    chosen = [e for e in entries if start <= e.published <= now]
    chosen.sort(key=SitemapEntry.order, reverse=True)
    return chosen[:MAX_NEWS_URLS]


def render_news_sitemap(entries: Iterable[SitemapEntry], config: SiteConfig, now: datetime) -> RenderedFile:
    """`sitemaps/news.xml`. With no recent article it is an empty `urlset`, which Google accepts
    ("It won't cause any problems with Google Search if the file is empty"): the file named in
    robots.txt never disappears."""
    name = escape(config.title)
    lines = []
    for entry in news_entries(entries, now):
        loc = _loc(entry.url)
        if loc is None:
            continue
        lines.append(
            f"<url><loc>{loc}</loc><news:news><news:publication><news:name>{name}</news:name>"
            f"<news:language>{news_language(entry.language)}</news:language></news:publication>"
            f"<news:publication_date>{w3c_datetime(entry.published)}</news:publication_date>"
            f"<news:title>{escape(entry.title)}</news:title></news:news></url>\n"
        )
    return RenderedFile(sitemap_key(NEWS_SITEMAP_FILE), SITEMAP_TYPE, _urlset(lines, news=True))


def _newest(entries: Iterable[SitemapEntry]) -> str:
    """The newest `lastmod` of some entries, as written (ties between offsets broken by the text)."""
    return max((e.modified, w3c_datetime(e.modified)) for e in entries)[1]


def render_month_sitemaps(month: str, entries: Iterable[SitemapEntry]) -> list[MonthSitemap]:
    """`sitemaps/articles-YYYY-MM.xml`: every given entry, oldest first (ties by id), with its
    `lastmod`. Past 50,000 URLs or 50 MB the month continues in `-2`, `-3`... (each listed in the
    index), so no file is ever invalid. No entries: no file (an empty `urlset` is not valid)."""
    overhead = len(_urlset([]))
    parts: list[list[tuple[str, SitemapEntry]]] = [[]]
    size = overhead
    for entry in sorted(entries, key=SitemapEntry.order):
        loc = _loc(entry.url)
        if loc is None:
            continue
        line = f"<url><loc>{loc}</loc><lastmod>{w3c_datetime(entry.modified)}</lastmod></url>\n"
        length = len(line.encode())
        if len(parts[-1]) >= MAX_URLS or size + length > MAX_BYTES:
            parts.append([])
            size = overhead
        parts[-1].append((line, entry))
        size += length
    return [
        MonthSitemap(
            RenderedFile(month_sitemap_key(month, number), SITEMAP_TYPE, _urlset(line for line, _ in part)),
            _newest(entry for _, entry in part),
        )
        for number, part in enumerate(parts, start=1)
        if part
    ]


def render_sitemap_index(files: Mapping[str, str], config: SiteConfig) -> RenderedFile | None:
    """`sitemaps/index.xml`: each month file (key -> lastmod) by key; None when there is none (an
    empty `sitemapindex` is not valid). 50,000 files are 4,000 years of months: never split."""
    lines = [
        f"<sitemap><loc>{escape(sitemap_url(f'{config.base_url}/{key}'))}</loc>"
        f"<lastmod>{lastmod}</lastmod></sitemap>\n"
        for key, lastmod in sorted(files.items())
        if lastmod
    ]
    if not lines:
        return None
    body = XML_DECLARATION + f'<sitemapindex xmlns="{SITEMAP_NS}">\n' + "".join(lines) + "</sitemapindex>\n"
    return RenderedFile(sitemap_key(SITEMAP_INDEX_FILE), SITEMAP_TYPE, body.encode())


def render_sitemaps(entries: Iterable[SitemapEntry], config: SiteConfig, now: datetime) -> list[RenderedFile]:
    """Every sitemap of a site from its listed entries: news, each month's, the index (a build's view)."""
    listed = sorted(
        (e for e in entries if e.published <= now), key=lambda e: (month_of(e.published), e.order())
    )
    files = [render_news_sitemap(listed, config, now)]
    lastmods: dict[str, str] = {}
    for month, group in groupby(listed, key=lambda e: month_of(e.published)):
        for part in render_month_sitemaps(month, group):
            files.append(part.file)
            lastmods[part.file.key] = part.lastmod
    index = render_sitemap_index(lastmods, config)
    return files + ([index] if index else [])
