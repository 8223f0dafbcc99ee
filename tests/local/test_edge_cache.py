"""The local CDN (feedpub_cli.local.edge, and the front's viewer stage in feedpub_cli.local.front): what it
caches, for how long, when it asks the origin, and what the viewer sees. A fake origin and a fake
clock; no sleeps, no network.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from feedpub.cache_control import TAKEDOWN_SECONDS
from feedpub_cli.local.edge import CachePolicy, EdgeCache, OriginResponse
from feedpub_cli.local.front import site_response
from feedpub_cli.local.stack import load_template
from tests.support.origin import CACHED_30, DEFAULT_CACHE_CONTROL, LINK, MODIFIED, FakeOrigin


class Clock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Deferred:
    """Background work (stale-while-revalidate refreshes), run when the test says so."""

    def __init__(self) -> None:
        self.tasks: list[Callable[[], None]] = []

    def __call__(self, task: Callable[[], None]) -> None:
        self.tasks.append(task)

    def run(self) -> int:
        tasks, self.tasks = self.tasks, []
        for task in tasks:
            task()
        return len(tasks)


@pytest.fixture
def origin() -> FakeOrigin:
    return FakeOrigin()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deferred() -> Deferred:
    return Deferred()


@pytest.fixture
def edge(origin: FakeOrigin, clock: Clock, deferred: Deferred) -> EdgeCache:
    return EdgeCache(origin, CachePolicy(), clock, deferred)


RSS = "/feeds/rss.xml"


# -------------------------------------------------------------------------------------------------
# How long a copy is kept
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "cache_control", "ttl"),
    [
        (CachePolicy(), DEFAULT_CACHE_CONTROL, 0),  # s-maxage=0 wins over max-age=60
        (CachePolicy(), CACHED_30, 30),
        (CachePolicy(), "public, max-age=3600", 60),  # clamped to MaxTTL
        (CachePolicy(), "public, s-maxage=3600, max-age=1", 60),
        (CachePolicy(), "public", 0),  # DefaultTTL
        (CachePolicy(), "no-store", None),  # with MinTTL 0, not cached at all
        (CachePolicy(), "private, max-age=30", None),
        (CachePolicy(min_ttl=5), "no-cache", 5),
        (CachePolicy(10, 20, 100), "", 20),
        (CachePolicy(10, 20, 100), "max-age=5", 10),  # raised to MinTTL
        (CachePolicy(10, 20, 100), "s-maxage=200, max-age=1", 100),
    ],
)
def test_ttl_is_cloudfronts_rule(policy: CachePolicy, cache_control: str, ttl: int | None) -> None:
    assert policy.ttl(cache_control) == ttl


def test_policy_is_read_from_the_template() -> None:
    config = {"MinTTL": "1", "DefaultTTL": 2, "MaxTTL": 3}  # CloudFormation takes either
    resources = {"FeedCachePolicy": {"Properties": {"CachePolicyConfig": config}}}
    assert CachePolicy.from_template(resources, lambda node: node) == CachePolicy(1, 2, 3)
    assert CachePolicy.from_template({}, lambda node: node) == CachePolicy(0, 0, 60)


def test_the_deployed_policy_lets_feeds_revalidate_within_the_takedown_bound() -> None:
    policy = CachePolicy.from_template(load_template()["Resources"], lambda node: node)
    assert policy.min_ttl == 0  # else s-maxage=0 could not make the edge revalidate every fetch
    assert policy.max_ttl <= TAKEDOWN_SECONDS
    assert policy.ttl(DEFAULT_CACHE_CONTROL) == 0


# -------------------------------------------------------------------------------------------------
# Hits, revalidation, refresh
# -------------------------------------------------------------------------------------------------


def test_fresh_copy_is_served_without_asking_the_origin(
    edge: EdgeCache, origin: FakeOrigin, clock: Clock
) -> None:
    origin.put(RSS, b"v1")
    first = edge.get(RSS)
    assert (first.result, first.body, first.age) == ("Miss", b"v1", None)
    clock.advance(29)
    again = edge.get(RSS)
    assert (again.result, again.body, again.age) == ("Hit", b"v1", 29)
    assert origin.requests == [(RSS, None)]


def test_expired_copy_is_revalidated_and_a_304_refreshes_it(
    edge: EdgeCache, origin: FakeOrigin, clock: Clock
) -> None:
    etag = origin.put(RSS, b"v1")
    edge.get(RSS)
    clock.advance(30)
    refreshed = edge.get(RSS)
    assert (refreshed.result, refreshed.body) == ("RefreshHit", b"v1")
    assert refreshed.headers["ETag"] == etag
    assert origin.requests[-1] == (RSS, etag)
    clock.advance(10)
    assert (edge.get(RSS).result, len(origin.requests)) == ("Hit", 2)  # the TTL started again


def test_changed_origin_replaces_the_expired_copy(edge: EdgeCache, origin: FakeOrigin, clock: Clock) -> None:
    old_etag = origin.put(RSS, b"v1")
    edge.get(RSS)
    new_etag = origin.put(RSS, b"v2")
    clock.advance(31)
    changed = edge.get(RSS)
    assert (changed.result, changed.body, changed.headers["ETag"]) == ("Miss", b"v2", new_etag)
    assert origin.requests[-1] == (RSS, old_etag)
    kept = edge.get(RSS)
    assert (kept.result, kept.body) == ("Hit", b"v2")


def test_max_ttl_bounds_what_the_object_asks_for(edge: EdgeCache, origin: FakeOrigin, clock: Clock) -> None:
    origin.put(RSS, b"v1", cache_control="public, max-age=3600")
    edge.get(RSS)
    clock.advance(59)
    assert edge.get(RSS).result == "Hit"
    clock.advance(1)
    assert edge.get(RSS).result == "RefreshHit"


def test_stale_while_revalidate_serves_the_stale_copy_and_refreshes_it_in_the_background(
    edge: EdgeCache, origin: FakeOrigin, clock: Clock, deferred: Deferred
) -> None:
    origin.put(RSS, b"v1", cache_control="public, max-age=10, stale-while-revalidate=30")
    edge.get(RSS)
    origin.put(RSS, b"v2", cache_control="public, max-age=10, stale-while-revalidate=30")
    clock.advance(15)
    stale = edge.get(RSS)
    assert (stale.result, stale.body, stale.age) == ("Hit", b"v1", 15)
    assert edge.get(RSS).body == b"v1"
    assert len(origin.requests) == 1  # served at once: the origin is asked only in the background
    assert deferred.run() == 1  # one refresh for two stale hits
    assert len(origin.requests) == 2
    refreshed = edge.get(RSS)
    assert (refreshed.result, refreshed.body, refreshed.age) == ("Hit", b"v2", 0)

    origin.put(RSS, b"v3", cache_control="public, max-age=10, stale-while-revalidate=30")
    clock.advance(40)  # past max-age and stale-while-revalidate: the viewer waits for the origin
    fetched = edge.get(RSS)
    assert (fetched.result, fetched.body) == ("Miss", b"v3")
    assert deferred.tasks == []


def test_proxy_revalidate_forbids_serving_stale(edge: EdgeCache, origin: FakeOrigin, clock: Clock) -> None:
    cache_control = "public, max-age=10, stale-while-revalidate=30, proxy-revalidate"
    origin.put(RSS, b"v1", cache_control=cache_control)
    edge.get(RSS)
    origin.put(RSS, b"v2", cache_control=cache_control)
    clock.advance(15)
    fetched = edge.get(RSS)
    assert (fetched.result, fetched.body) == ("Miss", b"v2")


def test_no_store_is_fetched_every_time(edge: EdgeCache, origin: FakeOrigin) -> None:
    origin.put(RSS, b"v1", cache_control="no-store")
    assert [edge.get(RSS).result for _ in range(3)] == ["Miss", "Miss", "Miss"]
    assert len(origin.requests) == 3


def test_missing_object_is_an_error_and_not_cached(edge: EdgeCache, origin: FakeOrigin) -> None:
    missing = edge.get("/feeds/world/rss.xml")
    assert (missing.status, missing.result) == (404, "Error")
    origin.put("/feeds/world/rss.xml", b"first story")
    written = edge.get("/feeds/world/rss.xml")
    assert (written.result, written.body) == ("Miss", b"first story")


def test_a_deleted_object_leaves_the_cache_once_its_copy_expires(
    edge: EdgeCache, origin: FakeOrigin, clock: Clock
) -> None:
    origin.put(RSS, b"v1")
    edge.get(RSS)
    del origin.objects[RSS]
    assert edge.get(RSS).body == b"v1"  # fresh for 30 s: only an invalidation removes it sooner
    clock.advance(30)
    assert [edge.get(RSS).status for _ in range(2)] == [404, 404]  # and not cached
    origin.put(RSS, b"v1")
    assert edge.get(RSS).result == "Miss"
    assert origin.requests[-1] == (RSS, None)  # nothing left to revalidate


# -------------------------------------------------------------------------------------------------
# The stale-fetch race a WebSub hub can lose, and why the default Cache-Control matters
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cache_control", "seen"),
    [(CACHED_30, b"old story list"), (DEFAULT_CACHE_CONTROL, b"new story list")],
    ids=["max-age=30-serves-old-bytes", "default-s-maxage=0-serves-new-bytes"],
)
def test_a_fetch_right_after_the_origin_changed(
    edge: EdgeCache, origin: FakeOrigin, clock: Clock, cache_control: str, seen: bytes
) -> None:
    origin.put(RSS, b"old story list", cache_control=cache_control)
    edge.get(RSS)  # a reader's fetch leaves a copy at the edge
    clock.advance(5)
    origin.put(RSS, b"new story list", cache_control=cache_control)  # publish, then ping the hub
    clock.advance(1)
    assert edge.get(RSS).body == seen  # the hub's fetch, a second after the ping


# -------------------------------------------------------------------------------------------------
# Invalidations
# -------------------------------------------------------------------------------------------------


def test_invalidation_of_an_exact_path_and_a_wildcard(edge: EdgeCache, origin: FakeOrigin) -> None:
    paths = [RSS, "/feeds/atom.xml", "/feeds/world/rss.xml", "/feeds-archive/rss.xml"]
    for path in paths:
        origin.put(path, path.encode())
        edge.get(path)
    assert edge.invalidate([RSS]) == 1
    assert [edge.get(path).result for path in paths] == ["Miss", "Hit", "Hit", "Hit"]
    assert edge.invalidate(["/feeds/*"]) == 3
    assert [edge.get(path).result for path in paths] == ["Miss", "Miss", "Miss", "Hit"]
    assert edge.invalidate(["/*"]) == 4
    assert edge.invalidate(["/no-such-path"]) == 0


@pytest.mark.parametrize("path", ["feeds/rss.xml", "/feeds/*/rss.xml", "/*/*"])
def test_invalidation_paths_follow_cloudfronts_syntax(edge: EdgeCache, path: str) -> None:
    with pytest.raises(ValueError, match="start it with /"):
        edge.invalidate([path])


# -------------------------------------------------------------------------------------------------
# Concurrency: answers that arrive out of order
# -------------------------------------------------------------------------------------------------


class SlowFirstOrigin(FakeOrigin):
    """Holds its first answer (computed on arrival) until `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()
        self.release = threading.Event()

    def __call__(self, path: str, if_none_match: str | None) -> OriginResponse:
        answer = super().__call__(path, if_none_match)
        if len(self.requests) == 1:
            self.arrived.set()
            assert self.release.wait(5)
        return answer


def _in_background(edge: EdgeCache, path: str) -> tuple[threading.Thread, list[bytes]]:
    got: list[bytes] = []
    thread = threading.Thread(target=lambda: got.append(edge.get(path).body))
    thread.start()
    return thread, got


def test_an_older_origin_answer_does_not_replace_a_newer_copy(clock: Clock) -> None:
    origin = SlowFirstOrigin()
    edge = EdgeCache(origin, CachePolicy(), clock)
    origin.put(RSS, b"v1")
    thread, got = _in_background(edge, RSS)
    assert origin.arrived.wait(5)
    origin.put(RSS, b"v2")
    assert edge.get(RSS).body == b"v2"  # a later request, answered first
    origin.release.set()
    thread.join(5)
    assert got == [b"v1"]  # the slow request gets what the origin had when it asked
    kept = edge.get(RSS)
    assert (kept.result, kept.body) == ("Hit", b"v2")


def test_an_invalidation_is_not_undone_by_a_request_already_under_way(clock: Clock) -> None:
    origin = SlowFirstOrigin()
    edge = EdgeCache(origin, CachePolicy(), clock)
    origin.put(RSS, b"v1")
    thread, _ = _in_background(edge, RSS)
    assert origin.arrived.wait(5)
    origin.put(RSS, b"v2")
    edge.invalidate(["/feeds/*"])
    origin.release.set()
    thread.join(5)
    assert edge.get(RSS).body == b"v2"


# -------------------------------------------------------------------------------------------------
# What the viewer gets (the front's viewer stage: negotiation, conditions, headers)
# -------------------------------------------------------------------------------------------------


def test_viewer_headers(edge: EdgeCache, origin: FakeOrigin, clock: Clock) -> None:
    etag = origin.put(RSS, b"<rss/>")
    status, headers, body = site_response(edge, RSS, {"accept": "*/*"})
    assert (status, body) == (200, b"<rss/>")
    assert headers["Link"] == LINK
    assert "x-amz-meta-link" not in headers
    assert (headers["ETag"], headers["Last-Modified"], headers["Cache-Control"]) == (
        etag,
        MODIFIED,
        CACHED_30,
    )
    assert (headers["Vary"], headers["X-Cache"]) == ("Accept", "Miss from cloudfront")
    assert "Age" not in headers
    clock.advance(7)
    _, headers, _ = site_response(edge, RSS, {})
    assert (headers["X-Cache"], headers["Age"]) == ("Hit from cloudfront", "7")


def test_browsers_get_the_page_as_a_separate_cache_entry(edge: EdgeCache, origin: FakeOrigin) -> None:
    origin.put(RSS, b"<rss/>")
    origin.put("/feeds/index.html", b"<!DOCTYPE html>", link="")
    status, headers, body = site_response(edge, RSS, {"accept": "text/html,application/xhtml+xml"})
    assert (status, body, headers["Vary"]) == (200, b"<!DOCTYPE html>", "Accept")
    assert "Link" not in headers
    assert site_response(edge, RSS, {})[2] == b"<rss/>"
    assert [path for path, _ in origin.requests] == ["/feeds/index.html", RSS]


@pytest.mark.parametrize(
    ("conditions", "status"),
    [
        ({"if-none-match": "{etag}"}, 304),
        ({"if-none-match": '"other", W/{etag}'}, 304),
        ({"if-none-match": "*"}, 304),
        ({"if-none-match": '"0123456789abcdef0123456789abcdef"'}, 200),
        ({"if-modified-since": MODIFIED}, 304),
        ({"if-modified-since": "Thu, 26 Nov 2026 11:59:59 GMT"}, 200),
        ({"if-modified-since": "not a date"}, 200),
        ({"if-none-match": '"other"', "if-modified-since": MODIFIED}, 200),  # If-None-Match decides
    ],
)
def test_viewer_conditional_requests(
    edge: EdgeCache, origin: FakeOrigin, conditions: dict[str, str], status: int
) -> None:
    etag = origin.put(RSS, b"<rss/>")
    request = {name: value.replace("{etag}", etag) for name, value in conditions.items()}
    for _ in ("from the origin", "from the cache"):
        answer, headers, body = site_response(edge, RSS, request)
        assert answer == status
        assert body == (b"" if status == 304 else b"<rss/>")
        assert (headers["ETag"], headers["Link"]) == (etag, LINK)


def test_missing_feed_is_not_found(edge: EdgeCache) -> None:
    status, headers, _ = site_response(edge, "/feeds/nowhere/rss.xml", {})
    assert (status, headers["X-Cache"]) == (404, "Error from cloudfront")


def test_the_front_serves_sitemaps_from_the_site_bucket_never_negotiated(
    edge: EdgeCache, origin: FakeOrigin
) -> None:
    """CloudFront's default behavior serves /sitemaps/* like /feeds/*; a browser gets the XML."""
    from feedpub.config import SiteConfig
    from feedpub_cli.local.front import Front

    origin.put("/sitemaps/news.xml", b"<urlset/>", link="")
    front = Front(edge, None, None, SiteConfig(), None)  # type: ignore[arg-type]  # only the edge is used
    status, headers, body = front.answer("GET", "/sitemaps/news.xml", {"accept": "text/html,*/*"})
    assert (status, body) == (200, b"<urlset/>")
    assert "Vary" not in headers
    assert front.answer("GET", "/sitemaps/articles-1999-01.xml", {})[0] == 404
