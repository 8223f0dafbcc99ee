"""Bringing the index in line with one object key: the ingest function's domain logic.

An S3 event is a hint that a key changed, not a statement of what it holds: events arrive at
least once and out of order. So every event for a key does the same thing: read what the bucket
holds now, index exactly that, then check that the bucket did not change meanwhile (and go round
again if it did). Whichever invocation writes last has checked after its write, so the index ends
equal to the bucket whatever order the events came in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from feedpub.article import Article, parse_article
from feedpub.aws.articles_bucket import ArticlesBucket, ObjectVersion, StoredArticle
from feedpub.aws.index_table import (
    ArticleIndex,
    ConcurrentChangeError,
    IdTakenError,
    PayloadTooLargeError,
    SourceState,
)
from feedpub.config import SiteConfig
from feedpub.errors import ArticleError, Problem
from feedpub.feeds import index_entries

MAX_ROUNDS = 6


class KeepsChangingError(Exception):
    """The key changed on every round; the record is retried later by SQS."""


@dataclass
class IngestOutcome:
    """What one key's processing did, for logs, metrics and the publisher."""

    key: str
    status: str
    """published, embargoed, draft, rejected, deleted or unchanged."""
    feeds: set[str] = field(default_factory=set)
    """Index feed names whose entries changed (to publish)."""
    article_id: str = ""
    problems: list[Problem] = field(default_factory=list)


def article_status(article: Article, now: datetime) -> str:
    """The status tag an indexed article gets."""
    if article.draft:
        return "draft"
    return "embargoed" if article.published > now else "published"


class Ingestor:
    """Indexes keys of the articles bucket; one per process, reused across invocations."""

    def __init__(self, bucket: ArticlesBucket, index: ArticleIndex, config: SiteConfig) -> None:
        self.bucket = bucket
        self.index = index
        self.config = config
        self.reported_meanwhile = False
        """A report was written but recording it lost a race (see `ingest`)."""

    def ingest(self, key: str, now: datetime) -> IngestOutcome:
        """Make the index hold what `key` holds now; see the module docstring for why.

        The outcome's feeds are for the caller to pass to `Publisher.publish(changed=...)`, which
        counts the change and publishes it.
        """
        outcome = self._ingest(key, now)
        if outcome.status != "rejected" and self.reported_meanwhile:
            # A round rejected a version that a newer, good one replaced before the rejection was
            # recorded: its report object must not outlive it.
            self.bucket.delete_report(key)
        return outcome

    def _ingest(self, key: str, now: datetime) -> IngestOutcome:
        self.reported_meanwhile = False
        for _ in range(MAX_ROUNDS):
            previous = self.index.get_source(key)
            try:
                stored = self.bucket.read(key)
            except ArticleError as error:  # too large to read
                try:
                    outcome = self._reject(error, None, previous)
                except ConcurrentChangeError:
                    continue
                if self.bucket.current_version(key) is not None:
                    return outcome
                continue
            try:
                if stored is None:
                    outcome = self._remove(key, previous)
                else:
                    outcome = self._index(stored, previous, now)
            except ConcurrentChangeError:
                continue  # another invocation indexed the key meanwhile: read it all again
            current = self.bucket.current_version(key)
            expected = stored.version if stored else None
            if _same(current, expected):
                return outcome
        raise KeepsChangingError(
            f"{key}: the object or its index entry changed under each of {MAX_ROUNDS} attempts; retried later"
        )

    def _index(self, stored: StoredArticle, previous: SourceState | None, now: datetime) -> IngestOutcome:
        key = stored.key
        try:
            article = parse_article(key, stored.data, self.config)
        except ArticleError as error:  # for an indexed version: the site's settings changed since
            return self._reject(error, stored, previous)
        entries = index_entries(article, self.config)
        indexed = previous and previous.version == stored.version.token and not previous.reported
        if indexed and previous and set(previous.entries) == entries and previous.url == article.url:
            # Already indexed (a duplicate event, or a redelivery after a failure past the commit):
            # tag it again (the failed delivery may not have), and name its feeds, so the publish
            # that follows counts and publishes them (unchanged bytes are still not rewritten).
            # If its entries or its URL would differ now (the site's settings moved it between tag
            # or author feeds, a new base URL or URL template moved its page, or the index gained a
            # kind of entry, like the month archives), it is indexed again: that is how one
            # `feedpub backfill` carries out such a change.
            self.bucket.tag_status(stored, article_status(article, now))
            return IngestOutcome(key, "unchanged", previous.feeds, previous.article_id)
        if previous and previous.reported:
            self.bucket.delete_report(key)
        try:
            feeds = self.index.commit(key, previous, article, stored.version.token, entries)
        except IdTakenError as taken:
            problem = Problem(
                "id",
                f"{taken.article_id!r} is already the id of {taken.owner}; give this article its own "
                "`id:` (ids are permanent, so the older article keeps it)",
            )
            return self._reject(ArticleError(key, [problem]), stored, previous)
        except PayloadTooLargeError as exc:
            problem = Problem("body", f"the article is too large to index ({exc}); shorten it")
            return self._reject(ArticleError(key, [problem]), stored, previous)
        status = article_status(article, now)
        self.bucket.tag_status(stored, status)
        return IngestOutcome(key, status, feeds, article.id)

    def _remove(self, key: str, previous: SourceState | None) -> IngestOutcome:
        feeds = self.index.commit(key, previous, None, "")
        if previous and previous.reported:
            self.bucket.delete_report(key)
        return IngestOutcome(key, "deleted", feeds, previous.article_id if previous else "")

    def _reject(
        self, error: ArticleError, stored: StoredArticle | None, previous: SourceState | None
    ) -> IngestOutcome:
        """Report the problems beside the article; the index (and so the feeds) stay as they were."""
        self.bucket.write_report(error, stored.version if stored else None)
        if not (previous and previous.reported):
            self.reported_meanwhile = True
            self.index.mark_reported(error.path, previous)
            self.reported_meanwhile = False
        if stored is not None:
            self.bucket.tag_status(stored, "rejected")
        return IngestOutcome(error.path, "rejected", set(), problems=error.problems)


def _same(current: ObjectVersion | None, expected: ObjectVersion | None) -> bool:
    if current is None or expected is None:
        return current is expected
    return current.token == expected.token
