"""Tag and author feeds on the template's stack in moto: written by the pipeline as `feedpub build`
writes them, moved in the commit that changes an article, costing what the feed sets it joins cost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from feedpub.build import build
from feedpub.feeds import feeds_of
from tests.support.clock import NOW
from tests.support.events import article
from tests.support.pipeline import Pipeline, moto_pipeline, run_backfill

FEEDS = {"TagFeeds": "all", "AuthorFeeds": "Ana Lima,Bo Chen", "ItemsPerKind": "tag=2"}


@pytest.fixture
def tagged(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    with moto_pipeline(monkeypatch, FEEDS) as pipeline:
        yield pipeline


def feed_writes(transaction: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(Put or Delete, partition) of each feed entry one TransactWriteItems writes."""
    found = []
    for action in transaction:
        [(kind, body)] = action.items()
        partition = (body.get("Item") or body["Key"])["pk"]["S"]
        if partition.startswith("FEED#"):
            found.append((kind, partition))
    return sorted(found)


def site_keys(pipeline: Pipeline) -> set[str]:
    pages = pipeline.s3.get_paginator("list_objects_v2").paginate(Bucket=pipeline.site_bucket)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def test_template_parameters_reach_the_functions(tagged: Pipeline) -> None:
    config = tagged.config
    assert config.tag_feeds.mode == "all"
    assert config.author_feeds.slugs == frozenset({"ana-lima", "bo-chen"})
    assert config.items_for("tag") == 2 and config.items_for("site") == 50


def test_a_tag_change_moves_the_story_in_one_commit_and_leaves_no_stale_item(tagged: Pipeline) -> None:
    key = "articles/world/ferry-talks.md"
    tagged.upload(key, article("Ferry talks resume", tags=["Ferries", "Port Ellis"], authors=["Ana Lima"]))
    assert tagged.deliver() == {"batchItemFailures": []}
    assert tagged.feed_ids("feeds/tags/ferries/feed.json") == ["ferry-talks"]
    assert tagged.feed_ids("feeds/tags/port-ellis/feed.json") == ["ferry-talks"]
    assert tagged.feed_ids("feeds/authors/ana-lima/feed.json") == ["ferry-talks"]
    assert tagged.feed("feeds/tags/port-ellis/feed.json")["title"] == f"{tagged.config.title}: Port Ellis"

    from feedpub.aws import clients

    transactions: list[list[dict[str, Any]]] = []
    ingest_db = clients.client("dynamodb")  # the client the functions' adapters share
    original = ingest_db.transact_write_items

    def recording(**kwargs: Any) -> Any:
        transactions.append(kwargs["TransactItems"])
        return original(**kwargs)

    tagged.upload(key, article("Ferry talks resume", tags=["Ferries", "Strikes"], authors=["Bo Chen"]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest_db, "transact_write_items", recording)
        assert tagged.deliver() == {"batchItemFailures": []}
    [commit] = transactions
    entries = feed_writes(commit)
    assert entries == [
        ("Delete", "FEED#author#ana-lima"), ("Delete", "FEED#tag#port-ellis"),
        ("Put", "FEED#author#bo-chen"), ("Put", "FEED#month#2026-11"), ("Put", "FEED#section#world"),
        ("Put", "FEED#site"),
        ("Put", "FEED#tag#ferries"), ("Put", "FEED#tag#strikes"),
    ]  # fmt: skip
    assert tagged.feed_ids("feeds/tags/port-ellis/feed.json") == []  # written again, empty
    assert tagged.feed_ids("feeds/authors/ana-lima/feed.json") == []
    assert tagged.feed_ids("feeds/tags/strikes/feed.json") == ["ferry-talks"]
    assert tagged.feed_ids("feeds/authors/bo-chen/feed.json") == ["ferry-talks"]

    tagged.delete(key)
    tagged.deliver()
    for folder in ("tags/ferries", "tags/strikes", "authors/bo-chen", "world", ""):
        assert tagged.feed_ids("/".join(p for p in ("feeds", folder, "feed.json") if p)) == []


def test_only_chosen_authors_get_feeds_and_each_kind_its_item_count(tagged: Pipeline) -> None:
    for n in range(3):
        tagged.upload(
            f"articles/sport/match-{n}.md",
            article(f"Match {n}", published=f"2026-11-2{n}T08:00:00+07:00", tags=["Harbour FC"],
                    authors=["Bo Chen", "Cy Dunn"]),
        )  # fmt: skip
    tagged.deliver()
    assert tagged.feed_ids("feeds/tags/harbour-fc/feed.json") == ["match-2", "match-1"]  # tag=2
    assert tagged.feed_ids("feeds/authors/bo-chen/feed.json") == ["match-2", "match-1", "match-0"]
    assert not any(key.startswith("feeds/authors/cy-dunn/") for key in site_keys(tagged))


def test_the_pipeline_writes_the_bytes_feedpub_build_writes(tagged: Pipeline, tmp_path: Path) -> None:
    stories = {
        "articles/world/ferry-talks.md": article(
            "Ferry talks", tags=["Ferries", "port ellis"], authors=["Ana Lima"]
        ),
        "articles/world/harbour-vote.md": article(
            "Harbour vote", published="2026-11-21T06:30:00+07:00", tags=["Port Ellis", "Elections"],
            authors=["Ana Lima", "Bo Chen"],
        ),
        "articles/business/port-fees.md": article(
            "Port fees", published="2026-11-19T10:00:00+00:00", tags=["Ferries"], authors=["Bo Chen"]
        ),
    }  # fmt: skip
    for key, text in stories.items():
        tagged.upload(key, text)
        (tmp_path / "src" / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / key).write_text(text, encoding="utf-8")
    assert tagged.deliver() == {"batchItemFailures": []}
    result = build(tmp_path / "src", tmp_path / "out", tagged.config, NOW, jobs=1)
    assert result.errors == []
    built = {
        path.relative_to(tmp_path / "out").as_posix()
        for path in (tmp_path / "out").rglob("*")
        if path.is_file()
    }
    assert {"feeds/tags/port-ellis/rss.xml", "feeds/authors/bo-chen/atom.xml"} <= built
    assert built <= site_keys(tagged)
    for key in sorted(built):
        assert tagged.site_object(key)["Body"].read() == (tmp_path / "out" / key).read_bytes(), key
    assert sorted(feeds_of(result.articles[0], tagged.config))[0] == "author#bo-chen"


def test_turning_tag_feeds_on_then_off_takes_a_backfill(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stack as deployed by default: no tag feeds. Then the operator sets TagFeeds=all and runs
    # the backfill the docs ask for; every story joins its tag feeds, none is re-rendered needlessly.
    for n in range(3):
        pipeline.upload(f"articles/world/s{n}.md", article(f"S{n}", tags=["Port Ellis"] if n else []))
    pipeline.deliver()
    assert not any(key.startswith("feeds/tags/") for key in site_keys(pipeline))
    monkeypatch.setenv("FEEDPUB_TAG_FEEDS", "all")
    output = run_backfill(pipeline, FEEDPUB_TAG_FEEDS="all")
    assert "2 published" in output and "1 unchanged" in output  # s0 has no tag: nothing to redo
    assert sorted(pipeline.feed_ids("feeds/tags/port-ellis/feed.json")) == ["s1", "s2"]
    monkeypatch.setenv("FEEDPUB_TAG_FEEDS", "none")
    run_backfill(pipeline, FEEDPUB_TAG_FEEDS="none")
    assert pipeline.feed_ids("feeds/tags/port-ellis/feed.json") == []  # emptied, never stale
    assert sorted(pipeline.feed_ids()) == ["s0", "s1", "s2"]
