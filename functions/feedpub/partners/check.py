"""Apply the partner rules to a feed: findings per feed and per item, blockers first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from feedpub.names import ATOM_FILE, JSON_FEED_FILE, PARTNERS, RSS_FILE
from feedpub.partners.model import Feed, parse_feed
from feedpub.partners.rules import BLOCKER, RULES, Rule

FEED_FILENAMES = frozenset({RSS_FILE, ATOM_FILE, JSON_FEED_FILE})
"""The published files the rules look at (the HTML page and most-viewed lists are not submitted)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule a feed (item None) or one of its items fails."""

    feed: str
    """What the feed was read from: a path, URL or object key."""
    item: str | None
    rule: Rule

    @property
    def blocker(self) -> bool:
        return self.rule.severity == BLOCKER

    def as_log(self) -> dict[str, str]:
        """A JSON-ready form for the publisher's structured warning."""
        return {
            "feed": self.feed,
            "item": self.item or "",
            "rule": self.rule.id,
            "severity": self.rule.severity,
        }


def check_feed(
    feed: Feed, label: str, now: datetime, partners: Iterable[str] = PARTNERS, blockers_only: bool = False
) -> list[Finding]:
    """Every rule of `partners` that `feed` fails: feed rules first, then item by item."""
    chosen = set(partners)
    rules = [r for r in RULES if r.partner in chosen and r.applies(feed)
             and (r.severity == BLOCKER or not blockers_only)]  # fmt: skip
    findings = [Finding(label, None, r) for r in rules if r.check_feed and not r.check_feed(feed, now)]
    item_rules = [r for r in rules if r.check_item]
    for item in feed.items:
        findings.extend(
            Finding(label, item.label, r)
            for r in item_rules
            if r.check_item and not r.check_item(item, feed, now)
        )
    return findings


def blocker_findings(key: str, body: bytes, partners: Iterable[str], now: datetime) -> list[Finding]:
    """The blocker rules of `partners` that a published file fails (the publisher's check).

    Files that are not feeds are skipped, and so are bytes that do not parse: feedpub wrote them,
    and its own tests prove they are feeds.
    """
    chosen = tuple(partners)
    if not chosen or key.rsplit("/", 1)[-1] not in FEED_FILENAMES:
        return []
    try:
        feed = parse_feed(body)
    except ValueError:
        return []
    return check_feed(feed, key, now, chosen, blockers_only=True)
