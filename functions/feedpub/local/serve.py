"""`feedpub serve`: the whole stack on one machine, built from template.yaml.

moto runs in server mode on 127.0.0.1 (an S3/SQS/DynamoDB endpoint any AWS client can use); the
stack is created from template.yaml through moto's CloudFormation (with what moto drops applied
by feedpub.local.stack); the functions run in-process on their queues and schedules
(feedpub.local.runner); a local front stands in for CloudFront (feedpub.local.front, with its
cache in feedpub.local.edge); and a WebSub hub stand-in (feedpub.local.hub), started first so the
stack's WebSubHubs parameter can name it, receives the functions' pings and pushes to subscribers.

State is not kept between runs: moto holds everything in memory, and each start uploads the
example articles (and any folder given with --articles) again through the S3 API, so they take
the real path through the queue and the ingest function.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_FILE = Path(".feedpub") / "serve.json"
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
    """The local WebSub hub (feedpub.local.hub.Hub) every feed advertises."""

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
            f"s3://{self.stack.articles_bucket}/articles/world/story.md"
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

        self.http.shutdown()
        self.http.server_close()
        self.access_log.stop()
        self.runner.stop()
        self.hub.stop()
        self.moto.stop()
        moto_api_backend.reset()


def article_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """(key, path) of the articles under folder/articles."""
    from feedpub.build import find_article_files

    yield from find_article_files(folder)


def start(
    examples: Path,
    aws_port: int = 0,
    http_port: int = 0,
    template: Path | None = None,
    extra_articles: Path | None = None,
) -> LocalSite:
    """Bring the whole stack up and upload the articles; returns once they are uploaded."""
    started = time.perf_counter()
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

    from feedpub.local.hub import Hub

    hub = Hub()
    hub.start()

    import boto3

    from feedpub.aws import clients
    from feedpub.config import SiteConfig
    from feedpub.local.edge import CachePolicy, EdgeCache, S3Origin
    from feedpub.local.front import AccessLog, Front, make_server
    from feedpub.local.runner import Runner
    from feedpub.local.stack import TEMPLATE_PATH, create_stack
    from feedpub.runtime import runtime

    site_config = (
        SiteConfig.from_toml(examples / "feedpub.toml") if (examples / "feedpub.toml").is_file() else None
    )
    parameters = {"SiteBaseUrl": site_url, "WebSubHubs": hub.url}
    if site_config is not None:
        parameters.update({"SiteTitle": site_config.title, "SiteDescription": site_config.description})
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
    threading.Thread(target=http.serve_forever, name="front", daemon=True).start()
    for folder in [examples, *([extra_articles] if extra_articles else [])]:
        for key, path in article_files(folder):
            s3.put_object(Bucket=stack.articles_bucket, Key=key, Body=path.read_bytes())
    STATE_FILE.parent.mkdir(exist_ok=True)
    STATE_FILE.write_text(json.dumps({"endpoint": endpoint, "articles_bucket": stack.articles_bucket,
                                      "site": site_url}, indent=2))  # fmt: skip
    return LocalSite(
        endpoint, site_url, stack, runner, http, access_log, moto, time.perf_counter() - started, hub
    )


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
