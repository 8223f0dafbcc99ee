"""Each function's IAM policy allows exactly what its code calls: nothing missing, nothing more.

The end-to-end run happens on the stack built from template.yaml (feedpub_cli.local.stack), with the
environment the template gives each function. Every AWS call the handlers make is recorded as the
IAM action and resource it needs, then checked against the function's policy statements.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from feedpub.aws import clients
from feedpub.aws.index_table import ArticleIndex
from feedpub.runtime import runtime
from feedpub_cli.local.runner import scheduled_event
from feedpub_cli.local.stack import REGION, Stack, fake_aws_environment
from tests.support.events import article
from tests.support.fake_hub import running_hub
from tests.support.logs import Hit, make_log
from tests.support.pipeline import LambdaContext, receive_records
from tests.support.stack import stack_in_moto

# Actions the functions get from SAM's managed policies or the event source mapping, not from
# their own statements (SQS polling, logs, X-Ray).
MANAGED = ("sqs:", "logs:", "xray:")


@dataclass
class Recorder:
    """IAM (action, resource) pairs of every call made through the feedpub clients."""

    calls: set[tuple[str, str]] = field(default_factory=set)
    account: str = "123456789012"

    def before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["feedpub_params"] = params
        service = model.service_model.endpoint_prefix
        for action, resource in self.needs(service, model.name, params):
            self.calls.add((action, resource))

    def after(self, http_response: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
        # A missing object reads as 404 only with s3:ListBucket; without it S3 answers 403.
        params = context.get("feedpub_params", {})
        if model.service_model.endpoint_prefix == "s3" and http_response.status_code == 404:
            self.calls.add(("s3:ListBucket", f"arn:aws:s3:::{params['Bucket']}"))

    def table_arn(self, name: str) -> str:
        return f"arn:aws:dynamodb:{REGION}:{self.account}:table/{name}"

    def needs(self, service: str, operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str]]:
        if service == "s3":
            obj = f"arn:aws:s3:::{params.get('Bucket')}/{params.get('Key', '')}"
            versioned = bool(params.get("VersionId"))
            actions = {
                "GetObject": "s3:GetObjectVersion" if versioned else "s3:GetObject",
                "HeadObject": "s3:GetObjectVersion" if versioned else "s3:GetObject",
                "PutObject": "s3:PutObject",
                "DeleteObject": "s3:DeleteObject",
                "PutObjectTagging": "s3:PutObjectVersionTagging" if versioned else "s3:PutObjectTagging",
            }
            if operation == "ListObjectsV2":
                yield "s3:ListBucket", f"arn:aws:s3:::{params['Bucket']}"
            else:
                yield actions[operation], obj
        elif service == "dynamodb":
            if operation == "TransactWriteItems":
                kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                         "ConditionCheck": "ConditionCheckItem"}  # fmt: skip
                for item in params["TransactItems"]:
                    [(kind, body)] = item.items()
                    yield f"dynamodb:{kinds[kind]}", self.table_arn(body["TableName"])
            elif operation in ("BatchGetItem", "BatchWriteItem"):
                for table in params["RequestItems"]:
                    yield f"dynamodb:{operation}", self.table_arn(table)
            else:
                yield f"dynamodb:{operation}", self.table_arn(params["TableName"])
        elif service == "sqs":
            # IAM authorises SendMessageBatch as SendMessage (and likewise for the other batches).
            action = operation.removesuffix("Batch")
            yield f"sqs:{action}", queue_arn(self.account, params["QueueUrl"])
        else:
            yield f"{service}:{operation}", "*"


def queue_arn(account: str, queue_url: str) -> str:
    return f"arn:aws:sqs:{REGION}:{account}:{queue_url.rsplit('/', 1)[-1]}"


def statements(stack: Stack, logical_id: str) -> list[dict[str, Any]]:
    found = []
    for statement in stack.function_policies(logical_id):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        found.append({"actions": actions, "resources": resources, "sid": statement.get("Sid", "")})
    return found


def allowed_by(statement: dict[str, Any], action: str, resource: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in statement["actions"]) and any(
        fnmatch.fnmatchcase(resource, r) for r in statement["resources"]
    )


@contextmanager
def recorded_stack(parameters: dict[str, str]) -> Iterator[tuple[Stack, Recorder]]:
    """The template's stack in moto, with every call of the feedpub clients recorded."""
    with fake_aws_environment(), mock_aws():
        stack = stack_in_moto(parameters=parameters)
        recorder = Recorder(account=stack.account_id)
        clients.client.cache_clear()
        for service in ("s3", "dynamodb", "sqs"):
            events = clients.client(service).meta.events
            events.register("before-parameter-build.*.*", recorder.before)
            events.register("after-call.*.*", recorder.after)
        yield stack, recorder
        clients.client.cache_clear()
        runtime.cache_clear()


@pytest.fixture
def deployed(request: pytest.FixtureRequest) -> Iterator[tuple[Stack, Recorder]]:
    with recorded_stack(getattr(request, "param", {})) as recorded:
        yield recorded


def use_function_environment(monkeypatch: pytest.MonkeyPatch, stack: Stack, logical_id: str) -> None:
    for name, value in stack.function_environment(logical_id).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    runtime.cache_clear()


def sqs_records(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    return receive_records(sqs, queue_url)


def ingest_one_article(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """Publish article A through the ingest function, so that later functions have work to do."""
    use_function_environment(monkeypatch, stack, "IngestFunction")
    from handlers.ingest import handler as ingest

    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    s3.put_object(Bucket=stack.articles_bucket, Key="articles/world/a.md", Body=article("A").encode())
    assert ingest({"Records": sqs_records(sqs, stack.ingest_queue_url)}, LambdaContext()) == {
        "batchItemFailures": []
    }
    return s3, sqs


def check(stack: Stack, recorder: Recorder, logical_id: str) -> None:
    """Every call allowed; every statement action used by some call (no dead permissions)."""
    policy = statements(stack, logical_id)
    denied = sorted(
        (action, resource)
        for action, resource in recorder.calls
        if not action.startswith(MANAGED) and not any(allowed_by(s, action, resource) for s in policy)
    )
    assert denied == [], f"{logical_id} calls what its policy does not allow"
    for statement in policy:
        for action in statement["actions"]:
            assert "*" not in action, f"{logical_id}: wildcard action {action}"
            used = any(
                fnmatch.fnmatchcase(a.lower(), action.lower())
                and any(fnmatch.fnmatchcase(r, pattern) for pattern in statement["resources"])
                for a, r in recorder.calls
            )
            assert used, f"{logical_id}: {statement['sid']} allows {action} but the code never needs it"
        for resource in statement["resources"]:
            assert resource != "*", f"{logical_id}: {statement['sid']} on every resource"


def test_ingest_function_policy_is_exact(
    deployed: tuple[Stack, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, recorder = deployed
    use_function_environment(monkeypatch, stack, "IngestFunction")
    from handlers.ingest import handler

    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    bucket, queue = stack.articles_bucket, stack.ingest_queue_url
    key = "articles/world/ferry-talks.md"
    s3.put_object(Bucket=bucket, Key=key, Body=article("Ferry talks resume").encode())
    s3.put_object(Bucket=bucket, Key="articles/world/bad.md", Body=b"---\ntitle: Bad\n---\nno date\n")
    assert handler({"Records": sqs_records(sqs, queue)}, LambdaContext()) == {"batchItemFailures": []}
    # A month earlier, so that the deletion below leaves November's sitemap empty (s3:DeleteObject).
    good = article("Now good", published="2026-10-20T08:00:00+07:00")
    s3.put_object(Bucket=bucket, Key="articles/world/bad.md", Body=good.encode())
    s3.delete_object(Bucket=bucket, Key=key)  # notifies ObjectRemoved:DeleteMarkerCreated
    # The publish hands its lock over (time budget spent) just as another instance counts a change:
    # it must ask for a publish (sqs:SendMessage), which the next invocation serves.
    runtime().publisher.budget_seconds = 0.0
    counted: list[str] = []

    def another_instance_counts_a_change(params: dict[str, Any], **_: Any) -> None:
        if "REMOVE lock_owner" in str(params.get("UpdateExpression", "")) and not counted:
            counted.append("site")
            ArticleIndex(stack.table_name, boto3.client("dynamodb", region_name=REGION)).bump(counted)

    events = clients.client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb.UpdateItem", another_instance_counts_a_change)
    assert handler({"Records": sqs_records(sqs, queue)}, LambdaContext()) == {"batchItemFailures": []}
    events.unregister("before-parameter-build.dynamodb.UpdateItem", another_instance_counts_a_change)
    assert counted and ("sqs:SendMessage", queue_arn(stack.account_id, queue)) in recorder.calls
    assert handler({"Records": sqs_records(sqs, queue)}, LambdaContext()) == {"batchItemFailures": []}
    feed = json.loads(s3.get_object(Bucket=stack.site_bucket, Key="feeds/feed.json")["Body"].read())
    assert [item["title"] for item in feed["items"]] == ["Now good"]
    check(stack, recorder, "IngestFunction")


def test_publish_function_policy_is_exact(
    deployed: tuple[Stack, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, recorder = deployed
    s3, _ = ingest_one_article(stack, monkeypatch)
    from handlers.scheduled import handler as scheduled

    use_function_environment(monkeypatch, stack, "PublishFunction")
    # Drop the hashes so the run has something to write, as after an embargo ends.
    s3.delete_object(Bucket=stack.site_bucket, Key="feeds/rss.xml")
    clients.client("dynamodb").update_item(
        TableName=stack.table_name, Key={"pk": {"S": "STATE"}, "sk": {"S": "PUBLISH"}},
        UpdateExpression="REMOVE #h", ExpressionAttributeNames={"#h": "hash:feeds/rss.xml"},
    )  # fmt: skip
    recorder.calls.clear()
    event = scheduled_event(REGION, stack.account_id)
    result = scheduled(event, LambdaContext(function_name="PublishFunction"))
    assert result["written"] == ["feeds/rss.xml"]
    # A run within 48 hours of the article's publication lists it in the news sitemap.
    monkeypatch.setattr("handlers.scheduled.utc_now", lambda: datetime(2026, 11, 21, tzinfo=UTC))
    assert scheduled(event, LambdaContext(function_name="PublishFunction"))["written"] == [
        "sitemaps/news.xml"
    ]
    # An ingest that took the article down crashed before publishing: the run heals it, and
    # November's sitemap, left with no article, is removed.
    index = ArticleIndex(stack.table_name, boto3.client("dynamodb", region_name=REGION))
    index.bump(index.commit("articles/world/a.md", index.get_source("articles/world/a.md"), None, ""))
    result = scheduled(event, LambdaContext(function_name="PublishFunction"))
    assert "sitemaps/news.xml" in result["written"]
    assert result["deleted"] == ["sitemaps/articles-2026-11.xml", "sitemaps/index.xml"]
    check(stack, recorder, "PublishFunction")


def test_views_and_most_viewed_policies_are_exact(
    deployed: tuple[Stack, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, recorder = deployed
    s3, sqs = ingest_one_article(stack, monkeypatch)
    from handlers.most_viewed import handler as most_viewed
    from handlers.views import handler as views

    recorder.calls.clear()
    use_function_environment(monkeypatch, stack, "ViewsFunction")
    logs_bucket, logs_queue = stack.physical_ids["LogsBucket"], stack.physical_ids["LogsQueue"]
    now = datetime.now(UTC)
    s3.put_object(
        Bucket=logs_bucket,
        Key="pages/E2EXAMPLE.2026-11-26-12.abcd.gz",
        Body=make_log([Hit(now, "/world/a"), Hit(now, "/world/a")]),
    )
    records = sqs_records(sqs, logs_queue)
    assert records, "the logs bucket notifies the logs queue"
    assert views({"Records": records}, LambdaContext(function_name="ViewsFunction")) == {
        "batchItemFailures": []
    }
    check(stack, recorder, "ViewsFunction")

    recorder.calls.clear()
    use_function_environment(monkeypatch, stack, "MostViewedFunction")
    event = scheduled_event(REGION, stack.account_id)
    result = most_viewed(event, LambdaContext(function_name="MostViewedFunction"))
    assert "feeds/most-viewed.json" in result["written"]
    feed = json.loads(s3.get_object(Bucket=stack.site_bucket, Key="feeds/most-viewed.json")["Body"].read())
    assert [(item["title"], item["_feedpub"]["views"]) for item in feed["items"]] == [("A", 2)]
    check(stack, recorder, "MostViewedFunction")


@pytest.fixture(scope="module")
def local_hub() -> Iterator[str]:
    """A hub on 127.0.0.1 that refuses the first notification (three tries), then accepts."""
    with running_hub(statuses=[503, 503, 503]) as hub:
        yield hub.url


@pytest.fixture
def deployed_with_local_hub(local_hub: str) -> Iterator[tuple[Stack, Recorder]]:
    with recorded_stack({"WebSubHubs": local_hub}) as recorded:
        yield recorded


def test_ping_function_policy_is_exact(
    deployed_with_local_hub: tuple[Stack, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, recorder = deployed_with_local_hub
    _, sqs = ingest_one_article(stack, monkeypatch)
    from handlers.ping import handler as ping

    recorder.calls.clear()
    use_function_environment(monkeypatch, stack, "PingFunction")
    queue = stack.physical_ids["PingQueue"]
    records = sqs_records(sqs, queue)
    context = LambdaContext(function_name="PingFunction")
    # The hub refuses: the announcement is postponed (ChangeMessageVisibility) and fails.
    assert len(ping({"Records": records}, context)["batchItemFailures"]) == 1
    sqs.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=records[0]["receiptHandle"], VisibilityTimeout=0
    )
    # Back up: delivered and recorded in the hub ledger (GetItem, UpdateItem).
    assert ping({"Records": sqs_records(sqs, queue)}, context) == {"batchItemFailures": []}
    check(stack, recorder, "PingFunction")
