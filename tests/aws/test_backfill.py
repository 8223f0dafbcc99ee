"""`feedpub backfill` rebuilds a lost index from the bucket, which stays the source of truth."""

from __future__ import annotations

from tests.support.events import article
from tests.support.pipeline import Pipeline, run_backfill


def test_backfill_recovers_the_index_and_feeds(pipeline: Pipeline) -> None:
    for n in range(25):
        section = ("world", "national", "business", "sport")[n % 4]
        pipeline.upload(
            f"articles/{section}/story-{n:02d}.md",
            article(f"Story {n}", published=f"2026-11-{1 + n:02d}T08:00:00+07:00"),
        )
    pipeline.upload("articles/world/broken.md", "---\ntitle: Broken\n---\nno date\n")
    pipeline.upload("articles/world/.DS_Store", b"\x00\x01junk")
    # No events are delivered: the index starts empty, as after a disaster or a migration.
    pipeline.receive()
    output = run_backfill(pipeline)
    assert "25 published" in output and "1 rejected" in output
    assert "published: missing" in output
    assert sorted(pipeline.feed_ids()) == sorted(f"story-{n:02d}" for n in range(25))
    assert len(pipeline.feed_ids("feeds/sport/feed.json")) == 6
    assert pipeline.report("articles/world/broken.md") is not None
    # A second run changes nothing and writes no feed.
    again = run_backfill(pipeline)
    assert "0 feed files written" in again
