"""Latency under load (issue 16, target 6): upload -> every feed it belongs in updated, at a steady
rate of uploads, on the deployed shape.

    .venv/bin/python -m benchmarks.load_latency [--smoke]

The deployed shape, as far as one machine can hold it:
- moto in server mode (ThreadedMotoServer on 127.0.0.1) holding the stack template.yaml creates,
  behind WSGI middleware that adds a seeded 5-40 ms on the wire to every AWS call (split around the
  request, as tests/support/server.py does) and runs one request at a time inside the service (AWS
  makes each request atomic; moto's handlers are not under concurrent threads);
- IngestFunction's SQS event source as the template sets it: `ScalingConfig.MaximumConcurrency`
  pollers, each gathering up to `BatchSize` messages for at most `MaximumBatchingWindowInSeconds`
  from its first one, then invoking its own function instance and deleting the messages the
  instance did not report failed (`ReportBatchItemFailures`);
- each function instance a fresh interpreter running `handlers.ingest.handler` with the function's
  environment (the template's variables and the Lambda runtime's, tracing on; benchmarks.lambda_env),
  reused across invocations as a warm Lambda container is.

An upload is "in its feeds" once every feed file of the site and of its section (RSS, Atom and JSON
Feed; tag and author feeds when the template enables them, which by default it does not) has been
written with the story in it, or with a full page of newer stories (then the story has scrolled out
before a write caught it: the feed is up to date with it all the same). The writes are read by the
middleware as moto stores them, so measuring adds no AWS call.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from tests.support.server import LatencyApp

from benchmarks.lambda_env import (
    FUNCTIONS,
    REGION,
    MotoServer,
    free_port,
    lambda_environment,
    load_template,
    template_functions,
    trace_header,
    xray_sink,
)
from benchmarks.push_latency import percentile
from benchmarks.report import Benchmark, cli

RATES = (1, 5, 20)
"""Uploads per second, one run of SECONDS each."""
SECONDS = 60
SMOKE_SECONDS = 2
LATENCY = (0.005, 0.040)
SEED = 16
IDLE_POLL = 0.1
"""Seconds a poller waits after an empty receive (Lambda long-polls; moto's long poll would hold
the service lock, so the pollers poll short and sleep)."""
DRAIN_TIMEOUT = 240.0
"""Seconds after a rate's last upload within which every upload must be in its feeds."""
FEED_FILES = ("rss.xml", "atom.xml", "feed.json")
SECTIONS = ("world", "national", "business", "sport")
MARK = re.compile(rb"LOADSEQ(\d{6})X")
FUNCTION = "IngestFunction"
ACCOUNT = "123456789012"
COLUMNS = ["uploads/s", "uploads", "BatchSize", "batching window s", "p50 s", "p99 s", "max s", "lost",
           "invocations", "records per invocation", "driver lag p99 ms"]  # fmt: skip


# -- moto behind the slow network, reading the feed writes -------------------------------------------


@dataclass(frozen=True)
class FeedWrite:
    """One stored write of a feed file: when it became readable, and the load stories it lists."""

    at: float
    seqs: frozenset[int]


class SlowNetwork(LatencyApp):
    """The tests' LatencyApp (5-40 ms on the wire around each request, one request at a time in the
    service), also keeping every successful PUT of a feed file of the site bucket as a FeedWrite."""

    def __init__(self, app: Callable[..., Iterable[bytes]], seed: int) -> None:
        super().__init__(app, seed)
        self.latency = (0.0, 0.0)
        """None while the stack is created; LATENCY once the run starts."""
        self.feeds_prefix = ""
        """`/<site bucket>/feeds/` once the stack exists (path-style requests)."""
        self.writes: dict[str, list[FeedWrite]] = {}

    def serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> bytes:
        path: str = environ.get("PATH_INFO", "")
        feed = bool(self.feeds_prefix) and environ.get("REQUEST_METHOD") == "PUT"
        feed = feed and path.startswith(self.feeds_prefix) and path.endswith(FEED_FILES)
        body = b""
        if feed:  # read it here, hand moto the same bytes
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
        status: list[str] = []

        def starting(code: str, headers: Any, *args: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *args)

        answer = super().serve(environ, starting)
        stored = time.time()
        if feed and status and status[0].startswith("200"):
            seqs = frozenset(int(m) for m in MARK.findall(body))
            with self.random_lock:
                self.writes.setdefault(path[len(self.feeds_prefix) - len("feeds/") :], []).append(
                    FeedWrite(stored, seqs)
                )
        return answer

    def feed_writes(self) -> dict[str, list[FeedWrite]]:
        with self.random_lock:
            return {key: list(writes) for key, writes in self.writes.items()}


@contextlib.contextmanager
def slow_moto() -> Iterator[tuple[MotoServer, SlowNetwork]]:
    """A ThreadedMotoServer on 127.0.0.1 behind SlowNetwork; moto's state is reset afterwards."""
    import logging

    from moto.moto_api._internal.models import moto_api_backend
    from moto.moto_server import threaded_moto_server
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    apps: list[SlowNetwork] = []
    original = threaded_moto_server.DomainDispatcherApplication

    def dispatcher(create_app: Any) -> SlowNetwork:
        apps.append(SlowNetwork(original(create_app), SEED))
        return apps[-1]

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    threaded_moto_server.DomainDispatcherApplication = dispatcher  # type: ignore[assignment,misc]
    try:
        server.start()  # builds the app before it returns
    finally:
        threaded_moto_server.DomainDispatcherApplication = original  # type: ignore[misc]
    try:
        yield MotoServer(f"http://127.0.0.1:{port}"), apps[0]
    finally:
        server.stop()
        moto_api_backend.reset()


# -- function instances and their pollers -----------------------------------------------------------

INSTANCE = r"""
import importlib, json, os, sys, time
results = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the logs and EMF metrics; results go to `results`
module_name, _, name = os.environ["_HANDLER"].rpartition(".")
handler = getattr(importlib.import_module(module_name), name)
timeout = float(os.environ["BENCHMARK_FUNCTION_TIMEOUT"])


class Context:
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
    aws_request_id = "benchmark"

    def __init__(self):
        self.deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self):
        return int((self.deadline - time.monotonic()) * 1000)


print("ready", file=results, flush=True)
for line in sys.stdin:
    spec = json.loads(line)
    os.environ["_X_AMZN_TRACE_ID"] = spec["trace_id"]
    try:
        answer = {"response": handler(spec["event"], Context())}
    except Exception as exc:
        answer = {"error": repr(exc)}
    print(json.dumps(answer, default=str), file=results, flush=True)
"""


class Instance:
    """One warm function container: a fresh interpreter that imported the handler, then invokes
    it once per event written to its stdin."""

    def __init__(self, env: dict[str, str], log: IO[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", INSTANCE], env=env, cwd=FUNCTIONS, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=log, text=True,
        )  # fmt: skip
        self.log = log

    def ready(self) -> None:
        if self._line() != {"ready": True}:
            raise RuntimeError("the function instance did not start")

    def _line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.log.flush()
            raise RuntimeError(f"a function instance died (exit {self.process.poll()}); see {self.log.name}")
        if line.strip() == "ready":
            return {"ready": True}
        answer: dict[str, Any] = json.loads(line)
        return answer

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"event": event, "trace_id": trace_header()[1]}) + "\n")
        self.process.stdin.flush()
        return self._line()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


@dataclass(frozen=True)
class Invocation:
    at: float
    seconds: float
    records: int
    failed: int


@dataclass
class EventSource:
    """IngestFunction's SQS event source mapping, as the template sets it."""

    moto: MotoServer
    queue_url: str
    queue_arn: str
    batch_size: int
    window: float
    instances: list[Instance]
    stopping: threading.Event = field(default_factory=threading.Event)
    invocations: list[Invocation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for number, instance in enumerate(self.instances):
            thread = threading.Thread(
                target=self._poll, args=(instance,), name=f"poller-{number}", daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def _poll(self, instance: Instance) -> None:
        from feedpub_cli.local.runner import sqs_event

        sqs = self.moto.client("sqs")
        while not self.stopping.is_set():
            batch = self._gather(sqs)
            if not batch:
                continue
            began = time.time()
            try:
                answer = instance.invoke(sqs_event(batch, self.queue_arn, REGION))
            except Exception as exc:  # the instance died: stop this poller, the run fails
                self.errors.append(repr(exc))
                return
            response = answer.get("response") or {}
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
            if "error" in answer:  # the whole batch comes back after the visibility timeout
                self.errors.append(answer["error"])
                failed = {m["MessageId"] for m in batch}
            self.invocations.append(Invocation(began, time.time() - began, len(batch), len(failed)))
            done = [m for m in batch if m["MessageId"] not in failed]
            for start in range(0, len(done), 10):
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                           for i, m in enumerate(done[start : start + 10])]  # fmt: skip
                sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)

    def _gather(self, sqs: Any) -> list[dict[str, Any]]:
        """Up to BatchSize messages, for at most the batching window from the first received."""
        batch: list[dict[str, Any]] = []
        first: float | None = None
        while True:
            got = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=min(10, self.batch_size - len(batch)),
                WaitTimeSeconds=0, AttributeNames=["All"],
            ).get("Messages", [])  # fmt: skip
            now = time.monotonic()
            batch += got
            if got and first is None:
                first = now
            if first is None:
                if self.stopping.wait(IDLE_POLL):
                    return []
                continue
            if len(batch) >= self.batch_size or now - first >= self.window:
                return batch
            if not got:
                time.sleep(min(IDLE_POLL, first + self.window - now))


# -- uploads and when they reached their feeds -------------------------------------------------------


@dataclass
class Upload:
    seq: int
    section: str
    scheduled: float
    started: float = 0.0
    uploaded: float = 0.0
    in_feeds: float | None = None
    """When the last of its feed files was written with it (epoch seconds)."""

    def feed_files(self, folders: Iterable[str]) -> list[str]:
        return [f"feeds/{folder}{name}" for folder in ("", *folders) for name in FEED_FILES]


def covered_at(upload: Upload, writes: list[FeedWrite], limit: int) -> float | None:
    """The first write of a feed file that lists the story, or a full page of newer stories."""
    for write in writes:
        if write.at < upload.started:
            continue
        if upload.seq in write.seqs or (len(write.seqs) >= limit and min(write.seqs) > upload.seq):
            return write.at
    return None


def settle(uploads: list[Upload], network: SlowNetwork, limit: int) -> int:
    """Fill in `in_feeds` where every feed file now has the story; how many are still missing."""
    writes = network.feed_writes()
    missing = 0
    for upload in uploads:
        if upload.in_feeds is not None:
            continue
        times = [
            covered_at(upload, writes.get(key, []), limit)
            for key in upload.feed_files([upload.section + "/"])
        ]
        if all(at is not None for at in times):
            upload.in_feeds = max(at for at in times if at is not None)
        else:
            missing += 1
    return missing


def article(seq: int, published: datetime) -> bytes:
    """A Markdown story whose title carries its number (found again in the feeds' bytes)."""
    title = f"Load story LOADSEQ{seq:06d}X"
    front = [f"title: {json.dumps(title)}", f"published: {json.dumps(published.isoformat())}"]
    body = "PORT ELLIS — The harbour board met on Monday, officials said."
    return "\n".join(["---", *front, "---", body, ""]).encode()


@dataclass
class RateRun:
    rate: int
    uploads: list[Upload]
    invocations: list[Invocation]
    seconds: float
    load: tuple[float, float]
    cpu_seconds: float


def drive(
    rate: int, seconds: int, first_seq: int, base: datetime, moto: MotoServer, bucket: str
) -> list[Upload]:
    """Upload `rate` stories a second for `seconds` on schedule (open loop: a slow upload does not
    delay the next), each to articles/<section>/<slug>.md, sections in turn."""
    s3 = moto.client("s3")
    count = rate * seconds
    began = time.time() + 0.2
    uploads = [Upload(first_seq + n, SECTIONS[(first_seq + n) % len(SECTIONS)], began + n / rate)
               for n in range(count)]  # fmt: skip

    def put(upload: Upload) -> None:
        time.sleep(max(0.0, upload.scheduled - time.time()))
        body = article(upload.seq, base + timedelta(milliseconds=100 * upload.seq))
        upload.started = time.time()
        s3.put_object(Bucket=bucket, Key=f"articles/{upload.section}/load-{upload.seq:06d}.md", Body=body)
        upload.uploaded = time.time()

    with ThreadPoolExecutor(max_workers=max(4, rate)) as pool:
        list(pool.map(put, uploads))
    return uploads


def run_rate(rate: int, seconds: int, first_seq: int, base: datetime, setup: Setup) -> RateRun:
    """One rate: the uploads, then until every one is in its feeds (or DRAIN_TIMEOUT)."""
    began, cpu = time.perf_counter(), time.process_time()
    load_before = os.getloadavg()[0]
    since = len(setup.source.invocations)
    uploads = drive(rate, seconds, first_seq, base, setup.moto, setup.articles_bucket)
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while settle(uploads, setup.network, setup.limit) and time.monotonic() < deadline:
        if setup.source.errors:
            break
        time.sleep(0.5)
    time.sleep(IDLE_POLL * 3)  # the last invocation's deletes
    return RateRun(rate, uploads, setup.source.invocations[since:], time.perf_counter() - began,
                   (load_before, os.getloadavg()[0]), time.process_time() - cpu)  # fmt: skip


@dataclass
class Setup:
    moto: MotoServer
    network: SlowNetwork
    source: EventSource
    articles_bucket: str
    limit: int
    batching: dict[str, Any]


def batching_of(stack: Any) -> dict[str, Any]:
    """IngestFunction's event source settings, from the stack the template created."""
    for resource in stack.template["Resources"].values():
        properties = resource.get("Properties", {})
        if (
            resource["Type"] == "AWS::Lambda::EventSourceMapping"
            and properties["FunctionName"]["Ref"] == FUNCTION
        ):
            return {
                "BatchSize": int(properties.get("BatchSize", 10)),
                "MaximumBatchingWindowInSeconds": float(properties.get("MaximumBatchingWindowInSeconds", 0)),
                "MaximumConcurrency": int(
                    properties.get("ScalingConfig", {}).get("MaximumConcurrency", 1000)
                ),
            }
    raise RuntimeError(f"no SQS event source for {FUNCTION} in the template")


def function_timeout() -> int:
    template = load_template()
    own = template["Resources"][FUNCTION]["Properties"].get("Timeout")
    return int(own or template.get("Globals", {}).get("Function", {}).get("Timeout", 3))


def measure(rates: tuple[int, ...], seconds: int, instances: int | None = None) -> dict[str, Any]:
    from tests.support.stack import stack_on_endpoint

    from benchmarks.moto_scale import partition_scoped_moto
    from feedpub.config import SiteConfig

    with (
        partition_scoped_moto() as cancelled,
        slow_moto() as (moto, network),
        xray_sink() as xray,
        tempfile.TemporaryDirectory() as logs,
    ):
        stack = stack_on_endpoint(moto.endpoint)  # template.yaml with its defaults, no latency yet
        network.feeds_prefix = f"/{stack.site_bucket}/feeds/"
        network.latency = LATENCY
        batching = batching_of(stack)
        env = {
            **lambda_environment(
                template_functions()[FUNCTION], stack.physical_ids, moto.endpoint, xray.port
            ),
            "BENCHMARK_FUNCTION_TIMEOUT": str(function_timeout()),
        }
        config = SiteConfig.from_env(env)
        if config.tag_feeds.enabled or config.author_feeds.enabled:
            raise RuntimeError("tag or author feeds are on: this benchmark's stories have neither")
        count = instances or batching["MaximumConcurrency"]
        with contextlib.ExitStack() as stack_of:
            log = stack_of.enter_context((Path(logs) / "instances.log").open("w"))
            pool = [Instance(env, log) for _ in range(count)]
            for instance in pool:
                stack_of.callback(instance.close)
            for instance in pool:
                instance.ready()
            queue = stack.ingest_queue_url
            arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue.rsplit('/', 1)[-1]}"
            window = batching["MaximumBatchingWindowInSeconds"]
            source = EventSource(moto, queue, arn, batching["BatchSize"], window, pool)
            source.start()
            stack_of.callback(source.stop)
            setup = Setup(moto, network, source, stack.articles_bucket,
                          min(config.items_for("site"), config.items_for("section")), batching)  # fmt: skip
            base = datetime.now(UTC) - timedelta(hours=1)  # published in order, never in the future
            warm = run_rate(5, 2, 0, base, setup)  # every instance's first invocation, not counted
            runs, seq = [], 1000
            for rate in rates:
                runs.append(run_rate(rate, seconds, seq, base, setup))
                seq += rate * seconds
            errors = list(source.errors)
        if cancelled.count:
            raise RuntimeError(f"{cancelled.count} cancelled transactions: see benchmarks.moto_scale")
    return {"runs": runs, "warm": warm, "batching": batching, "instances": count, "errors": errors,
            "requests": network.requests, "cpus": os.cpu_count()}  # fmt: skip


# -- the report -------------------------------------------------------------------------------------


def row_of(run: RateRun, batching: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    done = [u.in_feeds - u.started for u in run.uploads if u.in_feeds is not None]
    lost = sum(1 for u in run.uploads if u.in_feeds is None)
    ends = [u.in_feeds for u in run.uploads if u.in_feeds is not None]
    first = min(u.started for u in run.uploads)
    lag = [max(0.0, u.started - u.scheduled) for u in run.uploads]
    records = [i.records for i in run.invocations]
    p50, p99 = (percentile(done, q) if done else float("nan") for q in (50, 99))
    row = [
        run.rate, len(run.uploads), batching["BatchSize"], batching["MaximumBatchingWindowInSeconds"],
        round(p50, 2), round(p99, 2), round(max(done) if done else float("nan"), 2), lost,
        len(run.invocations), round(statistics.fmean(records), 1) if records else 0.0,
        round(percentile(lag, 99) * 1000),
    ]  # fmt: skip
    facts = {"rate": run.rate, "p50": p50, "p99": p99, "lost": lost, "uploads": len(run.uploads),
             "invocations": len(run.invocations), "failed_records": sum(i.failed for i in run.invocations),
             "load": run.load, "cpu": run.cpu_seconds / run.seconds, "seconds": run.seconds,
             "throughput": len(done) / max(1e-9, max(ends) - first) if ends else 0.0,
             "invocation_seconds": statistics.fmean(i.seconds for i in run.invocations) if records else 0.0,
             }  # fmt: skip
    return row, facts


def run_benchmark(smoke: bool) -> Benchmark:
    result = measure(RATES, SMOKE_SECONDS if smoke else SECONDS)
    batching = result["batching"]
    rows, facts = [], []
    for run in result["runs"]:
        row, fact = row_of(run, batching)
        rows.append(row)
        facts.append(fact)
    lost = sum(f["lost"] for f in facts)
    if lost or result["errors"]:
        raise RuntimeError(
            f"{lost} uploads never reached every feed; errors: {result['errors'][:5]}; {facts}"
        )
    growth = [
        (later["p99"] / earlier["p99"], later["rate"] / earlier["rate"])
        for earlier, later in itertools.pairwise(facts)
    ]
    sublinear = all(p99_ratio < rate_ratio for p99_ratio, rate_ratio in growth)
    window = batching["MaximumBatchingWindowInSeconds"]
    summary = "; ".join(f"{f['rate']}/s p50 {f['p50']:.2f} s, p99 {f['p99']:.2f} s" for f in facts)
    summary += f" (window {window:g} s, BatchSize {batching['BatchSize']}); lost 0"
    notes = [
        f"**Upload to every feed updated, by rate** ({SMOKE_SECONDS if smoke else SECONDS} s of uploads "
        "per rate; p50/p99 in seconds from the start of the editor's `put_object` to the stored write "
        "of the last of the story's feed files, the site's and its section's RSS, Atom and JSON Feed; "
        "p99 interpolated). p99 growth between rates: "
        + ", ".join(f"x{p:.2f} for x{r:g} the rate" for p, r in growth)
        + f" ({'less than linear' if sublinear else 'NOT less than linear'}). Lost: 0 (every upload "
        "reached every feed; the benchmark fails otherwise).",
        f"Batching: IngestFunction's SQS event source from the stack: BatchSize {batching['BatchSize']}, "
        f"MaximumBatchingWindowInSeconds {window:g}, ScalingConfig.MaximumConcurrency "
        f"{batching['MaximumConcurrency']}; {result['instances']} pollers, each with its own warm "
        "function instance (a fresh interpreter that imported handlers.ingest with the function's "
        "environment, tracing on). A poller gathers until the batch is full or the window has run "
        f"from its first message, so at low rates the window is most of the latency. Empty receives "
        f"are retried after {IDLE_POLL:g} s (Lambda long-polls). Column *records per invocation* "
        "shows the batches the window and the rate made.",
        "Per rate: "
        + "; ".join(
            f"{f['rate']}/s: {f['invocations']} invocations, {f['failed_records']} records reported "
            f"failed, {f['invocation_seconds']:.1f} s per invocation, {f['throughput']:.1f} uploads/s "
            "cleared (uploads / first upload to last in its feeds), load average (1 min) "
            f"{f['load'][0]:.1f} -> {f['load'][1]:.1f}, this process "
            f"{f['cpu']:.0%} of one CPU"
            for f in facts
        )
        + f", on {result['cpus']} CPUs shared with other work.",
        f"Method: moto {_version('moto')} in server mode (ThreadedMotoServer on 127.0.0.1) holding the "
        "stack template.yaml creates (parameter defaults), behind WSGI middleware that adds a uniform "
        f"{LATENCY[0] * 1000:.0f}-{LATENCY[1] * 1000:.0f} ms (seed {SEED}) on the wire around every "
        "AWS call, the editor's, the pollers' and the functions', and runs one request at a time "
        "inside moto (AWS makes each request atomic). The uploads are open-loop: story n starts at "
        "n / rate s whatever the previous ones took (column *driver lag* is how late the p99 one "
        "started). Stories are Markdown in the four sections in turn, published times ordered by "
        "their number, so 'a full page of newer stories' is well defined. A warm-up of 10 uploads "
        f"at 5/s before the first rate is not counted. {result['requests']:,} AWS requests in all; "
        "moto's Query and transactions are made partition-scoped (benchmarks.moto_scale) so the "
        "growing table does not slow moto down where DynamoDB would not.",
        "Not modelled: the PublishFunction schedule (a publish handed over with changes pending "
        "is requested through the ingest queue, which this does model) and PingFunction (the "
        "announcements queue on PingQueue and stay there). Everything, moto included, shares the "
        "machine's cores, where Lambda gives each instance its own share: at the higher rates the "
        "numbers include queueing for CPU and for moto's one-request-at-a-time service.",
    ]
    return Benchmark(
        number=0,
        title="Latency under load (issue 16)",
        target="upload to every feed updated at 1, 5 and 20 uploads/s: p99 grows less than linearly "
        "with the rate; nothing lost",
        met=None if smoke else sublinear,
        columns=COLUMNS,
        rows=rows,
        summary=summary,
        notes=notes,
        extra={"facts": facts, "batching": batching, "instances": result["instances"]},
    )


def _version(package: str) -> str:
    from importlib import metadata

    return metadata.version(package)


def main() -> None:
    cli(run_benchmark, __doc__, f"{SMOKE_SECONDS} s per rate (about a minute)")


if __name__ == "__main__":
    main()
