"""Shared fixtures: the site config and clock every test builds with."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedpub.config import SiteConfig

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
"""A fixed clock after every example's date but before the embargoed one."""


@pytest.fixture
def config() -> SiteConfig:
    return SiteConfig.from_toml(EXAMPLES / "feedpub.toml")
