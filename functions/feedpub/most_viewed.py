"""Counting views from access logs, and publishing the most-viewed feeds from the counts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from feedpub.aws.index_table import ArticleIndex
from feedpub.aws.site_bucket import SiteBucket
from feedpub.aws.views_table import ViewCounts, window_partitions
from feedpub.config import SiteConfig
from feedpub.feeds import FeedSpec, feed_section, is_section_feed, section_feed, site_feed
from feedpub.names import MOST_VIEWED_FILE, MOST_VIEWED_WEEK_FILE
from feedpub.publish import content_hash
from feedpub.render import JSON_FEED_TYPE, RenderedFile, feed_file
from feedpub.render.jsonfeed import render_most_viewed
from feedpub.views.counting import tally
from feedpub.views.logs import LogReadStats, decompress, parse_log
from feedpub.views.ranking import candidates, rank

WEEK_HOURS = 24 * 7


@dataclass
class CountResult:
    """What counting one log file did."""

    requests: int = 0
    views: int = 0
    unknown_paths: int = 0
    malformed: int = 0
    chunks_applied: int = 0
    samples: list[str] = field(default_factory=list)


def log_id(name: str, data: bytes) -> str:
    """Identity of a log file: its file name and content, so the pipeline and `feedpub views
    import` recognise the same file whichever counted it first."""
    return f"{name.rsplit('/', 1)[-1]}#{hashlib.sha256(data).hexdigest()[:32]}"


def count_log(name: str, data: bytes, counts: ViewCounts) -> CountResult:
    """Count a log file's article views, once per file; raises LogFormatError if unreadable."""
    stats = LogReadStats()
    per_path = tally(parse_log(decompress(data), stats))
    targets = counts.resolve_paths(path for path, _ in per_path)
    known = sum(n for (path, _), n in per_path.items() if path in targets)
    result = CountResult(
        requests=stats.lines,
        views=known,
        unknown_paths=sum(per_path.values()) - known,
        malformed=stats.malformed,
        samples=stats.samples,
    )
    result.chunks_applied = counts.record(log_id(name, data), per_path, targets)
    return result


def most_viewed_files(
    counts: ViewCounts, index: ArticleIndex, config: SiteConfig, now: datetime, sections: set[str]
) -> list[RenderedFile]:
    """Every most-viewed feed: site and each section, for the main window and for 7 days."""
    windows = {config.most_viewed_hours: MOST_VIEWED_FILE}
    if config.most_viewed_hours != WEEK_HOURS:
        windows[WEEK_HOURS] = MOST_VIEWED_WEEK_FILE
    files: list[RenderedFile] = []
    for hours, filename in windows.items():
        totals, article_sections = counts.window_totals(window_partitions(now, hours))
        wanted = candidates(totals, article_sections, config.most_viewed_items)
        articles = index.get_articles(wanted)
        specs: list[FeedSpec] = [site_feed(config)]
        for section in sorted(sections | {a.section for a in articles.values()}):
            title = next((a.section_title for a in articles.values() if a.section == section), None)
            specs.append(section_feed(config, section, title))
        for spec in specs:
            ranked = rank(totals, articles, now, config.most_viewed_items, spec.section)
            body = render_most_viewed(spec, ranked, config, hours, filename)
            files.append(feed_file(spec, config, filename, JSON_FEED_TYPE, body))
    return files


class MostViewedPublisher:
    """Writes the most-viewed feeds whose bytes changed since the last run."""

    def __init__(self, counts: ViewCounts, index: ArticleIndex, site: SiteBucket, config: SiteConfig) -> None:
        self.counts = counts
        self.index = index
        self.site = site
        self.config = config

    def publish(self, now: datetime, *, rewrite: bool = False) -> tuple[list[str], list[str]]:
        """Render and write; returns (written keys, unchanged keys). `rewrite` puts every file, even
        one recorded as published with the same bytes (a lost site bucket)."""
        published = {} if rewrite else self.counts.published_hashes()
        sections = {feed_section(feed) for feed in self.index.publish_state().revs if is_section_feed(feed)}
        written: list[str] = []
        unchanged: list[str] = []
        hashes: dict[str, str] = {}
        for file in most_viewed_files(self.counts, self.index, self.config, now, sections):
            digest = content_hash(file)
            if published.get(file.key) == digest:
                unchanged.append(file.key)
                continue
            self.site.put(file)
            hashes[file.key] = digest
            written.append(file.key)
        self.counts.record_hashes(hashes)
        return written, unchanged
