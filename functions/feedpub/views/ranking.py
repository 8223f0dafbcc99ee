"""Ranking articles by views: who may appear, and in which order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from feedpub.article import Article


@dataclass(frozen=True, slots=True)
class RankedArticle:
    """One place in a most-viewed list."""

    rank: int
    views: int
    article: Article


def rank(
    views: Mapping[str, int],
    articles: Mapping[str, Article],
    now: datetime,
    limit: int,
    section: str | None = None,
) -> list[RankedArticle]:
    """The `limit` most viewed listed articles (of `section`, or all), ties broken stably.

    Order: views, then newest `published`, then id. Drafts, embargoed and deleted articles (ids
    with no article) never appear, whatever their counts.
    """
    eligible = [
        (count, articles[article_id])
        for article_id, count in views.items()
        if count > 0
        and article_id in articles
        and articles[article_id].is_listed(now)
        and section in (None, articles[article_id].section)
    ]
    eligible.sort(key=lambda pair: (-pair[0], -pair[1].published.timestamp(), pair[1].id))
    return [
        RankedArticle(place, count, article) for place, (count, article) in enumerate(eligible[:limit], 1)
    ]


def candidates(views: Mapping[str, int], sections: Mapping[str, str], limit: int) -> set[str]:
    """The ids worth loading to rank every feed: a margin over the top of the site and of each
    section, since some top ids may turn out to be drafts, embargoed or deleted."""
    margin = limit * 3 + 10
    ordered = sorted(views, key=lambda i: (-views[i], i))
    chosen = set(ordered[:margin])
    per_section: dict[str, int] = {}
    for article_id in ordered:
        section = sections.get(article_id, "")
        if per_section.get(section, 0) < margin:
            per_section[section] = per_section.get(section, 0) + 1
            chosen.add(article_id)
    return chosen
