"""Changing a site setting and deploying: the next scheduled run re-renders every feed, keeps every
GUID, and a run after it writes nothing (docs/operations.md, "Changing a site setting").

A deploy changes the functions' environment; here the FEEDPUB_* variables change and the runtime
cache is cleared, as a new Lambda execution environment would start."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from feedpub.runtime import runtime
from tests.support.events import article
from tests.support.pipeline import Pipeline, moto_pipeline, run_backfill, scheduled_publish

SECTIONS = ("world", "business", "sport")


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    with moto_pipeline(monkeypatch) as pipeline:
        for n in range(9):
            key = f"articles/{SECTIONS[n % 3]}/story-{n}.md"
            pipeline.upload(key, article(f"Story {n}", published=f"2026-11-{10 + n:02d}T08:00:00+00:00"))
        assert pipeline.deliver() == {"batchItemFailures": []}
        yield pipeline


def deploy(monkeypatch: pytest.MonkeyPatch, **variables: str) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    runtime.cache_clear()


def feed_keys(pipeline: Pipeline) -> set[str]:
    pages = pipeline.s3.get_paginator("list_objects_v2").paginate(
        Bucket=pipeline.site_bucket, Prefix="feeds/"
    )
    return {
        item["Key"]
        for page in pages
        for item in page.get("Contents", [])
        if not item["Key"].endswith(".html")
    }


def guids(pipeline: Pipeline) -> dict[str, list[str]]:
    """The item ids of every JSON Feed (the RSS guid and Atom id are the same tag URIs)."""
    found = {}
    for key in sorted(k for k in feed_keys(pipeline) if k.endswith("feed.json")):
        found[key] = [item["id"] for item in pipeline.feed(key)["items"]]
    return found


def urls(pipeline: Pipeline) -> set[str]:
    return {item["url"] for item in pipeline.feed()["items"]}


@pytest.mark.parametrize(
    ("variable", "value"), [("FEEDPUB_TITLE", "The Port Ellis Gazette"), ("FEEDPUB_ITEMS_PER_FEED", "2")]
)
def test_a_changed_setting_rerenders_every_feed_keeps_guids_and_then_writes_nothing(
    published: Pipeline, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    before = guids(published)
    assert scheduled_publish()["written"] == []  # nothing changed yet
    deploy(monkeypatch, **{variable: value})
    written = set(scheduled_publish()["written"])
    assert feed_keys(published) <= written
    after = guids(published)
    items = int(value) if variable == "FEEDPUB_ITEMS_PER_FEED" else None
    assert after == {key: ids[:items] for key, ids in before.items()}
    if variable == "FEEDPUB_TITLE":
        assert published.feed()["title"] == value
    assert scheduled_publish()["written"] == []


def test_a_new_base_url_keeps_guids_only_with_the_id_authority_pinned(
    published: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = guids(published)
    old_urls = urls(published)
    # Unpinned, the GUIDs' authority follows the host: every story would look new to every reader.
    deploy(
        monkeypatch,
        FEEDPUB_BASE_URL="https://news.example.org",
        FEEDPUB_FEEDS_URL="https://news.example.org/feeds",
    )
    assert runtime().config.id_authority == "news.example.org"
    # The runbook: IdAuthority set to the old host in the same deploy.
    deploy(monkeypatch, FEEDPUB_ID_AUTHORITY="www.example.com")
    written = set(scheduled_publish()["written"])
    assert feed_keys(published) <= written
    assert guids(published) == before
    assert published.feed()["feed_url"] == "https://news.example.org/feeds/feed.json"
    # Article URLs were stored at ingest: re-rendering keeps them; a backfill re-indexes them.
    assert urls(published) == old_urls
    assert scheduled_publish()["written"] == []
    run_backfill(published)
    assert urls(published) == {
        url.replace("https://www.example.com", "https://news.example.org") for url in old_urls
    }
    assert guids(published) == before
    assert scheduled_publish()["written"] == []


def test_a_new_url_template_needs_a_backfill(published: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    before = guids(published)
    deploy(monkeypatch, FEEDPUB_URL_TEMPLATE="{base_url}/{year}/{month}/{id}")
    scheduled_publish()
    assert all("/2026/11/" not in url for url in urls(published))
    run_backfill(published)
    assert all("/2026/11/" in url for url in urls(published))
    assert guids(published) == before
    assert scheduled_publish()["written"] == []
