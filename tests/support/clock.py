"""The fixed clock the example articles are judged at."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
"""A fixed clock after every example's date but before the embargoed one."""
