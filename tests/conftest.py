"""Shared fixtures: the site config and clock every test builds with; the local stack (`feedpub serve`)."""

from __future__ import annotations

import contextlib
import json
import os
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from feedpub.article import Article
from feedpub.config import SiteConfig

if TYPE_CHECKING:
    from feedpub.local.serve import LocalSite

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
"""A fixed clock after every example's date but before the embargoed one."""


@pytest.fixture
def config() -> SiteConfig:
    return SiteConfig.from_toml(EXAMPLES / "feedpub.toml")


# -------------------------------------------------------------------------------------------------
# `feedpub serve`: the whole local stack, for tests/test_serve.py and tests/test_browser.py
# -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServedSite:
    """A running `feedpub.local.serve.start(EXAMPLES)` and what the tests know about its articles."""

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


def _examples_served(served: ServedSite) -> bool:
    """Whether the site's JSON Feed lists every listed example."""
    wanted = {a.title for a in served.listed()}
    with contextlib.suppress(OSError, ValueError):
        return wanted <= {item["title"] for item in served.get_json("json")["items"]}
    return False


@pytest.fixture(scope="module")
def served_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedSite]:
    """`feedpub serve` on free ports for one test module, with the examples served.

    start() writes its state file under $XDG_RUNTIME_DIR, so that points at a temporary folder,
    and points this process at the stack (AWS_ENDPOINT_URL, fake credentials, the functions'
    environment): the environment and the cached clients are restored afterwards, so that the
    other tests of the same xdist worker see none of it.
    """
    from feedpub.aws import clients
    from feedpub.build import collect_articles
    from feedpub.local.serve import start
    from feedpub.local.state import state_dir
    from feedpub.runtime import runtime

    saved_environ = dict(os.environ)
    site: LocalSite | None = None
    try:
        os.environ["XDG_RUNTIME_DIR"] = str(tmp_path_factory.mktemp("run"))
        site = start(EXAMPLES, aws_port=0, http_port=0)
        print(f"\nfeedpub serve: up in {site.started_in:.1f} s at {site.site_url} (AWS {site.aws_endpoint})")
        config = SiteConfig.from_toml(EXAMPLES / "feedpub.toml").with_overrides(base_url=site.site_url)
        articles, errors = collect_articles(EXAMPLES, config)
        assert not errors, errors
        served = ServedSite(site, state_dir(), config, tuple(articles), 0.0)
        ready_in = served.wait_until_idle("IngestFunction", lambda: _examples_served(served), timeout=60)
        served = replace(served, feeds_ready_in=ready_in)
        yield served
    finally:
        if site is not None:
            site.stop()
        clients.client.cache_clear()
        runtime.cache_clear()
        os.environ.clear()
        os.environ.update(saved_environ)
