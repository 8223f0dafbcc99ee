"""Fixtures of the unit tests: the example site's settings."""

from __future__ import annotations

import pytest

from feedpub.config import SiteConfig
from tests.support.paths import EXAMPLES


@pytest.fixture
def config() -> SiteConfig:
    return SiteConfig.from_toml(EXAMPLES / "feedpub.toml")
