"""The sample events of events/, fed to their handlers on the template's stack.

`sam local invoke -e events/<file> <Function>` gives a function exactly these bytes; here each goes
to the handler the template routes it to (an SQS event to the function whose event source mapping
reads the queue its eventSourceARN names, a scheduled event to the function its rule targets),
after the stack was brought to where the event makes sense: the object it names uploaded, or
published and then deleted. The function must do what the event asks. Their shape (real S3
notifications, names matching the files) is checked in tests/template/test_template.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from feedpub.clock import utc_now
from feedpub_cli.local.stack import Stack
from tests.support.events import SAMPLE_EVENTS, article, sample_event
from tests.support.paths import EXAMPLES
from tests.support.pipeline import LambdaContext, Pipeline
from tests.support.stack import function

FERRY = "articles/world/ferry-talks-resume.md"
"""The example article (examples/articles/...) the ingest events name."""
CAFE = "articles/world/café opening (1).md"
"""The key ingest-sqs-url-encoded-key.json names (URL-encoded)."""


def receiver(stack: Stack, event: dict[str, Any]) -> str:
    """The function the template hands `event` to: by the queue an SQS record came from, or by
    the schedule rule an EventBridge event names. (A physical name holds its logical id between
    dashes: feedpub-IngestQueue-Q7zK3mVd2LpA.)"""
    resources = stack.template["Resources"]
    if "Records" in event:
        name = event["Records"][0]["eventSourceARN"].rsplit(":", 1)[-1]
        (queue,) = [q for q, r in resources.items() if r["Type"] == "AWS::SQS::Queue" and f"-{q}-" in name]
        url = stack.physical_ids[queue]
        (found,) = [logical for logical in functions(stack) if function(stack, logical).queue_url == url]
        return found
    name = event["resources"][0].rsplit("/", 1)[-1]
    (rule,) = [k for k, r in resources.items() if r["Type"] == "AWS::Events::Rule" and f"-{k}-" in name]
    (target,) = resources[rule]["Properties"]["Targets"]
    return str(target["Arn"]["Fn::GetAtt"][0])


def functions(stack: Stack) -> list[str]:
    return [k for k, r in stack.template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"]


def invoke(pipeline: Pipeline, name: str) -> Any:
    """Feed events/<name> to its function's handler (the handler the template names)."""
    event = sample_event(name)
    logical = receiver(pipeline.stack, event)
    return function(pipeline.stack, logical).handler()(event, LambdaContext(function_name=logical))


def publish_ferry(pipeline: Pipeline) -> None:
    """The example article uploaded and published; what moto queued for it is consumed."""
    pipeline.upload(FERRY, (EXAMPLES / FERRY).read_bytes())
    assert pipeline.deliver() == {"batchItemFailures": []}
    assert pipeline.feed_ids() == ["ferry-talks-resume"]


def upload_quietly(pipeline: Pipeline, key: str, body: str | bytes) -> None:
    """Upload, and drop what moto queued for it: only the sample event will tell the function."""
    pipeline.upload(key, body)
    pipeline.receive()


def expect_ingest_sqs(pipeline: Pipeline) -> None:
    upload_quietly(pipeline, FERRY, (EXAMPLES / FERRY).read_bytes())
    assert invoke(pipeline, "ingest-sqs.json") == {"batchItemFailures": []}
    assert pipeline.feed_ids() == pipeline.feed_ids("feeds/world/feed.json") == ["ferry-talks-resume"]
    assert pipeline.status_tag(FERRY) == "published"


def expect_ingest_sqs_url_encoded_key(pipeline: Pipeline) -> None:
    upload_quietly(pipeline, CAFE, article("Café opening draws a queue"))
    assert invoke(pipeline, "ingest-sqs-url-encoded-key.json") == {"batchItemFailures": []}
    assert [item["title"] for item in pipeline.feed()["items"]] == ["Café opening draws a queue"]
    assert pipeline.status_tag(CAFE) == "published"  # the decoded key, not the encoded one


def expect_ingest_sqs_delete(pipeline: Pipeline) -> None:
    """ObjectRemoved:Delete: the object's versions were deleted for good."""
    publish_ferry(pipeline)
    versions = pipeline.s3.list_object_versions(Bucket=pipeline.articles_bucket, Prefix=FERRY)["Versions"]
    for version in versions:
        pipeline.s3.delete_object(Bucket=pipeline.articles_bucket, Key=FERRY, VersionId=version["VersionId"])
    pipeline.receive()
    assert invoke(pipeline, "ingest-sqs-delete.json") == {"batchItemFailures": []}
    assert pipeline.feed_ids() == pipeline.feed_ids("feeds/world/feed.json") == []
    assert pipeline.index.get_source(FERRY) is None


def expect_ingest_sqs_delete_marker(pipeline: Pipeline) -> None:
    """ObjectRemoved:DeleteMarkerCreated: an editor deleted the article (a delete marker)."""
    publish_ferry(pipeline)
    pipeline.delete(FERRY)
    pipeline.receive()
    assert invoke(pipeline, "ingest-sqs-delete-marker.json") == {"batchItemFailures": []}
    assert pipeline.feed_ids() == pipeline.feed_ids("feeds/world/feed.json") == []
    assert pipeline.index.get_source(FERRY) is None


def expect_ingest_sqs_s3_test_event(pipeline: Pipeline) -> None:
    """The s3:TestEvent S3 sends when the notification is configured: acknowledged, ignored."""
    assert invoke(pipeline, "ingest-sqs-s3-test-event.json") == {"batchItemFailures": []}
    assert pipeline.s3.list_objects_v2(Bucket=pipeline.site_bucket)["KeyCount"] == 0
    assert pipeline.index.all_sources() == {}


def expect_scheduled(pipeline: Pipeline) -> None:
    """The publish schedule: it publishes what a crashed invocation indexed but never published."""
    upload_quietly(pipeline, FERRY, (EXAMPLES / FERRY).read_bytes())
    pipeline.index.bump(pipeline.ingestor().ingest(FERRY, utc_now()).feeds)  # then the crash
    assert pipeline.s3.list_objects_v2(Bucket=pipeline.site_bucket)["KeyCount"] == 0
    result = invoke(pipeline, "scheduled.json")
    assert sorted(result["published"]) == ["month#2026-11", "section#world", "site"]  # its sitemap too
    assert "feeds/rss.xml" in result["written"]
    assert pipeline.feed_ids() == pipeline.feed_ids("feeds/world/feed.json") == ["ferry-talks-resume"]


EXPECTATIONS: dict[str, Callable[[Pipeline], None]] = {
    "ingest-sqs.json": expect_ingest_sqs,
    "ingest-sqs-url-encoded-key.json": expect_ingest_sqs_url_encoded_key,
    "ingest-sqs-delete.json": expect_ingest_sqs_delete,
    "ingest-sqs-delete-marker.json": expect_ingest_sqs_delete_marker,
    "ingest-sqs-s3-test-event.json": expect_ingest_sqs_s3_test_event,
    "scheduled.json": expect_scheduled,
}


def test_the_template_routes_each_sample_event_to_its_function(pipeline: Pipeline) -> None:
    routes = {name: receiver(pipeline.stack, sample_event(name)) for name in SAMPLE_EVENTS}
    assert routes == {
        name: "PublishFunction" if name == "scheduled.json" else "IngestFunction" for name in SAMPLE_EVENTS
    }


@pytest.mark.parametrize("name", SAMPLE_EVENTS)
def test_each_sample_event_does_what_it_says_on_the_template_s_stack(pipeline: Pipeline, name: str) -> None:
    assert name in EXPECTATIONS, f"events/{name} has no expected outcome here: add one"
    EXPECTATIONS[name](pipeline)
