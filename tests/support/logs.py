"""CloudFront standard access logs (the legacy/v2 "W3C" file format) for tests.

A log file is gzip'd UTF-8 text: a `#Version: 1.0` line, a `#Fields:` line naming the columns,
then one tab-separated line per request. Empty values are `-`. CloudFront URL-encodes values:
spaces in the User-Agent are `%20`, and for some clients the encoding is applied twice, so a space
shows up as `%2520` (seen in real logs, e.g. `Tiny%2520Tiny%2520RSS`). The query string is logged
apart from the path, in `cs-uri-query`.

    make_log([Hit(datetime(2026, 11, 26, 14, 2, 7, tzinfo=UTC), "/world/ferry-talks")])

`fields_order` writes the columns in another order (with `#Fields:` to match), to prove readers
take columns by name.
"""

from __future__ import annotations

import base64
import hashlib
import random
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from feedpub.views.logs import gzip_text

FIELDS: tuple[str, ...] = (
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem",
    "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-edge-result-type",
    "x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for",
    "ssl-protocol", "ssl-cipher", "x-edge-response-result-type", "cs-protocol-version", "fle-status",
    "fle-encrypted-fields", "c-port", "time-to-first-byte", "x-edge-detailed-result-type",
    "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end",
)  # fmt: skip

DISTRIBUTION_HOST = "d111111abcdef8.cloudfront.net"
SITE_HOST = "www.example.com"

# Real User-Agent strings, as the clients send them (decoded).
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1.1 Mobile/15E148 Safari/604.1"
)
EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
SAMSUNG = (
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36"
)
BROWSERS: tuple[str, ...] = (CHROME, FIREFOX, SAFARI_IOS, EDGE, SAMSUNG)

GOOGLEBOT = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
BINGBOT = (
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
    "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36"
)
FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
TWITTERBOT = "Twitterbot/1.0"
FEEDLY = "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 1234 subscribers; like FeedFetcher-Google)"
NEWSBLUR = "NewsBlur Page Fetcher - 12 subscribers - https://www.newsblur.com/site/1234/harbour-herald"
INOREADER = "Mozilla/5.0 (compatible; inoreader.com; 31 subscribers)"
CURL = "curl/8.7.1"
PYTHON_REQUESTS = "python-requests/2.32.3"
UPTIMEROBOT = "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)"
PINGDOM = "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)"
WHATSAPP = "WhatsApp/2.23.20.0"
DISCORDBOT = "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"
BOTS: tuple[str, ...] = (
    GOOGLEBOT, BINGBOT, FACEBOOK, SLACKBOT, TWITTERBOT, FEEDLY, NEWSBLUR, INOREADER, CURL,
    PYTHON_REQUESTS, UPTIMEROBOT, PINGDOM, WHATSAPP, DISCORDBOT,
)  # fmt: skip

# What CloudFront leaves as is in a logged value; everything else is percent-encoded.
_SAFE = "/:;,()+=&?!*'@$~._-[]"


@dataclass(frozen=True)
class Hit:
    """One request as a test means it: CloudFront encodes it into a log line."""

    time: datetime
    path: str
    status: int = 200
    method: str = "GET"
    agent: str = CHROME
    query: str = "-"
    double_encoded: bool = False
    """Log the User-Agent encoded twice (`%2520` for a space), as CloudFront does for some clients."""


def encode_value(value: str, *, twice: bool = False) -> str:
    """A value as CloudFront logs it: `-` when empty, else percent-encoded (optionally twice)."""
    if not value:
        return "-"
    encoded = quote(value, safe=_SAFE)
    return encoded.replace("%", "%25") if twice else encoded


def _request_id(hit: Hit, salt: int) -> str:
    digest = hashlib.sha512(f"{hit!r}/{salt}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:40]).decode()  # 56 characters, ending in "=="


def _result_type(status: int) -> str:
    if status == 304:
        return "RefreshHit"
    return "Error" if status >= 400 else "Hit"


def line_values(hit: Hit, salt: int = 0) -> dict[str, str]:
    """Every column of a hit's log line, by field name."""
    when = hit.time.astimezone(UTC)
    result = _result_type(hit.status)
    body = 0 if hit.method == "HEAD" or hit.status == 304 else 18_000 + len(hit.path) * 7
    content_type = "-" if hit.status == 304 else "text/html"
    return {
        "date": when.strftime("%Y-%m-%d"),
        "time": when.strftime("%H:%M:%S"),
        "x-edge-location": ("LHR61-P1", "FRA56-P4", "IAD89-C3", "SIN2-P2")[salt % 4],
        "sc-bytes": str(body + 412),
        "c-ip": f"198.51.100.{(salt * 7) % 250 + 1}",
        "cs-method": hit.method,
        "cs(Host)": DISTRIBUTION_HOST,
        "cs-uri-stem": quote(hit.path, safe="/-._~!$&'()*+,;=:@") or "/",
        "sc-status": str(hit.status),
        "cs(Referer)": "https://www.google.com/" if salt % 3 == 0 else "-",
        "cs(User-Agent)": encode_value(hit.agent, twice=hit.double_encoded),
        "cs-uri-query": hit.query or "-",
        "cs(Cookie)": "-",
        "x-edge-result-type": result,
        "x-edge-request-id": _request_id(hit, salt),
        "x-host-header": SITE_HOST,
        "cs-protocol": "https",
        "cs-bytes": str(180 + len(hit.path) + len(hit.agent)),
        "time-taken": f"0.{(salt % 90) + 1:03d}",
        "x-forwarded-for": "-",
        "ssl-protocol": "TLSv1.3",
        "ssl-cipher": "TLS_AES_128_GCM_SHA256",
        "x-edge-response-result-type": result,
        "cs-protocol-version": "HTTP/2.0",
        "fle-status": "-",
        "fle-encrypted-fields": "-",
        "c-port": str(40_000 + salt % 20_000),
        "time-to-first-byte": f"0.{(salt % 50) + 1:03d}",
        "x-edge-detailed-result-type": result,
        "sc-content-type": content_type,
        "sc-content-len": str(body) if body else "-",
        "sc-range-start": "-",
        "sc-range-end": "-",
    }


def log_line(hit: Hit, fields: Sequence[str] = FIELDS, salt: int = 0) -> str:
    """One tab-separated request line, columns in `fields` order."""
    values = line_values(hit, salt)
    return "\t".join(values[name] for name in fields)


def header(fields: Sequence[str] = FIELDS) -> str:
    """The two header lines, newline-terminated."""
    return f"#Version: 1.0\n#Fields: {' '.join(fields)}\n"


def log_text(hits: Iterable[Hit], fields_order: Sequence[str] | None = None) -> str:
    """The text of a log file with these hits, in the order given."""
    fields = tuple(fields_order) if fields_order is not None else FIELDS
    assert sorted(fields) == sorted(FIELDS), "fields_order must be a permutation of FIELDS"
    lines = [log_line(hit, fields, salt) for salt, hit in enumerate(hits)]
    return header(fields) + "".join(line + "\n" for line in lines)


def make_log(hits: Iterable[Hit], fields_order: Sequence[str] | None = None) -> bytes:
    """A gzip'd CloudFront log file with these hits, as CloudFront delivers it."""
    return gzip_text(log_text(hits, fields_order))


def shuffled_fields(seed: int) -> tuple[str, ...]:
    """The columns in a (seeded) random order."""
    fields = list(FIELDS)
    random.Random(seed).shuffle(fields)
    return tuple(fields)


def truncate(data: bytes, keep: float) -> bytes:
    """The first `keep` fraction of a file's bytes: a delivery cut short."""
    return data[: max(1, int(len(data) * keep))]


def complete_lines_of_truncated(data: bytes) -> list[str]:
    """What a correct reader can recover from a truncated gzip: the lines that end before the cut.

    Plain zlib, so expectations built on it do not depend on the code under test.
    """
    text = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(data).decode("utf-8", errors="replace")
    return text.split("\n")[:-1]
