"""No lost update under concurrency: moto in server mode, real HTTP, realistic latency.

Several "function instances" (threads, each with its own boto3 clients, Ingestor and Publisher,
like separate Lambda containers) drain the ingest queue while uploader threads keep putting
articles, on the template's stack on moto behind a slow network (see tests/support/server.py for
both). Afterwards, every
article must be in the site feed and its section feed, once, current, with a stable GUID, the
publish lock released and nothing left dirty.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from feedpub.aws.index_table import STATE_KEY, ArticleIndex, PublishState
from feedpub.clock import utc_now
from feedpub.feeds import id_prefix
from feedpub.publish import Publisher
from tests.support.convergence import assert_converged
from tests.support.events import article
from tests.support.pipeline import Pipeline
from tests.support.server import Run, Server, aws_clients, editor, guids, instance
from tests.support.stack import batch_size

SECTIONS = ("world", "business", "sport", "culture")
ORIGINALS = 48  # distinct articles: fewer than the template's ItemsPerFeed (50): the site feed holds all
REPLACEMENTS = 12  # later versions of earlier articles
UPLOADERS = 8
TIMEOUT = 75.0  # seconds for uploads + ingest + publish; the test fails (not hangs) past it


# -- The run --------------------------------------------------------------------------------------


@dataclass
class Upload:
    number: int
    """Which article (a replacement has the number of the article it replaces)."""
    key: str
    body: str
    title: str


def planned_uploads() -> list[Upload]:
    """ORIGINALS distinct articles over the sections, then REPLACEMENTS of earlier ones."""
    start = datetime.fromisoformat("2026-11-20T08:00:00+00:00")
    uploads = []
    for i in range(ORIGINALS):
        published = (start + timedelta(minutes=7 * i)).isoformat()
        key = f"articles/{SECTIONS[i % len(SECTIONS)]}/story-{i:02d}.md"
        uploads.append(Upload(i, key, article(f"Story {i}", published=published), f"Story {i}"))
    for j in range(REPLACEMENTS):
        i = j * (ORIGINALS // REPLACEMENTS) + j % len(SECTIONS)
        published = (start + timedelta(minutes=7 * i)).isoformat()
        updated = (start + timedelta(days=3, minutes=j)).isoformat()
        title = f"Story {i}, updated"
        key = f"articles/{SECTIONS[i % len(SECTIONS)]}/story-{i:02d}.md"
        uploads.append(Upload(i, key, article(title, published=published, updated=updated), title))
    return uploads


class ObservedIndex(ArticleIndex):
    """The index adapter, counting what happens to the publish lock."""

    def __init__(self, table: str, dynamodb: Any, run: Run) -> None:
        super().__init__(table, dynamodb)
        self.run = run

    def acquire(
        self, owner: str, now: float, seconds: float, bump: Iterable[str] = ()
    ) -> PublishState | None:
        state = super().acquire(owner, now, seconds, bump)
        self.run.note("lock taken" if state is not None else "lock busy")
        return state

    def finish(
        self,
        owner: str,
        done: dict[str, int],
        hashes: dict[str, str],
        seen: PublishState,
        now: float,
        sitemaps: Mapping[str, str] | None = None,
    ) -> bool:
        self.run.note("publish rounds")
        released = super().finish(owner, done, hashes, seen, now, sitemaps)
        if not released:
            self.run.note("more came meanwhile")  # changes counted while publishing: go round
        return released

    def release(self, owner: str) -> PublishState:
        self.run.note("handed over")  # the time budget ran out (or an error)
        return super().release(owner)


def article_id(key: str) -> str:
    return key.rsplit("/", 1)[-1].removesuffix(".md")


def feed_titles(pipeline: Pipeline, key: str) -> dict[str, str]:
    """A JSON feed's items as {article id: title}."""
    return {item["id"].rsplit("/", 1)[-1]: item["title"] for item in pipeline.feed(key)["items"]}


@pytest.mark.parametrize(
    ("instances", "batch", "wave", "wave_gap"),
    [
        # A steady stream: the uploads come as fast as the eight threads put them; four containers
        # take batches of the template's batch size (10).
        pytest.param(4, None, UPLOADERS, 0.05, id="4-instances-template-batch"),
        # Publishing forced to interleave: every message is its own invocation and publish, and the
        # uploads come in five waves, so the lock is taken, contended, released and taken again.
        pytest.param(8, 1, 12, 3.0, id="8-instances-batch-1"),
    ],
)
def test_no_update_is_lost_under_concurrency(
    moto_server: Server, instances: int, batch: int | None, wave: int, wave_gap: float
) -> None:
    stack = moto_server.stack
    batch = batch or batch_size(stack, "IngestFunction")
    pipeline = moto_server.pipeline()
    config = pipeline.config
    assert config.items_per_feed > ORIGINALS
    uploads = planned_uploads()
    rng = random.Random(len(uploads))
    schedules: list[list[tuple[float, Upload]]] = [[] for _ in range(UPLOADERS)]
    for n, upload in enumerate(uploads):  # `wave` uploads every `wave_gap` seconds
        # One article's versions go through one thread, so a replacement is put after the original.
        schedules[upload.number % UPLOADERS].append(((n // wave) * wave_gap + rng.uniform(0, 0.05), upload))
    containers = [aws_clients(moto_server.endpoint) for _ in range(instances)]
    started = time.monotonic()
    run = Run(deadline=started + TIMEOUT)
    indexes = [ObservedIndex(stack.table_name, clients["dynamodb"], run) for clients in containers]

    workers = [
        threading.Thread(target=instance, args=(run, n, c, stack, batch, config, indexes[n]), daemon=True)
        for n, c in enumerate(containers)
    ]
    writers = [
        threading.Thread(target=editor, args=(run, moto_server, plan), daemon=True) for plan in schedules
    ]
    for thread in workers + writers:
        thread.start()
    for thread in writers:
        thread.join(max(0.0, run.deadline - time.monotonic()))
    run.uploads_done.set()
    for thread in workers:
        thread.join(max(0.0, run.deadline + 5 - time.monotonic()))
    wall = time.monotonic() - started
    print(f"\nrun: {dict(run.counts)} finished={len(run.finished)} wall={wall:.1f}s errors={run.errors}")
    assert not [t for t in workers + writers if t.is_alive()], f"threads still running after {wall:.0f} s"
    assert run.errors == []
    assert run.counts["uploads"] == len(uploads)

    # The lock is free, nothing is left to publish, and a forced publish would write nothing:
    # the site holds exactly what the index renders.
    state_item = pipeline.dynamodb.get_item(TableName=pipeline.table, Key=STATE_KEY, ConsistentRead=True)[
        "Item"
    ]
    assert "lock_owner" not in state_item and "lock_until" not in state_item
    checker = Publisher(pipeline.index, pipeline.site(), config)
    assert pipeline.index.publish_state().dirty() == set()

    # Every article whose ingest finished is in the site feed and its section feed, once, current.
    latest = {upload.key: upload for upload in uploads}  # the last upload of each key wins
    assert set(run.finished) == set(latest)
    site = feed_titles(pipeline, "feeds/feed.json")
    sections = {section: feed_titles(pipeline, f"feeds/{section}/feed.json") for section in SECTIONS}
    lost = [key for key in latest if article_id(key) not in site]
    lost += [key for key in latest if article_id(key) not in sections[key.split("/")[1]]]
    stale = [key for key, upload in latest.items() if site.get(article_id(key), upload.title) != upload.title]
    numbers = {
        "uploads": len(uploads),
        "distinct": len(latest),
        "instances": instances,
        "batch": batch,
        "messages": run.counts["messages"],
        "publish_calls": run.counts["publishes"],
        "deferred": run.counts["deferred"],
        "lock_taken": run.counts["lock taken"],
        "publish_rounds": run.counts["publish rounds"],
        "more_came_meanwhile": run.counts["more came meanwhile"],
        "files_written": run.counts["files written"],
        "longest_publish_s": round(run.maxima.get("publish", 0.0), 1),
        "requests": moto_server.app.requests,
        "items_lost": len(lost),
        "stale": len(stale),
        "wall_s": round(wall, 1),
    }
    print("\n" + " ".join(f"{name}={value}" for name, value in numbers.items()))
    assert_converged(pipeline)  # the feeds list what the bucket holds: no duplicates, order, titles
    assert lost == [] and stale == []  # ... which is every article, each in its last version
    if batch == 1:
        assert run.counts["deferred"] > 0, "publishers were meant to contend for the lock"

    # GUIDs: the same tag URI in RSS, Atom and JSON Feed, minted from the article id alone, so
    # replacing an article (12 were) never changes its GUID.
    prefix = id_prefix(config)
    for folder in ["feeds/", *(f"feeds/{s}/" for s in SECTIONS)]:
        ids = guids(pipeline, folder)
        assert ids["rss"] == ids["atom"] == ids["json"]
        assert all(guid.startswith(f"{prefix}article/story-") for guid in ids["json"])
        assert len(set(ids["json"])) == len(ids["json"])
    assert checker.publish(utc_now(), force=checker.known_feeds()).written == []


def test_the_lock_holder_never_writes_after_its_lease_under_sustained_ingest(pipeline: Pipeline) -> None:
    """In-process and on a fake clock: every feed query takes a second, and meanwhile another
    article is indexed, as under a long bulk upload. The holder must not write past its lease."""
    clock = [time.time()]
    config = pipeline.config
    publisher = Publisher(pipeline.index, pipeline.site(), config, lock_seconds=10.0, clock=lambda: clock[0])
    ingestor = pipeline.ingestor()
    arrivals = list(planned_uploads()[:16])

    def arrive() -> None:
        if arrivals:
            upload = arrivals.pop(0)
            pipeline.upload(upload.key, upload.body)
            # That instance's publish finds the lock held: it only counts the change.
            pipeline.index.bump(ingestor.ingest(upload.key, utc_now()).feeds)

    def a_second_passes(**_: Any) -> None:
        clock[0] += 1.0
        arrive()

    late_writes: list[tuple[float, str]] = []

    def check_lease(params: dict[str, Any], **_: Any) -> None:
        if params["Bucket"] == pipeline.site_bucket:
            item = pipeline.dynamodb.get_item(TableName=pipeline.table, Key=STATE_KEY, ConsistentRead=True)[
                "Item"
            ]
            lease_end = float(item.get("lock_until", {"N": "0"})["N"])
            if clock[0] >= lease_end:
                late_writes.append((round(clock[0] - lease_end), params["Key"]))

    arrive()
    pipeline.dynamodb.meta.events.register("before-call.dynamodb.Query", a_second_passes)
    pipeline.s3.meta.events.register("before-parameter-build.s3.PutObject", check_lease)
    first = publisher.publish(utc_now())
    assert first.deferred  # the holder handed over after its time budget, within its lease
    # Every later ingest publishes too (as each Lambda invocation does); keep going until quiet.
    for _ in range(40):
        publisher.publish(utc_now())
        if not pipeline.index.publish_state().dirty() and not arrivals:
            break
    else:
        pytest.fail("publishing never caught up with the burst")
    assert_converged(pipeline)  # nothing is lost ...
    assert late_writes == []  # ... and no holder ever wrote feeds after its lease had ended
