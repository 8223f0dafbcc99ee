"""Push through the edge (issue 12), on the local stack: the invariants that matter to a WebSub
subscriber and to a takedown, checked through the CloudFront stand-in (feedpub_cli.local.front and its
cache, feedpub_cli.local.edge) rather than in the bucket.

- The stale-fetch invariant under a burst: every push the local hub delivers (the hub's fetch
  through the edge right after a ping) holds every item the origin (the site bucket, read directly:
  S3 is strongly consistent) held when the hub received that ping.
- The same check, on a real hub in front of an edge with a fake origin, catches the stale fetch a
  cached `max-age=30` copy causes: the invariant is not vacuous.
- A takedown (a delete, or a re-upload as a draft) leaves every feed as the edge serves it within
  the bound (60 s), and never after the origin has dropped it.

One stack for the module (tests/conftest.py `served_site`); each test uploads its own articles.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from feedpub.cache_control import TAKEDOWN_SECONDS
from feedpub_cli.local.edge import CachePolicy, EdgeCache
from feedpub_cli.local.front import site_response
from feedpub_cli.local.hub import Hub
from tests.support.http import post_form, request
from tests.support.origin import CACHED_30, DEFAULT_CACHE_CONTROL, FakeOrigin
from tests.support.served import ServedSite, local_s3

SECTION = "world"
BURST_SECTIONS = ("world", "business", "sport")
BURST_SIZE = 15
BURST_THREADS = 5
SETTLE_TIMEOUT = 90.0
"""A burst of 15 is ingested, published, announced and pushed in a few seconds here."""
WAIT = 10.0
HIT = {"Hit from cloudfront", "RefreshHit from cloudfront"}
"""X-Cache when the edge answered from a copy it held (revalidated or not)."""


# -------------------------------------------------------------------------------------------------
# Helpers: a WebSub subscriber that logs in the hub's order, a hook on the hub's publish, the check
# -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """One request the hub made to a callback: an intent verification (GET) or a push (POST)."""

    callback: str
    kind: str
    """"verify" or "push"."""
    body: bytes
    at: float


class Callbacks:
    """WebSub callbacks at /callback/<name> on 127.0.0.1: each echoes hub.challenge (so every
    intent is confirmed) and accepts every push. Every request is logged in arrival order; the
    local hub makes them from one worker, waiting for each answer, so the log is the worker's order.
    """

    def __init__(self) -> None:
        self.log: list[Received] = []
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/callback/{name}"

    def pushes(self, name: str, after: int = 0) -> list[Received]:
        """The pushes to `name`, in order, among the requests logged from index `after` on."""
        with self._changed:
            return [r for r in self.log[after:] if r.callback == name and r.kind == "push"]

    def index_of(self, name: str, kind: str) -> int | None:
        """Where the first request of this kind to `name` is in the log."""
        with self._changed:
            return next((n for n, r in enumerate(self.log) if (r.callback, r.kind) == (name, kind)), None)

    def wait_for(self, condition: Callable[[], bool], timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(condition, timeout)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _add(self, received: Received) -> None:
        with self._changed:
            self.log.append(received)
            self._changed.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        callbacks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                challenge = parse_qs(parts.query).get("hub.challenge", [""])[0].encode()
                callbacks._add(Received(parts.path.rsplit("/", 1)[-1], "verify", challenge, time.time()))
                self._answer(challenge)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                callbacks._add(Received(self.path.rsplit("/", 1)[-1], "push", body, time.time()))
                self._answer(b"")

            def _answer(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def callbacks() -> Iterator[Callbacks]:
    server = Callbacks()
    yield server
    server.stop()


def rss_items(body: bytes) -> dict[str, str]:
    """guid -> title of every item of an RSS document."""
    root = ET.fromstring(body)
    return {item.findtext("guid", ""): item.findtext("title", "") for item in root.iter("item")}


@dataclass(frozen=True)
class Ping:
    """A hub.mode=publish the hub accepted, and what the origin held for each watched topic then."""

    topics: tuple[str, ...]
    origin: Mapping[str, frozenset[str]]
    """Watched topic -> the item guids of the origin's object, read before the hub could fetch it."""
    at: float


class PingSnapshots:
    """Wraps `hub.receive` so that each publish the hub accepts is recorded with the origin's items
    of every watched topic, read before the hub sees the publish (and so before its fetch).

    One lock around snapshot and receive: the pings are recorded in the order the hub queues them
    for its single worker, which is the order its pushes reach a callback.
    """

    def __init__(self, hub: Hub, watched: Sequence[str], origin: Callable[[str], bytes | None]) -> None:
        self.hub = hub
        self.watched = tuple(watched)
        self.origin = origin
        self.lock = threading.Lock()
        self.pings: list[Ping] = []
        self._receive = hub.receive

    def receive(self, form: list[tuple[str, str]]) -> None:
        if dict(form).get("hub.mode") != "publish":
            self._receive(form)
            return
        topics = tuple(value for name, value in form if name == "hub.url")
        with self.lock:
            snapshot: dict[str, frozenset[str]] = {}
            for topic in self.watched:
                if topic in topics:
                    body = self.origin(topic)
                    snapshot[topic] = frozenset(rss_items(body)) if body is not None else frozenset()
            self._receive(form)  # raises for a request the hub refuses: then nothing is recorded
            self.pings.append(Ping(topics, snapshot, time.time()))

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(self.hub, "receive", self.receive)

    def barrier(self, hub_url: str, topic: str, callback: str) -> int:
        """Queue an intent verification on the hub's worker with no publish able to slip in;
        returns how many pings were recorded before it. Once the callback has seen the verification,
        the hub has handled every earlier ping and none of the later ones."""
        with self.lock:
            form = [("hub.mode", "unsubscribe"), ("hub.topic", topic), ("hub.callback", callback)]
            assert post_form(hub_url, form) == (202, "")
            return len(self.pings)


def stale_pushes(pings: Sequence[Ping], pushes: Mapping[str, Sequence[bytes]]) -> list[str]:
    """Every push (by topic, in order) that lacks an item the origin held when the hub got the ping
    it answers (the n-th ping naming the topic); and any topic whose pings and pushes differ in number.

    Articles are only added while this is checked, so "at least as new" is "a superset of".
    """
    problems = []
    for topic, bodies in pushes.items():
        before = [ping.origin[topic] for ping in pings if topic in ping.origin]
        if len(before) != len(bodies):
            problems.append(f"{topic}: {len(before)} pings naming it, but {len(bodies)} pushes")
        for number, (held, body) in enumerate(zip(before, bodies, strict=False), start=1):
            missing = held - rss_items(body).keys()
            if missing:
                problems.append(
                    f"{topic}: push {number} of {len(bodies)} lacks {sorted(missing)}, which the origin "
                    "held when the hub received the ping"
                )
    return problems


def subscribe(hub: Hub, topic: str, callback: str) -> None:
    """Subscribe `callback` to `topic` and wait until the hub has verified the intent."""
    form = [("hub.mode", "subscribe"), ("hub.topic", topic), ("hub.callback", callback)]
    assert post_form(hub.url, form) == (202, "")
    assert hub.wait_for(lambda: any(s.callback == callback for s in hub.subscriptions), WAIT)


@contextmanager
def subscribed(hub: Hub, callbacks: Callbacks, topics: Mapping[str, str]) -> Iterator[None]:
    """Callback name -> topic subscriptions, unsubscribed on the way out (the stack outlives the
    callbacks, and its hub would go on pushing to a closed port)."""
    urls = {callbacks.url(name) for name in topics}
    for name, topic in topics.items():
        subscribe(hub, topic, callbacks.url(name))
    try:
        yield
    finally:
        for name, topic in topics.items():
            form = [("hub.mode", "unsubscribe"), ("hub.topic", topic), ("hub.callback", callbacks.url(name))]
            post_form(hub.url, form)
        hub.wait_for(lambda: not any(s.callback in urls for s in hub.subscriptions), WAIT)


def markdown(title: str, published: datetime, draft: bool = False) -> bytes:
    """An article as an editor writes it (the shape of tests.support.events `article()`)."""
    lines = ["---", f"title: {json.dumps(title)}", f"published: {json.dumps(published.isoformat())}"]
    lines += ['authors: ["Test Desk"]', *(["draft: true"] if draft else []), "---"]
    lines.append("PORT ELLIS — This story was uploaded by tests/local/test_push_edge.py to the local stack.")
    return ("\n".join(lines) + "\n").encode()


def site_bucket_reader(served: ServedSite) -> Callable[[str], bytes | None]:
    """A topic URL's object in the site bucket, straight from S3 (not through the edge)."""
    s3 = local_s3(served.site)
    bucket = served.site.stack.site_bucket

    def read(topic: str) -> bytes | None:
        try:
            response = s3.get_object(Bucket=bucket, Key=urlsplit(topic).path.lstrip("/"))
        except s3.exceptions.NoSuchKey:
            return None
        body: bytes = response["Body"].read()
        return body

    return read


# -------------------------------------------------------------------------------------------------
# The stale-fetch invariant under a burst, through the caching front
# -------------------------------------------------------------------------------------------------


def test_every_push_in_a_burst_is_at_least_as_new_as_its_ping(
    served_site: ServedSite, callbacks: Callbacks, monkeypatch: pytest.MonkeyPatch, record_property: Any
) -> None:
    from feedpub.runtime import runtime

    site = served_site.site
    hub: Hub = site.hub
    topics = {"site": site.feed_urls["rss"], SECTION: f"{site.site_url}/feeds/{SECTION}/rss.xml"}
    read_origin = site_bucket_reader(served_site)
    with subscribed(hub, callbacks, topics):
        snapshots = PingSnapshots(hub, list(topics.values()), read_origin)
        snapshots.install(monkeypatch)
        first_ping = snapshots.barrier(hub.url, topics["site"], callbacks.url("barrier"))
        assert callbacks.wait_for(lambda: callbacks.index_of("barrier", "verify") is not None, WAIT)
        barrier = callbacks.index_of("barrier", "verify")
        assert barrier is not None

        run = uuid.uuid4().hex[:8]
        now = datetime.now(UTC)
        uploads = [
            (
                f"articles/{BURST_SECTIONS[n % len(BURST_SECTIONS)]}/burst-{run}-{n:02d}.md",
                f"Burst story {n:02d} {run} pushed through the edge",
                now - timedelta(seconds=60 - n),
            )
            for n in range(BURST_SIZE)
        ]
        wanted = {
            "site": {title for _, title, _ in uploads},
            SECTION: {title for key, title, _ in uploads if key.startswith(f"articles/{SECTION}/")},
        }
        s3 = local_s3(site)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=BURST_THREADS) as pool:
            list(
                pool.map(
                    lambda upload: s3.put_object(
                        Bucket=site.stack.articles_bucket, Key=upload[0], Body=markdown(upload[1], upload[2])
                    ),
                    uploads,
                )
            )

        def final_bytes(name: str) -> bytes:
            body = read_origin(topics[name])
            assert body is not None
            return body

        def pushed(name: str) -> list[bytes]:
            return [push.body for push in callbacks.pushes(name, after=barrier)]

        def settled() -> bool:
            """Every upload is in the bucket's feeds, and the last push of each topic is those bytes."""
            for name, titles in wanted.items():
                body, bodies = read_origin(topics[name]), pushed(name)
                if body is None or not titles <= set(rss_items(body).values()) or not bodies:
                    return False
                if bodies[-1] != body:
                    return False
            return True

        deadline = time.perf_counter() + SETTLE_TIMEOUT
        while not settled() and time.perf_counter() < deadline:
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        served_site.wait_until_idle("IngestFunction")
        served_site.wait_until_idle("PingFunction")
        pings = snapshots.pings[first_ping:]

        def distributed() -> bool:
            """The hub has pushed every ping it received: as many pushes per topic as pings naming it."""
            return all(
                len(pushed(name)) == sum(topic in ping.topics for ping in pings)
                for name, topic in topics.items()
            )

        callbacks.wait_for(distributed, WAIT)
        pings = snapshots.pings[first_ping:]
        pushes = {topic: pushed(name) for name, topic in topics.items()}
        counts = {name: len(pushes[topic]) for name, topic in topics.items()}
        print(
            f"\nburst of {BURST_SIZE} from {BURST_THREADS} threads: {len(pings)} pings, pushes {counts}, "
            f"settled after {seconds:.2f} s"
        )
        record_property("burst_settled_s", round(seconds, 2))
        record_property("burst_pings", len(pings))

        assert all(counts.values()), f"a topic was never pushed: {counts}; pings {pings}"
        assert stale_pushes(pings, pushes) == []
        items_per_feed = runtime().config.items_per_feed
        for name, topic in topics.items():
            final = final_bytes(name)
            assert len(rss_items(final)) < items_per_feed  # else older items leave and "superset" is wrong
            assert pushes[topic][-1] == final, f"the last push of {topic} is not the bucket's final bytes"
            arrived = set[str]().union(*(rss_items(body).values() for body in pushes[topic]))
            assert wanted[name] <= arrived, f"never pushed on {topic}: {sorted(wanted[name] - arrived)}"


# -------------------------------------------------------------------------------------------------
# The same check catches a stale edge: a copy cached for max-age=30, and a ping that is not delayed
# -------------------------------------------------------------------------------------------------
# tests/local/test_edge_cache.py::test_a_fetch_right_after_the_origin_changed shows the edge alone serving
# old bytes a second after the origin changed under max-age=30. This runs the burst test's machinery
# (a real hub, its publish hook, the callbacks, `stale_pushes`) on that edge, so that a push with old
# bytes is seen to fail the check above.


def rss(*guids: str) -> bytes:
    items = "".join(f"<item><guid>{guid}</guid><title>Story {guid}</title></item>" for guid in guids)
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


class EdgeFront:
    """The front's viewer stage (site_response) over an edge, as an HTTP server on 127.0.0.1."""

    def __init__(self, edge: EdgeCache) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, out, body = site_response(edge, urlsplit(self.path).path, headers)
                self.send_response(status)
                for name, value in out.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.mark.parametrize(
    ("cache_control", "stale"),
    [(CACHED_30, True), (DEFAULT_CACHE_CONTROL, False)],
    ids=["max-age=30-pushes-old-bytes", "default-s-maxage=0-pushes-new-bytes"],
)
def test_the_push_check_catches_an_edge_that_serves_its_copy(
    callbacks: Callbacks, monkeypatch: pytest.MonkeyPatch, cache_control: str, stale: bool
) -> None:
    path = "/feeds/rss.xml"
    origin = FakeOrigin()
    origin.put(path, rss("old-1", "old-2"), cache_control=cache_control)
    front = EdgeFront(EdgeCache(origin, CachePolicy()))
    hub = Hub()
    hub.start()
    try:
        topic = front.url + path
        subscribe(hub, topic, callbacks.url("reader"))
        first = request(topic)  # a reader's fetch leaves a copy at the edge
        assert (first.status, first.headers["X-Cache"]) == (200, "Miss from cloudfront")

        def read_origin(url: str) -> bytes:
            return origin.objects[urlsplit(url).path].body

        snapshots = PingSnapshots(hub, [topic], read_origin)
        snapshots.install(monkeypatch)
        origin.put(path, rss("new-3", "old-1", "old-2"), cache_control=cache_control)  # a publish
        assert post_form(hub.url, [("hub.mode", "publish"), ("hub.url", topic)]) == (202, "")  # at once
        assert callbacks.wait_for(lambda: len(callbacks.pushes("reader")) == 1, WAIT)

        problems = stale_pushes(snapshots.pings, {topic: [p.body for p in callbacks.pushes("reader")]})
        assert len(snapshots.pings) == 1
        if stale:
            assert len(problems) == 1
            assert "lacks ['new-3']" in problems[0]
        else:
            assert problems == []
    finally:
        hub.stop()
        front.stop()


# -------------------------------------------------------------------------------------------------
# Takedown through the edge within the bound
# -------------------------------------------------------------------------------------------------

TAKEDOWN_FEEDS = (
    "rss.xml",
    "atom.xml",
    "feed.json",
    f"{SECTION}/rss.xml",
    f"{SECTION}/atom.xml",
    f"{SECTION}/feed.json",
)
"""Every feed a story of the section is in: the site's and its section's, in each format."""


def delete_article(served: ServedSite, key: str) -> None:
    """Delete as an editor does: the versioned bucket keeps a delete marker, and the local stack
    notifies it as S3 does (ObjectRemoved:DeleteMarkerCreated, feedpub_cli.local.s3_events)."""
    site = served.site
    local_s3(site).delete_object(Bucket=site.stack.articles_bucket, Key=key)


def make_draft(served: ServedSite, key: str, title: str, published: datetime) -> None:
    """Re-upload the same article with `draft: true`."""
    site = served.site
    local_s3(site).put_object(
        Bucket=site.stack.articles_bucket, Key=key, Body=markdown(title, published, draft=True)
    )


@pytest.mark.parametrize("takedown", ["deleted", "made-a-draft"])
def test_a_takedown_leaves_every_feed_at_the_edge_within_the_bound(
    served_site: ServedSite, takedown: str, record_property: Any
) -> None:
    site = served_site.site
    slug = f"takedown-{uuid.uuid4().hex[:10]}"
    key = f"articles/{SECTION}/{slug}.md"
    title = f"Takedown story {slug} leaves the edge"
    published = datetime.now(UTC) - timedelta(seconds=30)
    urls = [f"{site.site_url}/feeds/{feed}" for feed in TAKEDOWN_FEEDS]
    read_origin = site_bucket_reader(served_site)

    def carries(body: bytes | None) -> bool:
        return body is not None and (slug.encode() in body or title.encode() in body)

    local_s3(site).put_object(Bucket=site.stack.articles_bucket, Key=key, Body=markdown(title, published))
    served_site.wait_until_idle("IngestFunction", lambda: all(carries(read_origin(url)) for url in urls))

    # The edge holds a copy of every feed with the story: a second fetch is answered from it.
    for url in urls:
        assert carries(request(url).body), url
        held = request(url)
        assert held.headers["X-Cache"] in HIT, (url, held.headers["X-Cache"])
        assert carries(held.body), url

    publishes_before = len(site.hub.publishes)
    started = time.perf_counter()
    if takedown == "deleted":
        delete_article(served_site, key)
    else:
        make_draft(served_site, key, title, published)

    left: dict[str, float] = {}
    deadline = started + TAKEDOWN_SECONDS
    while len(left) < len(urls) and time.perf_counter() < deadline:
        for url in urls:
            if url in left:
                continue
            dropped_at_origin = not carries(read_origin(url))
            served = request(url)
            assert served.status == 200, (url, served.status)
            if dropped_at_origin:  # the origin dropped it before this fetch: the edge must have too
                assert not carries(served.body), f"{url}: served by the edge after the origin dropped it"
            if not carries(served.body):
                left[url] = time.perf_counter() - started
        time.sleep(0.1)
    seconds = max(left.values(), default=float("inf"))
    print(f"\ntakedown ({takedown}) gone from every feed at the edge after {seconds:.2f} s: {left}")
    record_property("takedown_s", round(seconds, 2))
    assert sorted(left) == sorted(urls), f"still served after {TAKEDOWN_SECONDS} s: {set(urls) - set(left)}"
    assert seconds <= TAKEDOWN_SECONDS
    for url in urls:
        assert not carries(request(url).body), f"{url}: served again after it left"

    # A takedown is announced like any change: the hub is told about every feed it left.
    def announced() -> set[str]:
        return {topic for publish in site.hub.publishes[publishes_before:] for topic in publish.topics}

    assert site.hub.wait_for(lambda: set(urls) <= announced(), TAKEDOWN_SECONDS), announced()
