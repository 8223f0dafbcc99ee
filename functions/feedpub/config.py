"""Site configuration: the same settings whether they come from a TOML file, flags or Lambda env."""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from feedpub.cache_control import cache_control_problem
from feedpub.choices import NO_FEEDS, ChoiceError, FeedChoice, parse_items_per_kind, parse_partners
from feedpub.text import clean_text
from feedpub.websub import hub_url_problem

TEMPLATE_FIELDS = ("base_url", "section", "id", "year", "month")


def _template_problem(template: str) -> str:
    """What is wrong with a URL template, or ''; fields are plain names, no attribute access."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        return f"url_template {template!r} is not a valid template ({exc})"
    unknown = [name for name in names if name not in TEMPLATE_FIELDS]
    if unknown:
        allowed = ", ".join("{" + name + "}" for name in TEMPLATE_FIELDS)
        return f"url_template {template!r} uses unknown field(s) {', '.join(unknown)}; allowed: {allowed}"
    return ""


def _padded(value: str) -> str:
    """An RFC 4151 date (YYYY, YYYY-MM or YYYY-MM-DD) as a full ISO date."""
    return (value + "-01-01")[:10] if len(value) == 4 else (value + "-01")[:10]


def _is_date(value: str) -> bool:
    try:
        datetime.fromisoformat(_padded(value))
    except ValueError:
        return False
    return True


class ConfigError(Exception):
    """A site configuration that cannot be used; the message names the setting."""


def _hub_list(value: Any, origin: str) -> tuple[str, ...]:
    """websub_hubs from TOML (a list of URLs) or the environment (already split)."""
    if not isinstance(value, list | tuple) or not all(isinstance(hub, str) for hub in value):
        raise ConfigError(
            f'{origin}: websub_hubs must be a list of hub URLs, like ["https://pubsubhubbub.appspot.com/"]'
        )
    return tuple(dict.fromkeys(hub.strip() for hub in value if hub.strip()))


ENV_PREFIX = "FEEDPUB_"
CHOICE_PARSERS: dict[str, Any] = {
    "tag_feeds": lambda value: FeedChoice.parse(value, "tag_feeds"),
    "author_feeds": lambda value: FeedChoice.parse(value, "author_feeds"),
    "items_per_kind": parse_items_per_kind,
    "partners": parse_partners,
}
"""Settings that are lists or choices, each read from TOML or from the environment's string form."""
INT_SETTINGS = frozenset({"items_per_feed", "ttl_minutes", "most_viewed_items", "most_viewed_hours"})


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """What a site's feeds say about the site itself, and how they are laid out."""

    title: str = "Example News"
    """The site's name, the title of the whole-site feeds."""
    base_url: str = "https://www.example.com"
    """The site's home page; article URLs and feed URLs are built from it."""
    description: str = "The latest stories from Example News."
    """One sentence for the feeds' description/subtitle."""
    language: str = "en"
    """Default language (BCP 47) of articles that do not name one."""
    url_template: str = "{base_url}/{section}/{id}"
    """Where an article lives when it names no `url`; fields: base_url, section, id, year, month."""
    feeds_url: str = ""
    """Public URL of the feeds folder; default: `<base_url>/feeds`."""
    items_per_feed: int = 50
    """How many items each feed carries, newest first."""
    ttl_minutes: int = 15
    """RSS `ttl`: how long readers may cache the feed."""
    cache_control: str = "public, max-age=60, s-maxage=0, proxy-revalidate"
    """Cache-Control stored with every feed object: readers may keep a copy 60 s; shared caches
    (CloudFront, the site's CDN) revalidate every fetch, so nobody who fetches through the edge
    after a WebSub announcement or a takedown gets older bytes (docs/architecture.md)."""
    id_authority: str = ""
    """Tag URI authority for item ids (RFC 4151); default: the host of base_url."""
    id_date: str = "2026-01-01"
    """Tag URI date; never change it once feeds are public, or every item looks new."""
    most_viewed_items: int = 10
    """How many items each most-viewed feed ranks."""
    most_viewed_hours: int = 24
    """The main most-viewed window; a 7-day feed is published beside it."""
    sections: Mapping[str, str] = field(default_factory=dict)
    """Display names of sections by slug; a missing slug is shown title-cased."""
    websub_hubs: tuple[str, ...] = ()
    """WebSub hubs every feed advertises and every change is announced to; empty: no push."""
    tag_feeds: FeedChoice = NO_FEEDS
    """Which tags get a feed set under `feeds/tags/<slug>/`: none (default), all, or those listed."""
    author_feeds: FeedChoice = NO_FEEDS
    """Which authors get a feed set under `feeds/authors/<slug>/`: none (default), all, or those listed."""
    items_per_kind: Mapping[str, int] = field(default_factory=dict)
    """Items per feed by kind (site, section, tag, author, partner); a kind not named: items_per_feed."""
    partners: tuple[str, ...] = ()
    """Partners the site enables: their rules are checked on every feed written, and a partner that
    needs its own document (SmartNews) gets it under `feeds/partners/<partner>/`."""
    logo_url: str = ""
    """The site's logo (absolute https URL), for partners that show one (SmartNews `snf:logo`)."""

    def __post_init__(self) -> None:
        problems = []
        for name in ("base_url", "feeds_url", "logo_url"):
            value = getattr(self, name)
            if value and urlsplit(value).scheme not in ("http", "https"):
                problems.append(f"{name} must be an absolute http(s) URL, not {value!r}")
        if not 1 <= self.items_per_feed <= 1000:
            problems.append(f"items_per_feed must be between 1 and 1000, not {self.items_per_feed}")
        if not 1 <= self.most_viewed_items <= 100:
            problems.append(f"most_viewed_items must be between 1 and 100, not {self.most_viewed_items}")
        if not 1 <= self.most_viewed_hours <= 24 * 31:
            problems.append(f"most_viewed_hours must be between 1 and 744, not {self.most_viewed_hours}")
        if self.ttl_minutes < 0:
            problems.append("ttl_minutes must not be negative")
        if not self.title.strip():
            problems.append("title must not be empty")
        problems.extend(filter(None, (hub_url_problem(hub) for hub in self.websub_hubs)))
        problems.append(cache_control_problem(self.cache_control))
        template_problem = _template_problem(self.url_template)
        if template_problem:
            problems.append(template_problem)
        if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", self.id_date) or not _is_date(self.id_date):
            problems.append(f"id_date must be a date like 2026-01-01 (RFC 4151), not {self.id_date!r}")
        problems = [problem for problem in problems if problem]
        if problems:
            raise ConfigError("; ".join(problems))
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        object.__setattr__(self, "title", clean_text(self.title))
        object.__setattr__(self, "description", clean_text(self.description))
        if not self.feeds_url:
            object.__setattr__(self, "feeds_url", f"{self.base_url}/feeds")
        object.__setattr__(self, "feeds_url", self.feeds_url.rstrip("/"))
        if not self.id_authority:
            object.__setattr__(self, "id_authority", urlsplit(self.base_url).hostname or "localhost")

    def items_for(self, kind: str) -> int:
        """How many items a feed of `kind` (see `names.FEED_KINDS`) carries."""
        return self.items_per_kind.get(kind, self.items_per_feed)

    def section_title(self, slug: str) -> str:
        """The display name of a section."""
        return self.sections.get(slug) or slug.replace("-", " ").title()

    def with_overrides(self, **overrides: Any) -> SiteConfig:
        """A copy with the given settings replaced; None values are ignored.

        Settings derived from base_url (feeds_url, id_authority) follow a new base_url unless
        they were set explicitly.
        """
        changes = {k: v for k, v in overrides.items() if v is not None}
        if "base_url" in changes:
            if self.feeds_url == f"{self.base_url}/feeds" and "feeds_url" not in changes:
                changes["feeds_url"] = ""
            if self.id_authority == (urlsplit(self.base_url).hostname or "localhost"):
                changes.setdefault("id_authority", "")
        return replace(self, **changes)

    def to_mapping(self) -> dict[str, Any]:
        """The settings as plain JSON-ready values that `from_mapping` reads back to this config."""
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, FeedChoice):
                value = sorted(value.slugs) if value.mode == "listed" else value.mode
            elif isinstance(value, tuple | Mapping):
                value = list(value) if isinstance(value, tuple) else dict(value)
            data[f.name] = value
        return data

    @property
    def id_start(self) -> datetime:
        """id_date as a moment (the date of an empty feed, which has no newest item)."""
        return datetime.fromisoformat(f"{_padded(self.id_date)}T00:00:00+00:00")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], origin: str = "config") -> SiteConfig:
        """Build from a plain mapping, rejecting unknown keys and wrong types by name."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"{origin}: unknown setting(s) {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            expected = int if key in INT_SETTINGS else str
            if key == "websub_hubs":
                values[key] = _hub_list(value, origin)
                continue
            if key in CHOICE_PARSERS:
                try:
                    values[key] = CHOICE_PARSERS[key](value)
                except ChoiceError as exc:
                    raise ConfigError(f"{origin}: {exc}") from None
                continue
            if key == "sections":
                if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
                    raise ConfigError(f'{origin}: sections must be a table of slug = "Title"')
                values[key] = dict(value)
                continue
            if expected is int and isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if not isinstance(value, expected) or isinstance(value, bool):
                raise ConfigError(f"{origin}: {key} must be a {expected.__name__}, not {value!r}")
            values[key] = value
        try:
            return cls(**values)
        except ConfigError as exc:
            raise ConfigError(f"{origin}: {exc}") from None

    @classmethod
    def from_toml(cls, path: Path) -> SiteConfig:
        """Read the `[site]` table of a feedpub.toml (or the whole file when there is none)."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        site = data.get("site", data)
        if not isinstance(site, dict):
            raise ConfigError(f"{path}: [site] must be a table of settings")
        return cls.from_mapping(site, origin=str(path))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SiteConfig:
        """Read FEEDPUB_* variables, the way the Lambda functions receive the template's settings."""
        data: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            if f.name in ("websub_hubs", "partners"):
                data[f.name] = [hub.strip() for hub in raw.split(",") if hub.strip()]
            elif f.name in ("tag_feeds", "author_feeds") and raw.strip().lower() not in ("all", "none"):
                data[f.name] = [name for name in raw.split(",") if name.strip()]
            elif f.name == "sections":
                pairs = [p.split("=", 1) for p in raw.split(",") if "=" in p]
                data[f.name] = {k.strip(): v.strip() for k, v in pairs}
            else:
                data[f.name] = raw
        return cls.from_mapping(data, origin="environment")
