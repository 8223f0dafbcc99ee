"""Burst and soak: hundreds of uploads, replacements, deletes and bad articles from eight editors at
once, while several function instances drain the ingest queue, on the template's stack on moto in
server mode behind a slow network (tests/support/server.py).

A third of the changes come as one burst, as fast as the editors can make them; the rest at a
steady rate. Meanwhile a reader polls the site's feeds. Afterwards:
- the audit finds no discrepancy between bucket, index and feeds;
- every article whose last version is good is in the site feed and its section's feed, once, in
  that version, in feed order, under the GUID it had from its first version (also while the run
  went on), the same in RSS, Atom and JSON Feed;
- every deleted article is in no feed and has no index entry, and every bad one is in no feed
  and has a report; no other report remains;
- the publish lock is free, nothing is left to publish, and a forced publish writes nothing.

CI runs it with SOAK_UPLOADS=120 (the default); `python3 tasks.py soak` runs the full size
(SOAK_UPLOADS=600). SOAK_EDITORS and SOAK_INSTANCES change the other dimensions.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from feedpub.article import parse_article
from feedpub.audit import audit
from feedpub.aws.articles_bucket import ArticlesBucket
from feedpub.aws.index_table import STATE_KEY
from feedpub.clock import utc_now
from feedpub.config import SiteConfig
from feedpub.errors import ArticleError
from feedpub.feeds import id_prefix
from feedpub.publish import Publisher
from tests.support.convergence import published_feeds
from tests.support.events import article
from tests.support.server import Run, Server, aws_clients, editor, guids, instance, running_moto_server
from tests.support.stack import PIPELINE_PARAMETERS, batch_size

UPLOADS = int(os.environ.get("SOAK_UPLOADS", "120"))
"""Puts (new articles, replacements, bad versions); deletes come on top."""
EDITORS = int(os.environ.get("SOAK_EDITORS", "8"))
INSTANCES = int(os.environ.get("SOAK_INSTANCES", "4"))
BURST = 1 / 3  # of the changes, made at once at the start
RATE = 15.0  # changes per second after the burst, all editors together
ITEMS_PER_FEED = 1000  # the most the template allows: every live article is in the site feed

SECTIONS = ("world", "business", "sport", "culture", "science")
START = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)
BAD_BODIES = (
    "---\ntitle: Broken\npublished: 2025-06-02 08:00\n---\nThe time has no zone.\n",
    "---\ntitle: Undated\n---\nNo published date at all.\n",
    "Just text, no front matter.\n",
    "---\ntitle: [unclosed\npublished: 2025-06-02T08:00:00Z\n---\nBroken YAML.\n",
)
# What happens to one key, with weights. A good article replaced by a bad one keeps its good
# version in the feeds until it is fixed; here every such break is mended before the end.
LIFECYCLES: tuple[tuple[int, tuple[str, ...]], ...] = (
    (30, ("good",)),
    (14, ("good", "good")),
    (8, ("good", "good", "good")),
    (8, ("good", "delete")),
    (5, ("good", "good", "delete")),
    (4, ("good", "delete", "good")),  # deleted, then put back
    (6, ("bad",)),
    (4, ("bad", "good")),  # fixed
    (6, ("good", "bad", "good")),  # broken and mended
    (3, ("bad", "delete")),
)
MARKER = re.compile(r"\[k(\d{4})\]")
"""In every good version's body: tells which article a feed item is without trusting its GUID."""


# -- The plan -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One editor action on a key (`body` None: delete it)."""

    key: str
    body: str | None
    kind: str
    """new, replace (of a good version), bad, or delete."""
    title: str = ""
    section: str = ""
    published: datetime = START


@dataclass
class Story:
    """One key's changes, in the order its editor makes them."""

    number: int
    key: str
    changes: list[Change]

    @property
    def article_id(self) -> str:
        return f"story-{self.number:04d}"

    @property
    def final(self) -> Change:
        return self.changes[-1]

    @property
    def live(self) -> bool:
        """Whether the feeds must list the article at the end (in its final version)."""
        return self.final.kind in ("new", "replace")


def story(number: int, shape: tuple[str, ...], rng: random.Random) -> Story:
    folder = SECTIONS[number % len(SECTIONS)]
    key = f"articles/{folder}/story-{number:04d}.md"
    published = START + timedelta(minutes=13 * number)
    changes: list[Change] = []
    indexed, version = False, 0
    for step in shape:
        if step == "delete":
            changes.append(Change(key, None, "delete"))
            indexed = False
            continue
        if step == "bad":
            changes.append(Change(key, BAD_BODIES[(number + len(changes)) % len(BAD_BODIES)], "bad"))
            continue
        version += 1
        title = f"Story {number}" if version == 1 else f"Story {number}, version {version}"
        section, fields = folder, {}
        if version > 1:
            if rng.random() < 0.25:  # re-dated: the item moves in the feeds
                published += timedelta(minutes=rng.randint(1, 600))
            if rng.random() < 0.25:  # moved to another section's feed
                section = rng.choice([s for s in SECTIONS if s != folder])
                fields["section"] = section.title()
            fields["updated"] = (published + timedelta(hours=version)).isoformat()
        body = f"PORT ELLIS — Story {number} [k{number:04d}], version {version}, officials said."
        text = article(title, published=published.isoformat(), body=body, **fields)
        changes.append(Change(key, text, "replace" if indexed else "new", title, section, published))
        indexed = True
    return Story(number, key, changes)


def plan(uploads: int, seed: int) -> list[Story]:
    """Stories with random lifecycles until they make `uploads` puts."""
    rng = random.Random(seed)
    weights = [weight for weight, _ in LIFECYCLES]
    shapes = [shape for _, shape in LIFECYCLES]
    stories: list[Story] = []
    puts = 0
    while puts < uploads:
        stories.append(story(len(stories), rng.choices(shapes, weights)[0], rng))
        puts += sum(change.body is not None for change in stories[-1].changes)
    return stories


def schedules(stories: list[Story], editors: int, seed: int) -> list[list[tuple[float, Change]]]:
    """Each editor's changes with their times: a random interleaving of all the stories, each
    story's changes in order and all by one editor (so a key's versions are put in order)."""
    rng = random.Random(seed)
    timed: list[tuple[float, int, Change]] = []
    for s in stories:
        at = rng.random()
        for change in s.changes:
            timed.append((at, s.number, change))
            at += rng.uniform(0.001, 0.2)
    timed.sort(key=lambda entry: entry[0])
    burst = int(len(timed) * BURST)
    plans: list[list[tuple[float, Change]]] = [[] for _ in range(editors)]
    for position, (_, number, change) in enumerate(timed):
        at = 0.0 if position < burst else (position - burst) / RATE
        plans[number % editors].append((at, change))
    return plans


def plan_config() -> SiteConfig:
    """The settings the plan's articles are parsed with (the stack's, without a stack)."""
    return SiteConfig(
        title=PIPELINE_PARAMETERS["SiteTitle"],
        base_url="https://www.example.com",
        items_per_feed=ITEMS_PER_FEED,
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_the_plan_is_what_the_soak_test_expects(seed: int) -> None:
    """The plan means what the soak test expects: good versions parse and bad ones do not, every
    kind of change is there, a key ends bad only if it never was good, and every live article
    fits in the feeds."""
    config = plan_config()
    stories = plan(300, seed)
    kinds = Counter(change.kind for s in stories for change in s.changes)
    assert min(kinds[kind] for kind in ("new", "replace", "bad", "delete")) > 20
    for s in stories:
        for change in s.changes:
            if change.body is None:
                continue
            if change.kind == "bad":
                with pytest.raises(ArticleError):
                    parse_article(s.key, change.body.encode(), config)
            else:
                got = parse_article(s.key, change.body.encode(), config)
                assert (got.id, got.title, got.section) == (s.article_id, change.title, change.section)
        if s.final.kind == "bad":
            assert all(change.kind in ("bad", "delete") for change in s.changes)
    # Each key's changes are made by one editor, in order; the burst comes first.
    made: dict[str, list[Change]] = {}
    for plan_ in schedules(stories, 8, seed):
        keys = {change.key for _, change in plan_}
        assert not keys & made.keys()
        for _, change in plan_:
            made.setdefault(change.key, []).append(change)
        assert [at for at, _ in plan_] == sorted(at for at, _ in plan_)
    assert made == {s.key: s.changes for s in stories}


# -- A reader watching the site feed while the run goes on ----------------------------------------


@dataclass
class Reader:
    """What the site's JSON and RSS feeds showed during the run."""

    guids: dict[int, set[str]]
    """Story number (from the item's body) -> every GUID its item had."""
    problems: list[str]
    reads: int = 0


def items_of(name: str, body: bytes) -> Iterator[tuple[str, str]]:
    """(GUID, item text) of each item of a JSON or RSS feed."""
    if name.endswith(".json"):
        for item in json.loads(body)["items"]:
            yield item["id"], json.dumps(item, ensure_ascii=False)
    else:
        for item in ET.fromstring(body).iter("item"):
            yield item.findtext("guid") or "", ET.tostring(item, encoding="unicode")


def read_feeds(run: Run, server: Server, stop: threading.Event, reader: Reader) -> None:
    s3 = aws_clients(server.endpoint)["s3"]
    try:
        while not stop.wait(1.0):
            for name in ("feeds/feed.json", "feeds/rss.xml"):
                try:
                    body = s3.get_object(Bucket=server.stack.site_bucket, Key=name)["Body"].read()
                except s3.exceptions.NoSuchKey:
                    continue
                reader.reads += 1
                seen: list[str] = []
                for guid, text in items_of(name, body):
                    found = MARKER.search(text)
                    if found is None:
                        reader.problems.append(f"{name}: an item without its marker: {guid}")
                        continue
                    reader.guids.setdefault(int(found.group(1)), set()).add(guid)
                    seen.append(guid)
                if len(seen) != len(set(seen)):
                    twice = sorted(g for g, n in Counter(seen).items() if n > 1)
                    reader.problems.append(f"{name} listed an item twice: {twice}")
    except Exception as exc:
        run.failed(f"reader: {exc!r}")


# -- The run --------------------------------------------------------------------------------------


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """The `moto_server` of tests/aws/conftest.py, with the template's largest ItemsPerFeed."""
    with running_moto_server(monkeypatch, {"ItemsPerFeed": str(ITEMS_PER_FEED)}) as server:
        yield server


@pytest.mark.soak
def test_burst_and_soak(moto_server: Server) -> None:
    stack = moto_server.stack
    pipeline = moto_server.pipeline()
    admin_s3, admin_dynamodb = pipeline.s3, pipeline.dynamodb
    config = pipeline.config
    assert config.items_per_feed == ITEMS_PER_FEED
    batch = batch_size(stack, "IngestFunction")
    seed = random.randrange(1 << 30)
    stories = plan(UPLOADS, seed)
    changes = [change for s in stories for change in s.changes]
    kinds = Counter(change.kind for change in changes)
    print(f"\nplan seed {seed}: {len(stories)} articles, {dict(kinds)}")

    started = time.monotonic()
    run = Run(deadline=started + 300 + 2.0 * len(changes))  # a hang guard, not a time limit
    reader, stop_reading = Reader({}, []), threading.Event()
    threads = [
        threading.Thread(
            target=instance,
            args=(run, n, aws_clients(moto_server.endpoint), stack, batch, config),
            daemon=True,
        )
        for n in range(INSTANCES)
    ]
    editors = [
        threading.Thread(target=editor, args=(run, moto_server, plan_), daemon=True)
        for plan_ in schedules(stories, EDITORS, seed)
    ]
    watcher = threading.Thread(target=read_feeds, args=(run, moto_server, stop_reading, reader), daemon=True)
    for thread in [*threads, *editors, watcher]:
        thread.start()
    for thread in editors:
        thread.join(max(0.0, run.deadline - time.monotonic()))
    run.uploads_done.set()
    for thread in threads:
        thread.join(max(0.0, run.deadline + 5 - time.monotonic()))
    wall = time.monotonic() - started
    stop_reading.set()
    watcher.join(30)
    checker = Publisher(pipeline.index, pipeline.site(), config)

    # A publisher that used its time budget (a third of the lock's lease) and handed over with
    # changes pending queued a publish request, which an instance served: nothing is left.
    pending = sorted(pipeline.index.publish_state().dirty())
    discrepancies = [
        str(d)
        for d in audit(
            ArticlesBucket(pipeline.articles_bucket, admin_s3),
            pipeline.index,
            pipeline.site(),
            config,
            utc_now(),
        )
    ]
    numbers = {
        "uploads": run.counts["uploads"],
        **{kind: kinds[kind] for kind in ("new", "replace", "bad", "delete")},
        "articles": len(stories),
        "live": sum(s.live for s in stories),
        "editors": EDITORS,
        "instances": INSTANCES,
        "messages": run.counts["messages"],
        "publish_calls": run.counts["publishes"],
        "deferred": run.counts["deferred"],
        "files_written": run.counts["files written"],
        "longest_publish_s": round(run.maxima.get("publish", 0.0), 1),
        "publish_requests": run.counts["handed over, publish requested"],
        "left_unpublished": len(pending),
        "feed_reads": reader.reads,
        "requests": moto_server.app.requests,
        "wall_s": round(wall, 1),
        "discrepancies": len(discrepancies),
    }
    print("soak: " + " ".join(f"{name}={value}" for name, value in numbers.items()))
    alive = [t.name for t in [*threads, *editors, watcher] if t.is_alive()]
    assert not alive, f"threads still running after {wall:.0f} s"
    assert run.errors == []
    assert run.counts["uploads"] + run.counts["deletes"] == len(changes)
    assert set(run.finished) == {s.key for s in stories}  # every key was ingested
    assert pending == [], f"{pending} left unpublished"
    assert discrepancies == []

    # The lock is free and nothing is left to publish.
    state_item = admin_dynamodb.get_item(TableName=pipeline.table, Key=STATE_KEY, ConsistentRead=True)["Item"]
    assert "lock_owner" not in state_item and "lock_until" not in state_item
    assert pipeline.index.publish_state().dirty() == set()

    # Each feed lists exactly the live articles it should, once, in their last version, in order.
    prefix = f"{id_prefix(config)}article/"
    live = sorted(
        (s for s in stories if s.live), key=lambda s: (s.final.published, s.article_id), reverse=True
    )
    expected = {"feeds/feed.json": [(f"{prefix}{s.article_id}", s.final.title) for s in live]}
    for section in SECTIONS:
        items = [(f"{prefix}{s.article_id}", s.final.title) for s in live if s.final.section == section]
        expected[f"feeds/{section}/feed.json"] = items
    expected = {key: items[:ITEMS_PER_FEED] for key, items in expected.items()}  # all, unless huge
    published = {
        key: [(f"{prefix}{article_id}", title) for article_id, title in items]
        for key, items in published_feeds(pipeline).items()
    }
    lost = {key: sorted(set(items) - set(published.get(key, []))) for key, items in expected.items()}
    extra = {key: sorted(set(items) - set(expected.get(key, []))) for key, items in published.items()}
    assert {k: v for k, v in lost.items() if v} == {}, "items lost (or stale)"
    assert {k: v for k, v in extra.items() if v} == {}, "items that should not be there (or stale)"
    for key, items in expected.items():
        assert published.get(key, []) == items, f"{key}: wrong order or an item twice"

    # GUIDs: one tag URI per article in RSS, Atom and JSON Feed, minted from the id alone, so no
    # replacement, move or re-dating changed it, now or at any point the reader looked.
    for folder in ["feeds/", *(f"feeds/{s}/" for s in SECTIONS if expected[f"feeds/{s}/feed.json"])]:
        ids = guids(pipeline, folder)
        assert ids["rss"] == ids["atom"] == ids["json"]
    assert reader.problems == []
    assert reader.reads > 0
    changed = {n: sorted(seen) for n, seen in reader.guids.items() if seen != {f"{prefix}story-{n:04d}"}}
    assert changed == {}, "GUIDs changed during the run"

    # Reports beside the bad articles only; status tags on the last versions.
    bad = [s for s in stories if s.final.kind == "bad"]
    assert ArticlesBucket(pipeline.articles_bucket, admin_s3).report_keys() == {s.key for s in bad}
    for s in bad:
        report = pipeline.report(s.key)
        assert report is not None and report["status"] == "rejected", s.key
        assert pipeline.status_tag(s.key) == "rejected", s.key
    sources = pipeline.index.all_sources()
    for s in stories:
        if s.final.kind == "delete":
            assert s.key not in sources, f"{s.key} was deleted but is still indexed"
        elif s.live:
            assert sources[s.key].article_id == s.article_id
            assert pipeline.status_tag(s.key) == "published", s.key

    # The site holds exactly what the index renders.
    assert checker.publish(utc_now(), force=checker.known_feeds()).written == []
