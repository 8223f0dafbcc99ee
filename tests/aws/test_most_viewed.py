"""Most viewed on moto: CloudFront logs -> S3 -> SQS -> views handler -> counts -> most-viewed feeds.

Articles go in through the ingest path (the example site: four sections, a draft, an embargoed story,
and one story deleted after it was published). A seeded day of traffic is written as real
CloudFront standard log files (out of time order, one truncated, one with a malformed line, one
with its columns in another order) and delivered as moto queued the notifications. The rankings
read back are checked against a count written here from the generated hits alone.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import unquote_plus, urlsplit

import pytest
from jsonschema import Draft202012Validator

from feedpub.article import Article, parse_article
from feedpub.aws.views_table import ViewCounts, window_partitions
from feedpub.views.logs import gzip_text
from tests.support import paths
from tests.support.events import article
from tests.support.logs import (
    BOTS,
    BROWSERS,
    CURL,
    FIELDS,
    FIREFOX,
    SAFARI_IOS,
    Hit,
    complete_lines_of_truncated,
    header,
    log_line,
    log_text,
    make_log,
    shuffled_fields,
)
from tests.support.pipeline import ViewsPipeline

EXAMPLES = paths.EXAMPLES / "articles"
SCHEMA = paths.SCHEMAS / "jsonfeed-1.1.json"
NOW = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)
"""The most-viewed function's clock: after every example but the embargoed one."""
HOUR = timedelta(hours=1)
DRAFT = "rail-budget-draft"
EMBARGOED = "quarterly-outlook-embargo"
DELETED = "typhoon-selene-landfall"
DELETED_KEY = "articles/world/typhoon-selene-landfall.md"
UNLISTED = frozenset({DRAFT, EMBARGOED, DELETED})
SECTIONS = ("business", "national", "sport", "world")
LIMIT = 10
WINDOWS = {"most-viewed.json": 24, "most-viewed-7d.json": 168}
MALFORMED_LINE = "2026-11-26\t14:00:00\tLHR61-P1\t512\tthis line was cut short by a disk error"


# -- the independent count ----------------------------------------------------------------------


def counts_as_view(hit: Hit) -> bool:
    """GET answered 2xx to a browser (every agent the traffic uses is a browser or a known bot)."""
    return hit.method == "GET" and 200 <= hit.status <= 299 and hit.agent in BROWSERS


def plain_path(path: str) -> str:
    return path.rstrip("/") or "/"


def window_start(now: datetime, hours: int) -> datetime:
    """Windows are whole UTC hours: the current hour and the `hours - 1` before it."""
    return now.replace(minute=0, second=0, microsecond=0) - (hours - 1) * HOUR


def expected_views(
    hits: Iterable[Hit], now: datetime, hours: int, article_of: dict[str, str]
) -> Counter[str]:
    start = window_start(now, hours)
    views: Counter[str] = Counter()
    for hit in hits:
        path = plain_path(hit.path)
        if counts_as_view(hit) and start <= hit.time <= now and path in article_of:
            views[article_of[path]] += 1
    return views


@dataclass(frozen=True)
class Listed:
    """What the test knows of an article from the published feed.json."""

    id: str
    section: str
    published: datetime
    item: dict[str, Any]


def expected_ranking(
    views: Counter[str], listed: dict[str, Listed], section: str | None
) -> list[tuple[str, int]]:
    chosen = [
        (n, listed[i])
        for i, n in views.items()
        if i not in UNLISTED and i in listed and section in (None, listed[i].section)
    ]
    chosen.sort(key=lambda pair: (-pair[0], -pair[1].published.timestamp(), pair[1].id))
    return [(entry.id, n) for n, entry in chosen[:LIMIT]]


def ranking_of(feed: dict[str, Any]) -> list[tuple[str, int]]:
    return [(item["id"].rsplit("/", 1)[-1], item["_feedpub"]["views"]) for item in feed["items"]]


# -- JSON Feed 1.1 ------------------------------------------------------------------------------

MINIMAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string"},
        "items": {
            "type": "array",
            "items": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
        },
    },
}


@cache
def json_feed_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8")) if SCHEMA.exists() else MINIMAL_SCHEMA
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def assert_valid_json_feed(feed: dict[str, Any]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in json_feed_validator().iter_errors(feed)]
    assert errors == []


# -- traffic ------------------------------------------------------------------------------------


@dataclass
class LogFile:
    key: str
    hits: list[Hit]
    """Every hit written, in file order."""
    data: bytes
    delivered: list[Hit]
    """The hits a correct reader gets back: all of them, or those before the cut of a truncated file."""


def write_log(
    key: str,
    hits: list[Hit],
    *,
    fields: tuple[str, ...] = FIELDS,
    malformed_at: int | None = None,
    keep: float | None = None,
) -> LogFile:
    lines = [log_line(hit, fields, salt) for salt, hit in enumerate(hits)]
    written = list(lines)
    if malformed_at is not None:
        written.insert(malformed_at, MALFORMED_LINE)
    data = gzip_text(header(fields) + "".join(line + "\n" for line in written))
    if keep is not None:
        data = data[: int(len(data) * keep)]
    survived = set(complete_lines_of_truncated(data))
    return LogFile(key, hits, data, [hit for hit, line in zip(hits, lines, strict=True) if line in survived])


def log_key(start: datetime, suffix: str) -> str:
    """Where the distribution writes a log file: under pages/, which the LogsBucket notifies."""
    return f"pages/E2QWRUHAPOMQZL.{start:%Y-%m-%d-%H}.{suffix}.gz"


def day_of_traffic(
    weights: dict[str, float], other_paths: list[str], now: datetime, seed: int
) -> list[LogFile]:
    """A day of requests (and a few older ones), as log files of six hours each, plus a file of
    late entries and one of older ones."""
    rng = random.Random(seed)
    paths, path_weights = list(weights), list(weights.values())
    # (suffix, query): a trailing slash or a query string must not split a page's count
    decorations = [("", "-")] * 4 + [("/", "-"), ("", "utm_source=twitter&utm_medium=social"),
                                     ("", "ref=rss"), ("/", "fbclid=IwAR0x")]  # fmt: skip

    def request(when: datetime) -> Hit:
        suffix, query = rng.choice(decorations)
        path = rng.choices(paths, path_weights)[0] + suffix
        browser = rng.choice(BROWSERS)
        twice = rng.random() < 0.15
        roll = rng.random()
        if roll < 0.62:
            return Hit(when, path, query=query, agent=browser, double_encoded=twice)
        if roll < 0.72:
            return Hit(when, path, agent=rng.choice(BOTS), double_encoded=twice)
        if roll < 0.74:
            return Hit(when, path, agent="")
        if roll < 0.80:
            return Hit(when, path, status=304, agent=browser)
        if roll < 0.83:
            return Hit(when, path, status=404, agent=browser)
        if roll < 0.86:
            return Hit(when, path, method="HEAD", agent=rng.choice([browser, CURL]))
        if roll < 0.87:
            return Hit(when, path, method="POST", agent=browser)
        if roll < 0.88:
            return Hit(when, path, status=206, agent=SAFARI_IOS)
        if roll < 0.89:
            return Hit(when, path, status=301, agent=browser)
        return Hit(when, rng.choice(other_paths), agent=rng.choice([browser, *BOTS]), query=query)

    recent = [request(now - timedelta(seconds=rng.randint(0, 27 * 3600))) for _ in range(1000)]
    older = [request(now - timedelta(seconds=rng.randint(28 * 3600, 8 * 24 * 3600))) for _ in range(80)]
    late: list[Hit] = []  # entries CloudFront delivers late, in a file of their own
    blocks: dict[int, list[Hit]] = {}
    for hit in recent:
        if rng.random() < 0.04:
            late.append(hit)
        else:
            blocks.setdefault(int((now - hit.time) // (6 * HOUR)), []).append(hit)

    def out_of_order(hits: list[Hit]) -> list[Hit]:
        hits = sorted(hits, key=lambda h: h.time)
        for _ in range(len(hits) // 5):
            i, j = rng.randrange(len(hits)), rng.randrange(len(hits))
            hits[i], hits[j] = hits[j], hits[i]
        return hits

    files = []
    for block, hits in sorted(blocks.items()):
        start = now - (block + 1) * 6 * HOUR
        options: dict[str, Any] = {}
        if block == 1:
            options["keep"] = 0.7  # this file arrives cut short
        if block == 2:
            options["malformed_at"] = len(hits) // 2
        if block == 3:
            options["fields"] = shuffled_fields(seed)
        files.append(write_log(log_key(start, f"b{block}"), out_of_order(hits), **options))
    files.append(write_log(log_key(now - 8 * 24 * HOUR, "old"), out_of_order(older)))
    files.append(write_log(log_key(now - HOUR, "late"), late))  # from all over the day, unsorted
    return files


# -- the example site ---------------------------------------------------------------------------


@dataclass
class Site:
    """The example site after ingest, one article deleted, and what the test knows about it."""

    vp: ViewsPipeline
    listed: dict[str, Listed]
    """Articles in feeds/feed.json (the deleted one no longer)."""
    article_of: dict[str, str]
    """Page path -> article id, for every article that was ever uploaded."""
    articles: dict[str, Article]
    """Every example, parsed from its file."""


def upload_examples(vp: ViewsPipeline) -> Site:
    examples = sorted(path for path in EXAMPLES.rglob("*") if path.is_file())
    articles = {}
    for path in examples:
        key = f"articles/{path.relative_to(EXAMPLES).as_posix()}"
        vp.pipeline.upload(key, path.read_bytes())
        parsed = parse_article(key, path.read_bytes(), vp.pipeline.config)
        articles[parsed.id] = parsed
    assert len(articles) == 15 and {a.section for a in articles.values()} == set(SECTIONS)
    assert vp.pipeline.deliver() == {"batchItemFailures": []}
    feed_before = vp.pipeline.feed()
    vp.pipeline.delete(DELETED_KEY)
    assert vp.pipeline.deliver() == {"batchItemFailures": []}
    article_of = {}
    for item in feed_before["items"]:  # the page path is the path of the article's URL
        article_of[urlsplit(item["url"]).path] = item["id"].rsplit("/", 1)[-1]
    for unlisted in (DRAFT, EMBARGOED):  # in no feed: their pages are where url_template puts them
        article_of[f"/{articles[unlisted].section}/{unlisted}"] = unlisted
    listed = {}
    for item in vp.pipeline.feed()["items"]:
        article_id = item["id"].rsplit("/", 1)[-1]
        section = urlsplit(item["url"]).path.split("/")[1]
        listed[article_id] = Listed(article_id, section, datetime.fromisoformat(item["date_published"]), item)
    assert set(listed) == set(articles) - UNLISTED
    assert set(article_of.values()) == set(articles)
    return Site(vp, listed, article_of, articles)


def weights_for(site: Site) -> dict[str, float]:
    """Page popularity: the unlisted articles are the most read, so that leaving them out shows."""
    top = {DELETED: 30.0, DRAFT: 25.0, EMBARGOED: 20.0}
    ids = sorted(site.article_of.values())
    return {path: top.get(i, 2.0 + (ids.index(i) * 7) % 13) for path, i in site.article_of.items()}


OTHER_PATHS = ["/", "/world/", "/feeds/rss.xml", "/feeds/feed.json", "/favicon.ico", "/wp-login.php"]


@dataclass
class Traffic:
    files: list[LogFile]
    records: list[dict[str, Any]]

    @property
    def delivered(self) -> list[Hit]:
        return [hit for file in self.files for hit in file.delivered]


def send_traffic(site: Site, seed: int = 20261126) -> Traffic:
    files = day_of_traffic(weights_for(site), OTHER_PATHS, NOW, seed)
    # Two listed articles tie on views in the last 24 hours: newest first, then id, decides.
    views = expected_views([h for f in files for h in f.delivered], NOW, 24, site.article_of)
    [(_, n), (second, m)] = expected_ranking(views, site.listed, None)[2:4]
    assert 0 < n - m < 25, "the seed should give these two different, close counts"
    topup = [
        Hit(NOW - timedelta(minutes=3 + i), site_path(site, second), agent=FIREFOX) for i in range(n - m)
    ]
    files.append(write_log(log_key(NOW, "topup"), topup))
    for file in files:
        site.vp.put_log(file.key, file.data)
    records = site.vp.receive()
    assert len(records) == len(files)  # (the stack drained the s3:TestEvent of its notifications)
    return Traffic(files, records)


def site_path(site: Site, article_id: str) -> str:
    return next(path for path, i in site.article_of.items() if i == article_id)


def most_viewed_keys() -> list[str]:
    folders = ["", *(f"{section}/" for section in SECTIONS)]
    return [f"feeds/{folder}{name}" for folder in folders for name in WINDOWS]


# -- a day of traffic on the example site -------------------------------------------------------


@dataclass
class World:
    site: Site
    traffic: Traffic
    delivery: dict[str, Any]
    publish: dict[str, Any]


@pytest.fixture(scope="class")
def world(class_views_pipeline: ViewsPipeline) -> World:
    """Built once for the class (ingest and a day of counting are the slow part): the example site,
    its traffic counted, the most-viewed feeds published once at NOW."""
    site = upload_examples(class_views_pipeline)
    traffic = send_traffic(site)
    delivery = site.vp.invoke(traffic.records)
    return World(site, traffic, delivery, site.vp.publish(NOW))


class TestADayOfTraffic:
    def test_rankings_equal_an_independent_count_of_the_logs(self, world: World) -> None:
        site = world.site
        assert any(len(f.delivered) < len(f.hits) for f in world.traffic.files), "one file is truncated"
        # The truncated file and the malformed line fail nothing.
        assert world.delivery == {"batchItemFailures": []}
        assert sorted(world.publish["written"]) == sorted(most_viewed_keys())
        assert world.publish["unchanged"] == 0
        hits = world.traffic.delivered
        for name, hours in WINDOWS.items():
            views = expected_views(hits, NOW, hours, site.article_of)
            assert views[DRAFT] and views[EMBARGOED] and views[DELETED]  # counted, but never ranked
            for section in (None, *SECTIONS):
                key = f"feeds/{section + '/' if section else ''}{name}"
                feed = site.vp.feed(key)
                expected = expected_ranking(views, site.listed, section)
                assert ranking_of(feed) == expected, key
                assert [item["_feedpub"]["rank"] for item in feed["items"]] == list(
                    range(1, len(expected) + 1)
                )
        site_24h = ranking_of(site.vp.feed())
        assert len(site_24h) == LIMIT < len(site.listed)  # the cut at ten is exercised
        assert site_24h[2][1] == site_24h[3][1]  # and a tie
        assert site_24h != ranking_of(site.vp.feed("feeds/most-viewed-7d.json"))

    def test_items_are_the_articles_own(self, world: World) -> None:
        for key in most_viewed_keys():
            feed = world.site.vp.feed(key)
            assert feed["items"], key
            for item in feed["items"]:
                check_item(world.site, item)

    def test_feeds_are_valid_json_feed(self, world: World) -> None:
        for key in most_viewed_keys():
            feed = world.site.vp.feed(key)
            assert_valid_json_feed(feed)
            assert feed["title"].endswith(": most viewed")
            assert feed["_feedpub"]["window_hours"] == WINDOWS[key.rsplit("/", 1)[-1]]
            assert feed["feed_url"] == f"https://www.example.com/{key}"
            content_type = world.site.vp.pipeline.site_object(key)["ContentType"]
            assert content_type == "application/feed+json; charset=utf-8"

    def test_a_rerun_with_nothing_changed_writes_nothing(self, world: World) -> None:
        vp = world.site.vp
        heads = {key: head(vp, key) for key in most_viewed_keys()}
        assert vp.publish(NOW) == {"written": [], "unchanged": len(heads)}
        assert vp.publish(NOW + timedelta(minutes=20)) == {"written": [], "unchanged": len(heads)}
        assert {key: head(vp, key) for key in most_viewed_keys()} == heads

    def test_delivering_the_same_logs_again_counts_nothing_twice(self, world: World) -> None:
        vp = world.site.vp
        before = {key: vp.body(key) for key in most_viewed_keys()}
        # SQS delivers every message again (at-least-once) ...
        assert vp.invoke(world.traffic.records) == {"batchItemFailures": []}
        # ... and CloudFront writes two of the files again: new notifications, the same objects.
        for file in world.traffic.files[:2]:
            vp.put_log(file.key, file.data)
        assert vp.deliver() == {"batchItemFailures": []}
        assert vp.publish(NOW) == {"written": [], "unchanged": len(before)}
        assert {key: vp.body(key) for key in most_viewed_keys()} == before


def check_item(site: Site, item: dict[str, Any]) -> None:
    """A most-viewed item is the article's feed.json item, plus its rank and views."""
    article_id = item["id"].rsplit("/", 1)[-1]
    published_item = site.listed[article_id].item
    assert {k: v for k, v in item.items() if k != "_feedpub"} == published_item
    assert set(item["_feedpub"]) == {"rank", "views"}
    source = site.articles[article_id]
    assert item["url"] == source.url and item["title"] == source.title and item["summary"] == source.summary
    assert item["date_published"] == source.published.isoformat()
    assert item["date_modified"] == source.modified.isoformat()
    assert item.get("authors", []) == [{"name": name} for name in source.authors]
    if source.image is None:
        assert "image" not in item
    else:
        assert item["image"] == source.image.url


def head(vp: ViewsPipeline, key: str) -> tuple[str, datetime]:
    response = vp.pipeline.s3.head_object(Bucket=vp.pipeline.site_bucket, Key=key)
    return response["ETag"], response["LastModified"]


# -- smaller sites ------------------------------------------------------------------------------


def upload(vp: ViewsPipeline, *keys_and_titles: tuple[str, str, str]) -> None:
    for key, title, published in keys_and_titles:
        vp.pipeline.upload(key, article(title, published=published))
    assert vp.pipeline.deliver() == {"batchItemFailures": []}


SMALL = (
    ("articles/world/ferry-talks.md", "Ferry talks resume", "2026-11-20T08:00:00+07:00"),
    ("articles/world/storm-warning.md", "Storm warning for the coast", "2026-11-21T08:00:00+07:00"),
    ("articles/sport/cup-final.md", "Rovers win the cup", "2026-11-22T08:00:00+07:00"),
)


def notified_key(record: dict[str, Any]) -> str:
    """The object key an SQS record's S3 notification names ('' for the s3:TestEvent)."""
    body = json.loads(record["body"])
    return unquote_plus(body["Records"][0]["s3"]["object"]["key"]) if "Records" in body else ""


def send(vp: ViewsPipeline, key: str, hits: list[Hit]) -> dict[str, Any]:
    vp.put_log(key, make_log(hits))
    return vp.deliver()


def test_window_boundaries(views_pipeline: ViewsPipeline) -> None:
    vp = views_pipeline
    upload(vp, *SMALL)
    hits = [
        Hit(NOW - 24 * HOUR - timedelta(seconds=1), "/world/ferry-talks"),  # 7 days only
        Hit(NOW - timedelta(minutes=10), "/world/storm-warning"),  # the current hour
        Hit(NOW, "/world/storm-warning"),  # now itself
        Hit(window_start(NOW, 24), "/sport/cup-final"),  # the first second of the 24 h window
        Hit(window_start(NOW, 24) - timedelta(seconds=1), "/sport/cup-final"),  # just before it
        Hit(window_start(NOW, 168), "/world/ferry-talks"),  # the first second of the week
        Hit(window_start(NOW, 168) - timedelta(seconds=1), "/world/ferry-talks"),  # in neither
    ]
    assert send(vp, log_key(NOW, "edges"), hits) == {"batchItemFailures": []}
    vp.publish(NOW)
    assert ranking_of(vp.feed()) == [("storm-warning", 2), ("cup-final", 1)]
    assert ranking_of(vp.feed("feeds/most-viewed-7d.json")) == [
        ("cup-final", 2), ("storm-warning", 2), ("ferry-talks", 2),  # ties: newest first
    ]  # fmt: skip
    assert ranking_of(vp.feed("feeds/world/most-viewed.json")) == [("storm-warning", 2)]


def test_a_deleted_article_drops_out_on_the_next_run(views_pipeline: ViewsPipeline) -> None:
    vp = views_pipeline
    upload(vp, *SMALL)
    when = NOW - 2 * HOUR
    hits = [Hit(when, "/world/ferry-talks")] * 5 + [Hit(when, "/world/storm-warning")] * 3
    hits += [Hit(when, "/sport/cup-final", agent=SAFARI_IOS)] * 2
    send(vp, log_key(when, "a"), hits)
    vp.publish(NOW)
    assert ranking_of(vp.feed()) == [("ferry-talks", 5), ("storm-warning", 3), ("cup-final", 2)]
    vp.pipeline.delete("articles/world/ferry-talks.md")
    assert vp.pipeline.deliver() == {"batchItemFailures": []}
    # Views keep coming to the old URL (caches, bookmarks); they still count for nothing.
    send(vp, log_key(NOW, "b"), [Hit(NOW - timedelta(minutes=1), "/world/ferry-talks")] * 4)
    written = vp.publish(NOW + timedelta(minutes=5))["written"]
    assert set(written) == {
        "feeds/most-viewed.json", "feeds/most-viewed-7d.json",
        "feeds/world/most-viewed.json", "feeds/world/most-viewed-7d.json",
    }  # fmt: skip
    assert ranking_of(vp.feed()) == [("storm-warning", 3), ("cup-final", 2)]
    assert ranking_of(vp.feed("feeds/world/most-viewed-7d.json")) == [("storm-warning", 3)]
    assert ranking_of(vp.feed("feeds/sport/most-viewed.json")) == [("cup-final", 2)]


def test_no_traffic_gives_valid_empty_feeds(views_pipeline: ViewsPipeline) -> None:
    vp = views_pipeline
    upload(vp, *SMALL)
    result = vp.publish(NOW)
    keys = [f"feeds/{folder}{name}" for folder in ("", "sport/", "world/") for name in WINDOWS]
    assert sorted(result["written"]) == sorted(keys)
    for key in keys:
        feed = vp.feed(key)
        assert feed["items"] == []
        assert feed["title"].endswith(": most viewed")
        assert_valid_json_feed(feed)
    assert vp.feed("feeds/world/most-viewed-7d.json")["title"] == "The Harbour Herald: World: most viewed"
    assert vp.publish(NOW)["written"] == []


def test_junk_fails_only_its_own_message(views_pipeline: ViewsPipeline) -> None:
    vp = views_pipeline
    upload(vp, SMALL[0])
    good = [Hit(NOW - HOUR, "/world/ferry-talks"), Hit(NOW - HOUR, "/world/ferry-talks/", agent=SAFARI_IOS)]
    vp.put_log(log_key(NOW - HOUR, "good"), make_log(good))
    vp.put_log(log_key(NOW - HOUR, "junk"), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd" * 20)
    vp.put_log("pages/README.txt", b"not a log")  # not .gz: no notification at all
    records = vp.receive()
    keys = [notified_key(record) for record in records]
    assert sorted(k for k in keys if k) == sorted([log_key(NOW - HOUR, "good"), log_key(NOW - HOUR, "junk")])
    junk = next(r["messageId"] for r, k in zip(records, keys, strict=True) if k and "junk" in k)
    assert vp.invoke(records) == {"batchItemFailures": [{"itemIdentifier": junk}]}
    vp.publish(NOW)
    assert ranking_of(vp.feed()) == [("ferry-talks", 2)]


# -- bugs ---------------------------------------------------------------------------------------


def test_an_article_with_a_percent_encoded_url_is_counted(views_pipeline: ViewsPipeline) -> None:
    vp = views_pipeline
    url = "https://www.example.com/world/caf%C3%A9-society"  # as a browser's address bar copies it
    vp.pipeline.upload(
        "articles/world/cafe-society.md", article("Café society returns to the waterfront", url=url)
    )
    assert vp.pipeline.deliver() == {"batchItemFailures": []}
    # CloudFront logs the path percent-encoded, exactly as the browser requested it.
    hits = [Hit(NOW - HOUR, "/world/café-society"), Hit(NOW - HOUR, "/world/café-society", agent=FIREFOX)]
    assert "/world/caf%C3%A9-society\t" in log_text(hits)
    send(vp, log_key(NOW - HOUR, "cafe"), hits)
    vp.publish(NOW)
    assert ranking_of(vp.feed()) == [("cafe-society", 2)]


def test_a_log_delivered_again_after_a_new_article_is_counted_once(views_pipeline: ViewsPipeline) -> None:
    vp = views_pipeline
    db = vp.pipeline.dynamodb

    def add_page(n: int) -> None:  # the PATH# item ArticleIndex.commit writes for an article
        db.put_item(
            TableName=vp.pipeline.table,
            Item={"pk": {"S": f"PATH#/world/story-{n}"}, "sk": {"S": "PATH"},
                  "article_id": {"S": f"story-{n}"}, "section": {"S": "world"},
                  "owner": {"S": f"articles/world/story-{n}.md"}},
        )  # fmt: skip

    for n in range(49):
        add_page(n)
    hits = [Hit(NOW - HOUR, f"/world/story-{n}") for n in range(50)]
    vp.put_log(log_key(NOW - HOUR, "stories"), make_log(hits))
    records = vp.receive()
    assert vp.invoke(records) == {"batchItemFailures": []}  # 49 stories x (hour, day): one chunk
    add_page(49)  # story-49 is published before SQS delivers the message again
    assert vp.invoke(records) == {"batchItemFailures": []}  # 50 x 2 = 100 updates: two chunks
    totals, _ = ViewCounts(vp.pipeline.table, db).window_totals(window_partitions(NOW, 24))
    assert max(totals.values()) == 1, f"story-0 counted {totals['story-0']} times"
