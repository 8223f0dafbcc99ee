"""Events are hints, not truth: duplicated, reordered, stale and malformed SQS messages.

S3 gives no ordering (a sequencer orders the events of one key, and nothing waits for it), so
these tests build the messages by hand with `s3_event` and deliver them in the worst order.
Whatever arrives, the index and the feeds must end equal to what the bucket holds.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from feedpub.clock import utc_now
from feedpub.ingest import IngestOutcome
from tests.support.convergence import assert_converged
from tests.support.events import article, s3_event, sqs_record
from tests.support.pipeline import Pipeline

KEY = "articles/world/ferry-talks.md"
CREATED = "ObjectCreated:Put"
DELETED = "ObjectRemoved:DeleteMarkerCreated"
FEED_FILES = ("rss.xml", "atom.xml", "feed.json")


def put(pipeline: Pipeline, key: str, body: str) -> dict[str, str]:
    """Upload one version; returns the fields an S3 notification would carry for it."""
    response = pipeline.s3.put_object(Bucket=pipeline.articles_bucket, Key=key, Body=body.encode())
    return {"version_id": response["VersionId"], "etag": response["ETag"].strip('"')}


def delete(pipeline: Pipeline, key: str) -> dict[str, str]:
    """Delete as an editor does (a delete marker); returns the marker's notification fields."""
    return {"version_id": pipeline.s3.delete_object(Bucket=pipeline.articles_bucket, Key=key)["VersionId"]}


def event(pipeline: Pipeline, name: str, key: str, **version: str) -> dict[str, Any]:
    """One hand-built notification for `key`, as the SQS record Lambda receives."""
    return sqs_record(s3_event(name, key, pipeline.articles_bucket, **version))


def drop_moto_messages(pipeline: Pipeline) -> None:
    """Discard what moto queued by itself, so only the hand-built messages are delivered."""
    pipeline.receive()


def index_items(pipeline: Pipeline) -> list[str]:
    """Every item that says an object holds an article (SRC, ART, FEED), as `pk|sk` (a test may
    scan). `PATH#` items are left out: they are kept on purpose after a delete (page views)."""
    items = pipeline.dynamodb.scan(TableName=pipeline.table, ConsistentRead=True)["Items"]
    kinds = ("SRC#", "ART#", "FEED#")
    return sorted(f"{i['pk']['S']}|{i['sk']['S']}" for i in items if i["pk"]["S"].startswith(kinds))


def site_files(pipeline: Pipeline) -> dict[str, str]:
    """Every object in the site bucket with its ETag: unchanged ETags mean nothing was rewritten."""
    contents = pipeline.s3.list_objects_v2(Bucket=pipeline.site_bucket).get("Contents", [])
    return {item["Key"]: item["ETag"] for item in contents}


def test_duplicate_delivery_changes_nothing(pipeline: Pipeline) -> None:
    version = put(pipeline, KEY, article("Ferry talks resume"))
    drop_moto_messages(pipeline)
    assert pipeline.invoke([event(pipeline, CREATED, KEY, **version)]) == {"batchItemFailures": []}
    source = pipeline.index.get_source(KEY)
    files, state = site_files(pipeline), pipeline.index.publish_state()
    assert pipeline.feed_ids() == ["ferry-talks"]
    assert {f"feeds/{folder}{name}" for folder in ("", "world/") for name in FEED_FILES} <= set(files)

    # The same event again, alone, then twice in one batch (S3 and SQS both deliver at least once).
    assert pipeline.invoke([event(pipeline, CREATED, KEY, **version)]) == {"batchItemFailures": []}
    assert pipeline.invoke(
        [event(pipeline, CREATED, KEY, **version), event(pipeline, CREATED, KEY, **version)]
    ) == {"batchItemFailures": []}
    assert pipeline.index.get_source(KEY) == source  # same rev: not even re-committed
    assert site_files(pipeline) == files  # no feed rewritten
    assert pipeline.index.publish_state().hashes == state.hashes
    assert pipeline.index.publish_state().dirty() == set()
    assert pipeline.status_tag(KEY) == "published"
    assert_converged(pipeline)


@pytest.mark.parametrize("published_first", [False, True], ids=["never-indexed", "indexed-then-deleted"])
def test_delete_event_delivered_before_the_create_it_follows(
    pipeline: Pipeline, published_first: bool
) -> None:
    created = put(pipeline, KEY, article("Ferry talks resume"))
    if published_first:
        pipeline.deliver()
        assert pipeline.feed_ids() == ["ferry-talks"]
    deleted = delete(pipeline, KEY)
    drop_moto_messages(pipeline)

    # The delete overtakes the create; the stale create arrives last.
    assert pipeline.invoke([event(pipeline, DELETED, KEY, **deleted)]) == {"batchItemFailures": []}
    assert pipeline.invoke([event(pipeline, CREATED, KEY, **created)]) == {"batchItemFailures": []}

    assert pipeline.index.get_source(KEY) is None
    assert pipeline.index.owner_of("ferry-talks") == ""
    assert index_items(pipeline) == []
    if published_first:
        assert pipeline.feed_ids() == [] and pipeline.feed_ids("feeds/world/feed.json") == []
    else:
        assert site_files(pipeline) == {}  # nothing was ever listed, so nothing was published
    assert_converged(pipeline)


def test_older_version_event_after_newer_one_keeps_the_newer(pipeline: Pipeline) -> None:
    v1 = put(pipeline, KEY, article("Ferry talks resume"))
    v2 = put(pipeline, KEY, article("Ferry talks resume after storm", updated="2026-11-21T09:00:00+07:00"))
    drop_moto_messages(pipeline)

    assert pipeline.invoke([event(pipeline, CREATED, KEY, **v2)]) == {"batchItemFailures": []}
    assert pipeline.invoke([event(pipeline, CREATED, KEY, **v1)]) == {"batchItemFailures": []}
    # And both in one batch, stale one last.
    assert pipeline.invoke([event(pipeline, CREATED, KEY, **v2), event(pipeline, CREATED, KEY, **v1)]) == {
        "batchItemFailures": []
    }

    [item] = pipeline.feed()["items"]
    assert item["title"] == "Ferry talks resume after storm"
    source = pipeline.index.get_source(KEY)
    assert source is not None and source.version.endswith(f"/{v2['version_id']}")
    assert pipeline.status_tag(KEY) == "published"
    assert_converged(pipeline)


@pytest.mark.parametrize("published_first", [False, True], ids=["never-indexed", "indexed-then-deleted"])
def test_create_event_for_an_object_deleted_meanwhile(pipeline: Pipeline, published_first: bool) -> None:
    """Only the create is delivered (the delete event still in flight): the bucket says 'gone'."""
    if published_first:
        put(pipeline, KEY, article("Ferry talks resume"))
        pipeline.deliver()
        assert pipeline.feed_ids() == ["ferry-talks"]
    created = put(pipeline, KEY, article("Ferry talks resume after storm"))
    delete(pipeline, KEY)
    drop_moto_messages(pipeline)

    assert pipeline.invoke([event(pipeline, CREATED, KEY, **created)]) == {"batchItemFailures": []}

    assert index_items(pipeline) == []
    if published_first:
        assert pipeline.feed_ids() == [] and pipeline.feed_ids("feeds/world/feed.json") == []
    assert pipeline.report(KEY) is None
    assert_converged(pipeline)


def test_events_for_a_key_that_never_existed(pipeline: Pipeline) -> None:
    ghost = "articles/world/ghost.md"
    response = pipeline.invoke(
        [
            event(pipeline, CREATED, ghost, version_id="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"),
            event(pipeline, DELETED, ghost, version_id="bmV2ZXIgdGhlcmU"),
            event(pipeline, "ObjectCreated:Copy", ghost),
        ]
    )
    assert response == {"batchItemFailures": []}
    assert index_items(pipeline) == []
    assert pipeline.report(ghost) is None
    assert site_files(pipeline) == {}
    assert pipeline.index.publish_state().revs == {}


def test_s3_test_event_is_acknowledged_and_ignored(pipeline: Pipeline) -> None:
    test_event = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-11-26T12:00:00.000Z",
        "Bucket": pipeline.articles_bucket,
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    }
    assert pipeline.invoke([sqs_record(test_event)]) == {"batchItemFailures": []}
    assert site_files(pipeline) == {} and index_items(pipeline) == []

    # In a batch with a real event, the real one is processed as usual.
    version = put(pipeline, KEY, article("Ferry talks resume"))
    drop_moto_messages(pipeline)
    assert pipeline.invoke([sqs_record(test_event), event(pipeline, CREATED, KEY, **version)]) == {
        "batchItemFailures": []
    }
    assert pipeline.feed_ids() == ["ferry-talks"]
    assert_converged(pipeline)


@pytest.mark.parametrize(
    "body",
    [
        "this is not JSON {",
        "",
        '{"Records": [{"eventName": "ObjectCreated:Put"}]}',  # JSON, but no s3 object in the record
    ],
    ids=["not-json", "empty", "record-without-s3"],
)
def test_malformed_message_fails_only_itself(pipeline: Pipeline, body: str) -> None:
    first = put(pipeline, "articles/world/a.md", article("A"))
    second = put(pipeline, "articles/sport/b.md", article("B", published="2026-11-21T08:00:00+07:00"))
    drop_moto_messages(pipeline)
    bad = sqs_record(body)

    response = pipeline.invoke(
        [
            event(pipeline, CREATED, "articles/world/a.md", **first),
            bad,
            event(pipeline, CREATED, "articles/sport/b.md", **second),
        ]
    )

    assert response == {"batchItemFailures": [{"itemIdentifier": bad["messageId"]}]}
    assert pipeline.feed_ids() == ["b", "a"]
    assert pipeline.feed_ids("feeds/world/feed.json") == ["a"]
    assert pipeline.feed_ids("feeds/sport/feed.json") == ["b"]
    assert_converged(pipeline)


def test_two_objects_claiming_one_id(pipeline: Pipeline) -> None:
    owner, claimant = "articles/world/ferry-talks.md", "articles/sport/ferry-final.md"
    pipeline.upload(owner, article("Ferry talks resume", id="ferry"))
    pipeline.deliver()
    owner_guid = pipeline.feed()["items"][0]["id"]

    pipeline.upload(claimant, article("Ferry final", id="ferry", published="2026-11-21T08:00:00+07:00"))
    assert pipeline.deliver() == {"batchItemFailures": []}

    report = pipeline.report(claimant)
    assert report is not None and report["status"] == "rejected"
    [problem] = report["problems"]
    assert problem["field"] == "id" and owner in problem["message"]
    assert pipeline.status_tag(claimant) == "rejected"
    assert [i["title"] for i in pipeline.feed()["items"]] == ["Ferry talks resume"]  # the owner keeps it
    assert pipeline.index.owner_of("ferry") == owner
    with pytest.raises(pipeline.s3.exceptions.NoSuchKey):
        pipeline.feed("feeds/sport/feed.json")
    assert_converged(pipeline)

    # A redelivered event for the claimant changes nothing.
    pipeline.upload(claimant, article("Ferry final", id="ferry", published="2026-11-21T08:00:00+07:00"))
    pipeline.deliver()
    assert pipeline.index.owner_of("ferry") == owner and pipeline.report(claimant) is not None

    # Deleting the owner frees the id, but does not silently hand the feeds to the claimant: it
    # stays rejected, with its report, until an editor touches it.
    pipeline.delete(owner)
    assert pipeline.deliver() == {"batchItemFailures": []}
    assert pipeline.feed_ids() == [] and pipeline.feed_ids("feeds/world/feed.json") == []
    assert pipeline.index.owner_of("ferry") == ""
    assert pipeline.report(claimant) is not None
    assert pipeline.status_tag(claimant) == "rejected"

    # Touching the claimant (re-uploading the same text) publishes it under the freed id.
    pipeline.upload(claimant, article("Ferry final", id="ferry", published="2026-11-21T08:00:00+07:00"))
    assert pipeline.deliver() == {"batchItemFailures": []}
    assert pipeline.feed_ids() == ["ferry"] and pipeline.feed()["items"][0]["title"] == "Ferry final"
    assert pipeline.feed()["items"][0]["id"] == owner_guid  # the id, and so the GUID, is the article's
    assert pipeline.feed_ids("feeds/sport/feed.json") == ["ferry"]
    assert pipeline.report(claimant) is None
    assert pipeline.status_tag(claimant) == "published"
    assert pipeline.index.owner_of("ferry") == claimant
    assert_converged(pipeline)


def test_report_of_a_bad_version_replaced_while_in_flight_is_removed(pipeline: Pipeline) -> None:
    """Two invocations for one key, interleaved at request granularity (as two Lambda instances
    can): X indexes a bad version, Y the good version that replaced it a moment later.

    X: get_source(rev 1) → read bad → write report → ····· mark_reported → HEAD (changed) → again
    Y:                      upload good → get_source(rev 1) → read good → ·········· commit(rev 1→2)
    """
    good, bad = article("Ferry talks resume"), "---\ntitle: Broken\npublished: 2026-11-20 08:00\n---\nBody\n"
    put(pipeline, KEY, good)
    pipeline.deliver()  # rev 1, published
    put(pipeline, KEY, bad)
    drop_moto_messages(pipeline)

    x_at_mark, y_read, x_marked, y_committed = (threading.Event() for _ in range(4))
    x_thread_id: list[int] = []

    def x_before_update(params: dict[str, Any], **_: Any) -> None:
        if threading.get_ident() in x_thread_id and "reported" in params.get("UpdateExpression", ""):
            x_at_mark.set()
            assert y_read.wait(10)

    def x_after_update(model: Any, **_: Any) -> None:
        if threading.get_ident() in x_thread_id and model.name == "UpdateItem" and not x_marked.is_set():
            x_marked.set()
            assert y_committed.wait(10)

    def y_before_commit(**_: Any) -> None:
        if threading.get_ident() not in x_thread_id:
            y_read.set()
            assert x_marked.wait(10)

    def y_after_commit(**_: Any) -> None:
        if threading.get_ident() not in x_thread_id:
            y_committed.set()

    events = pipeline.dynamodb.meta.events
    events.register("before-parameter-build.dynamodb.UpdateItem", x_before_update)
    events.register("after-call.dynamodb.UpdateItem", x_after_update)
    events.register("before-call.dynamodb.TransactWriteItems", y_before_commit)
    events.register("after-call.dynamodb.TransactWriteItems", y_after_commit)
    outcomes: list[IngestOutcome] = []

    def run_x() -> None:
        x_thread_id.append(threading.get_ident())
        outcomes.append(pipeline.ingestor().ingest(KEY, utc_now()))

    x = threading.Thread(target=run_x)
    x.start()
    assert x_at_mark.wait(10)
    put(pipeline, KEY, article("Ferry talks resume, fixed"))
    y_outcome = pipeline.ingestor().ingest(KEY, utc_now())
    x.join(10)
    assert not x.is_alive()
    pipeline.publisher().publish(utc_now(), changed=y_outcome.feeds.union(*(o.feeds for o in outcomes)))

    # The interleaving happened: one of the two indexed the fixed version, the other found it done.
    assert sorted([y_outcome.status, *(o.status for o in outcomes)]) == ["published", "unchanged"]
    assert pipeline.feed()["items"][0]["title"] == "Ferry talks resume, fixed"
    assert_converged(pipeline)
    assert pipeline.report(KEY) is None, json.dumps(pipeline.report(KEY))
