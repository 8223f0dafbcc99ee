"""The fault matrix's harness (tests/aws/test_fault_matrix.py runs it): the calls the functions
make, recorded; the injector that answers one of them with a fault; the workload every case runs
on the template's stack, from a baseline restored per case; and the checks of its outcome.

The injector stands in front of moto (a `before-send` hook on every client the functions build)
and answers a faulted attempt as AWS would, so botocore's standard retry mode sees what it would
see from AWS; a crash is an exception no handler code catches (`ContainerDied`), raised right after
the call. The workload drives the functions as Lambda does: each queue the template has a function
read is polled in the function's batch size, a failed message comes back at once and moves to its
dead-letter queue after the receives the template's redrive policy allows; the schedules run the
publish and most-viewed functions; a clock stands for the schedule periods that go by.
"""

from __future__ import annotations

import json
import logging
import pickle
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import unquote_plus, urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.retries.standard import ExponentialBackoff
from moto.core.models import botocore_stubber
from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import s3_backends

import feedpub.runtime
from feedpub.article import parse_article
from feedpub.clock import utc_now
from feedpub.events import article_keys, object_refs
from feedpub.publish import Publisher
from feedpub.runtime import runtime
from feedpub_cli.local.runner import scheduled_event, sqs_event
from feedpub_cli.local.stack import REGION
from tests.support.convergence import expected_feeds, published_feeds
from tests.support.events import article
from tests.support.logs import Hit, make_log
from tests.support.pipeline import LambdaContext, Pipeline, aws_environment, moto_pipeline
from tests.support.stack import ACCOUNT, batch_size, dead_letter_queue
from tests.support.stack import function as stack_function


def attempt_of(request: AWSPreparedRequest) -> int:
    """The attempt number botocore put in the `amz-sdk-request` header (1 = first try)."""
    header = request.headers.get("amz-sdk-request", b"attempt=1")
    text = header.decode() if isinstance(header, bytes) else header
    fields = dict(part.strip().split("=", 1) for part in text.split(";") if "=" in part)
    return int(fields.get("attempt", "1"))


SCHEDULE = timedelta(minutes=5)
"""The template's default publish schedule: the scheduled run comes this long after the fault."""
DYNAMODB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
"""DynamoDB's write operations (the API's, not a list of what the functions call)."""
BROKEN = "---\ntitle: [unclosed\n---\nThe front matter is not YAML.\n"
TAGS = {
    "articles/world/z.md": "published",
    "articles/world/a.md": "published",
    "articles/sport/bad.md": "published",
    "articles/world/broken.md": "rejected",
}
"""Every article of the workload, and its status tag once it converged."""
BASELINE_TAGS = {"articles/world/z.md": "published", "articles/sport/bad.md": "rejected"}
PHASES = ("ingest", "scheduled", "views", "most-viewed")
VIEWS = 3
"""Page views of the baseline article in the one CloudFront log of the workload."""
MATRIX_PARAMETERS = {
    # One most-viewed window (the 7-day one) instead of two: half the Query calls per run.
    "MostViewedHours": "168",
}
"""The template's parameters for the matrix's stack (on top of PIPELINE_PARAMETERS)."""
LOGS_QUEUE = "views"
"""The matrix's name for the LogsQueue (the views function's)."""
LOG_KEY = "pages/E2EXAMPLE.2026-11-26-20.0001.gz"
"""Where the distribution writes the workload's access log: under pages/, which the LogsBucket
notifies (the template's filter)."""


class ContainerDied(BaseException):
    """The Lambda container is killed: nothing of the invocation runs after it, no handler code
    catches it (it is no Exception), and the whole batch goes back to its queue."""


# -- Recording the calls ------------------------------------------------------------------------


@dataclass
class Call:
    """One (service, operation) the functions call, as the clean run made it."""

    service: str
    operation: str
    phases: set[str] = field(default_factory=set)
    """The workload's phases that made it."""
    conditional: bool = False
    """At least one of its requests carried a condition (If-Match, ConditionExpression...)."""
    s3_write: bool = False
    """An S3 request that changes an object (PUT, POST or DELETE)."""

    @property
    def name(self) -> str:
        return f"{self.service}.{self.operation}"

    @property
    def phase_order(self) -> tuple[str, ...]:
        return tuple(phase for phase in PHASES if phase in self.phases)

    @property
    def write(self) -> bool:
        return self.operation in DYNAMODB_WRITES if self.service == "dynamodb" else self.s3_write


def is_conditional(service: str, request: AWSPreparedRequest) -> bool:
    """Whether AWS could answer this request with a conflict: a conditional write."""
    if service == "s3":
        conditions = {"if-match", "if-none-match"}
        return request.method in ("PUT", "POST", "DELETE") and any(
            name.lower() in conditions for name in request.headers
        )
    text = request_text(request)
    return any(f'"{name}"' in text for name in ("ConditionExpression", "ConditionCheck", "Expected"))


def request_text(request: AWSPreparedRequest) -> str:
    """A JSON request's body (DynamoDB's are bytes or text)."""
    body = request.body or b""
    return body.decode() if isinstance(body, bytes) else str(body)


# -- The fault injector -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One cell of the matrix."""

    service: str
    operation: str
    kind: str
    when: str
    phases: tuple[str, ...] = PHASES
    """The phases of the workload that make the call (the others cannot meet its fault)."""

    @property
    def id(self) -> str:
        return f"{self.service}.{self.operation}-{self.kind}-{self.when}"

    @property
    def once(self) -> bool:
        """Faults botocore does not retry are injected on the first such call only."""
        return self.when == "first" and self.kind in ("conflict", "crash")


@dataclass(frozen=True)
class Error:
    """An error answer as AWS sends it: status, code, message."""

    status: int
    code: str
    message: str


THROTTLES = {
    "s3": [Error(503, "SlowDown", "Please reduce your request rate.")],
    # A table's partition limit, then the table's or account's: DynamoDB answers with either.
    "dynamodb": [
        Error(400, "ProvisionedThroughputExceededException", "Throughput exceeds the table's limit."),
        Error(400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    ],
    "sqs": [Error(400, "RequestThrottled", "Request is throttled.")],
}
THROTTLE = [Error(400, "ThrottlingException", "Rate exceeded")]
"""Any other service's (the common error of AWS APIs)."""
INTERNALS = {
    "s3": Error(500, "InternalError", "We encountered an internal error. Please try again."),
    "dynamodb": Error(500, "InternalServerError", "Internal server error"),
}
INTERNAL = Error(500, "InternalFailure", "The request processing has failed because of an unknown error.")
PRECONDITION_FAILED = Error(
    412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"
)
CONDITIONAL_CHECK_FAILED = Error(400, "ConditionalCheckFailedException", "The conditional request failed")


class Body:
    """The raw stream botocore reads an answer's body from."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def answer(client: Any, request: AWSPreparedRequest, error: Error, **extra: Any) -> AWSResponse:
    """`error` in the wire format of the client's service (its protocol)."""
    model = client.meta.service_model
    protocol = model.metadata["protocol"]
    if protocol in ("rest-xml", "query", "ec2"):
        inner = f"<Code>{error.code}</Code><Message>{error.message}</Message>"
        if protocol == "rest-xml":
            text = f"<Error>{inner}<RequestId>FAULT0001</RequestId><HostId>injected</HostId></Error>"
        else:
            text = (
                f"<ErrorResponse><Error><Type>Sender</Type>{inner}</Error>"
                "<RequestId>FAULT0001</RequestId></ErrorResponse>"
            )
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n{text}'.encode()
        headers = {"Content-Type": "application/xml", "x-amz-request-id": "FAULT0001"}
    else:
        prefix = model.metadata.get("targetPrefix") or model.service_name
        body = json.dumps({"__type": f"{prefix}#{error.code}", "message": error.message, **extra}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "FAULT0001"}
    return AWSResponse(request.url, error.status, headers, Body(body))  # type: ignore[arg-type]


def conflict(client: Any, operation: str, request: AWSPreparedRequest) -> AWSResponse:
    """The conflict AWS answers a conditional write with."""
    if client.meta.service_model.service_name == "s3":
        return answer(client, request, PRECONDITION_FAILED)
    if operation != "TransactWriteItems":
        return answer(client, request, CONDITIONAL_CHECK_FAILED)
    # The first conditional action is the one that failed; the others were not evaluated.
    actions = json.loads(request_text(request) or "{}")["TransactItems"]
    reasons, failed = [], False
    for action in actions:
        conditional = (
            any("ConditionExpression" in part for part in action.values()) or "ConditionCheck" in action
        )
        reasons.append({"Code": "ConditionalCheckFailed" if conditional and not failed else "None"})
        failed = failed or conditional
    codes = ", ".join(reason["Code"] for reason in reasons)
    message = f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]"
    cancelled = Error(400, "TransactionCanceledException", message)
    return answer(client, request, cancelled, CancellationReasons=reasons)


class Injector:
    """Stands in front of moto on the functions' own clients: records every call and, while a
    case is active, answers the case's call with its fault."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.case: Case | None = None
        self.calls: dict[tuple[str, str], Call] = {}
        self.injected: Counter[str] = Counter()
        """Faults injected, per phase."""
        self.spent = False
        """A once-only fault (conflict or crash on the first call) was injected."""
        self.dead = False
        """The container died: every further call of the invocation dies with it."""
        self.clients: list[Any] = []
        self.hooks: list[tuple[Any, str, Callable[..., Any]]] = []

    def reset(self) -> None:
        """Ready for a new case (the calls recorded so far are kept)."""
        self.phase = "setup"
        self.case = None
        self.injected.clear()
        self.spent = self.dead = False

    def install(self, client: Any) -> None:
        client.meta.events.unregister("before-send", botocore_stubber)
        self.hooks += [
            (client, "before-send", partial(self._send, client)),
            (client, "after-call", partial(self._after_call, client)),
        ]
        for hooked, event, hook in self.hooks[-2:]:
            hooked.meta.events.register(event, hook)
        self.clients.append(client)

    def _matches(self, service: str, operation: str) -> bool:
        return self.case is not None and (self.case.service, self.case.operation) == (service, operation)

    def _send(
        self, client: Any, request: AWSPreparedRequest, event_name: str, **kwargs: Any
    ) -> AWSResponse | None:
        service = client.meta.service_model.service_name
        if self.dead:
            raise ContainerDied("the container is gone")
        operation = event_name.rsplit(".", 1)[-1]
        conditional = is_conditional(service, request)
        call = self.calls.setdefault((service, operation), Call(service, operation))
        call.phases.add(self.phase)
        call.conditional |= conditional
        call.s3_write |= service == "s3" and request.method in ("PUT", "POST", "DELETE")
        case = self.case
        if case is None or not self._matches(service, operation) or case.kind == "crash":
            return botocore_stubber(event_name=event_name, request=request, **kwargs)
        if case.kind == "conflict" and not conditional:
            return botocore_stubber(event_name=event_name, request=request, **kwargs)
        if case.once:
            if self.spent:
                return botocore_stubber(event_name=event_name, request=request, **kwargs)
            self.spent = True
        elif case.when == "first" and attempt_of(request) != 1:
            return botocore_stubber(event_name=event_name, request=request, **kwargs)
        self.injected[self.phase] += 1
        if case.kind == "timeout":
            botocore_stubber(event_name=event_name, request=request, **kwargs)  # applied ...
            raise ReadTimeoutError(endpoint_url=request.url)  # ... but the answer never arrives
        if case.kind == "conflict":
            return conflict(client, operation, request)
        if case.kind == "throttle":
            throttles = THROTTLES.get(service, THROTTLE)
            return answer(client, request, throttles[(attempt_of(request) - 1) % len(throttles)])
        return answer(client, request, INTERNALS.get(service, INTERNAL))

    def _after_call(self, client: Any, event_name: str, **kwargs: Any) -> None:
        service = client.meta.service_model.service_name
        case = self.case
        operation = event_name.rsplit(".", 1)[-1]
        if case and case.kind == "crash" and self._matches(service, operation) and not self.spent:
            self.spent = True
            self.dead = True
            self.injected[self.phase] += 1
            raise ContainerDied(f"killed right after {service}.{operation}")

    def close(self) -> None:
        for client, event, hook in self.hooks:
            client.meta.events.unregister(event, hook)
        for client in self.clients:
            client.meta.events.register("before-send", botocore_stubber)


# -- The workload -------------------------------------------------------------------------------


class Clock:
    """The publisher's clock: real time, plus the schedule periods that went by (so the lock of a
    publisher that died has expired by the next scheduled run, as on AWS)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


class Lines(logging.Handler):
    """The functions' Powertools log lines, as the JSON objects CloudWatch would get."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        from handlers.ingest import logger

        self.logger = logger
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.logger.registered_formatter.format(record)))

    @contextmanager
    def capturing(self) -> Iterator[Lines]:
        target = logging.getLogger(self.logger.name)
        target.addHandler(self)
        try:
            yield self
        finally:
            target.removeHandler(self)


@dataclass
class Queue:
    name: str
    url: str
    arn: str
    dlq: str
    handler: Callable[..., Any]
    function: str
    batch: int
    """The function's batch size (its event source mapping's)."""


@dataclass
class Run:
    """What happened to the records and runs of one case."""

    max_receives: Counter[str] = field(default_factory=Counter)
    """Most receives an acknowledged message of each queue needed."""
    failed_runs: list[str] = field(default_factory=list)
    """Scheduled runs that failed (the next one repairs)."""
    errors: list[BaseException] = field(default_factory=list)
    """Invocations that failed as a whole."""
    right_after_redrive: bool = False
    """The article feeds were right once the dead letters were redriven, before a scheduled run."""


@dataclass
class Account:
    """One moto account for a whole run of the matrix. Clients are costly to build, so the test's
    and the functions' are built once; each case starts from the same baseline."""

    pipeline: Pipeline
    queues: dict[str, Queue]
    injector: Injector
    clock: Clock
    viewed_at: datetime
    """When the log's views happened: an hour before the most-viewed function's clock."""
    baseline: list[tuple[Any, str, bytes]] = field(default_factory=list)
    """The S3 and DynamoDB backends after the baseline, pickled (moto's objects pickle; SQS's
    do not, but its queues are only emptied between cases)."""

    def save(self) -> None:
        self.baseline = [
            (backends, region, pickle.dumps(backends[ACCOUNT][region]))
            for backends in (s3_backends, dynamodb_backends)
            for region in backends[ACCOUNT]
        ]

    def restore(self) -> None:
        for backends, region, data in self.baseline:
            backends[ACCOUNT][region] = pickle.loads(data)
        sqs = self.pipeline.sqs
        for queue in self.queues.values():  # empty after a passing case; not after a failing one
            for url in (queue.url, queue.dlq):
                while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
                    for message in messages:
                        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def reset_retry_quota(client: Any) -> None:
    """Give a reused client the full retry quota a new container's client starts with."""
    service = client.meta.service_model.service_id.hyphenize()
    found = 0
    for handler in client.meta.events._emitter._handlers.prefix_search(f"after-call.{service}"):
        quota = getattr(getattr(handler, "__self__", None), "_quota", None)
        if quota is not None:
            quota._available_capacity = quota._max_capacity
            found += 1
    assert found == 1, "botocore's standard retry quota was not found"


def make_queue(pipeline: Pipeline, name: str, handler: Callable[..., Any], function: str) -> Queue:
    """The queue the template has `function` read, with its dead-letter queue."""
    sqs, stack = pipeline.sqs, pipeline.stack
    url = stack_function(stack, function).queue_url
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})  # redeliver at once
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    logical = next(logical for logical, physical in stack.physical_ids.items() if physical == url)
    dlq = dead_letter_queue(stack, logical)
    return Queue(name, url, arn, dlq, handler, function, batch_size(stack, function))


@contextmanager
def moto_account() -> Iterator[Account]:
    """The functions' variables, zero backoff sleeps, an in-process moto account with the
    template's stack, and the baseline every case starts from."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in aws_environment().items():
            monkeypatch.setenv(name, value)
        # Imported here, not at the top: Powertools reads its variables when a handler is imported.
        import handlers.most_viewed
        from handlers.ingest import handler as ingest_handler
        from handlers.views import handler as views_handler

        # The most-viewed function's clock reads the end of today: its 7-day window is then seven
        # whole days, seven Query calls instead of thirty.
        end_of_day = utc_now().replace(hour=23, minute=59, second=0, microsecond=0)
        monkeypatch.setattr(handlers.most_viewed, "utc_now", lambda: end_of_day)
        # botocore decides to retry exactly as it would, but does not sleep between attempts.
        monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
        clock = Clock()
        monkeypatch.setattr(feedpub.runtime, "Publisher", partial(Publisher, clock=clock))
        with moto_pipeline(monkeypatch, MATRIX_PARAMETERS) as pipeline:
            # Every client built from here on is one of the functions' (feedpub.aws.clients builds
            # them on first use, whatever the service): the injector stands in front of each.
            injector = Injector()
            build = boto3.client

            def client(*args: Any, **kwargs: Any) -> Any:
                made = build(*args, **kwargs)
                injector.install(made)
                return made

            monkeypatch.setattr(boto3, "client", client)
            account = Account(
                pipeline,
                {
                    "ingest": make_queue(pipeline, "ingest", ingest_handler, "IngestFunction"),
                    LOGS_QUEUE: make_queue(pipeline, LOGS_QUEUE, views_handler, "ViewsFunction"),
                },
                injector,
                clock,
                end_of_day - timedelta(hours=1),
            )
            try:
                Workload(account).baseline()
                account.save()
                yield account
            finally:
                injector.close()


class Workload:
    """The end-to-end run every case makes, from the baseline."""

    def __init__(self, account: Account) -> None:
        if account.baseline:
            account.restore()
        runtime.cache_clear()
        for client in account.injector.clients:
            reset_retry_quota(client)
        account.injector.reset()
        account.clock.offset = 0.0
        self.injector = account.injector
        self.clock = account.clock
        self.pipeline = account.pipeline
        self.queues = account.queues
        self.viewed_at = account.viewed_at
        self.run = Run()

    # -- the functions, as Lambda runs them

    def _died(self) -> None:
        """A new container takes over: fresh runtime objects (the clients are reused: they hold
        no state that a new container's would not have, but for the retry quota)."""
        self.injector.dead = False
        runtime.cache_clear()

    def drain(self, queue: Queue) -> None:
        """Poll as Lambda's event source mapping does until the queue is empty; a failed message
        comes back at once (visibility timeout 0) and moves to the DLQ after the last receive its
        redrive policy allows (5)."""
        sqs = self.pipeline.sqs
        for _ in range(60):
            messages = sqs.receive_message(
                QueueUrl=queue.url, MaxNumberOfMessages=queue.batch, AttributeNames=["All"]
            )
            if not messages.get("Messages"):
                return
            records = sqs_event(messages["Messages"], queue.arn, REGION)["Records"]
            failed = self._invoke(queue, records)
            for message in messages["Messages"]:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
                    receives = int(message["Attributes"]["ApproximateReceiveCount"])
                    self.run.max_receives[queue.name] = max(self.run.max_receives[queue.name], receives)
        raise AssertionError(f"{queue.name} never drained")

    def _invoke(self, queue: Queue, records: list[dict[str, Any]]) -> set[str]:
        everything = {record["messageId"] for record in records}
        try:
            response = queue.handler({"Records": records}, LambdaContext(function_name=queue.function))
        except ContainerDied:
            self._died()
            return everything
        except Exception as error:  # the invocation failed: Lambda returns the whole batch
            self.run.errors.append(error)
            if self.injector.dead:  # a crash that the batch processor reported as its own error
                self._died()
            return everything
        return {failure["itemIdentifier"] for failure in response["batchItemFailures"]}

    def scheduled_publish(self) -> None:
        """The publish schedule's next run."""
        from handlers.scheduled import handler

        self.clock.offset += SCHEDULE.total_seconds()
        self._scheduled(handler, scheduled_event(REGION, ACCOUNT), "PublishFunction")

    def most_viewed(self) -> None:
        from handlers.most_viewed import handler

        self._scheduled(handler, scheduled_event(REGION, ACCOUNT), "MostViewedFunction")

    def _scheduled(self, handler: Callable[..., Any], event: dict[str, Any], function: str) -> None:
        try:
            handler(event, LambdaContext(function_name=function))
        except ContainerDied:
            self._died()
            self.run.failed_runs.append(f"{function}: crashed")
        except Exception as error:  # a failed run: the alarm fires, the next run repairs
            self.run.failed_runs.append(f"{function}: {error}")
            if self.injector.dead:
                self._died()

    # -- the editors and readers

    def baseline(self) -> None:
        """Before the fault: two published articles and a rejected one."""
        self.injector.phase = "baseline"
        self.pipeline.upload("articles/world/z.md", article("Z", published="2026-11-19T08:00:00+07:00"))
        self.pipeline.upload("articles/world/y.md", article("Y", published="2026-11-18T08:00:00+07:00"))
        self.pipeline.upload("articles/sport/bad.md", BROKEN)
        self.drain(self.queues["ingest"])

    def ingest(self) -> None:
        """One batch of every kind of change: a new article, a replacement, a rejected article,
        the fix of the rejected one (which removes its report) and a delete."""
        self.injector.phase = "ingest"
        pipeline = self.pipeline
        pipeline.upload("articles/world/a.md", article("A", published="2026-11-21T08:00:00+07:00"))
        pipeline.upload("articles/world/z.md", article("Z, updated", published="2026-11-19T08:00:00+07:00",
                                                       updated="2026-11-23T08:00:00+07:00"))  # fmt: skip
        pipeline.upload("articles/world/broken.md", BROKEN)
        pipeline.upload(
            "articles/sport/bad.md", article("Bad no more", published="2026-11-22T08:00:00+07:00")
        )
        pipeline.delete("articles/world/y.md")
        self.drain(self.queues["ingest"])

    def views(self) -> None:
        """CloudFront delivers one log with views of an article; the views function counts them."""
        self.injector.phase = "views"
        stored = self.pipeline.s3.get_object(Bucket=self.pipeline.articles_bucket, Key="articles/world/z.md")
        url = parse_article("articles/world/z.md", stored["Body"].read(), self.pipeline.config).url
        log = make_log([Hit(self.viewed_at, urlsplit(url).path)] * VIEWS)
        logs_bucket = self.pipeline.stack.physical_ids["LogsBucket"]
        self.pipeline.s3.put_object(Bucket=logs_bucket, Key=LOG_KEY, Body=log)
        self.drain(self.queues[LOGS_QUEUE])

    def workload(self, phases: Iterable[str] = PHASES) -> bool:
        """The phases (of the clean run) that make the faulted call, under the fault; returns
        whether the article feeds were right when the ingest queue was drained."""
        converged = True
        if "ingest" in phases:
            self.ingest()
            converged = "ingest" not in self.dead_letters() and feeds_right(self.pipeline)
        if "scheduled" in phases:
            self.injector.phase = "scheduled"
            self.scheduled_publish()
        if {"views", "most-viewed"} & set(phases):
            self.views()
            self.injector.phase = "most-viewed"
            self.most_viewed()
        return converged

    def dead_letters(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        sqs = self.pipeline.sqs
        for queue in self.queues.values():
            messages = sqs.receive_message(
                QueueUrl=queue.dlq, MaxNumberOfMessages=10, VisibilityTimeout=0
            ).get("Messages", [])
            if messages:
                found[queue.name] = [m["Body"] for m in messages]
        return found

    def recover(self, dead: dict[str, list[str]], views: int | None) -> None:
        """The fault is over: redrive the dead letters, as an operator would, and let the
        schedules run (the most-viewed one only if its feeds are not right yet, to save time;
        `views` is None when no log was delivered)."""
        self.injector.phase = "recovery"
        sqs = self.pipeline.sqs
        for name in dead:
            queue = self.queues[name]
            # What `feedpub redrive` does (test_poison runs the command itself).
            while messages := sqs.receive_message(QueueUrl=queue.dlq, MaxNumberOfMessages=10).get("Messages"):
                for message in messages:
                    sqs.send_message(QueueUrl=queue.url, MessageBody=message["Body"])
                    sqs.delete_message(QueueUrl=queue.dlq, ReceiptHandle=message["ReceiptHandle"])
            self.drain(queue)
        if dead:
            self.run.right_after_redrive = feeds_right(self.pipeline)
        self.scheduled_publish()
        if views is None:
            return
        try:
            assert_most_viewed(self.pipeline, views)
        except (AssertionError, ClientError):
            self.most_viewed()


def feeds_right(pipeline: Pipeline) -> bool:
    """The feeds list what the bucket holds (`assert_converged` without the audit, for speed)."""
    expected = {key: items for key, items in expected_feeds(pipeline).items() if items}
    published = {key: items for key, items in published_feeds(pipeline).items() if items}
    return expected == published


def assert_tags(pipeline: Pipeline, ingested: bool) -> None:
    """Every article's current version carries the status ingest gave it, for editors to see
    (`ingested`: after the workload's uploads, else after the baseline's)."""
    expected = TAGS if ingested else BASELINE_TAGS
    assert {key: pipeline.status_tag(key) for key in expected} == expected


def assert_most_viewed(pipeline: Pipeline, views: int) -> None:
    """Both most-viewed feeds that list the baseline article count its views exactly once."""
    for key in ("feeds/most-viewed.json", "feeds/world/most-viewed.json"):
        feed = pipeline.feed(key)
        ranking = [(item["id"].rsplit("/", 1)[-1], item["_feedpub"]["views"]) for item in feed["items"]]
        assert ranking == ([("z", views)] if views else []), f"{key}: {ranking}"


# -- Discovery ----------------------------------------------------------------------------------

_RECORDED: list[Call] = []


def recorded_calls() -> list[Call]:
    """The calls of a clean run of the workload (recorded once per process)."""
    if not _RECORDED:
        with moto_account() as account:
            workload = Workload(account)
            assert workload.workload(), "the clean run did not converge"
            assert not (workload.run.failed_runs or workload.run.errors), workload.run
            assert_most_viewed(workload.pipeline, VIEWS)
            calls = account.injector.calls.values()
            _RECORDED.extend(sorted((c for c in calls if c.phases - {"baseline"}), key=lambda c: c.name))
    return _RECORDED


def cases(calls: list[Call]) -> list[Any]:
    """Every (call, fault, when), the meaningless combinations skipped or left out."""
    params: list[Any] = []
    for call in calls:
        kinds = ["throttle", "internal", "timeout"]
        if call.write:  # a conflict is an answer to a conditional write: never to a read
            kinds.append("conflict")
        for kind in kinds:
            for when in ("first", "every"):
                case = Case(call.service, call.operation, kind, when, call.phase_order)
                marks = []
                if kind == "conflict" and not call.conditional:
                    reason = (
                        f"{call.name} is never sent with a condition: AWS cannot answer it with a conflict"
                    )
                    marks.append(pytest.mark.skip(reason=reason))
                params.append(pytest.param(case, id=case.id, marks=marks))
        # A crash after every such call would be an invocation that can never finish: that is the
        # every-try case of the faults above, whose records dead-letter.
        crash = Case(call.service, call.operation, "crash", "first", call.phase_order)
        params.append(pytest.param(crash, id=crash.id))
    return params


def classify(converged_early: bool, dead: dict[str, list[str]], run: Run) -> tuple[str, str]:
    """The case's outcome, and what the table says of it."""
    receives = max(run.max_receives.values(), default=1)
    if dead:
        letters = ", ".join(f"{len(bodies)} {queue}" for queue, bodies in sorted(dead.items()))
        after = "the redrive" if run.right_after_redrive else "the redrive and a scheduled publish"
        return "dead-lettered", f"{letters}; converged after {after}"
    if not converged_early:
        return "scheduled", f"converged at the scheduled publish; {receives} receives at most"
    if receives > 1:
        return "redelivered", f"converged at receive {receives}"
    return "absorbed", ""


def assert_reason_logged(lines: list[dict[str, Any]], queue: Queue, body: str) -> None:
    """A dead-lettered message left a warning or error with the exception: about its object, or
    about the invocation of its function (a failed invocation fails every record of the batch)."""
    if queue.name == LOGS_QUEUE:
        subjects = {unquote_plus(key) for _, key in object_refs(body)}
        field_name = "log_key"
    else:
        subjects = set(article_keys(body))
        field_name = "object_key"
    failures = [
        line for line in lines
        if line.get("level") in ("WARNING", "ERROR", "CRITICAL") and line.get("exception")
        and line.get("function_name") == queue.function
    ]  # fmt: skip
    wanted: set[str | None] = set(subjects) or {None}  # None: it names no object (a publish request)
    for subject in wanted:
        reasons = [line for line in failures if line.get(field_name) in (subject, None)]
        assert reasons, f"{subject or body} was dead-lettered with no log line saying why"
