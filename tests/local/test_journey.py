"""A newcomer's journey, typed as a person types it: the `feedpub` command in a subprocess, from a
folder that is not the checkout, against the stack `feedpub serve` prints.

serve -> every printed feed answers -> check a new story -> upload it -> it is in every feed and
has a page -> a new title (same guid) -> a broken version (a report; the feeds stay) -> fixed ->
deleted (gone everywhere) -> restored by removing the delete marker (back) -> three page views in
a browser and a re-rank (three views) -> Ctrl-C (exit 0, no traceback) -> upload again (one
sentence: no stack is running, exit 2).

Only the AWS endpoint and the site URL the stack printed are used (boto3 stands in for the aws
CLI); HOME and XDG_RUNTIME_DIR point into the test's folder, so the state file is the test's own.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from feedpub_cli.local.serve import FAKE_CREDENTIALS
from tests.support.feedcheck import json_feed_errors

FEEDPUB = Path(sys.executable).parent / "feedpub"
"""The command as installed beside this interpreter (.venv/bin/feedpub), by absolute path."""
START_TIMEOUT = 60.0
WAIT = 20.0
"""Per step: upload to feed is well under a second here; the access log is flushed every 5 s."""
STOP_WITHIN = 5.0
BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
}
FEED = re.compile(r"^\s+(page|rss|atom|json|most viewed)\s+(http://\S+)$")
AWS = re.compile(r"^\s+AWS endpoint\s+(http://\S+)\s+\(articles bucket: (\S+)\)$")
STORY = "harbour-lights.md"
KEY = f"articles/world/{STORY}"


def story(title: str, zone: bool = True) -> str:
    """The story as an editor writes it; without a zone its date is the classic mistake."""
    published = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    stamp = published.isoformat() if zone else published.replace(tzinfo=None).isoformat()
    return (
        f'---\ntitle: {title}\npublished: "{stamp}"\nauthors: [Journey Desk]\n---\n'
        "PORT ELLIS — The harbour lights were switched back on at dusk on Monday.\n"
    )


@dataclass
class Served:
    """`feedpub serve` running in a subprocess, and what it printed."""

    process: subprocess.Popen[str]
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def read(self) -> None:
        assert self.process.stdout is not None and self.process.stderr is not None
        threading.Thread(target=self._drain, args=(self.process.stderr, self.stderr), daemon=True).start()
        for line in self.process.stdout:
            self.stdout.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C stops everything"):
                self.ready.set()
        self.ready.set()  # it ended

    @staticmethod
    def _drain(stream: Any, lines: list[str]) -> None:
        lines.extend(line.rstrip("\n") for line in stream)

    @property
    def feeds(self) -> dict[str, str]:
        return {m[1]: m[2] for m in map(FEED.match, self.stdout) if m}

    @property
    def aws(self) -> tuple[str, str]:
        match = next(m for m in map(AWS.match, self.stdout) if m)
        return match[1], match[2]


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    """A person's shell: no AWS settings of ours, their own home and runtime directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FEEDPUB_", "XDG_"))}
    (tmp_path / "home").mkdir()
    (tmp_path / "run").mkdir(mode=0o700)
    env.update(HOME=str(tmp_path / "home"), XDG_RUNTIME_DIR=str(tmp_path / "run"), PYTHONUNBUFFERED="1")
    return env


@pytest.fixture
def serve(tmp_path: Path, environment: dict[str, str]) -> Iterator[Callable[..., Served]]:
    """Starts `feedpub serve --port 0 --aws-port 0 [flags]` and reads what it prints; kills it at
    the end if the test did not stop it."""
    started: list[Served] = []

    def start(*flags: str) -> Served:
        process = subprocess.Popen(
            [str(FEEDPUB), "serve", "--port", "0", "--aws-port", "0", *flags],
            cwd=tmp_path,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        running = Served(process)
        started.append(running)
        threading.Thread(target=running.read, daemon=True).start()
        assert running.ready.wait(START_TIMEOUT), f"no URLs after {START_TIMEOUT:.0f} s: {running.stdout}"
        assert process.poll() is None, "\n".join(running.stdout + running.stderr)
        return running

    yield start
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Status and body; urllib's own User-Agent is a bot's, so these are not page views."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for(what: str, check: Callable[[], bool], timeout: float = WAIT) -> float:
    """Seconds until `check()` holds; fails the test, saying what, after `timeout`."""
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > timeout:
            pytest.fail(f"{what}: not after {timeout:.0f} s")
        time.sleep(0.2)
    return time.perf_counter() - started


def test_a_newcomers_journey(
    tmp_path: Path, environment: dict[str, str], serve: Callable[..., Served]
) -> None:
    timings: dict[str, float] = {}

    def feedpub(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(FEEDPUB), *args], cwd=tmp_path, env=environment, capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip

    # serve, from a folder that is not the checkout, with the packaged examples
    started = time.perf_counter()
    served = serve()
    timings["serve up"] = time.perf_counter() - started
    feeds = served.feeds
    assert set(feeds) == {"page", "rss", "atom", "json", "most viewed"}
    site = f"{urlsplit(feeds['rss']).scheme}://{urlsplit(feeds['rss']).netloc}"
    endpoint, bucket = served.aws
    assert any(
        line.strip().startswith(f"state        {tmp_path / 'run' / 'feedpub'}") for line in served.stdout
    )

    # every feed it printed answers at once, with the examples shipped in the package; most
    # viewed too, empty before any view
    for name, url in feeds.items():
        status, _ = get(url)
        assert status == 200, (name, url)
    assert b"Ferry talks resume as island nations seek deal on shared routes" in get(feeds["rss"])[1]
    most_viewed = json.loads(get(feeds["most viewed"])[1])
    assert json_feed_errors(most_viewed) == []
    assert most_viewed["items"] == []

    documents = {
        name: f"{site}/feeds/{path}"
        for name, path in {
            "rss": "rss.xml", "atom": "atom.xml", "json": "feed.json", "page": "index.html",
            "world rss": "world/rss.xml", "world atom": "world/atom.xml", "world json": "world/feed.json",
            "world page": "world/index.html",
        }.items()
    }  # fmt: skip
    page = f"{site}/world/harbour-lights"

    def everywhere(title: str) -> bool:
        """The title is in every feed and feed page, and on the story's own page."""
        return all(title.encode() in get(url)[1] for url in [*documents.values(), page])

    def nowhere(title: str) -> bool:
        """No feed or feed page names the title."""
        return not any(title.encode() in get(url)[1] for url in documents.values())

    def item_id(title: str) -> str:
        items = json.loads(get(documents["json"])[1])["items"]
        return str(next(item["id"] for item in items if item["title"] == title))

    # check, then upload, a new story
    first = "Harbour lights return to Port Ellis"
    (tmp_path / STORY).write_text(story(first), encoding="utf-8")
    checked = feedpub("check", STORY, "--section", "world")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"✓ {KEY}" in checked.stdout and "1 ok, 0 with problems" in checked.stdout
    uploaded = feedpub("upload", STORY, "--section", "world")
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    assert f"uploaded {KEY}" in uploaded.stdout
    timings["upload -> every feed"] = wait_for("the new story in every feed", lambda: everywhere(first))
    guid = item_id(first)

    # a new title keeps the story's guid
    second = "Port Ellis switches its harbour lights back on"
    (tmp_path / STORY).write_text(story(second), encoding="utf-8")
    assert feedpub("upload", STORY, "--section", "world").returncode == 0
    timings["edit -> every feed"] = wait_for("the new title", lambda: everywhere(second) and nowhere(first))
    assert item_id(second) == guid

    # a broken version: a report beside it, and the feeds stay as they were
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=FAKE_CREDENTIALS["AWS_REGION"],
                      aws_access_key_id="local", aws_secret_access_key="local")  # fmt: skip
    before = {name: get(url)[1] for name, url in documents.items()}
    (tmp_path / STORY).write_text(story(second, zone=False), encoding="utf-8")
    broken = feedpub("upload", STORY, "--section", "world")
    assert broken.returncode == 0
    assert f"✗ {KEY}" in broken.stderr and "published: " in broken.stderr
    report_key = f"reports/{KEY}.json"

    def report_exists() -> bool:
        return bool(s3.list_objects_v2(Bucket=bucket, Prefix=report_key).get("KeyCount"))

    timings["broken -> report"] = wait_for("the report", report_exists)
    report = json.loads(s3.get_object(Bucket=bucket, Key=report_key)["Body"].read())
    assert "published" in json.dumps(report)
    assert {name: get(url)[1] for name, url in documents.items()} == before
    assert get(page)[0] == 200

    # fixed: the story is updated and the report goes
    third = "Harbour lights shine again over Port Ellis"
    (tmp_path / STORY).write_text(story(third), encoding="utf-8")
    assert feedpub("upload", STORY, "--section", "world").returncode == 0
    timings["fix -> every feed"] = wait_for("the fix", lambda: everywhere(third) and not report_exists())

    # deleted (a delete marker in the versioned bucket): gone from every feed and page
    s3.delete_object(Bucket=bucket, Key=KEY)
    timings["delete -> gone"] = wait_for(
        "the story gone after its delete", lambda: nowhere(third) and get(page)[0] == 404
    )

    # restored by removing the delete marker: back everywhere
    markers = s3.list_object_versions(Bucket=bucket, Prefix=KEY).get("DeleteMarkers", [])
    marker = next(m["VersionId"] for m in markers if m["Key"] == KEY and m["IsLatest"])
    s3.delete_object(Bucket=bucket, Key=KEY, VersionId=marker)
    timings["restore -> every feed"] = wait_for("the story back after its restore", lambda: everywhere(third))
    assert item_id(third) == guid

    # three views in a browser, then a re-rank now rather than on the schedule
    for _ in range(3):
        assert get(page, BROWSER)[0] == 200

    def ranked_with_three_views() -> bool:
        assert get(f"{site}/_local/run/MostViewedFunction")[0] == 200
        items = json.loads(get(feeds["most viewed"])[1])["items"]
        return [(urlsplit(i["url"]).path, i["_feedpub"]["views"]) for i in items] == [
            ("/world/harbour-lights", 3)
        ]

    timings["views -> most viewed"] = wait_for("three views in most-viewed.json", ranked_with_three_views)

    # Ctrl-C: everything stops, cleanly and soon, and its state file goes
    stopping = time.perf_counter()
    served.process.send_signal(signal.SIGINT)
    returncode = served.process.wait(timeout=30)
    timings["Ctrl-C -> exited"] = time.perf_counter() - stopping
    stderr = "\n".join(served.stderr)
    assert returncode == 0, stderr
    assert "Traceback" not in stderr
    assert timings["Ctrl-C -> exited"] < STOP_WITHIN
    assert list((tmp_path / "run" / "feedpub").iterdir()) == []

    # and an upload now says so in one sentence
    late = feedpub("upload", STORY, "--section", "world")
    assert late.returncode == 2
    assert late.stderr == "Error: no local stack is running (start one with `feedpub serve`)\n"
    assert "Traceback" not in late.stdout + late.stderr

    print("\n" + "\n".join(f"  {step:<24} {seconds:5.2f} s" for step, seconds in timings.items()))


def test_an_empty_site_serves_every_feed_it_prints(serve: Callable[..., Served]) -> None:
    """`feedpub serve --empty`: no article yet, and still no printed URL answers 404."""
    served = serve("--empty")
    for name, url in served.feeds.items():
        status, body = get(url)
        assert status == 200, (name, url)
        if url.endswith(".json"):
            document = json.loads(body)
            assert json_feed_errors(document) == []
            assert document["items"] == []
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0
    assert "Traceback" not in "\n".join(served.stderr)
