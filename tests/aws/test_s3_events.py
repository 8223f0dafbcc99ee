"""Every S3 operation that notifies on AWS notifies on the template's stack with the record AWS
sends (feedpub_cli.local.s3_events, installed by create_stack), and the ingest function run on the
messages moto queued brings the feeds where the bucket is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import S3Model
from moto import mock_aws

from feedpub.aws import clients
from feedpub.runtime import runtime
from feedpub_cli.local.s3_events import EMULATED, emulate_s3_events
from feedpub_cli.local.stack import REGION, Stack, fake_aws_environment
from tests.support.events import article
from tests.support.pipeline import LambdaContext, aws_environment, receive_records
from tests.support.stack import stack_in_moto

FERRY = "articles/world/ferry.md"
REGATTA = "articles/sport/regatta.md"


@dataclass(frozen=True)
class Event:
    """One record of an S3 notification, as the ingest queue received it."""

    name: str
    key: str
    version_id: str | None


@dataclass
class World:
    """The template's stack, the S3 and SQS clients, and a driver for the ingest function."""

    stack: Stack
    monkeypatch: pytest.MonkeyPatch

    def __post_init__(self) -> None:
        self.s3: Any = boto3.client("s3", region_name=REGION)
        self.sqs: Any = boto3.client("sqs", region_name=REGION)
        self.bucket = self.stack.articles_bucket

    def upload(self, key: str, title: str, published: str = "2026-11-20T08:00:00+07:00") -> str:
        """Put an article; returns the version id."""
        body = article(title, published).encode()
        return str(self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)["VersionId"])

    def ingest(self) -> list[Event]:
        """Run the ingest function on every message queued so far; returns their records."""
        from handlers.ingest import handler

        for name, value in self.stack.function_environment("IngestFunction").items():
            self.monkeypatch.setenv(name, value)
        runtime.cache_clear()
        records = receive_records(self.sqs, self.stack.ingest_queue_url)
        assert handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
        events = []
        for record in records:
            # Powertools' model of S3's notification: it rejects moto's own, sparser records.
            for parsed in S3Model.model_validate_json(record["body"]).Records:
                assert parsed.s3.bucket.name == self.bucket
                s3_object = parsed.s3.object
                assert s3_object is not None
                events.append(Event(parsed.eventName, unquote_plus(s3_object.key), s3_object.versionId))
        return events

    def feed(self, key: str = "feeds/feed.json") -> list[str]:
        """The article ids a JSON feed lists, in order."""
        body = self.s3.get_object(Bucket=self.stack.site_bucket, Key=key)["Body"].read()
        return [item["id"].rsplit("/", 1)[-1] for item in json.loads(body)["items"]]

    def feed_bytes(self) -> dict[str, bytes]:
        """Every published file under feeds/, by key."""
        listed = self.s3.list_objects_v2(Bucket=self.stack.site_bucket, Prefix="feeds/")["Contents"]
        return {
            item["Key"]: self.s3.get_object(Bucket=self.stack.site_bucket, Key=item["Key"])["Body"].read()
            for item in listed
        }


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name, value in aws_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    with fake_aws_environment(), mock_aws():
        stack = stack_in_moto("feedpub-events", {"SiteBaseUrl": "https://news.example.org"})
        clients.client.cache_clear()
        yield World(stack, monkeypatch)
        clients.client.cache_clear()
        runtime.cache_clear()


def test_each_emulated_behaviour_is_listed_in_the_stack_adjustments(world: World) -> None:
    for sentence in EMULATED:
        assert [note for note in world.stack.adjustments if note.endswith(sentence)] == [
            f"ArticlesBucket, LogsBucket, SiteBucket: S3 {sentence}"
        ]


def test_put_object(world: World) -> None:
    version = world.upload(FERRY, "Ferry talks resume")
    assert world.ingest() == [Event("ObjectCreated:Put", FERRY, version)]
    assert world.feed() == world.feed("feeds/world/feed.json") == ["ferry"]


def test_copy_object_indexes_the_copy_under_its_own_key_and_id(world: World) -> None:
    world.upload(FERRY, "Ferry talks resume")
    world.ingest()
    copy = "articles/sport/ferry-crews.md"
    source = {"Bucket": world.bucket, "Key": FERRY}
    response = world.s3.copy_object(Bucket=world.bucket, Key=copy, CopySource=source)
    assert world.ingest() == [Event("ObjectCreated:Copy", copy, response["VersionId"])]
    assert sorted(world.feed()) == ["ferry", "ferry-crews"]
    assert world.feed("feeds/sport/feed.json") == ["ferry-crews"]
    assert world.feed("feeds/world/feed.json") == ["ferry"]


def test_multipart_upload_notifies_its_completion_only(world: World) -> None:
    upload = world.s3.create_multipart_upload(Bucket=world.bucket, Key=FERRY)["UploadId"]
    body = article("Ferry talks resume").encode()
    part = world.s3.upload_part(Bucket=world.bucket, Key=FERRY, UploadId=upload, PartNumber=1, Body=body)
    completed = world.s3.complete_multipart_upload(
        Bucket=world.bucket, Key=FERRY, UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )  # fmt: skip
    assert world.ingest() == [Event("ObjectCreated:CompleteMultipartUpload", FERRY, completed["VersionId"])]
    assert world.feed() == world.feed("feeds/world/feed.json") == ["ferry"]


def test_delete_object_without_a_version_id_creates_a_delete_marker_and_takes_the_story_down(
    world: World,
) -> None:
    world.upload(FERRY, "Ferry talks resume")
    world.upload(REGATTA, "Regatta postponed")
    world.ingest()
    emulate_s3_events([world.bucket])  # installing again changes nothing: still one event
    marker = world.s3.delete_object(Bucket=world.bucket, Key=FERRY)
    assert marker["DeleteMarker"] is True
    assert world.ingest() == [Event("ObjectRemoved:DeleteMarkerCreated", FERRY, marker["VersionId"])]
    assert world.feed() == ["regatta"]
    assert world.feed("feeds/world/feed.json") == []


def test_deleting_the_delete_marker_restores_the_story(world: World) -> None:
    version = world.upload(FERRY, "Ferry talks resume")
    world.ingest()
    marker = world.s3.delete_object(Bucket=world.bucket, Key=FERRY)["VersionId"]
    world.ingest()
    assert world.feed() == []
    world.s3.delete_object(Bucket=world.bucket, Key=FERRY, VersionId=marker)
    assert world.ingest() == [Event("ObjectRemoved:Delete", FERRY, marker)]
    assert world.feed() == world.feed("feeds/world/feed.json") == ["ferry"]
    assert world.s3.head_object(Bucket=world.bucket, Key=FERRY)["VersionId"] == version


def test_deleting_a_noncurrent_version_notifies_and_changes_no_feed(world: World) -> None:
    first = world.upload(FERRY, "Ferry talks resume")
    world.upload(FERRY, "Ferry talks resume after standoff")
    world.ingest()
    published = world.feed_bytes()
    world.s3.delete_object(Bucket=world.bucket, Key=FERRY, VersionId=first)
    assert world.ingest() == [Event("ObjectRemoved:Delete", FERRY, first)]
    assert world.feed_bytes() == published


def test_deleting_every_version_by_id_notifies_each_the_delete_marker_last(world: World) -> None:
    version = world.upload(FERRY, "Ferry talks resume")
    world.ingest()
    marker = world.s3.delete_object(Bucket=world.bucket, Key=FERRY)["VersionId"]
    world.s3.delete_object(Bucket=world.bucket, Key=FERRY, VersionId=version)
    world.s3.delete_object(Bucket=world.bucket, Key=FERRY, VersionId=marker)  # moto failed here
    assert world.ingest() == [
        Event("ObjectRemoved:DeleteMarkerCreated", FERRY, marker),
        Event("ObjectRemoved:Delete", FERRY, version),
        Event("ObjectRemoved:Delete", FERRY, marker),
    ]
    assert world.s3.list_object_versions(Bucket=world.bucket, Prefix=FERRY).get("Versions", []) == []
    assert world.feed() == []


def test_delete_objects_notifies_each_key_and_takes_both_stories_down(world: World) -> None:
    world.upload(FERRY, "Ferry talks resume")
    world.upload(REGATTA, "Regatta postponed")
    world.upload("articles/world/harbour.md", "Harbour reopens")
    world.ingest()
    both = {"Objects": [{"Key": FERRY}, {"Key": REGATTA}]}
    response = world.s3.delete_objects(Bucket=world.bucket, Delete=both)
    markers = {deleted["Key"]: deleted["DeleteMarkerVersionId"] for deleted in response["Deleted"]}
    assert world.ingest() == [
        Event("ObjectRemoved:DeleteMarkerCreated", FERRY, markers[FERRY]),
        Event("ObjectRemoved:DeleteMarkerCreated", REGATTA, markers[REGATTA]),
    ]
    assert world.feed() == world.feed("feeds/world/feed.json") == ["harbour"]
    assert world.feed("feeds/sport/feed.json") == []


def test_records_encode_keys_as_s3_does_and_sequence_the_events(world: World) -> None:
    key = "articles/world/ferry talks+crews.md"
    world.s3.put_object(Bucket=world.bucket, Key=key, Body=article("Ferry talks resume").encode())
    world.s3.delete_object(Bucket=world.bucket, Key=key)
    records = receive_records(world.sqs, world.stack.ingest_queue_url)
    objects = [json.loads(record["body"])["Records"][0]["s3"]["object"] for record in records]
    assert [o["key"] for o in objects] == ["articles/world/ferry+talks%2Bcrews.md"] * 2
    assert set(objects[0]) == {"key", "size", "eTag", "versionId", "sequencer"}
    assert set(objects[1]) == {"key", "versionId", "sequencer"}  # no size or eTag for a removal
    assert objects[0]["sequencer"] < objects[1]["sequencer"]
