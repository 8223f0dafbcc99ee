"""A publisher that hands its lock over with changes pending asks for a publish at once.

A holder stops starting publish rounds after a third of its lease (so it never writes after the
lease ends). Publishers that found the lock held meanwhile have already returned, trusting the
holder with their changes; if the burst ends there, nobody would publish them until the schedule
(minutes). So the ingest handler queues a publish request, which the next instance serves.
"""

from __future__ import annotations

import json
from typing import Any

from feedpub.aws import clients
from feedpub.clock import utc_now
from feedpub.events import PUBLISH_REQUEST, article_keys, is_publish_request
from feedpub.runtime import runtime
from tests.support.convergence import assert_converged
from tests.support.events import article
from tests.support.pipeline import Pipeline

A, B = "articles/world/a.md", "articles/world/b.md"


def test_a_handover_with_changes_pending_queues_a_publish_that_publishes_them(pipeline: Pipeline) -> None:
    pipeline.upload(A, article("A"))
    records = pipeline.receive()
    runtime().publisher.budget_seconds = 0.0  # stands for "has been publishing for 30 s already"
    arrived: list[str] = []

    def another_instance_ingests_b(params: dict[str, Any], **_: Any) -> None:
        # While the holder writes feeds, another instance ingests B and finds the lock held.
        if params["Bucket"] == pipeline.site_bucket and not arrived:
            arrived.append(B)
            pipeline.upload(B, article("B", published="2026-11-19T08:00:00+07:00"))
            changed = pipeline.ingestor().ingest(B, utc_now()).feeds
            other = pipeline.publisher().publish(utc_now(), changed=changed)
            assert other.deferred and not other.published  # it trusts the holder

    s3 = clients.client("s3")
    s3.meta.events.register("before-parameter-build.s3.PutObject", another_instance_ingests_b)
    try:
        assert pipeline.invoke(records) == {"batchItemFailures": []}
    finally:
        s3.meta.events.unregister("before-parameter-build.s3.PutObject", another_instance_ingests_b)

    assert arrived and "b" not in pipeline.feed_ids("feeds/world/feed.json")  # handed over, B pending
    queued = pipeline.receive()
    requests = [r for r in queued if is_publish_request(r["body"])]
    assert [json.loads(r["body"]) for r in requests] == [PUBLISH_REQUEST]

    assert pipeline.invoke(requests) == {"batchItemFailures": []}  # only the request, not B's own event

    assert pipeline.feed_ids("feeds/world/feed.json") == ["a", "b"]
    assert not pipeline.index.publish_state().dirty()
    assert_converged(pipeline)


def test_a_publish_request_names_no_article() -> None:
    body = json.dumps(PUBLISH_REQUEST)
    assert is_publish_request(body)
    assert list(article_keys(body)) == []
    assert not is_publish_request('{"Records": []}') and not is_publish_request("not json")
