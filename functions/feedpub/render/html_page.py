"""HTML pages for people: a feed set's index.html and a plain preview of one article.

Browsers are dropping XSLT, so a feed URL opened in a browser is answered with the feed set's
`index.html` instead (content negotiation elsewhere decides when). Both pages are pure functions of
their inputs to bytes, like the feeds: no clock, no random ids, dates in each article's own UTC
offset, so unchanged inputs give unchanged bytes on any machine. They load nothing from anywhere
else: the only CSS and script are inline, pinned by hash in a Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.feeds import FeedSpec

HTML_TYPE = "text/html; charset=utf-8"
TEMPLATES = Path(__file__).resolve().parent / "templates"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip
FEEDS = (
    ("rss.xml", "feed-rss", "RSS", "application/rss+xml"),
    ("atom.xml", "feed-atom", "Atom", "application/atom+xml"),
    ("feed.json", "feed-json", "JSON Feed", "application/feed+json"),
)
ACCESS_LABELS = {"members": "For members", "paid": "For subscribers"}
"""Shown beside a non-public item's date, so a reader knows before following the link."""


@dataclass(frozen=True, slots=True)
class _Assets:
    env: jinja2.Environment
    css: Markup
    script: Markup
    csp_feed: str
    csp_article: str


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


@cache
def _assets() -> _Assets:
    """The Jinja environment and the inline CSS/script, loaded once per process."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    css = (TEMPLATES / "page.css").read_text(encoding="utf-8")
    script = (TEMPLATES / "copy.js").read_text(encoding="utf-8")
    base = "default-src 'none'; img-src http: https:; base-uri 'none'; form-action 'none'"
    return _Assets(
        env=env,
        css=Markup(css),  # noqa: S704 - our own static file, not input
        script=Markup(script),  # noqa: S704 - our own static file, not input
        csp_feed=f"{base}; style-src {_sha256(css)}; script-src {_sha256(script)}",
        csp_article=f"{base}; style-src {_sha256(css)}",
    )


def _web_url(url: str) -> str:
    """`url` if it is an absolute http(s) URL, else '' (so no `javascript:` link ever renders)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else ""


def format_datetime(moment: datetime) -> dict[str, str]:
    """A date as text and as RFC 3339, in its own UTC offset, the same on any machine.

    `text` is like `20 November 2026, 08:15 (UTC+07:00)`; no locale or local time zone is used.
    A naive datetime is taken as UTC; an offset with seconds (not RFC 3339) is shown in UTC.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    offset = moment.utcoffset() or timedelta(0)
    if offset % timedelta(minutes=1):
        moment, offset = moment.astimezone(UTC), timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    zone = f"UTC{sign}{hours:02d}:{mins:02d}" if minutes else "UTC"
    day = f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"
    text = f"{day}, {moment.hour:02d}:{moment.minute:02d} ({zone})"
    iso = moment.isoformat().replace("+00:00", "Z") if not minutes else moment.isoformat()
    return {"text": text, "iso": iso}


def _names(authors: tuple[str, ...]) -> str:
    """`A`, `A and B`, `A, B and C`."""
    if len(authors) <= 1:
        return "".join(authors)
    return ", ".join(authors[:-1]) + " and " + authors[-1]


def _alternates(spec: FeedSpec) -> list[dict[str, str]]:
    return [
        {"type": kind, "title": f"{spec.title} ({label})", "href": spec.url(filename)}
        for filename, _, label, kind in FEEDS
    ]


def _item(article: Article, language: str) -> dict[str, Any]:
    image = None
    if article.image is not None and _web_url(article.image.url):
        img = article.image
        sized = bool(img.width and img.height)
        image = {
            "src": img.url,
            "alt": img.alt or img.caption,
            "width": img.width if sized else None,
            "height": img.height if sized else None,
        }
    return {
        "title": article.title,
        "url": _web_url(article.url),
        "summary": article.summary,
        "authors": _names(article.authors),
        "date": format_datetime(article.published),
        "image": image,
        "lang": article.language if article.language and article.language != language else "",
        "access": ACCESS_LABELS.get(article.access, ""),
    }


def render_feed_page(spec: FeedSpec, items: list[Article], config: SiteConfig) -> bytes:
    """The page a browser is shown for a feed set, published as `spec.key("index.html")`.

    It says what a feed is, offers the three feed URLs to copy, and lists `items` (already
    selected and ordered, as for the feeds) by headline, summary, date and authors. Only the
    plain-text summary is shown, never an item's content_html.
    """
    assets = _assets()
    page = assets.env.get_template("feed_page.html").render(
        lang=config.language,
        csp=assets.csp_feed,
        css=assets.css,
        script=assets.script,
        alternates=_alternates(spec),
        hubs=config.websub_hubs,
        title=spec.title,
        description=spec.description,
        home_url=spec.home_url,
        feeds=[
            {"id": element_id, "label": label, "href": spec.url(filename)}
            for filename, element_id, label, _ in FEEDS
        ],
        items=[_item(article, config.language) for article in items],
    )
    return page.encode("utf-8")


def render_article_page(article: Article, config: SiteConfig, feeds: FeedSpec) -> bytes:
    """A plain HTML preview of one article as the site would show it at `article.url`.

    `feeds` is the feed set to offer (normally the article's section); its feeds are announced
    for autodiscovery and its index.html is linked as "Subscribe to ... feeds".
    """
    assets = _assets()
    updated = article.updated if article.updated and article.updated != article.published else None
    page = assets.env.get_template("article_page.html").render(
        lang=article.language or config.language,
        csp=assets.csp_article,
        css=assets.css,
        alternates=_alternates(feeds),
        hubs=config.websub_hubs,
        site=config.title,
        url=_web_url(article.url),
        title=article.title,
        section=article.section_title,
        section_url=feeds.home_url,
        authors=_names(article.authors),
        date=format_datetime(article.published),
        updated=format_datetime(updated) if updated else None,
        content_html=article.content_html,
        subscribe_url=feeds.url("index.html"),
        subscribe_label=article.section_title if feeds.section else config.title,
    )
    return page.encode("utf-8")
