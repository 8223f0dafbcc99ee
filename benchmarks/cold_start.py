"""Benchmark 4: cold start of each Lambda handler against `import boto3` plus one client.

    .venv/bin/python -m benchmarks.cold_start [--rounds 7] [--smoke]

Every measurement is a fresh interpreter (see benchmarks/lambda_env.py for its environment: the
template's variables, the Lambda runtime's, tracing on). In it, `init` is the handler module's
import (what Lambda's Init Duration covers for Python: module code, the Tracer, Logger, Metrics),
then the handler is invoked twice on real events against a moto server in this process. What a
lazy import saves at init but spends in the first invocation shows up as `first - warm`, so the
column `cold cost = init + first - warm` is what the cold start costs the first request in all.

The floor is the same measurement of `import boto3; boto3.client("s3")` in the same environment.
Every handler's child alternates with a floor child in that handler's environment (floor, handler,
floor, handler ..., the handlers' order rotating every round); every number is the median over
rounds, and ratios are of medians measured in the same run.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from benchmarks.lambda_env import (
    ACCOUNT,
    REGION,
    ROOT,
    ChildResult,
    MotoServer,
    TemplateFunction,
    XRaySink,
    lambda_environment,
    moto_server,
    run_child,
    template_functions,
    xray_sink,
)
from benchmarks.report import Benchmark, cli

TARGET_RATIO = 1.3
"""Issue 16 (issue 7 had 1.5)."""
FLOOR = "floor"
FLOOR_LABEL = "floor: import boto3 + one client"
HEAVY_MODULES = ("aws_xray_sdk.core", "botocore", "boto3", "requests", "lxml", "feedgen", "markdown_it",
                 "pyromark", "nh3", "yaml", "frontmatter", "jinja2")  # fmt: skip
EXAMPLES = ROOT / "examples" / "articles"

BEFORE = [
    "**Before and after the fix**, measured interleaved in one run (7 rounds, both trees against "
    "the same moto; a busy machine, so the floor was 0.88 s rather than the ~0.46 s of a quiet "
    "one). Before: init 1.07-1.10 s for every handler, 1.21-1.25 x the floor; cold cost "
    "ingest 1.80 s (2.04 x), scheduled 1.73 s (1.96 x), views 1.57 s (1.78 x), most viewed "
    "1.61 s (1.82 x); every handler loaded aws_xray_sdk, botocore, requests, lxml, markdown_it, "
    "nh3, yaml and frontmatter at import. After: init 0.78-0.81 s (0.88-0.91 x); cold cost "
    "ingest 1.66 s (1.87 x), scheduled 1.51 s (1.71 x), views 1.26 s (1.42 x), most viewed "
    "1.31 s (1.48 x); only aws_xray_sdk and botocore at import. Peak RSS after two invocations "
    "fell from 71-74 MB to 58-69 MB.",
    "The fix: (1) `feedpub.article` imports the parsing libraries (markdown-it, nh3, lxml via "
    "`feedpub.sanitize`; PyYAML and python-frontmatter via `feedpub.source`) inside the "
    "functions that parse, so reading indexed articles no longer loads them; (2) "
    "`feedpub.runtime` imports the ingest pieces (articles bucket, Ingestor) when first built; "
    "(3) the handlers' Tracer patches only botocore (`Tracer(patch_modules=...)`, as the "
    "Powertools docs suggest for a shorter cold start) instead of `patch_all`, which imports "
    "every installed library it can patch. Tracing is unchanged: the same AWS subsegments "
    "arrive (column *AWS calls traced*). Honest accounting: for ingest most of the saving only "
    "moves into its first invocation (it parses articles), so its cold cost falls by ~0.14 s "
    "while its init falls by ~0.3 s; publish, views and most viewed never parse and save "
    "0.2-0.3 s outright. Part of the saving measured here (~30-50 ms) is `requests`, which "
    "moto installs in this venv but the Lambda package does not contain.",
    "What remains of the cold cost is code the invocations run: boto3 and a second client "
    "(the floor has one), rendering (feedgen + lxml, Jinja2 for the feed page) for every "
    "function that publishes, and parsing for ingest. The target is judged on init, as issue 7 "
    "states it; on cold cost including the first invocation, ingest and scheduled stay above "
    "1.5 x.",
]


@dataclass
class Samples:
    """Per-round measurements of one target."""

    init: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)
    peak_rss_mb: list[float] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
    """X-Ray trace root of each first invocation."""
    traced: list[int] = field(default_factory=list)
    heavy: set[str] = field(default_factory=set)

    def add(self, result: ChildResult) -> None:
        self.init.append(result.init)
        self.peak_rss_mb.append(result.peak_rss_kb / 1024)
        if result.invocations:
            first, warm = result.invocations[0], result.invocations[-1]
            self.first.append(first)
            self.warm.append(warm)
            self.cold.append(result.init + first - warm)
        loaded = set(result.modules_after_init)
        self.heavy |= {name for name in HEAVY_MODULES if name in loaded}
        self.roots += result.trace_roots[:1]


def aws_subsegments(xray: XRaySink, root: str) -> int:
    """AWS calls traced in one invocation; -1 when the handler's own subsegment is missing."""
    documents = xray.by_trace(root)
    if not any(d.get("name") == "## handler" for d in documents):
        return -1
    return sum(1 for d in documents if d.get("namespace") == "aws")


class Scenario:
    """The moto account the handlers run against, and fresh events for each of them."""

    def __init__(self, moto: MotoServer) -> None:
        from tests.support.stack import stack_on_endpoint

        self.s3, self.sqs, self.db = moto.client("s3"), moto.client("sqs"), moto.client("dynamodb")
        self.stack = stack_on_endpoint(moto.endpoint)  # template.yaml, as `feedpub serve` creates it
        self.ingest_queue = self.stack.ingest_queue_url
        self.logs_queue = self.stack.physical_ids["LogsQueue"]
        self.ping_queue = self.stack.physical_ids["PingQueue"]
        self.resources = dict(self.stack.physical_ids)
        """Each resource's physical name, by logical id (what a Ref in the environment resolves to)."""
        self.paths: list[str] = []
        self.uploads = 0
        self.hub_url = ""
        """A hub double on 127.0.0.1 for the ping function (set by `measure`)."""

    def seed(self, variables: dict[str, str], per_section: int) -> None:
        """Example articles (`per_section` of each section) ingested and published, and an hour
        of views counted."""
        from feedpub.article import parse_article
        from feedpub.aws.articles_bucket import ArticlesBucket
        from feedpub.aws.index_table import ArticleIndex
        from feedpub.aws.site_bucket import SiteBucket
        from feedpub.aws.views_table import ViewCounts
        from feedpub.build import find_article_files
        from feedpub.config import SiteConfig
        from feedpub.ingest import Ingestor
        from feedpub.most_viewed import count_log
        from feedpub.publish import Publisher

        config = SiteConfig.from_env(variables)
        stack = self.stack
        index = ArticleIndex(stack.table_name, self.db)
        ingestor = Ingestor(ArticlesBucket(stack.articles_bucket, self.s3), index, config)
        now = datetime.now(UTC)
        taken: dict[str, int] = {}
        for key, path in find_article_files(EXAMPLES.parent):
            section = key.split("/")[1]
            taken[section] = taken.get(section, 0) + 1
            if taken[section] > per_section:
                continue
            data = path.read_bytes()
            self.s3.put_object(Bucket=stack.articles_bucket, Key=key, Body=data)
            ingestor.ingest(key, now)
            try:
                self.paths.append(urlsplit(parse_article(key, data, config).url).path)
            except Exception:
                continue
        publisher = Publisher(index, SiteBucket(stack.site_bucket, config.cache_control, self.s3), config)
        publisher.publish(now, force=publisher.known_feeds())
        count_log("pages/seed.gz", self.log(), ViewCounts(stack.table_name, self.db))
        self.receive(self.ingest_queue)
        self.receive(self.logs_queue)

    def log(self) -> bytes:
        from tests.support.logs import Hit, make_log

        now = datetime.now(UTC)
        hits = [Hit(now - timedelta(minutes=n), self.paths[n % len(self.paths)]) for n in range(60)]
        return make_log(hits)

    def receive(self, queue_url: str) -> list[dict[str, Any]]:
        from tests.support.pipeline import receive_records

        return receive_records(self.sqs, queue_url)

    def events(self, function: TemplateFunction, count: int) -> list[dict[str, Any]]:
        """`count` events of the kind the function gets, each for new work (one SQS record each)."""
        from tests.support.events import article

        from feedpub_cli.local.runner import scheduled_event

        module = function.module.rpartition(".")[2]
        if module == "ingest":
            for _ in range(count):
                self.uploads += 1
                section = ("world", "national", "business", "sport")[self.uploads % 4]
                body = article(f"Cold start story {self.uploads}", published="2026-01-02T08:00:00+00:00")
                key = f"articles/{section}/cold-start-{self.uploads}.md"
                self.s3.put_object(Bucket=self.stack.articles_bucket, Key=key, Body=body.encode())
            records = self.receive(self.ingest_queue)
        elif module == "ping":
            from feedpub.websub import Announcement

            self.receive(self.ping_queue)  # what the ingest runs announced (PurgeQueue: once a minute)
            for number in range(count):
                self.uploads += 1
                topic = f"https://www.example.com/feeds/cold-start-{self.uploads}/rss.xml"
                announcement = Announcement(self.hub_url, (topic,), number)
                self.sqs.send_message(QueueUrl=self.ping_queue, MessageBody=announcement.to_message())
            records = self.receive(self.ping_queue)
        elif module == "views":
            for _ in range(count):  # where the distribution writes its logs (pages/, the template's)
                key = f"pages/E2BENCHMARK.{datetime.now(UTC):%Y-%m-%d-%H}.{uuid.uuid4().hex[:8]}.gz"
                self.s3.put_object(Bucket=self.stack.physical_ids["LogsBucket"], Key=key, Body=self.log())
            records = self.receive(self.logs_queue)
        else:
            return [scheduled_event(REGION, ACCOUNT) for _ in range(count)]
        if len(records) != count:
            raise RuntimeError(f"expected {count} queued notifications for {module}, got {len(records)}")
        return [{"Records": [record]} for record in records]


def check(function: TemplateFunction, result: ChildResult) -> None:
    """The invocations did their work (a benchmark of a failing handler would measure nothing)."""
    module = function.module.rpartition(".")[2]
    for response in result.responses:
        if module in ("ingest", "views", "ping") and response["batchItemFailures"]:
            raise RuntimeError(f"{function.logical_id} failed records: {response}")
    if module == "ingest" and not any(r["batchItemFailures"] == [] for r in result.responses):
        raise RuntimeError("ingest processed nothing")


def measure(rounds: int, per_section: int) -> tuple[dict[str, Samples], dict[str, TemplateFunction]]:
    functions = template_functions()
    samples = {FLOOR: Samples(), **{logical: Samples() for logical in functions}}
    from tests.support.fake_hub import running_hub

    from benchmarks.moto_scale import partition_scoped_moto

    with (
        partition_scoped_moto() as cancelled,
        moto_server() as moto,
        xray_sink() as xray,
        running_hub() as hub,
    ):
        scenario = Scenario(moto)
        scenario.hub_url = hub.url
        envs = {
            logical: {
                **lambda_environment(function, scenario.resources, moto.endpoint, xray.port),
                "FEEDPUB_WEBSUB_HUBS": hub.url,  # never the public hub from a benchmark
            }
            for logical, function in functions.items()
        }
        scenario.seed(envs["IngestFunction"], per_section)
        handlers = list(functions)
        for round_number in range(rounds):
            shift = round_number % len(handlers)
            for target in handlers[shift:] + handlers[:shift]:  # floor, handler, floor, handler ...
                samples[FLOOR].add(run_child("floor", envs[target]))
                function = functions[target]
                result = run_child(function.handler, envs[target], scenario.events(function, 2))
                check(function, result)
                samples[target].add(result)
        if cancelled.count:
            raise RuntimeError(f"{cancelled.count} cancelled transactions: see benchmarks.moto_scale")
    for logical in functions:  # the sink is closed: every segment sent has been read
        samples[logical].traced = [aws_subsegments(xray, root) for root in samples[logical].roots]
        if min(samples[logical].traced) < 1:
            raise RuntimeError(f"{logical}: no X-Ray trace of its AWS calls; is tracing broken?")
    return samples, functions


def run_benchmark(smoke: bool) -> Benchmark:
    rounds = 1 if smoke else 7
    samples, functions = measure(rounds, per_section=1 if smoke else 4)
    floor = statistics.median(samples[FLOOR].init)
    columns = ["handler", "init s", "init / floor", "1st invocation s", "warm invocation s",
               "cold cost s", "cold cost / floor", "peak RSS MB", "AWS calls traced",
               "heavy modules at init"]  # fmt: skip
    rows: list[list[str | int | float]] = [
        [FLOOR_LABEL, floor, 1.0, "", "", floor, 1.0, statistics.median(samples[FLOOR].peak_rss_mb), "", ""]
    ]
    init_ratios, cold_ratios = {}, {}
    for logical, function in functions.items():
        s = samples[logical]
        init, cold = statistics.median(s.init), statistics.median(s.cold)
        init_ratios[logical], cold_ratios[logical] = init / floor, cold / floor
        rows.append([
            function.handler.rpartition(".")[0], init, init / floor, statistics.median(s.first),
            statistics.median(s.warm), cold, cold / floor, statistics.median(s.peak_rss_mb),
            min(s.traced) if s.traced else -1, ", ".join(sorted(s.heavy)) or "none",
        ])  # fmt: skip
    worst_init = max(init_ratios, key=init_ratios.__getitem__)
    worst_cold = max(cold_ratios, key=cold_ratios.__getitem__)
    met = None if smoke else init_ratios[worst_init] <= TARGET_RATIO
    notes = [
        "Each number is the median of "
        f"{rounds} fresh interpreters per handler, each alternating with a floor child (`import boto3; "
        'boto3.client("s3")` in the same environment, timed the same way inside the child). '
        "The child has the template's variables for its function, the Lambda runtime's own "
        "(LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME, AWS_XRAY_DAEMON_ADDRESS, _X_AMZN_TRACE_ID per "
        "invocation ...), dummy credentials, and AWS_ENDPOINT_URL pointing at a moto server in the "
        "benchmark process. Each child runs two invocations on fresh work (one new upload, log "
        "file or schedule tick each): `cold cost = init + first - warm` is what a cold start adds "
        "to the first request, so a cost that a lazy import only moves into the first invocation "
        "is still counted there.",
        "Tracing is on as with `Tracing: Active`: X-Ray segments go by UDP to a socket the "
        "benchmark reads; *AWS calls traced* is the number of AWS subsegments of the first "
        "invocation's trace (the handler's `## handler` subsegment must be there too).",
        "Outside Lambda (no LAMBDA_TASK_ROOT) the X-Ray SDK's recorder builds a botocore X-Ray "
        "client for centralized sampling as it is imported; in Lambda it uses a local sampler "
        "instead. A measurement without the Lambda variables therefore charges 0.3-0.4 s that "
        "Lambda never pays (ingest init before the fix, same busy machine: 1.52 s without them, "
        "1.13 s with them, floor 0.93 s), which explains the earlier 0.91 s against a 0.46 s "
        "floor.",
        f"Local Python {'.'.join(map(str, __import__('sys').version_info[:3]))}; Lambda runs "
        "python3.13 on arm64 with the function's CPU share (1,769 MB is one vCPU, so 512 MB "
        "is under a third of one), so absolute times differ; the ratios are what is compared. "
        "On a machine this busy, (first - warm) is noisy for most viewed, whose warm invocation "
        "is mostly moto answering ~60 calls.",
        *BEFORE,
    ]
    return Benchmark(
        number=4,
        title="Cold start",
        target=f"init of each handler at most {TARGET_RATIO} x import boto3 + one client",
        met=met,
        columns=columns,
        rows=rows,
        summary=(
            f"init at most {init_ratios[worst_init]:.2f} x the floor ({functions[worst_init].module}); "
            f"cold cost incl. first invocation at most {cold_ratios[worst_cold]:.2f} x "
            f"({functions[worst_cold].module}); floor {floor:.2f} s"
        ),
        notes=notes,
        extra={"floor_seconds": floor, "init_ratios": init_ratios, "cold_ratios": cold_ratios},
    )


def main() -> None:
    cli(run_benchmark, __doc__, "one round (seconds)")


if __name__ == "__main__":
    main()
