"""`feedpub serve`: the whole stack on one machine, built from template.yaml.

moto runs in server mode on 127.0.0.1 (an S3/SQS/DynamoDB endpoint any AWS client can use); the
stack is created from template.yaml through moto's CloudFormation (with what moto drops applied
by feedpub_cli.local.stack); the functions run in-process on their queues and schedules
(feedpub_cli.local.runner); a local front stands in for CloudFront (feedpub_cli.local.front, with its
cache in feedpub_cli.local.edge); and a WebSub hub stand-in (feedpub_cli.local.hub), started first so the
stack's WebSubHubs parameter can name it, receives the functions' pings and pushes to subscribers.

State is not kept between runs: moto holds everything in memory, and each start uploads the
example articles (and any folder given with --articles) again through the S3 API, so they take
the real path through the queue and the ingest function. What other processes need to reach the
running stack (`feedpub upload`, `feedpub audit --local`) is in a state file
(feedpub_cli.local.state), written once the stack is up and removed when it stops.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedpub.names import ARTICLES_PREFIX
from feedpub_cli.local.state import StackState

if TYPE_CHECKING:
    from feedpub.config import SiteConfig

log = logging.getLogger("feedpub.serve")
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def free_port() -> int:
    """A port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LocalSite:
    """A running local stack; `stop()` ends every part of it."""

    aws_endpoint: str
    site_url: str
    stack: Any
    runner: Any
    http: Any
    access_log: Any
    moto: Any
    started_in: float
    hub: Any
    """The local WebSub hub (feedpub_cli.local.hub.Hub) every feed advertises."""
    state: StackState | None = None
    """The state file other processes find the stack by; written once everything is up."""

    @property
    def feed_urls(self) -> dict[str, str]:
        """The whole-site feeds and page, by name."""
        base = f"{self.site_url}/feeds"
        return {"page": f"{base}/index.html", "rss": f"{base}/rss.xml", "atom": f"{base}/atom.xml",
                "json": f"{base}/feed.json", "most viewed": f"{base}/most-viewed.json"}  # fmt: skip

    def upload_command(self) -> str:
        """How to add a story with the aws CLI."""
        return (
            f"aws --endpoint-url {self.aws_endpoint} s3 cp story.md "
            f"s3://{self.stack.articles_bucket}/{ARTICLES_PREFIX}world/story.md"
        )

    def subscribe_command(self) -> str:
        """How to subscribe a WebSub callback to the site RSS feed on the local hub."""
        return (
            f"curl -d hub.mode=subscribe -d hub.topic={self.feed_urls['rss']} "
            f"-d hub.callback=$CALLBACK_URL {self.hub.url}"
        )

    def stop(self) -> None:
        """Stop the front, the functions, the hub and moto, in that order, and forget moto's state.

        moto keeps its resources in module-level backends of this process, not in the server, so
        without the reset a second `start()` in the same process (a test session, an embedding
        application) would fail on the stack and buckets the first one left behind.
        """
        from moto.moto_api._internal.models import moto_api_backend

        if self.state is not None:
            self.state.remove()  # first: an upload from now on hears "no stack", not a dead socket
        self.http.shutdown()
        self.http.server_close()
        self.access_log.stop()
        self.runner.stop()
        self.hub.stop()
        self.moto.stop()
        moto_api_backend.reset()

    def wait_until_idle(
        self, function: str, ready: Callable[[], bool] = lambda: True, timeout: float = 40.0
    ) -> float:
        """Seconds until `ready()` holds and `function` has nothing left to do: its queue is empty
        and it is not running (so whatever it writes, e.g. a publish after ingest, is written).

        Checked twice in a row, half a second apart: a message can be between S3 and the queue.
        """
        local_function = self.runner.functions[function]
        started = time.perf_counter()
        settled = 0
        while time.perf_counter() - started < timeout:
            attributes = self.runner.sqs.get_queue_attributes(
                QueueUrl=local_function.queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            idle = (
                attributes["ApproximateNumberOfMessages"] == "0"
                and attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
                and not local_function.lock.locked()
            )
            settled = settled + 1 if idle and ready() else 0
            if settled == 2:
                return time.perf_counter() - started
            time.sleep(0.5)
        raise TimeoutError(f"{function} still had work to do after {timeout:.0f} s")


def packaged_examples() -> contextlib.AbstractContextManager[Path]:
    """The example articles and feedpub.toml shipped in the package (the checkout's examples/,
    linked in as cli/feedpub_cli/examples), as a folder."""
    return as_file(files("feedpub_cli") / "examples")


def article_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """(key, path) of the articles under folder/articles."""
    from feedpub.build import find_article_files

    yield from find_article_files(folder)


def start(
    examples: Path | None,
    aws_port: int = 0,
    http_port: int = 0,
    template: Path | None = None,
    extra_articles: Path | None = None,
) -> LocalSite:
    """Bring the whole stack up with the articles of `examples` and `extra_articles` (either may be
    None; the site settings come from the first feedpub.toml among them); returns once they are
    ingested and every feed exists, its state written for `feedpub upload` and `audit --local`.
    """
    started = time.perf_counter()
    folders = [folder for folder in (examples, extra_articles) if folder is not None]
    aws_port = aws_port or free_port()
    http_port = http_port or free_port()
    endpoint = f"http://127.0.0.1:{aws_port}"
    site_url = f"http://127.0.0.1:{http_port}"
    os.environ.update(FAKE_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.pop("AWS_PROFILE", None)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=aws_port, verbose=False)
    moto.start()

    from feedpub_cli.local.hub import Hub

    hub = Hub()
    hub.start()

    import boto3

    from feedpub.aws import clients
    from feedpub.config import SiteConfig
    from feedpub.runtime import runtime
    from feedpub_cli.local.edge import CachePolicy, EdgeCache, S3Origin
    from feedpub_cli.local.front import AccessLog, Front, make_server
    from feedpub_cli.local.runner import Runner
    from feedpub_cli.local.stack import TEMPLATE_PATH, create_stack

    site_config = next(
        (SiteConfig.from_toml(f / "feedpub.toml") for f in folders if (f / "feedpub.toml").is_file()), None
    )
    parameters = {"SiteBaseUrl": site_url, "WebSubHubs": hub.url}
    if site_config is not None:
        parameters.update({"SiteTitle": site_config.title, "SiteDescription": site_config.description})
        parameters.update(_site_parameters(site_config))
    stack = create_stack("feedpub-local", parameters, template_path=template or TEMPLATE_PATH)
    # Every function gets the template's Globals environment; one process can hold it once.
    os.environ.update(stack.function_environment("IngestFunction"))
    os.environ["POWERTOOLS_LOG_LEVEL"] = os.environ.get("FEEDPUB_LOCAL_LOG_LEVEL", "WARNING")
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "1"  # EMF lines would drown the terminal
    clients.client.cache_clear()
    runtime.cache_clear()
    s3 = boto3.client("s3")
    sqs = boto3.client("sqs")
    runner = Runner(stack, sqs)
    runner.start()
    logs_bucket = stack.physical_ids["LogsBucket"]
    access_log = AccessLog(s3, logs_bucket)
    access_log.start()
    config = runtime().config
    policy = CachePolicy.from_template(stack.template["Resources"], stack.resolve)
    edge = EdgeCache(S3Origin(s3, stack.site_bucket), policy)
    front = Front(edge, runtime().index, runtime().views, config, access_log)
    front.actions = {
        name: functools.partial(runner.run_scheduled, name)
        for name, function in runner.functions.items()
        if function.schedule_seconds
    }
    http = make_server(front, http_port)
    threading.Thread(target=http.serve_forever, args=(0.1,), name="front", daemon=True).start()
    site = LocalSite(endpoint, site_url, stack, runner, http, access_log, moto, 0.0, hub)
    try:
        for folder in folders:
            for key, path in article_files(folder):
                s3.put_object(Bucket=stack.articles_bucket, Key=key, Body=path.read_bytes())
        try:
            site.wait_until_idle("IngestFunction", timeout=60)
        except TimeoutError:
            log.warning("the articles are still being ingested; their feeds follow when they are")
        # Every scheduled function once, as if its schedule had just fired: the site feeds exist
        # even with no articles, and the most-viewed feeds (empty) without waiting for the schedule.
        for name in front.actions:
            runner.run_scheduled(name)
        state = StackState(os.getpid(), site_url, endpoint, stack.articles_bucket, stack.site_bucket,
                           stack.table_name, config.to_mapping())  # fmt: skip
        site.state = state.write()
    except BaseException:  # Ctrl-C while starting included: leave nothing running behind
        site.stop()
        raise
    site.started_in = time.perf_counter() - started
    return site


def wait_for_feed(site: LocalSite, contains: str, timeout: float = 30.0) -> float:
    """Seconds until the site RSS feed contains `contains` (for the demo and tests)."""
    import urllib.request

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(site.feed_urls["rss"], timeout=5) as response:  # noqa: S310 - local URL
                if contains in response.read().decode("utf-8"):
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{contains!r} did not appear in {site.feed_urls['rss']} within {timeout:.0f} s")


def _site_parameters(config: SiteConfig) -> dict[str, str]:
    """The template parameters of the feedpub.toml settings that decide which feeds exist and what
    partners see: the stack then writes (and checks) what `feedpub build` writes."""
    parameters = {
        "SiteLanguage": config.language,
        "TagFeeds": config.tag_feeds.describe(),
        "AuthorFeeds": config.author_feeds.describe(),
    }
    if config.partners:
        parameters["Partners"] = ",".join(config.partners)
    if config.logo_url.startswith("https://"):  # the template takes https only
        parameters["SiteLogoUrl"] = config.logo_url
    if config.items_per_kind:
        parameters["ItemsPerKind"] = ",".join(f"{kind}={n}" for kind, n in config.items_per_kind.items())
    return parameters
