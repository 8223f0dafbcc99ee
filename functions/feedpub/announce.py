"""Telling WebSub hubs which feeds changed, without ever slowing or failing a publish.

A publisher hands the keys it wrote to `Announcer`, which queues one `Announcement` per hub (one
SQS message, delayed by how long a shared cache may still serve the old bytes: 0 by default, see
feedpub.cache_control). The ping function gives each to `Notifier`, which drops the topics a hub
has already accepted a newer announcement of (superseded), POSTs the rest, and records what was
accepted. A hub that fails keeps the message in the queue, retried with growing, jittered delays
until the hub accepts it or it is superseded; after the queue's last receive it is dead-lettered.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from feedpub.cache_control import shared_caching
from feedpub.config import SiteConfig
from feedpub.hub_client import HubResponse
from feedpub.websub import Announcement, changed_topics

MAX_QUEUE_DELAY = 900
"""SQS's longest message delay and visibility timeout step, in seconds."""
FIRST_RETRY_SECONDS = 30


class AnnouncementSink(Protocol):
    """Where announcements wait for the ping function (the PingQueue)."""

    def send(self, announcements: Sequence[Announcement], delay_seconds: int) -> None: ...


class HubPoster(Protocol):
    """What sends one publish notification (feedpub.hub_client.HubClient)."""

    def publish(self, hub: str, topics: Sequence[str]) -> HubResponse: ...


class HubLedger(Protocol):
    """Remembers, per hub and topic, the newest announcement the hub accepted."""

    def accepted(self, hub: str) -> Mapping[str, int]: ...

    def record(self, hub: str, topics: Sequence[str], changed_at: int) -> None: ...


class Announcer:
    """Queues an announcement of the feeds a publish wrote, one per configured hub."""

    def __init__(self, sink: AnnouncementSink | None, config: SiteConfig,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.sink = sink
        self.config = config
        self.clock = clock

    @property
    def delay_seconds(self) -> int:
        """How long a shared cache may still serve the bytes a publish replaced."""
        return min(MAX_QUEUE_DELAY, shared_caching(self.config.cache_control).staleness)

    def announce(self, written_keys: Iterable[str]) -> list[Announcement]:
        """Queue the changed topics for every hub; nothing when push is off or no feed changed."""
        topics = tuple(changed_topics(written_keys, self.config.feeds_url))
        if self.sink is None or not self.config.websub_hubs or not topics:
            return []
        changed_at = int(self.clock() * 1000)
        announcements = [Announcement(hub, topics, changed_at) for hub in self.config.websub_hubs]
        self.sink.send(announcements, self.delay_seconds)
        return announcements


class HubUnavailableError(Exception):
    """A hub did not accept an announcement; the message stays queued and is retried later."""

    def __init__(self, announcement: Announcement, response: HubResponse) -> None:
        self.announcement = announcement
        self.response = response
        status = f"HTTP {response.status}" if response.status else "no answer"
        super().__init__(f"hub {announcement.hub} did not accept {len(announcement.topics)} topic(s): "
                         f"{status} {response.reason}".strip())  # fmt: skip


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one announcement."""

    outcome: str
    """`sent`, `superseded` (the hub already took newer news of every topic) or `dropped` (the
    hub is no longer configured)."""
    topics: tuple[str, ...] = ()
    retries: int = 0


class Notifier:
    """Delivers queued announcements to their hubs."""

    def __init__(self, poster: HubPoster, ledger: HubLedger, config: SiteConfig) -> None:
        self.poster = poster
        self.ledger = ledger
        self.config = config

    def deliver(self, announcement: Announcement) -> Delivery:
        """POST what the hub has not yet accepted newer news of; raises HubUnavailableError."""
        if announcement.hub not in self.config.websub_hubs:
            return Delivery("dropped", announcement.topics)
        accepted = self.ledger.accepted(announcement.hub)
        stale = [topic for topic in announcement.topics if accepted.get(topic, -1) >= announcement.changed_at]
        remaining = announcement.without(stale)
        if not remaining.topics:
            return Delivery("superseded", announcement.topics)
        response = self.poster.publish(remaining.hub, remaining.topics)
        if not response.accepted:
            raise HubUnavailableError(remaining, response)
        self.ledger.record(remaining.hub, remaining.topics, remaining.changed_at)
        return Delivery("sent", remaining.topics, response.retries)


def retry_delay(receive_count: int, rng: random.Random | None = None) -> int:
    """Seconds before a failed announcement is tried again: 30 s doubling per receive up to 15 min,
    each drawn from its upper half so retries of many messages spread out (jitter)."""
    ceiling = min(MAX_QUEUE_DELAY, FIRST_RETRY_SECONDS * 2 ** max(0, receive_count - 1))
    return int((rng or random).uniform(ceiling / 2, ceiling))
