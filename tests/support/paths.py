"""Where the tests find the checkout's files."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The checkout."""
EXAMPLES = ROOT / "examples"
"""The example site: feedpub.toml and articles/<section>/."""
EVENTS = ROOT / "events"
"""The sample events `sam local invoke -e` takes (the only copy: the tests read them here)."""
FIXTURES = ROOT / "tests" / "fixtures"
"""The article corpus (tests/fixtures/articles/README.md)."""
SCHEMAS = ROOT / "tests" / "schemas"
"""JSON schemas the feeds are checked against."""
