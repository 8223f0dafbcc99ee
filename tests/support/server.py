"""moto in server mode behind a slow network, the template's stack created on it, and the threads
that drive it: editors putting and deleting articles, and "function instances" draining the ingest
queue. Shared by the concurrency test and the burst-and-soak test.

Every request to moto waits 5-40 ms in the "network" (split randomly between request and
response), so instances interleave at every step of ingest and publish. moto's handlers are plain
Python and not atomic under concurrent threads (two conditional UpdateItems can both pass their
condition); AWS makes each request atomic (a conditional write, a put). The server therefore runs
one request at a time *inside* the service, with the latency outside that lock: the same guarantee
AWS gives, and all the interleavings between requests.

The stack is created from template.yaml by create_stack against the server, as `feedpub serve`
creates its own (with the latency off: setting up is not what these tests measure); its S3 sends
the notifications AWS sends, the delete markers' included, to the queue the template names.

Each instance is a thread with its own boto3 clients, Ingestor and Publisher, like a separate
Lambda container; it does what the ingest handler does with a batch (ingest each key, publish the
changed feeds once, delete the batch) without the handler's module-level state, which one process
of threads would share.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import boto3
import pytest
from botocore.config import Config
from moto.moto_server import threaded_moto_server
from moto.server import ThreadedMotoServer

from feedpub.aws.articles_bucket import ArticlesBucket
from feedpub.aws.index_table import ArticleIndex
from feedpub.aws.ingest_queue import IngestQueue
from feedpub.aws.site_bucket import SiteBucket
from feedpub.clock import utc_now
from feedpub.config import SiteConfig
from feedpub.events import article_keys, is_publish_request
from feedpub.ingest import Ingestor
from feedpub.publish import Publisher
from feedpub_cli.local.stack import REGION, Stack
from tests.support.pipeline import Pipeline, aws_environment
from tests.support.stack import PIPELINE_PARAMETERS, stack_on_endpoint

LATENCY = (0.005, 0.040)
ATOM = "{http://www.w3.org/2005/Atom}"


# -- moto server with latency ---------------------------------------------------------------------


class LatencyApp:
    """WSGI middleware: a random 5-40 ms on the wire around each request, one request at a time in
    the service itself (see the module docstring)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], seed: int) -> None:
        self.app = app
        self.latency = LATENCY
        """Seconds on the wire around each request, at least and at most."""
        self.random = random.Random(seed)
        self.random_lock = threading.Lock()
        self.service_lock = threading.Lock()
        self.requests = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.random_lock:
            total = self.random.uniform(*self.latency)
            there = self.random.uniform(0, total)
            self.requests += 1
        time.sleep(there)
        with self.service_lock:
            body = self.serve(environ, start_response)
        time.sleep(total - there)
        return [body]

    def serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> bytes:
        """The service's whole answer, under the service lock (a subclass may watch it)."""
        response = self.app(environ, start_response)
        try:
            return b"".join(response)
        finally:
            if hasattr(response, "close"):
                response.close()


@dataclass
class Server:
    endpoint: str
    app: LatencyApp
    stack: Stack
    """The template's stack, created on this server."""

    def config(self) -> SiteConfig:
        """The site settings the template gives the functions."""
        return SiteConfig.from_env(self.stack.function_environment("IngestFunction"))

    def pipeline(self) -> Pipeline:
        """The stack with clients of this server's (the test's own, not an instance's)."""
        admin = aws_clients(self.endpoint)
        return Pipeline(self.stack, admin["s3"], admin["sqs"], admin["dynamodb"], self.config())


@contextmanager
def running_moto_server(
    monkeypatch: pytest.MonkeyPatch, parameters: Mapping[str, str] | None = None
) -> Iterator[Server]:
    """A fresh ThreadedMotoServer on 127.0.0.1 behind LatencyApp, holding the template's stack
    (`PIPELINE_PARAMETERS`, then `parameters`): the body of the tests' fixture."""
    for name, value in aws_environment().items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    werkzeug_log = logging.getLogger("werkzeug")
    monkeypatch.setattr(werkzeug_log, "level", logging.WARNING)  # not a line per request
    apps: list[LatencyApp] = []
    seed = random.randrange(1 << 30)
    original = threaded_moto_server.DomainDispatcherApplication

    def dispatcher(create_app: Any) -> LatencyApp:
        apps.append(LatencyApp(original(create_app), seed))
        return apps[-1]

    monkeypatch.setattr(threaded_moto_server, "DomainDispatcherApplication", dispatcher)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    assert host == "127.0.0.1"
    endpoint = f"http://127.0.0.1:{port}"
    reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=10).close()  # moto's state is per process: start clean
    print(f"\nmoto server on {endpoint}, latency seed {seed}")
    app = apps[0]
    try:
        app.latency = (0.0, 0.0)
        stack = stack_on_endpoint(endpoint, parameters={**PIPELINE_PARAMETERS, **(parameters or {})})
        app.latency, app.requests = LATENCY, 0
        yield Server(endpoint, app, stack)
    finally:
        urllib.request.urlopen(reset, timeout=10).close()
        server.stop()


def aws_clients(endpoint: str) -> dict[str, Any]:
    """A fresh session's clients, configured like `feedpub.aws.clients` (a container of its own)."""
    config = Config(
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=5,
        read_timeout=20,
        s3={"addressing_style": "path"},
        max_pool_connections=20,
    )
    session = boto3.session.Session(region_name=REGION)
    return {s: session.client(s, endpoint_url=endpoint, config=config) for s in ("s3", "sqs", "dynamodb")}


# -- The run --------------------------------------------------------------------------------------


@dataclass
class Run:
    """What the threads did, shared between them (list.append and Counter under a lock)."""

    deadline: float
    """A hang guard, not a performance check: past it every thread stops and the test fails."""
    uploads_done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    finished: dict[str, list[str]] = field(default_factory=dict)
    """Keys whose ingest returned, with the statuses."""
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    maxima: dict[str, float] = field(default_factory=dict)
    """Whether the last publish call that held the lock returned with changes pending (it handed
    over at its time budget, or lost its lease): only then may a change wait for the schedule."""

    def note(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.counts[what] += n

    def longest(self, what: str, seconds: float) -> None:
        with self.lock:
            self.maxima[what] = max(self.maxima.get(what, 0.0), seconds)

    def failed(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)

    def over(self) -> bool:
        """Past the hang guard, or something already failed (the test will fail: stop early)."""
        return time.monotonic() > self.deadline or bool(self.errors)


class Change(Protocol):
    """One thing an editor does to a key."""

    @property
    def key(self) -> str: ...

    @property
    def body(self) -> str | None:
        """The object's new bytes; None deletes the object."""


def editor(run: Run, server: Server, schedule: Sequence[tuple[float, Change]]) -> None:
    """Make each change at its time (seconds after the start of the run), with clients of its own."""
    s3 = aws_clients(server.endpoint)["s3"]
    bucket = server.stack.articles_bucket
    began = time.monotonic()
    try:
        for at, change in schedule:
            time.sleep(max(0.0, began + at - time.monotonic()))
            if run.over():
                return
            if change.body is not None:
                s3.put_object(Bucket=bucket, Key=change.key, Body=change.body.encode())
                run.note("uploads")
                continue
            s3.delete_object(Bucket=bucket, Key=change.key)  # S3 notifies the delete marker
            run.note("deletes")
    except Exception as exc:
        run.failed(f"editor: {exc!r}")


def drained(sqs: Any, queue_url: str) -> bool:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return all(attributes.get(name, "0") == "0" for name in names)


def instance(
    run: Run,
    number: int,
    clients: dict[str, Any],
    stack: Stack,
    batch: int,
    config: SiteConfig,
    index: ArticleIndex | None = None,
) -> None:
    """One function container: receive a batch from the stack's ingest queue, ingest each key,
    publish once, delete the batch.

    Runs until the editors are done and the queue is empty. `index` replaces the container's
    index adapter (to observe the publish lock).
    """
    try:
        index = index or ArticleIndex(stack.table_name, clients["dynamodb"])
        serve(run, number, clients, stack, batch, config, index)
    except Exception as exc:  # the container died: its messages come back after the visibility timeout
        run.failed(f"instance {number}: crashed: {exc!r}")


def serve(
    run: Run,
    number: int,
    clients: dict[str, Any],
    stack: Stack,
    batch: int,
    config: SiteConfig,
    index: ArticleIndex,
) -> None:
    ingestor = Ingestor(ArticlesBucket(stack.articles_bucket, clients["s3"]), index, config)
    publisher = Publisher(index, SiteBucket(stack.site_bucket, config.cache_control, clients["s3"]), config)
    sqs, queue_url = clients["sqs"], stack.ingest_queue_url
    while True:
        if run.over():
            if not run.errors:
                run.failed(f"instance {number}: still busy at the deadline")
            return
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=batch, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            if run.uploads_done.is_set() and drained(sqs, queue_url):
                return
            time.sleep(0.25)  # as Lambda's poller would long-poll (moto's long poll would block the server)
            continue
        done: list[dict[str, Any]] = []
        touched: set[str] = set()
        requested = False
        for message in messages:
            try:
                requested = requested or is_publish_request(message["Body"])
                for key in article_keys(message["Body"]):
                    outcome = ingestor.ingest(key, utc_now())
                    touched |= outcome.feeds
                    with run.lock:
                        run.finished.setdefault(key, []).append(outcome.status)
                done.append(message)
            except Exception as exc:  # left in the queue, reported by the test
                run.failed(f"instance {number}: ingest failed: {exc!r}")
        run.note("messages", len(done))
        if touched or requested:  # as handlers/ingest.py does
            try:
                began = time.monotonic()
                result = publisher.publish(utc_now(), changed=touched)
                if result.pending:
                    IngestQueue(queue_url, sqs).request_publish()
                run.longest("publish", time.monotonic() - began)
            except Exception as exc:  # the batch fails as a whole and comes back
                run.failed(f"instance {number}: publish failed: {exc!r}")
                continue
            run.note("publishes")
            run.note("deferred" if result.deferred else "published")
            run.note("files written", len(result.written))
            if result.pending:
                run.note("handed over, publish requested")
        if done:
            response = sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
            if response.get("Failed"):
                run.failed(f"instance {number}: delete failed: {response['Failed']}")


# -- Reading the published feeds ------------------------------------------------------------------


def guids(pipeline: Pipeline, folder: str) -> dict[str, list[str]]:
    """The item ids of one feed folder's three files, in order."""
    rss = ET.fromstring(pipeline.site_object(f"{folder}rss.xml")["Body"].read())
    atom = ET.fromstring(pipeline.site_object(f"{folder}atom.xml")["Body"].read())
    return {
        "rss": [guid.text or "" for guid in rss.iter("guid")],
        "atom": [entry.findtext(f"{ATOM}id") or "" for entry in atom.iter(f"{ATOM}entry")],
        "json": [item["id"] for item in pipeline.feed(f"{folder}feed.json")["items"]],
    }
