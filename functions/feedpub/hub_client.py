"""POSTs publish notifications to WebSub hubs over HTTPS (urllib3, which botocore already brings).

Short timeouts and a few quick retries with exponential backoff and jitter cover a hub's blips
within one invocation; anything longer is the ping queue's job (feedpub.announce), so a hub that
is down costs the ping function seconds, never the publish of feeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import urllib3
from urllib3.util import Retry, Timeout

from feedpub.websub import PUBLISH_CONTENT_TYPE, publish_body

USER_AGENT = "feedpub (WebSub publisher)"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class HubResponse:
    """What a hub answered to one publish notification, after the quick retries."""

    status: int
    """The HTTP status, or 0 when the hub never answered (connection refused, timeout)."""
    retries: int
    """How many quick retries it took."""
    reason: str = ""
    """Why it failed, for the log."""

    @property
    def accepted(self) -> bool:
        """Hubs answer 202 Accepted (some 204); any 2xx means the hub took the notification."""
        return 200 <= self.status < 300


def quick_retries() -> Retry:
    """Two retries, 0.5 s then 1 s apart plus up to 0.25 s of jitter, on timeouts and 5xx/429."""
    return Retry(
        total=2, backoff_factor=0.5, backoff_jitter=0.25, backoff_max=5,
        status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"POST"}),
        raise_on_status=False, respect_retry_after_header=True,
    )  # fmt: skip


class HubClient:
    """Sends `hub.mode=publish` with one `hub.url` per topic."""

    def __init__(self, pool: urllib3.PoolManager | None = None, timeout: Timeout | None = None) -> None:
        self.pool = pool or urllib3.PoolManager(headers={"User-Agent": USER_AGENT})
        self.timeout = timeout or Timeout(connect=2.0, read=3.0)

    def publish(self, hub: str, topics: Sequence[str]) -> HubResponse:
        """Notify `hub` that `topics` changed; never raises for the hub's failures."""
        retries = quick_retries()
        try:
            response = self.pool.request(
                "POST", hub, body=publish_body(topics), headers={"Content-Type": PUBLISH_CONTENT_TYPE},
                timeout=self.timeout, retries=retries, redirect=False,
            )  # fmt: skip
        except urllib3.exceptions.MaxRetryError as exc:  # every try timed out or failed to connect
            return HubResponse(0, retries.total or 0, f"{type(exc.reason).__name__}: {exc.reason}")
        except urllib3.exceptions.HTTPError as exc:
            return HubResponse(0, 0, f"{type(exc).__name__}: {exc}")
        used = len(response.retries.history) if response.retries else 0
        reason = "" if 200 <= response.status < 300 else response.data[:200].decode("utf-8", "replace")
        return HubResponse(response.status, used, reason)
