"""Site settings that are lists or choices: which tags and authors get feeds, which partners are
enabled, how many items each kind of feed carries. Each reads the TOML form and the environment
form (comma-separated, as the template's parameters pass them) and says what is wrong by name.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from feedpub.names import FEED_KINDS, PARTNERS
from feedpub.text import clean_text, slugify

NONE = "none"
ALL = "all"


class ChoiceError(ValueError):
    """A setting of this module that cannot be used; the message names the setting and the fix."""


@dataclass(frozen=True, slots=True)
class FeedChoice:
    """Which tags (or authors) get a feed set of their own: none, all, or those listed."""

    mode: str = NONE
    """`none`, `all` or `listed`."""
    slugs: frozenset[str] = frozenset()
    """The listed names as slugs (`listed` only): `Port Ellis` and `port-ellis` are one feed."""

    def includes(self, name: str) -> bool:
        """Whether `name` (as an article writes it) gets a feed."""
        if self.mode == ALL:
            return bool(slugify(name))
        return self.mode == "listed" and slugify(name) in self.slugs

    @property
    def enabled(self) -> bool:
        """Whether any feed of this kind can exist."""
        return self.mode != NONE

    @classmethod
    def parse(cls, value: Any, setting: str) -> FeedChoice:
        """`"none"`, `"all"` or a list of names (the environment's comma-separated form is split
        by `SiteConfig.from_env` first)."""
        if isinstance(value, FeedChoice):
            return value
        example = '"all", "none" or a list of names like ["Climate", "Port Ellis"]'
        if isinstance(value, str) and value.strip().lower() in (NONE, ALL):
            return cls() if value.strip().lower() == NONE else cls(ALL)
        if not isinstance(value, list | tuple) or not value:
            raise ChoiceError(f"{setting} must be {example}, not {value!r}")
        slugs: set[str] = set()
        for name in value:
            if not isinstance(name, str) or not slugify(clean_text(name)):
                raise ChoiceError(f"{setting}: {name!r} is not a name with a letter or digit; use {example}")
            slugs.add(slugify(clean_text(name)))
        return cls("listed", frozenset(slugs))

    def describe(self) -> str:
        """The choice as the environment form spells it (and as a log line shows it)."""
        return self.mode if self.mode != "listed" else ",".join(sorted(self.slugs))


NO_FEEDS = FeedChoice()
"""The default of `tag_feeds` and `author_feeds`: a site turns them on."""


def parse_partners(value: Any) -> tuple[str, ...]:
    """`partners`: a list of known partners (`SiteConfig.from_env` splits the environment's form)."""
    if not isinstance(value, list | tuple):
        raise ChoiceError(f'partners must be a list like ["smartnews", "msn"], not {value!r}')
    chosen: dict[str, None] = {}
    for name in value:
        if not isinstance(name, str) or name.strip().lower() not in PARTNERS:
            raise ChoiceError(unknown_partner(name))
        chosen.setdefault(name.strip().lower())
    return tuple(chosen)


def unknown_partner(name: object) -> str:
    """The message for a partner name feedpub does not know, with the nearest known one."""
    close = difflib.get_close_matches(str(name).lower(), PARTNERS, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{name!r} is not a partner feedpub knows{hint}; known: {', '.join(sorted(PARTNERS))}"


def parse_items_per_kind(value: Any) -> dict[str, int]:
    """`items_per_kind`: a table `{tag = 20, partner = 30}` (TOML) or `tag=20,partner=30` (env)."""
    if isinstance(value, str):
        pairs = [part.split("=", 1) for part in value.split(",") if part.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise ChoiceError(f"items_per_kind must look like tag=20,partner=30, not {value!r}")
        value = {kind.strip(): count.strip() for kind, count in pairs}
    if not isinstance(value, Mapping):
        raise ChoiceError(f"items_per_kind must be a table like {{tag = 20, partner = 30}}, not {value!r}")
    counts: dict[str, int] = {}
    for kind, count in value.items():
        if kind not in FEED_KINDS:
            kinds = ", ".join(FEED_KINDS)
            raise ChoiceError(f"items_per_kind: {kind!r} is not a kind of feed; kinds: {kinds}")
        number = int(count) if isinstance(count, str) and count.isdigit() else count
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 1000:
            raise ChoiceError(f"items_per_kind: {kind} must be a whole number from 1 to 1000, not {count!r}")
        counts[kind] = number
    return counts
