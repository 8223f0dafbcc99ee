"""Fixtures of the unit tests: the example site's settings."""

from __future__ import annotations

import pytest

from feedpub.config import SiteConfig
from tests.support.paths import EXAMPLES


@pytest.fixture
def config() -> SiteConfig:
    return SiteConfig.from_toml(EXAMPLES / "feedpub.toml")


@pytest.fixture(autouse=True)
def build_cache_elsewhere(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`feedpub build` caches in SRC/.feedpub-cache; a test building the examples must not write there."""
    monkeypatch.setenv("FEEDPUB_CACHE_DIR", str(tmp_path_factory.mktemp("feedpub-cache")))
