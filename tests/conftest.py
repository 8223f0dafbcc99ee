"""Fixtures every group of tests may use: the local stack (`feedpub serve`), for tests/local/ and
tests/browser/; and the order the groups run in. What the tests share besides fixtures is in
tests/support/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from feedpub.config import SiteConfig
from tests.support.paths import EXAMPLES
from tests.support.served import ServedSite, examples_served

if TYPE_CHECKING:
    from feedpub_cli.local.serve import LocalSite

GROUPS = ("unit", "template", "local", "browser", "benchmarks", "aws")
"""The order the groups of tests run in: the self-contained ones first (a broken core fails within
seconds), the functions on the template's stack last. It also balances `pytest -n`: xdist hands
each worker a first batch of consecutive tests, and with the AWS group first one worker got nearly
all of it (the run took a third longer)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the groups in GROUPS order (a folder not listed first), each in its collected order."""
    tests = Path(__file__).resolve().parent

    def rank(item: pytest.Item) -> int:
        parts = item.path.resolve().relative_to(tests).parts
        return GROUPS.index(parts[0]) if len(parts) > 1 and parts[0] in GROUPS else -1

    items.sort(key=rank)


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
    from feedpub.runtime import runtime
    from feedpub_cli.local.serve import start
    from feedpub_cli.local.state import state_dir

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
        ready_in = served.wait_until_idle("IngestFunction", lambda: examples_served(served), timeout=60)
        served = replace(served, feeds_ready_in=ready_in)
        yield served
    finally:
        if site is not None:
            site.stop()
        clients.client.cache_clear()
        runtime.cache_clear()
        os.environ.clear()
        os.environ.update(saved_environ)
