"""WebSub (W3C Recommendation, 2018) for a publisher: which hubs, which topics, what to send.

Pure: no I/O. The hub URLs come from the site config; a topic is a feed's public URL, exactly the
`rel="self"` link the feed advertises, since that is what subscribers subscribed to.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from feedpub.names import FEEDS_PREFIX, TOPIC_FILENAMES

PUBLISH_CONTENT_TYPE = "application/x-www-form-urlencoded"


def hub_url_problem(url: str) -> str:
    """Why `url` cannot be a hub, or ''; plain http is allowed only on 127.0.0.0/8 (local hubs)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return ""
    if parts.scheme == "http" and parts.hostname:
        try:
            if ipaddress.ip_address(parts.hostname) in ipaddress.ip_network("127.0.0.0/8"):
                return ""
        except ValueError:
            pass
        return f"hub {url!r} must use https (plain http only for a hub on 127.0.0.0/8)"
    return f"hub {url!r} must be an absolute https URL, such as https://pubsubhubbub.appspot.com/"


def is_topic_key(key: str) -> bool:
    """Whether a published file is a feed subscribers can follow (not a page for browsers)."""
    return key.startswith(FEEDS_PREFIX + "/") and key.rsplit("/", 1)[-1] in TOPIC_FILENAMES


def topic_url(key: str, feeds_url: str) -> str:
    """The public URL of a published feed file (its rel="self")."""
    return feeds_url + key.removeprefix(FEEDS_PREFIX)


def changed_topics(written_keys: Iterable[str], feeds_url: str) -> list[str]:
    """The topics to announce for the files a publish wrote, sorted, each once."""
    return sorted({topic_url(key, feeds_url) for key in written_keys if is_topic_key(key)})


def link_header(hubs: Iterable[str], self_url: str) -> str:
    """The HTTP `Link` header of a feed response: its hubs and itself (WebSub section 4)."""
    return ", ".join([*(f'<{hub}>; rel="hub"' for hub in hubs), f'<{self_url}>; rel="self"'])


def publish_body(topics: Iterable[str]) -> bytes:
    """The form a publisher POSTs to a hub: hub.mode=publish and one hub.url per topic."""
    return urlencode([("hub.mode", "publish"), *(("hub.url", topic) for topic in topics)]).encode()


@dataclass(frozen=True, slots=True)
class Announcement:
    """Tell one hub that these topics changed at `changed_at` (epoch milliseconds)."""

    hub: str
    topics: tuple[str, ...]
    changed_at: int

    def to_message(self) -> str:
        """The queue message body."""
        return json.dumps({"hub": self.hub, "topics": list(self.topics), "changed_at": self.changed_at})

    @classmethod
    def from_message(cls, body: str) -> Announcement:
        """Parse a queue message body; raises ValueError when it is not an announcement."""
        try:
            data = json.loads(body)
            hub, topics, changed_at = data["hub"], data["topics"], data["changed_at"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not an announcement: {body[:200]!r}") from exc
        if not isinstance(hub, str) or not isinstance(changed_at, int) or not isinstance(topics, list):
            raise ValueError(f"not an announcement: {body[:200]!r}")
        return cls(hub, tuple(str(topic) for topic in topics), changed_at)

    def without(self, topics: Iterable[str]) -> Announcement:
        """The same announcement less some topics (already superseded)."""
        dropped = set(topics)
        return Announcement(self.hub, tuple(t for t in self.topics if t not in dropped), self.changed_at)
