"""Publishing feeds from the index, one publisher at a time, without ever losing an update.

After writing a feed's entries, ingest counts a change to that feed (a per-feed revision and one
total) in the same write that tries to take the publish lock. The holder publishes every feed
whose revision is ahead of what it last published, then records what it published and releases
the lock in one write that succeeds only if the total is still what it saw; otherwise it goes
round again. So an ingest that finds the lock taken simply returns: its count landed before the
holder can release, and the holder publishes its change. The lock expires after longer
than a Lambda can run, so a crashed holder never blocks for long, and a stale one cannot outlive
it.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from feedpub.aws.index_table import ArticleIndex, LockLostError, PublishState
from feedpub.aws.site_bucket import SiteBucket
from feedpub.config import SiteConfig
from feedpub.feeds import feed_kind, feed_month, is_month_feed, recent_month_feeds, spec_for
from feedpub.names import SITE_FEED, SITEMAP_INDEX_FILE, is_month_sitemap_key, sitemap_key
from feedpub.partners.smartnews import needs_variants, render_partner_feeds
from feedpub.render import RenderedFile, render_feed_set
from feedpub.render.sitemaps import render_month_sitemaps, render_news_sitemap, render_sitemap_index

if TYPE_CHECKING:
    from feedpub.partners.check import Finding


@dataclass
class PublishResult:
    """What one publish call did."""

    published: set[str] = field(default_factory=set)
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    """Sitemap files removed: a month left with no article (an empty sitemap is invalid)."""
    deferred: bool = False
    """The lock was held by another publisher, which takes this change along."""
    pending: bool = False
    """This publisher handed the lock over (its time budget ran out) with changes unpublished,
    possibly counted by publishers that found the lock held and trusted it: someone must publish
    soon (the ingest handler queues a publish request)."""
    partner_findings: list[Finding] = field(default_factory=list)
    """Blocker rules of the enabled partners that the files written fail (the handlers log and
    count them per partner: metric PartnerRuleFailures)."""


@dataclass
class _Progress:
    """What one round published, to record in the STATE item."""

    done: dict[str, int] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    """Hash of each file written; '' for a file deleted (so that it is written again if it returns)."""
    sitemaps: dict[str, str] = field(default_factory=dict)
    """`lastmod` of each month sitemap file rendered; '' for one deleted."""
    months: bool = False
    """A month archive was rendered: the sitemap index may have changed."""
    rewrite: bool = False
    """Put every file, even one whose recorded hash matches (the site bucket lost its objects)."""


def content_hash(file: RenderedFile) -> str:
    """What identifies a published file's bytes and headers."""
    digest = hashlib.sha256(file.body)
    digest.update(file.content_type.encode())
    digest.update(file.link.encode())
    return digest.hexdigest()


class Publisher:
    """Renders dirty feeds from the index into the site bucket under the publish lock."""

    def __init__(
        self,
        index: ArticleIndex,
        site: SiteBucket,
        config: SiteConfig,
        lock_seconds: float = 90.0,
        clock: Callable[[], float] = time.time,
        budget_seconds: float | None = None,
    ) -> None:
        self.index = index
        self.site = site
        self.config = config
        self.lock_seconds = lock_seconds
        self.clock = clock
        self.budget_seconds = lock_seconds / 3 if budget_seconds is None else budget_seconds
        """How long one call keeps publishing rounds under sustained ingest before handing over."""

    def publish(
        self, now: datetime, changed: Iterable[str] = (), force: Iterable[str] = (), *, rewrite: bool = False
    ) -> PublishResult:
        """Count `changed` (feeds whose entries an ingest just wrote) and publish every feed that
        changed, plus `force` (e.g. all feeds, to release embargoes).

        `rewrite` puts the forced feeds' files even where the STATE item says the same bytes are
        published: how a lost or emptied site bucket is refilled (`feedpub republish`).

        The common case costs two writes to the STATE item: count-and-lock, and record-and-release.
        """
        result = PublishResult()
        owner = uuid.uuid4().hex
        forced = set(force)
        started = self.clock()
        state = self.index.acquire(owner, self.clock(), self.lock_seconds, bump=changed)
        if state is None:
            result.deferred = True  # the holder sees our count before it may release
            return result
        try:
            while True:
                dirty = state.dirty() | forced
                forced = set()
                done = self._publish_feeds(sorted(dirty), state, now, result, rewrite)
                rewrite = False
                if self.index.finish(owner, done.done, done.hashes, state, self.clock(), done.sitemaps):
                    return result
                # More changes came in meanwhile (or the lease ran out: LockLostError).
                state = self.index.checkpoint(
                    owner, done.done, done.hashes, self.clock(), self.lock_seconds, done.sitemaps
                )
                if self.clock() - started > self.budget_seconds:
                    break  # hand over: the next ingest or scheduled run publishes the rest
        except LockLostError:
            result.deferred = True
            return result
        except BaseException:
            self.index.release(owner)
            raise
        result.deferred = result.pending = bool(self.index.release(owner).dirty())
        return result

    def _publish_feeds(
        self,
        feeds: list[str],
        state: PublishState,
        now: datetime,
        result: PublishResult,
        rewrite: bool = False,
    ) -> _Progress:
        """Render and write each feed's files; returns the revisions, hashes and lastmods to record.

        The site feed brings the news sitemap along (so the scheduled run, which forces it, ages
        old stories out); a month archive brings its sitemap, and then the sitemap index.
        """
        progress = _Progress(rewrite=rewrite)
        # Feeds first (readers and hubs wait for them), then the month sitemaps.
        for feed in sorted(feeds, key=lambda name: (is_month_feed(name), name)):
            if is_month_feed(feed):
                self._publish_month(feed, state, now, result, progress)
            else:
                for file in self._render(feed, now):
                    if self._write(file, state, result, progress):
                        result.partner_findings.extend(self._check(file, now))
                if feed == SITE_FEED:
                    news = render_news_sitemap(self.index.query_news(now), self.config, now)
                    self._write(news, state, result, progress)
            progress.done[feed] = max(state.revs.get(feed, 0), state.done.get(feed, 0))
            result.published.add(feed)
        if progress.months:
            self._publish_sitemap_index(state, result, progress)
        return progress

    def _write(
        self, file: RenderedFile, state: PublishState, result: PublishResult, progress: _Progress
    ) -> bool:
        """Put one file unless the published one has the same bytes and headers; whether it did."""
        digest = content_hash(file)
        if state.hashes.get(file.key) == digest and not progress.rewrite:
            result.unchanged.append(file.key)
            return False
        self.site.put(file)
        progress.hashes[file.key] = digest
        result.written.append(file.key)
        return True

    def _delete(self, key: str, state: PublishState, result: PublishResult, progress: _Progress) -> None:
        """Remove a published sitemap file (if it is there) and forget its hash."""
        if state.hashes.get(key):
            self.site.delete(key)
            result.deleted.append(key)
        progress.hashes[key] = ""

    def _publish_month(
        self, feed: str, state: PublishState, now: datetime, result: PublishResult, progress: _Progress
    ) -> None:
        """A month's sitemap from every entry of its archive published by now (one paginated Query).

        A month left with no entry (or fewer parts) loses its file(s): an empty `urlset` is not
        valid, the index stops listing it, and a stale file would keep taken-down URLs alive.
        """
        month = feed_month(feed)
        parts = render_month_sitemaps(month, self.index.query_month(feed, now))
        for part in parts:
            self._write(part.file, state, result, progress)
            if state.sitemaps.get(part.file.key) != part.lastmod:
                progress.sitemaps[part.file.key] = part.lastmod
        kept = {part.file.key for part in parts}
        for key, lastmod in state.sitemaps.items():
            if lastmod and key not in kept and is_month_sitemap_key(key, month):
                self._delete(key, state, result, progress)
                progress.sitemaps[key] = ""
        progress.months = True

    def _publish_sitemap_index(self, state: PublishState, result: PublishResult, progress: _Progress) -> None:
        """The sitemap index, from the month files the STATE item records (no Query at all)."""
        index = render_sitemap_index({**state.sitemaps, **progress.sitemaps}, self.config)
        if index is None:
            self._delete(sitemap_key(SITEMAP_INDEX_FILE), state, result, progress)
        else:
            self._write(index, state, result, progress)

    def _render(self, feed: str, now: datetime) -> list[RenderedFile]:
        """A feed set's files, and with the site's the enabled partners' variants (one query)."""
        limit = self.config.items_for(feed_kind(feed))
        variants = feed == SITE_FEED and needs_variants(self.config)
        wanted = max(limit, self.config.items_for("partner")) if variants else limit
        fetched = self.index.query_feed(feed, now, wanted)
        items = fetched[:limit]
        spec = spec_for(feed, self.config, items)
        files = render_feed_set(spec, items, self.config)
        return files + render_partner_feeds(fetched, self.config) if variants else files

    def _check(self, file: RenderedFile, now: datetime) -> list[Finding]:
        """The enabled partners' blocker rules on one written file (nothing when none is enabled)."""
        if not self.config.partners:
            return []
        from feedpub.partners.check import blocker_findings  # lxml: only for sites with partners

        return blocker_findings(file.key, file.body, self.config.partners, now)

    def known_feeds(self, now: datetime | None = None) -> set[str]:
        """Every feed the index has counted a change for (the site and each section seen).

        With `now` (the scheduled run), of the month archives only this month's and the previous
        one's, where an embargo that ends now can be: re-rendering every month every few minutes
        would cost more as the archive grows, and no other month can change without an upload.
        """
        feeds = set(self.index.publish_state().revs) | {SITE_FEED}
        if now is None:
            return feeds
        recent = recent_month_feeds(now)
        return {feed for feed in feeds if not is_month_feed(feed) or feed in recent}
