"""WebSub for the publisher: hub URLs, topics, the publish form, the Link header, the edge's
staleness, the announcer and notifier (with fakes). The HTTP client against a hub on 127.0.0.1 is
tested in tests/local/test_hub_client.py."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import pytest

from feedpub.announce import Announcer, HubUnavailableError, Notifier, retry_delay
from feedpub.cache_control import TAKEDOWN_SECONDS, cache_control_problem, shared_caching
from feedpub.config import ConfigError, SiteConfig
from feedpub.hub_client import HubResponse
from feedpub.websub import Announcement, changed_topics, hub_url_problem, link_header, publish_body

HUB = "https://hub.example.org/"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://pubsubhubbub.appspot.com/", True),
        ("https://hub.example.org:8443/publish", True),
        ("http://127.0.0.1:8181/", True),
        ("http://127.9.9.9/", True),
        ("http://hub.example.org/", False),
        ("http://10.0.0.1/", False),
        ("http://localhost/", False),
        ("ftp://127.0.0.1/", False),
        ("hub.example.org", False),
        ("https:///nohost", False),
        ("", False),
    ],
)
def test_hub_urls_must_be_https_or_local_http(url: str, ok: bool) -> None:
    assert (hub_url_problem(url) == "") is ok


def test_a_bad_hub_is_refused_by_name_when_the_function_starts() -> None:
    with pytest.raises(ConfigError, match=r"environment: hub 'http://hub.example.org/' must use https"):
        SiteConfig.from_env({"FEEDPUB_WEBSUB_HUBS": "https://ok.example/,http://hub.example.org/"})
    with pytest.raises(ConfigError, match="websub_hubs must be a list"):
        SiteConfig.from_mapping({"websub_hubs": "https://ok.example/"}, origin="feedpub.toml")


def test_hubs_from_the_environment_and_toml_are_deduplicated_in_order() -> None:
    config = SiteConfig.from_env({"FEEDPUB_WEBSUB_HUBS": f" {HUB} , https://b.example/ ,{HUB},"})
    assert config.websub_hubs == (HUB, "https://b.example/")
    assert SiteConfig.from_env({"FEEDPUB_WEBSUB_HUBS": ""}).websub_hubs == ()
    assert SiteConfig.from_mapping({"websub_hubs": [HUB]}).websub_hubs == (HUB,)


def test_topics_are_the_changed_feeds_public_urls_never_the_pages() -> None:
    written = [
        *("feeds/index.html", "feeds/rss.xml", "feeds/world/atom.xml", "feeds/world/index.html"),
        *("feeds/most-viewed.json", "feeds/world/feed.json", "feeds/rss.xml", "reports/x.json"),
    ]
    assert changed_topics(written, "https://news.example/feeds") == [
        "https://news.example/feeds/most-viewed.json",
        "https://news.example/feeds/rss.xml",
        "https://news.example/feeds/world/atom.xml",
        "https://news.example/feeds/world/feed.json",
    ]
    assert changed_topics(["feeds/index.html"], "https://news.example/feeds") == []


def test_publish_form_and_link_header() -> None:
    body = publish_body(["https://n.example/feeds/rss.xml", "https://n.example/feeds/a b.json"])
    assert body == (
        b"hub.mode=publish&hub.url=https%3A%2F%2Fn.example%2Ffeeds%2Frss.xml"
        b"&hub.url=https%3A%2F%2Fn.example%2Ffeeds%2Fa+b.json"
    )
    assert link_header([HUB, "https://b.example/"], "https://n.example/feeds/rss.xml") == (
        f'<{HUB}>; rel="hub", <https://b.example/>; rel="hub", <https://n.example/feeds/rss.xml>; rel="self"'
    )
    assert (
        link_header([], "https://n.example/feeds/rss.xml") == '<https://n.example/feeds/rss.xml>; rel="self"'
    )


def test_announcement_messages_round_trip_and_reject_garbage() -> None:
    announcement = Announcement(HUB, ("https://n.example/feeds/rss.xml",), 1_767_225_600_000)
    assert Announcement.from_message(announcement.to_message()) == announcement
    for garbage in ("", "{}", "[1]", '{"hub": 1, "topics": [], "changed_at": 1}', "not json"):
        with pytest.raises(ValueError, match="not an announcement"):
            Announcement.from_message(garbage)


@pytest.mark.parametrize(
    ("value", "fresh", "stale"),
    [
        ("public, max-age=60, s-maxage=0, proxy-revalidate", 0, 0),
        ("public, max-age=60, stale-while-revalidate=300", 60, 300),
        ("public, max-age=60, stale-while-revalidate=300, must-revalidate", 60, 0),
        ("public, s-maxage=30, max-age=600", 30, 0),
        ("no-cache", 0, 0),
        ("private, max-age=600", 0, 0),
        ("", 0, 0),
        ('public, max-age="45"', 45, 0),
    ],
)
def test_how_long_a_shared_cache_may_serve_old_bytes(value: str, fresh: int, stale: int) -> None:
    caching = shared_caching(value)
    assert (caching.fresh_seconds, caching.stale_seconds) == (fresh, stale)


def test_a_cache_control_that_would_keep_a_takedown_at_the_edge_is_refused() -> None:
    assert cache_control_problem("public, max-age=60, s-maxage=0") == ""
    assert cache_control_problem(f"public, s-maxage={TAKEDOWN_SECONDS}") == ""
    problem = cache_control_problem("public, max-age=60, stale-while-revalidate=300")
    assert "up to 360 s old" in problem and "s-maxage=0" in problem
    with pytest.raises(ConfigError, match="cache_control"):
        SiteConfig(cache_control="public, max-age=3600")


class RecordingSink:
    def __init__(self) -> None:
        self.sent: list[tuple[list[Announcement], int]] = []

    def send(self, announcements: Sequence[Announcement], delay_seconds: int) -> None:
        self.sent.append((list(announcements), delay_seconds))


def test_announcer_queues_one_announcement_per_hub_only_when_a_feed_changed() -> None:
    sink = RecordingSink()
    config = SiteConfig(websub_hubs=(HUB, "https://b.example/"))
    announcer = Announcer(sink, config, clock=lambda: 1_767_225_600.5)
    assert announcer.announce(["feeds/index.html"]) == []
    assert announcer.announce([]) == []
    made = announcer.announce(["feeds/rss.xml", "feeds/world/index.html"])
    topic = ("https://www.example.com/feeds/rss.xml",)
    assert made == [
        Announcement(HUB, topic, 1_767_225_600_500),
        Announcement("https://b.example/", topic, 1_767_225_600_500),
    ]
    assert sink.sent == [(made, 0)]
    # With a cache that may serve 30 s old bytes, the announcement waits them out.
    slow = Announcer(sink, SiteConfig(websub_hubs=(HUB,), cache_control="public, s-maxage=30"))
    slow.announce(["feeds/rss.xml"])
    assert sink.sent[-1][1] == 30
    assert Announcer(None, config).announce(["feeds/rss.xml"]) == []
    assert Announcer(sink, SiteConfig()).announce(["feeds/rss.xml"]) == []


class Ledger:
    def __init__(self) -> None:
        self.by_hub: dict[str, dict[str, int]] = {}

    def accepted(self, hub: str) -> Mapping[str, int]:
        return dict(self.by_hub.get(hub, {}))

    def record(self, hub: str, topics: Sequence[str], changed_at: int) -> None:
        self.by_hub.setdefault(hub, {}).update(dict.fromkeys(topics, changed_at))


class Poster:
    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.posts: list[tuple[str, list[str]]] = []

    def publish(self, hub: str, topics: Sequence[str]) -> HubResponse:
        self.posts.append((hub, list(topics)))
        return HubResponse(self.statuses.pop(0), 0, "" if self.statuses else "down")


def test_notifier_sends_what_is_new_skips_what_is_superseded_and_raises_when_refused() -> None:
    ledger, poster = Ledger(), Poster([503, 202, 202])
    notifier = Notifier(poster, ledger, SiteConfig(websub_hubs=(HUB,)))
    old = Announcement(HUB, ("t/rss", "t/atom"), 1000)
    new = Announcement(HUB, ("t/rss",), 2000)
    with pytest.raises(HubUnavailableError, match="HTTP 503"):
        notifier.deliver(new)
    assert ledger.by_hub == {}
    assert notifier.deliver(new).outcome == "sent"
    # The older announcement, retried later: rss already went out newer; only atom is left.
    delivery = notifier.deliver(old)
    assert (delivery.outcome, delivery.topics) == ("sent", ("t/atom",))
    assert poster.posts == [(HUB, ["t/rss"]), (HUB, ["t/rss"]), (HUB, ["t/atom"])]
    assert notifier.deliver(old).outcome == "superseded"
    assert notifier.deliver(Announcement("https://gone.example/", ("t/rss",), 3000)).outcome == "dropped"
    assert len(poster.posts) == 3


def test_retry_delays_grow_to_the_queue_ceiling_with_jitter() -> None:
    rng = random.Random(7)
    delays = [retry_delay(n, rng) for n in range(1, 10)]
    assert 15 <= delays[0] <= 30 and 30 <= delays[1] <= 60
    assert all(450 <= d <= 900 for d in delays[5:])
    assert len({retry_delay(3, rng) for _ in range(20)}) > 1, "jitter spreads retries"
