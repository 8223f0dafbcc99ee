"""The local WebSub hub (feedpub.local.hub), standalone: subscription with intent verification,
publish, content distribution with signatures, and the 400s. Subscribers and topics are a tiny HTTP
server on 127.0.0.1; waits are on the hub's records, a few seconds at most.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from feedpub.local.hub import MAX_SECRET_BYTES, Hub
from feedpub.websub import PUBLISH_CONTENT_TYPE

WAIT = 5.0
RSS_TYPE = "application/rss+xml; charset=utf-8"
Form = list[tuple[str, str]]


@dataclass(frozen=True)
class Push:
    """A content distribution request a callback received."""

    callback: str
    headers: dict[str, str]
    body: bytes


class Subscriber:
    """WebSub subscribers' callbacks (/callback/<name>) and the topics they follow (/topics/...).

    A callback echoes the challenge when its name is in `confirming`, answers 404 when in
    `refusing`, and otherwise answers 200 with something that is not the challenge.
    """

    def __init__(self) -> None:
        self.topics: dict[str, bytes] = {}
        self.confirming: set[str] = set()
        self.refusing: set[str] = set()
        self.verifications: list[tuple[str, dict[str, str]]] = []
        self.pushes: list[Push] = []
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def callback(self, name: str, confirm: bool = True) -> str:
        (self.confirming if confirm else self.refusing).add(name)
        return f"{self.url}/callback/{name}"

    def topic(self, name: str, body: bytes) -> str:
        self.topics[f"/topics/{name}"] = body
        return f"{self.url}/topics/{name}"

    def wait_for_push(self, matches: Callable[[Push], bool], timeout: float) -> Push | None:
        """The first push that matches, waiting for it up to `timeout` seconds."""

        def first() -> Push | None:
            return next((push for push in self.pushes if matches(push)), None)

        with self._changed:
            self._changed.wait_for(lambda: first() is not None, timeout)
            return first()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path.startswith("/topics/"):
                    topic = subscriber.topics.get(parts.path)
                    if topic is None:
                        self._answer(404, b"")
                    else:
                        self._answer(200, topic, RSS_TYPE)
                    return
                name = parts.path.rsplit("/", 1)[-1]
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                subscriber.verifications.append((name, query))
                if name in subscriber.confirming:
                    self._answer(200, query.get("hub.challenge", "").encode())
                elif name in subscriber.refusing:
                    self._answer(404, b"no such subscription")
                else:
                    self._answer(200, b"ok")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with subscriber._changed:
                    subscriber.pushes.append(Push(self.path, dict(self.headers.items()), body))
                    subscriber._changed.notify_all()
                self._answer(200, b"")

            def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def post_form(url: str, form: Form, content_type: str = PUBLISH_CONTENT_TYPE) -> tuple[int, str]:
    """POST a form to the hub; (status, body)."""
    request = urllib.request.Request(url, urlencode(form).encode(), {"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


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
