"""`feedpub doctor`: read feeds from files or URLs, check them, and say what fails and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from feedpub.partners.check import Finding
from feedpub.partners.model import FORMAT_NAMES, Feed

FETCH_TIMEOUT_SECONDS = 10.0
MAX_FEED_BYTES = 20 * 1024 * 1024
"""Ten times Google's limit: more than any feed, little enough to hold in memory."""


class UnreadableFeedError(Exception):
    """A FEED_FILE_OR_URL that gave no bytes: the message says why, in one sentence."""


def read_source(source: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> bytes:
    """The bytes of a feed file, or of a feed URL fetched once (no retries, `timeout` seconds)."""
    if source.startswith(("http://", "https://")):
        return _fetch(source, timeout)
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise UnreadableFeedError(f"cannot be read: {exc.strerror or exc}") from None


def _fetch(url: str, timeout: float) -> bytes:
    import urllib3

    http = urllib3.PoolManager(timeout=urllib3.Timeout(total=timeout), retries=False)
    try:
        response = http.request("GET", url, preload_content=False, headers={"User-Agent": "feedpub-doctor"})
    except urllib3.exceptions.HTTPError as exc:
        reason = getattr(exc, "reason", None) or exc
        raise UnreadableFeedError(f"unreachable ({type(reason).__name__}: {reason})") from None
    try:
        if response.status != 200:
            raise UnreadableFeedError(f"the server answered HTTP {response.status}, not 200")
        body: bytes = response.read(MAX_FEED_BYTES + 1)
    except urllib3.exceptions.HTTPError as exc:
        raise UnreadableFeedError(f"the download broke off ({type(exc).__name__})") from None
    finally:
        response.release_conn()
    if len(body) > MAX_FEED_BYTES:
        raise UnreadableFeedError(f"larger than {MAX_FEED_BYTES // 1048576} MB: not a feed anyone reads")
    return body


def report_lines(label: str, feed: Feed, findings: Iterable[Finding]) -> list[str]:
    """The doctor's report of one feed: a heading, then per feed and per item each failed rule
    with its partner, sentence, source and fix; blockers before advice."""
    found = sorted(findings, key=lambda f: (f.item is not None, not f.blocker))
    lines = [f"{label}: {FORMAT_NAMES[feed.format]}, {len(feed.items)} items"]
    if not found:
        return [*lines, "  ok: no rule of the partners checked fails"]
    current: str | None = None
    for finding in found:
        if finding.item != current or (current is None and finding is found[0]):
            current = finding.item
            lines.append("  the feed:" if current is None else f"  item {current!r}:")
        rule = finding.rule
        lines.append(f"    {rule.severity.upper()} {rule.partner}: {rule.rule} [{rule.id}]")
        lines.append(f"      source: {rule.source}")
        lines.append(f"      fix: {rule.fix}")
    return lines
