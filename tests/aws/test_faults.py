"""Fault injection: throttling, 5xx, conflicts and crashes, on the very clients the functions use.

Faults are injected per HTTP attempt with a `before-send` hook that stands in front of moto's own
stubber on one client: a faulted attempt answers with the error AWS would send and never reaches
moto (a throttled request does nothing), every other attempt goes to moto unchanged. So botocore's
retry logic (standard mode, as `feedpub.aws.clients` configures it) sees exactly what it would see
against AWS. Crashes (a Lambda container dying mid-invocation) are exceptions raised from
`after-call` hooks. Every test ends by checking the feeds against the bucket (`assert_converged`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError
from botocore.retries.standard import ExponentialBackoff
from moto.core.models import botocore_stubber

from feedpub.aws import clients
from feedpub.aws.index_table import STATE_KEY
from feedpub.clock import utc_now
from tests.support.convergence import assert_converged
from tests.support.events import article
from tests.support.fault_harness import attempt_of
from tests.support.pipeline import Pipeline, scheduled_publish

# -- The fault injector -------------------------------------------------------------------------


class _Body:
    """The raw stream botocore reads an AWSResponse's body from."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


@dataclass(frozen=True)
class Fault:
    """An error response as AWS sends it."""

    status: int
    code: str
    message: str
    extra: tuple[tuple[str, Any], ...] = ()

    def response(self, service: str, request: AWSPreparedRequest) -> AWSResponse:
        if service == "s3":
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{self.code}</Code><Message>{self.message}</Message>"
                "<RequestId>FAULT0001</RequestId><HostId>injected</HostId></Error>"
            ).encode()
            headers = {"Content-Type": "application/xml", "x-amz-request-id": "FAULT0001"}
        else:
            document = {"__type": f"com.amazonaws.dynamodb.v20120810#{self.code}", "message": self.message}
            body = json.dumps({**document, **dict(self.extra)}).encode()
            headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "FAULT0001"}
        return AWSResponse(request.url, self.status, headers, _Body(body))  # type: ignore[arg-type]


SLOW_DOWN = Fault(503, "SlowDown", "Please reduce your request rate.")
S3_INTERNAL = Fault(500, "InternalError", "We encountered an internal error. Please try again.")
THROTTLING = Fault(400, "ThrottlingException", "Rate of requests exceeds the allowed throughput.")
THROUGHPUT = Fault(400, "ProvisionedThroughputExceededException", "Throughput exceeds the table's limit.")
DYNAMODB_INTERNAL = Fault(500, "InternalServerError", "Internal server error")
CONFLICT = Fault(
    400,
    "TransactionCanceledException",
    "Transaction cancelled, please refer cancellation reasons for specific reasons "
    "[ConditionalCheckFailed, None, None]",
    (("CancellationReasons", [{"Code": "ConditionalCheckFailed"}, {"Code": "None"}, {"Code": "None"}]),),
)


@dataclass
class Rule:
    operation: str
    fault: Fault
    first_try_only: bool
    matches: Callable[[AWSPreparedRequest], bool]
    remaining: int | None
    """Faults still to inject (None: no limit)."""


class Faults:
    """Injects faults on one client's HTTP attempts; everything else goes on to moto."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.service = client.meta.service_model.service_name
        self.rules: list[Rule] = []
        self.attempts: Counter[str] = Counter()
        """HTTP attempts per operation, faulted or not."""
        self.injected: Counter[str] = Counter()
        client.meta.events.unregister("before-send", botocore_stubber)
        client.meta.events.register("before-send", self._send)

    def add(
        self,
        operation: str,
        fault: Fault,
        *,
        first_try_only: bool = True,
        times: int | None = None,
        when: Callable[[AWSPreparedRequest], bool] = lambda request: True,
    ) -> None:
        """Fail `operation` (every first try, or every try) `times` times (None: until cleared)."""
        self.rules.append(Rule(operation, fault, first_try_only, when, times))

    def clear(self) -> None:
        self.rules.clear()

    def close(self) -> None:
        self.clear()
        self.client.meta.events.unregister("before-send", self._send)
        self.client.meta.events.register("before-send", botocore_stubber)

    def _send(self, event_name: str, request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        self.attempts[operation] += 1
        for rule in self.rules:
            if (
                rule.operation == operation
                and rule.remaining != 0
                and (attempt_of(request) == 1 or not rule.first_try_only)
                and rule.matches(request)
            ):
                if rule.remaining is not None:
                    rule.remaining -= 1
                self.injected[operation] += 1
                return rule.fault.response(self.service, request)
        return botocore_stubber(event_name=event_name, request=request, **kwargs)


def to_the_site_bucket(pipeline: Pipeline) -> Callable[[AWSPreparedRequest], bool]:
    """Whether a request goes to the stack's site bucket."""
    return lambda request: pipeline.site_bucket in request.url


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Keep botocore's retry decisions but not its sleeps; records each backoff it computed."""
    computed: list[float] = []
    original = ExponentialBackoff.delay_amount

    def delay_amount(self: ExponentialBackoff, context: Any) -> float:
        computed.append(original(self, context))
        return 0.001

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", delay_amount)
    return computed


@dataclass
class FunctionClients:
    """Fault injectors on the cached clients the Lambda handlers use (`feedpub.aws.clients`)."""

    s3: Faults
    dynamodb: Faults


@pytest.fixture
def function_clients(pipeline: Pipeline, backoffs: list[float]) -> Iterator[FunctionClients]:
    injectors = FunctionClients(Faults(clients.client("s3")), Faults(clients.client("dynamodb")))
    assert vars(clients.client("s3").meta.config)["retries"]["mode"] == "standard"  # not in the stubs
    yield injectors
    injectors.s3.close()
    injectors.dynamodb.close()


def crash_once(client: Any, event: str, when: Callable[..., bool] = lambda **kwargs: True) -> list[str]:
    """Raise (the container dies) the first time `event` fires on `client` and `when` holds."""
    crashed: list[str] = []

    def hook(**kwargs: Any) -> None:
        if not crashed and when(**kwargs):
            crashed.append(event)
            raise RuntimeError(f"Lambda container killed at {event}")

    client.meta.events.register(event, hook)
    return crashed


def lock_holder(pipeline: Pipeline) -> str | None:
    item = pipeline.dynamodb.get_item(TableName=pipeline.table, Key=STATE_KEY, ConsistentRead=True).get(
        "Item", {}
    )
    return item.get("lock_owner", {}).get("S")


def publish_some(pipeline: Pipeline) -> None:
    """Articles in two sections, a replacement and a delete, each batch delivered by the handler."""
    pipeline.upload("articles/world/a.md", article("A"))
    pipeline.upload("articles/world/b.md", article("B", published="2026-11-21T08:00:00+07:00"))
    pipeline.upload("articles/sport/c.md", article("C", published="2026-11-22T08:00:00+07:00"))
    assert pipeline.deliver() == {"batchItemFailures": []}
    pipeline.upload("articles/world/a.md", article("A, updated", updated="2026-11-23T08:00:00+07:00"))
    pipeline.delete("articles/world/b.md")
    assert pipeline.deliver() == {"batchItemFailures": []}


# -- Transient faults: botocore's retries absorb them --------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation", "fault"),
    [
        ("s3", "GetObject", SLOW_DOWN),
        ("s3", "GetObject", S3_INTERNAL),
        ("dynamodb", "TransactWriteItems", THROTTLING),
        ("dynamodb", "TransactWriteItems", DYNAMODB_INTERNAL),
        ("s3", "PutObject", SLOW_DOWN),
        ("s3", "PutObject", S3_INTERNAL),
        ("dynamodb", "UpdateItem", THROTTLING),
        ("dynamodb", "UpdateItem", THROUGHPUT),
        ("dynamodb", "UpdateItem", DYNAMODB_INTERNAL),
    ],
    ids=lambda value: value.code if isinstance(value, Fault) else value,
)
def test_first_try_faults_are_absorbed_by_retries(
    pipeline: Pipeline,
    function_clients: FunctionClients,
    backoffs: list[float],
    service: str,
    operation: str,
    fault: Fault,
) -> None:
    faults: Faults = getattr(function_clients, service)
    when = to_the_site_bucket(pipeline) if operation == "PutObject" else (lambda request: True)
    faults.add(operation, fault, first_try_only=True, when=when)

    publish_some(pipeline)

    assert faults.injected[operation] >= 2, faults.injected  # every first try of each call failed
    assert len(backoffs) >= faults.injected[operation]  # ... and botocore backed off and retried
    assert pipeline.feed_ids() == ["c", "a"]
    assert pipeline.feed()["items"][1]["title"] == "A, updated"
    assert pipeline.feed_ids("feeds/world/feed.json") == ["a"]
    assert pipeline.feed_ids("feeds/sport/feed.json") == ["c"]
    assert pipeline.index.publish_state().dirty() == set()
    assert lock_holder(pipeline) is None
    assert_converged(pipeline)


# -- A fault that outlasts the retries -----------------------------------------------------------


@pytest.mark.parametrize("recovery", ["redelivery", "scheduled"])
def test_site_put_failing_on_every_try_fails_the_invocation_then_converges(
    pipeline: Pipeline, function_clients: FunctionClients, recovery: str
) -> None:
    pipeline.upload("articles/world/a.md", article("A"))
    pipeline.deliver()
    function_clients.s3.add("PutObject", SLOW_DOWN, first_try_only=False, when=to_the_site_bucket(pipeline))
    pipeline.upload("articles/world/b.md", article("B", published="2026-11-21T08:00:00+07:00"))
    pipeline.upload("articles/sport/c.md", article("C", published="2026-11-22T08:00:00+07:00"))
    records = pipeline.receive()

    with pytest.raises(ClientError) as raised:
        pipeline.invoke(records)  # the invocation fails, so SQS will deliver the whole batch again

    assert raised.value.response["Error"]["Code"] == "SlowDown"
    # Every attempt allowed: total_max_attempts is 5 (1 try + 4 retries).
    assert function_clients.s3.injected["PutObject"] == 5
    assert lock_holder(pipeline) is None  # the failed publisher gave the lock back
    # The feeds, and the month's archive whose sitemap lists both new stories.
    dirty = {"site", "section#world", "section#sport", "month#2026-11"}
    assert pipeline.index.publish_state().dirty() == dirty
    assert pipeline.feed_ids() == ["a"]  # nothing half-published

    function_clients.s3.clear()
    if recovery == "redelivery":
        assert pipeline.invoke(records) == {"batchItemFailures": []}
    else:
        scheduled_publish()

    assert pipeline.feed_ids() == ["c", "b", "a"]
    assert pipeline.feed_ids("feeds/world/feed.json") == ["b", "a"]
    assert pipeline.feed_ids("feeds/sport/feed.json") == ["c"]
    assert pipeline.index.publish_state().dirty() == set()
    assert_converged(pipeline)


# -- Conflicts: the Ingestor goes round again ----------------------------------------------------


def test_injected_commit_conflict_makes_the_ingestor_loop(
    pipeline: Pipeline, function_clients: FunctionClients
) -> None:
    function_clients.dynamodb.add("TransactWriteItems", CONFLICT, times=1)
    pipeline.upload("articles/world/a.md", article("A"))

    assert pipeline.deliver() == {"batchItemFailures": []}

    assert function_clients.dynamodb.injected["TransactWriteItems"] == 1
    assert function_clients.dynamodb.attempts["TransactWriteItems"] == 2  # not retried by botocore
    assert function_clients.dynamodb.attempts["GetItem"] >= 2  # the Ingestor re-read and went round
    assert pipeline.feed_ids() == ["a"]
    assert pipeline.status_tag("articles/world/a.md") == "published"
    assert_converged(pipeline)


def test_real_commit_conflict_with_a_concurrent_ingest(pipeline: Pipeline) -> None:
    """X read v1; before X commits, v2 is uploaded and indexed by another instance (Y); X's commit
    is cancelled by the `rev` condition, X goes round and finds v2 already indexed."""
    key = "articles/world/a.md"
    pipeline.upload(key, article("A"))
    pipeline.receive()
    other = clients.client("dynamodb")  # Y: the handler's clients, a separate "instance"
    assert other is not pipeline.dynamodb
    raced: list[str] = []

    def race(**_: Any) -> None:
        if not raced:
            raced.append("v2")
            pipeline.upload(key, article("A, second version"))
            assert pipeline.deliver() == {"batchItemFailures": []}

    pipeline.dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", race)
    outcome = pipeline.ingestor().ingest(key, utc_now())

    assert raced and outcome.status == "unchanged"
    assert pipeline.feed()["items"][0]["title"] == "A, second version"
    assert pipeline.index.get_source(key) is not None and pipeline.index.get_source(key).rev == 1  # type: ignore[union-attr]
    assert_converged(pipeline)


# -- Crashes between the index commit and the publish --------------------------------------------


def is_lock_acquire(params: dict[str, Any], **_: Any) -> bool:
    return "lock_owner = " in str(params.get("UpdateExpression", ""))


CRASH_POINTS: dict[str, tuple[str, Callable[..., bool]]] = {
    # Right after the TransactWriteItems committed, before the publish.
    "after-commit": ("after-call.dynamodb.TransactWriteItems", lambda **kwargs: True),
    # After the object was tagged, when the publisher goes to count the change and take the lock.
    "before-publish": ("before-parameter-build.dynamodb.UpdateItem", is_lock_acquire),
}


def crash_while_ingesting(pipeline: Pipeline, point: str, key: str, body: str) -> list[dict[str, Any]]:
    """Upload `key` and deliver it alone to an invocation that dies at `point`; returns its records."""
    event, when = CRASH_POINTS[point]
    crashed = crash_once(clients.client("dynamodb"), event, when)
    pipeline.upload(key, body)
    records = pipeline.receive()
    try:
        response = pipeline.invoke(records)
    except Exception:  # the container died: Lambda fails the whole batch
        response = {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records]}
    assert crashed, f"no crash at {point}"
    assert response["batchItemFailures"], "a crashed invocation must not acknowledge its messages"
    return records


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_crash_before_publishing_is_healed_by_the_scheduled_run(pipeline: Pipeline, point: str) -> None:
    pipeline.upload("articles/world/a.md", article("A"))
    pipeline.deliver()
    crash_while_ingesting(
        pipeline, point, "articles/world/b.md", article("B", published="2026-11-21T08:00:00+07:00")
    )
    assert pipeline.index.get_source("articles/world/b.md") is not None  # indexed ...
    assert pipeline.feed_ids() == ["a"]  # ... but not published
    assert lock_holder(pipeline) is None

    scheduled_publish()

    assert pipeline.feed_ids() == ["b", "a"]
    assert pipeline.feed_ids("feeds/world/feed.json") == ["b", "a"]
    assert_converged(pipeline)


@pytest.mark.parametrize(
    "point",
    [
        pytest.param(
            "after-commit",
        ),
        "before-publish",
    ],
)
def test_crash_before_publishing_is_healed_by_the_redelivery(pipeline: Pipeline, point: str) -> None:
    pipeline.upload("articles/world/a.md", article("A"))
    pipeline.deliver()
    records = crash_while_ingesting(
        pipeline, point, "articles/world/b.md", article("B", published="2026-11-21T08:00:00+07:00")
    )

    assert pipeline.invoke(records) == {"batchItemFailures": []}  # SQS delivers the failed batch again

    assert pipeline.feed_ids() == ["b", "a"]
    assert_converged(pipeline)


def test_crash_after_commit_of_a_new_sections_first_article_is_healed(pipeline: Pipeline) -> None:
    pipeline.upload("articles/world/a.md", article("A"))
    pipeline.deliver()
    records = crash_while_ingesting(
        pipeline, "after-commit", "articles/sport/c.md", article("C", published="2026-11-22T08:00:00+07:00")
    )
    pipeline.invoke(records)
    scheduled_publish()

    assert pipeline.feed_ids() == ["c", "a"]  # the site feed is healed (it is always forced) ...
    assert_converged(pipeline)  # ... but feeds/sport/ was never published


def test_faults_while_handling_a_duplicate_event(
    pipeline: Pipeline, function_clients: FunctionClients
) -> None:
    """Faults on the read path of a duplicate (already indexed) event: retried, nothing rewritten."""
    pipeline.upload("articles/world/a.md", article("A"))
    records = pipeline.receive()
    pipeline.invoke(records)
    before = pipeline.s3.list_objects_v2(Bucket=pipeline.site_bucket)["Contents"]
    function_clients.s3.add("GetObject", SLOW_DOWN, times=1)
    function_clients.s3.add("HeadObject", S3_INTERNAL, times=1)
    function_clients.dynamodb.add("GetItem", THROTTLING, times=1)

    assert pipeline.invoke(records) == {"batchItemFailures": []}

    assert sum(function_clients.s3.injected.values()) + sum(function_clients.dynamodb.injected.values()) == 3
    assert pipeline.s3.list_objects_v2(Bucket=pipeline.site_bucket)["Contents"] == before
    assert pipeline.s3.list_objects_v2(Bucket=pipeline.articles_bucket, Prefix="reports/")["KeyCount"] == 0
    assert_converged(pipeline)
