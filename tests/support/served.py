"""`feedpub serve` as the tests know it: the running stack, its example articles, and an editor's
S3 client of it (the `served_site` fixture in tests/conftest.py starts it)."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from feedpub.article import Article
from feedpub.config import SiteConfig

if TYPE_CHECKING:
    from feedpub_cli.local.serve import LocalSite


@dataclass(frozen=True)
class ServedSite:
    """A running `feedpub_cli.local.serve.start(EXAMPLES)` and what the tests know about its articles."""

    site: LocalSite
    state_dir: Path
    """Where start() wrote the stack's state file ($XDG_RUNTIME_DIR/feedpub, a temporary folder
    here), by which `feedpub upload` finds the stack."""
    config: SiteConfig
    """The examples' settings with the local site as base_url: the URLs the stack publishes."""
    articles: tuple[Article, ...]
    """The example articles, parsed as the ingest function parses them (drafts included)."""
    feeds_ready_in: float
    """Seconds from start() returning until every listed example was in the served JSON Feed and
    the ingest function had nothing left to do."""

    def listed(self) -> list[Article]:
        """The examples a feed lists now (no drafts, no embargoed ones), newest first."""
        now = datetime.now(UTC)
        return sorted((a for a in self.articles if a.is_listed(now)), key=Article.sort_key, reverse=True)

    def newest(self) -> Article:
        return self.listed()[0]

    def get_json(self, name: str) -> dict[str, Any]:
        with urllib.request.urlopen(self.site.feed_urls[name], timeout=10) as response:
            loaded: dict[str, Any] = json.loads(response.read())
            return loaded

    def wait_until_idle(
        self, function: str, ready: Callable[[], bool] = lambda: True, timeout: float = 40.0
    ) -> float:
        """Seconds until `ready()` holds and `function` has nothing left to do (LocalSite's)."""
        return self.site.wait_until_idle(function, ready, timeout)


def examples_served(served: ServedSite) -> bool:
    """Whether the site's JSON Feed lists every listed example."""
    wanted = {a.title for a in served.listed()}
    with contextlib.suppress(OSError, ValueError):
        return wanted <= {item["title"] for item in served.get_json("json")["items"]}
    return False


def local_s3(site: LocalSite) -> Any:
    """An S3 client of the local stack, as an editor's aws CLI would make one."""
    from feedpub_cli.local.serve import FAKE_CREDENTIALS

    return boto3.client(
        "s3",
        endpoint_url=site.aws_endpoint,
        region_name=FAKE_CREDENTIALS["AWS_REGION"],
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
