"""`feedpub backfill`: rebuild the index from the bucket (a migration or a disaster recovery).

The bucket is the source of truth, so recovery is the ingest of every key, in parallel threads
(boto3 clients are thread-safe and the work is network-bound), followed by one forced publish.
The keys are those the bucket lists plus those the index knows and the bucket no longer has
(orphans: their deletion's event was lost), whose ingest finds them gone and takes them down.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from feedpub.clock import utc_now
from feedpub.ingest import IngestOutcome
from feedpub.names import is_article_key
from feedpub.publish import PublishResult
from feedpub.runtime import Runtime


@dataclass
class BackfillResult:
    """Counts by outcome, the rejected articles, and the final publish."""

    statuses: Counter[str] = field(default_factory=Counter)
    rejected: list[IngestOutcome] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    publish: PublishResult | None = None


def backfill(
    runtime: Runtime,
    workers: int = 8,
    on_key: Callable[[IngestOutcome | None], object] | None = None,
    on_total: Callable[[int], object] | None = None,
) -> BackfillResult:
    """Ingest every article key of the bucket and every orphan of the index, then publish every feed.

    An orphan whose ingest removes it is counted as "deleted (orphan)".
    """
    keys = [key for key in runtime.articles.list_article_keys() if is_article_key(key)]
    # A key uploaded (and indexed) after the listing is among these too; its ingest finds the object
    # and indexes it, so only the ingests that delete are counted as orphans.
    orphans = set(runtime.index.all_sources()) - set(keys)
    keys += sorted(orphans)
    if on_total:
        on_total(len(keys))
    result = BackfillResult()

    def ingest(key: str) -> IngestOutcome | tuple[str, str]:
        try:
            return runtime.ingestor.ingest(key, utc_now())
        except Exception as exc:  # one key's failure is reported; the rest go on
            return (key, f"{type(exc).__name__}: {exc}")

    changed: set[str] = set()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for outcome in pool.map(ingest, keys):
            if isinstance(outcome, tuple):
                result.failed.append(outcome)
                if on_key:
                    on_key(None)
                continue
            orphaned = outcome.status == "deleted" and outcome.key in orphans
            result.statuses[f"{outcome.status} (orphan)" if orphaned else outcome.status] += 1
            changed |= outcome.feeds
            if outcome.problems:
                result.rejected.append(outcome)
            if on_key:
                on_key(outcome)
    publisher = runtime.publisher
    result.publish = publisher.publish(utc_now(), changed=changed, force=publisher.known_feeds() | changed)
    return result
