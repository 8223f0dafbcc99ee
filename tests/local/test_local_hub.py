"""The local WebSub hub (feedpub_cli.local.hub), standalone: subscription with intent verification,
publish, content distribution with signatures, and the 400s. Subscribers and topics are a tiny HTTP
server on 127.0.0.1; waits are on the hub's records, a few seconds at most.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest

from feedpub_cli.local.hub import MAX_SECRET_BYTES, Hub
from tests.support.http import WAIT, Form, post_form
from tests.support.subscriber import RSS_TYPE, Subscriber


def subscribe(hub: Hub, topic: str, callback: str, *extra: tuple[str, str], mode: str = "subscribe") -> None:
    """Ask the hub, and wait until it has verified the intent (either way)."""
    seen = len(hub.verifications)
    form = [("hub.mode", mode), ("hub.topic", topic), ("hub.callback", callback), *extra]
    assert post_form(hub.url, form) == (202, "")
    assert hub.wait_for(lambda: len(hub.verifications) > seen, WAIT)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(clock: Clock) -> Iterator[Hub]:
    hub = Hub(timeout=WAIT, clock=clock)
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    subscriber = Subscriber()
    yield subscriber
    subscriber.stop()


# -------------------------------------------------------------------------------------------------
# Subscription and intent verification
# -------------------------------------------------------------------------------------------------


def test_subscription_is_active_once_the_callback_echoes_the_challenge(
    hub: Hub, subscriber: Subscriber, clock: Clock
) -> None:
    topic = subscriber.topic("rss.xml", b"<rss/>")
    callback = subscriber.callback("reader") + "?id=42"  # a callback may carry its own query
    subscribe(hub, topic, callback, ("hub.lease_seconds", "3600"), ("hub.secret", "s3cret"))

    name, query = subscriber.verifications[-1]
    assert name == "reader"
    assert query["id"] == "42"
    assert (query["hub.mode"], query["hub.topic"], query["hub.lease_seconds"]) == ("subscribe", topic, "3600")
    assert len(query["hub.challenge"]) >= 16
    assert [(v.mode, v.accepted) for v in hub.verifications] == [("subscribe", True)]
    [active] = hub.subscriptions
    assert (active.topic, active.callback, active.secret) == (topic, callback, "s3cret")
    assert active.expires_at == clock.now + 3600


@pytest.mark.parametrize("answer", ["404", "200 without the challenge"])
def test_refused_intent_never_becomes_a_subscription(hub: Hub, subscriber: Subscriber, answer: str) -> None:
    topic = subscriber.topic("rss.xml", b"<rss>stories</rss>")
    refused = (
        subscriber.callback("spoofed", confirm=False) if answer == "404" else f"{subscriber.url}/callback/x"
    )
    subscribe(hub, topic, refused)
    assert [(v.callback, v.accepted) for v in hub.verifications] == [(refused, False)]
    assert hub.subscriptions == []

    subscribe(hub, topic, subscriber.callback("reader"))
    assert post_form(hub.url, [("hub.mode", "publish"), ("hub.url", topic)]) == (202, "")
    assert subscriber.wait_for_push(lambda push: push.callback == "/callback/reader", WAIT)
    assert [push.callback for push in subscriber.pushes] == ["/callback/reader"]


def test_unsubscribe_is_verified_too(hub: Hub, subscriber: Subscriber) -> None:
    topic = subscriber.topic("rss.xml", b"<rss/>")
    callback = subscriber.callback("reader")
    subscribe(hub, topic, callback)
    assert len(hub.subscriptions) == 1
    subscribe(hub, topic, callback, mode="unsubscribe")
    assert "hub.lease_seconds" not in subscriber.verifications[-1][1]
    assert subscriber.verifications[-1][1]["hub.mode"] == "unsubscribe"
    assert hub.subscriptions == []


def test_a_lease_runs_out(hub: Hub, subscriber: Subscriber, clock: Clock) -> None:
    topic = subscriber.topic("rss.xml", b"<rss/>")
    subscribe(hub, topic, subscriber.callback("short"), ("hub.lease_seconds", "60"))
    subscribe(hub, topic, subscriber.callback("long"))  # the default lease: days
    clock.now += 61
    assert [s.callback for s in hub.subscriptions] == [subscriber.callback("long")]
    assert post_form(hub.url, [("hub.mode", "publish"), ("hub.url", topic)]) == (202, "")
    assert hub.wait_for(lambda: len(hub.deliveries) == 1, WAIT)
    assert [push.callback for push in subscriber.pushes] == ["/callback/long"]


# -------------------------------------------------------------------------------------------------
# Publish and content distribution
# -------------------------------------------------------------------------------------------------


def test_publish_of_several_topics_delivers_each_to_its_subscribers(
    hub: Hub, subscriber: Subscriber, clock: Clock
) -> None:
    site = subscriber.topic("rss.xml", b"<rss>site</rss>")
    world = subscriber.topic("world-rss.xml", b"<rss>world</rss>")
    missing = f"{subscriber.url}/topics/gone.xml"
    secret = "a secret only the subscriber and the hub know"
    subscribe(hub, site, subscriber.callback("signed"), ("hub.secret", secret))
    subscribe(hub, world, subscriber.callback("plain"))
    subscribe(hub, missing, subscriber.callback("plain"))

    form = [("hub.mode", "publish"), ("hub.url", missing), ("hub.url", site), ("hub.url", world)]
    assert post_form(hub.url, form) == (202, "")
    [publish] = hub.publishes
    assert (publish.topics, publish.received_at) == ((missing, site, world), clock.now)
    assert hub.wait_for(lambda: len(hub.deliveries) == 2, WAIT)

    signed = next(p for p in subscriber.pushes if p.callback == "/callback/signed")
    assert signed.body == b"<rss>site</rss>"
    assert signed.headers["Content-Type"] == RSS_TYPE
    assert signed.headers["Link"] == f'<{hub.url}>; rel="hub", <{site}>; rel="self"'
    expected = hmac.new(secret.encode(), signed.body, hashlib.sha256).hexdigest()
    assert signed.headers["X-Hub-Signature"] == f"sha256={expected}"

    plain = next(p for p in subscriber.pushes if p.callback == "/callback/plain")
    assert plain.body == b"<rss>world</rss>"
    assert plain.headers["Link"] == f'<{hub.url}>; rel="hub", <{world}>; rel="self"'
    assert "X-Hub-Signature" not in plain.headers
    # The topic that could not be fetched was delivered to nobody.
    assert sorted((d.topic, d.status, d.signed) for d in hub.deliveries) == [
        (site, 200, True),
        (world, 200, False),
    ]


# -------------------------------------------------------------------------------------------------
# Malformed requests
# -------------------------------------------------------------------------------------------------


OK_URL = "https://www.example.com/feeds/rss.xml"
SUBSCRIBE: Form = [("hub.mode", "subscribe"), ("hub.topic", OK_URL), ("hub.callback", OK_URL)]


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ([], "hub.mode must be"),
        ([("hub.mode", "ping")], "hub.mode must be"),
        ([("hub.mode", "publish")], "at least one hub.url"),
        ([("hub.mode", "publish"), ("hub.url", "/feeds/rss.xml")], "hub.url must be an absolute"),
        (SUBSCRIBE[:2], "hub.callback must be an absolute"),
        ([*SUBSCRIBE, ("hub.topic", "ftp://example.com/rss")], "hub.topic must be an absolute"),
        ([*SUBSCRIBE, ("hub.lease_seconds", "0")], "hub.lease_seconds must be a positive"),
        (
            [*SUBSCRIBE, ("hub.secret", "x" * (MAX_SECRET_BYTES + 1))],
            "hub.secret must be less than 200 bytes",
        ),
    ],
)
def test_malformed_requests_get_400_with_the_reason(hub: Hub, form: Form, reason: str) -> None:
    status, text = post_form(hub.url, form)
    assert status == 400
    assert reason in text
    assert (hub.publishes, hub.verifications) == ([], [])


def test_a_body_that_is_not_a_form_gets_400(hub: Hub) -> None:
    status, text = post_form(hub.url, [("hub.mode", "publish"), ("hub.url", OK_URL)], "application/json")
    assert status == 400
    assert "Content-Type must be application/x-www-form-urlencoded" in text
    assert hub.publishes == []
