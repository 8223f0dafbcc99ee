"""CloudFront standard access logs: gzip, tab-separated, W3C extended format.

Columns are read from the `#Fields:` header, never by position, so a log format with columns
added or reordered still parses. Values are URL-encoded by CloudFront (the User-Agent twice over
for some characters), and a timestamp is the log line's own, in UTC.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote

REQUIRED_FIELDS = ("date", "time", "cs-method", "cs-uri-stem", "sc-status", "cs(User-Agent)")


class LogFormatError(Exception):
    """A log file that cannot be read at all (not gzip, truncated, or no #Fields header)."""


@dataclass(frozen=True, slots=True)
class Request:
    """One request of an access log, the fields counting needs."""

    timestamp: datetime
    method: str
    path: str
    status: int
    user_agent: str


@dataclass
class LogReadStats:
    """How many lines a file had, and how many were skipped as malformed."""

    lines: int = 0
    malformed: int = 0
    samples: list[str] = field(default_factory=list)

    def skip(self, line: str) -> None:
        """Count a malformed line, keeping a few for the logs."""
        self.malformed += 1
        if len(self.samples) < 3:
            self.samples.append(line[:200])


def decompress(data: bytes) -> str:
    """The text of a (possibly gzip'd) log file; a truncated gzip keeps what came before the cut."""
    if not data.startswith(b"\x1f\x8b"):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LogFormatError(f"neither gzip nor UTF-8 text ({exc})") from None
    output = io.BytesIO()
    remaining = data
    complete = True
    while remaining:  # a gzip file may hold several members, one after another
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            output.write(decompressor.decompress(remaining))
            output.write(decompressor.flush())
        except zlib.error as exc:
            if not output.tell():
                raise LogFormatError(f"not a readable gzip file ({exc})") from None
            complete = False
            break
        if not decompressor.eof:
            complete = False
            break
        remaining = decompressor.unused_data
    text = output.getvalue().decode("utf-8", errors="replace")
    if not complete:
        # Truncated: drop the partial last line rather than count half a request.
        text = text.rsplit("\n", 1)[0] if "\n" in text else ""
    return text


def gzip_text(text: str) -> bytes:
    """Compress a log the way CloudFront delivers it (used by tests and the local server)."""
    return gzip.compress(text.encode("utf-8"), mtime=0)


def parse_log(text: str, stats: LogReadStats | None = None) -> Iterator[Request]:
    """The requests of one log file's text; malformed lines are counted in `stats` and skipped."""
    stats = stats if stats is not None else LogReadStats()
    columns: dict[str, int] | None = None
    for raw in text.splitlines():
        if not raw.strip():
            continue
        if raw.startswith("#"):
            if raw.startswith("#Fields:"):
                names = raw[len("#Fields:") :].split()
                columns = {name: i for i, name in enumerate(names)}
                missing = [name for name in REQUIRED_FIELDS if name not in columns]
                if missing:
                    raise LogFormatError(f"#Fields lacks {', '.join(missing)}")
            continue
        stats.lines += 1
        if columns is None:
            raise LogFormatError("no #Fields header before the first request line")
        request = _parse_line(raw, columns)
        if request is None:
            stats.skip(raw)
        else:
            yield request


def _parse_line(raw: str, columns: dict[str, int]) -> Request | None:
    values = raw.split("\t")
    if len(values) < len(columns):
        return None
    try:
        timestamp = datetime.fromisoformat(f"{values[columns['date']]}T{values[columns['time']]}").replace(
            tzinfo=UTC
        )
        status = int(values[columns["sc-status"]])
    except ValueError:
        return None
    agent = values[columns["cs(User-Agent)"]]
    return Request(
        timestamp=timestamp,
        method=values[columns["cs-method"]],
        path=unquote(values[columns["cs-uri-stem"]]),
        status=status,
        user_agent=unquote(unquote(agent)),
    )
