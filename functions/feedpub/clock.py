"""The one clock the core reads: everything else is given `now`, so tests can pass their own."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time, aware (UTC)."""
    return datetime.now(UTC)
