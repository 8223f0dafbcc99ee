"""WebSub push on the stack built from template.yaml (in-process moto, a hub double on 127.0.0.1):
a publish announces exactly the feeds whose bytes changed; a hub that is down delays nothing and
loses nothing; a newer accepted announcement supersedes an older one; takedowns are announced."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from feedpub.aws import clients
from feedpub.runtime import runtime
from feedpub.websub import Announcement
from feedpub_cli.local.runner import scheduled_event
from feedpub_cli.local.stack import REGION, Stack, create_stack, fake_aws_environment
from tests.support.events import article
from tests.support.fake_hub import FakeHub, running_hub
from tests.support.pipeline import LambdaContext, aws_environment, receive_records
from tests.support.stack import stack_in_moto

FEEDS = "https://news.example.org/feeds"
SITE_TOPICS = [f"{FEEDS}/atom.xml", f"{FEEDS}/feed.json", f"{FEEDS}/rss.xml"]


def topics_of(section: str) -> list[str]:
    return [f"{FEEDS}/{section}/{name}" for name in ("atom.xml", "feed.json", "rss.xml")]


@dataclass
class PushWorld:
    """The template's stack with one hub, and drivers for the ingest and ping functions."""

    stack: Stack
    hub: FakeHub
    monkeypatch: pytest.MonkeyPatch

    def __post_init__(self) -> None:
        self.s3: Any = boto3.client("s3", region_name=REGION)
        self.sqs: Any = boto3.client("sqs", region_name=REGION)
        self.ping_queue = self.stack.physical_ids["PingQueue"]

    def use(self, function: str) -> None:
        for name, value in self.stack.function_environment(function).items():
            self.monkeypatch.setenv(name, value)
        self.monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
        runtime.cache_clear()

    def upload(self, key: str, body: str) -> None:
        self.s3.put_object(Bucket=self.stack.articles_bucket, Key=key, Body=body.encode())

    def ingest(self) -> dict[str, Any]:
        from handlers.ingest import handler

        self.use("IngestFunction")
        records = receive_records(self.sqs, self.stack.ingest_queue_url)
        return dict(handler({"Records": records}, LambdaContext()))

    def announcements(self) -> list[dict[str, Any]]:
        """Every queued announcement, as the ping function's SQS records (received, in flight)."""
        return receive_records(self.sqs, self.ping_queue)

    def ping(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        from handlers.ping import handler

        self.use("PingFunction")
        return dict(handler({"Records": records}, LambdaContext(function_name="PingFunction")))

    def feed_titles(self, key: str = "feeds/feed.json") -> list[str]:
        body = self.s3.get_object(Bucket=self.stack.site_bucket, Key=key)["Body"].read()
        return [item["title"] for item in json.loads(body)["items"]]


@pytest.fixture(autouse=True)
def powertools_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the handlers' Logger and Metrics read when their module is first imported."""
    for name, value in aws_environment().items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[PushWorld]:
    with running_hub() as hub, fake_aws_environment(), mock_aws():
        stack = create_stack(
            "feedpub-push", {"WebSubHubs": hub.url, "SiteBaseUrl": "https://news.example.org"}
        )
        clients.client.cache_clear()
        yield PushWorld(stack, hub, monkeypatch)
        clients.client.cache_clear()
        runtime.cache_clear()


def topics(records: list[dict[str, Any]]) -> list[list[str]]:
    return [list(Announcement.from_message(record["body"]).topics) for record in records]


def test_a_publish_announces_exactly_the_feeds_whose_bytes_changed(world: PushWorld) -> None:
    world.upload("articles/world/ferry.md", article("Ferry talks resume"))
    world.upload("articles/sport/regatta.md", article("Regatta postponed", "2026-11-20T09:00:00+07:00"))
    assert world.ingest() == {"batchItemFailures": []}
    (first,) = world.announcements()
    assert topics([first]) == [sorted(SITE_TOPICS + topics_of("world") + topics_of("sport"))]
    assert Announcement.from_message(first["body"]).hub == world.hub.url

    # Only the world section and the site change: sport's feeds are not announced.
    world.upload("articles/world/ferry.md", article("Ferry talks resume after standoff"))
    world.ingest()
    assert topics(world.announcements()) == [sorted(SITE_TOPICS + topics_of("world"))]

    # The same bytes again: nothing written, nothing announced.
    world.upload("articles/world/ferry.md", article("Ferry talks resume after standoff"))
    world.ingest()
    assert world.announcements() == []

    # A rejected version keeps the last good one in the feeds: nothing to announce either.
    world.upload("articles/world/ferry.md", "---\ntitle: Broken\n---\nno date\n")
    world.ingest()
    assert world.announcements() == []


def test_the_ping_function_tells_the_hub_every_changed_topic_in_one_post(world: PushWorld) -> None:
    world.upload("articles/world/ferry.md", article("Ferry talks resume"))
    world.ingest()
    assert world.ping(world.announcements()) == {"batchItemFailures": []}
    (notification,) = world.hub.received
    assert notification.mode == "publish"
    assert notification.topics == sorted(SITE_TOPICS + topics_of("world"))


def test_a_hub_that_is_down_delays_no_feed_and_gets_the_announcement_when_it_is_back(
    world: PushWorld,
) -> None:
    world.hub.default_status = 503
    world.upload("articles/world/ferry.md", article("Ferry talks resume"))
    assert world.ingest() == {"batchItemFailures": []}
    assert world.feed_titles() == ["Ferry talks resume"]  # published before any ping

    records = world.announcements()
    response = world.ping(records)
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [records[0]["messageId"]]
    assert len(world.hub.received) == 3  # one try and two quick retries
    # The message is hidden for the backoff delay, not lost: nothing is visible now...
    assert world.announcements() == []
    # ...and once the delay has passed (made visible here) it comes back, to a hub that is up.
    world.sqs.change_message_visibility(
        QueueUrl=world.ping_queue, ReceiptHandle=records[0]["receiptHandle"], VisibilityTimeout=0
    )
    world.hub.default_status = 202
    again = world.announcements()
    assert [r["messageId"] for r in again] == [records[0]["messageId"]]
    assert int(again[0]["attributes"]["ApproximateReceiveCount"]) == 2
    assert world.ping(again) == {"batchItemFailures": []}
    assert world.hub.accepted[-1].topics == sorted(SITE_TOPICS + topics_of("world"))


def test_a_newer_accepted_announcement_supersedes_an_older_one(world: PushWorld) -> None:
    world.upload("articles/world/ferry.md", article("Ferry talks resume"))
    world.ingest()
    older = world.announcements()
    world.upload("articles/world/ferry.md", article("Ferry talks resume after standoff"))
    world.ingest()
    newer = world.announcements()
    assert world.ping(newer) == {"batchItemFailures": []}
    assert world.ping(older) == {"batchItemFailures": []}
    # The older one named the sport-less site and world feeds too, all already announced newer.
    assert len(world.hub.received) == 1


def test_a_takedown_is_announced(world: PushWorld) -> None:
    key = "articles/world/ferry.md"
    world.upload(key, article("Ferry talks resume"))
    world.upload("articles/world/other.md", article("Other story", "2026-11-19T08:00:00+07:00"))
    world.ingest()
    world.announcements()
    world.s3.delete_object(Bucket=world.stack.articles_bucket, Key=key)  # notifies DeleteMarkerCreated
    world.ingest()
    assert world.feed_titles() == ["Other story"]
    assert topics(world.announcements()) == [sorted(SITE_TOPICS + topics_of("world"))]


def test_feed_objects_carry_their_link_header_as_metadata(world: PushWorld) -> None:
    world.upload("articles/world/ferry.md", article("Ferry talks resume"))
    world.ingest()
    head = world.s3.head_object(Bucket=world.stack.site_bucket, Key="feeds/world/rss.xml")
    assert head["Metadata"]["link"] == f'<{world.hub.url}>; rel="hub", <{FEEDS}/world/rss.xml>; rel="self"'
    assert "s-maxage=0" in head["CacheControl"]
    page = world.s3.head_object(Bucket=world.stack.site_bucket, Key="feeds/world/index.html")
    assert "link" not in page["Metadata"]


def test_scheduled_and_most_viewed_publishes_announce_what_they_write(world: PushWorld) -> None:
    from handlers.most_viewed import handler as most_viewed
    from handlers.scheduled import handler as scheduled

    world.upload("articles/world/ferry.md", article("Ferry talks resume"))
    world.ingest()
    world.announcements()
    # An embargoed story reaches the feeds on the scheduled run after its time: made due here by
    # dropping what was published, as after an embargo ends.
    world.s3.delete_object(Bucket=world.stack.site_bucket, Key="feeds/rss.xml")
    clients.client("dynamodb").update_item(
        TableName=world.stack.table_name, Key={"pk": {"S": "STATE"}, "sk": {"S": "PUBLISH"}},
        UpdateExpression="REMOVE #h", ExpressionAttributeNames={"#h": "hash:feeds/rss.xml"},
    )  # fmt: skip
    world.use("PublishFunction")
    scheduled(scheduled_event(REGION, world.stack.account_id), LambdaContext(function_name="PublishFunction"))
    assert topics(world.announcements()) == [[f"{FEEDS}/rss.xml"]]
    world.use("MostViewedFunction")
    result = most_viewed(
        scheduled_event(REGION, world.stack.account_id), LambdaContext(function_name="MostViewedFunction")
    )
    (announced,) = topics(world.announcements())
    assert announced == sorted(f"https://news.example.org/{key}" for key in result["written"])
    assert f"{FEEDS}/most-viewed.json" in announced


def test_push_off_queues_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_aws_environment(), mock_aws():
        stack = stack_in_moto("feedpub-nopush", {"WebSubHubs": ""})
        clients.client.cache_clear()
        world = PushWorld(stack, FakeHub(), monkeypatch)
        world.upload("articles/world/ferry.md", article("Ferry talks resume"))
        assert world.ingest() == {"batchItemFailures": []}
        assert world.feed_titles() == ["Ferry talks resume"]
        assert world.announcements() == []
        body = world.s3.get_object(Bucket=stack.site_bucket, Key="feeds/rss.xml")["Body"].read()
        assert b'rel="hub"' not in body
        clients.client.cache_clear()
        runtime.cache_clear()
