"""`feedpub serve` end to end: the real local stack (moto server, the template's resources, the
functions on their queues and schedules, the CloudFront stand-in) spoken to over HTTP, the way a
feed reader, a browser and an editor would.

One stack for the whole module (tests/conftest.py `served_site`); the tests share it, so each
uses its own articles and only the views test sends requests that count as views.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from feedparser.http import ACCEPT_HEADER as FEEDPARSER_ACCEPT

from feedpub.names import MOST_VIEWED_FILE, MOST_VIEWED_WEEK_FILE
from feedpub.render import RenderedFile
from feedpub.runtime import runtime
from feedpub_cli.local.serve import wait_for_feed
from feedpub_cli.local.state import find_stack
from feedpub_cli.main import main
from tests.support.feedcheck import check_feed_file, json_feed_errors
from tests.support.http import CHROME_ACCEPT, post_form, request
from tests.support.paths import EXAMPLES
from tests.support.served import ServedSite, local_s3
from tests.support.sitemaps import assert_valid_sitemap, locs
from tests.support.subscriber import Subscriber

BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
FEED_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
    "page": "text/html; charset=utf-8",
}
ETAG = re.compile(r'^"[0-9a-f]{32}"$')
UPLOAD_TIMEOUT = 30.0
"""Upload to served feed takes well under a second here (queue long poll, ingest, publish)."""
PUSH_TIMEOUT = 20.0
"""Upload to a subscriber's callback: the feed's publish, the ping queue, the hub's fetch and POST."""
LINK = re.compile(r'<([^>]*)>\s*;\s*rel="([^"]*)"')
"""One link of an HTTP Link header: (target, rel)."""


def article_markdown(title: str, published: datetime) -> bytes:
    return (
        f'---\ntitle: {title}\npublished: "{published.isoformat(timespec="seconds")}"\n'
        "authors: [Test Desk]\ntags: [local]\n---\n"
        "PORT ELLIS — This story was uploaded by tests/local/test_serve.py to the local stack.\n"
    ).encode()


def new_title(what: str) -> str:
    return f"{what} {uuid.uuid4().hex[:10]} reaches the local feeds"


# -------------------------------------------------------------------------------------------------
# Start-up and the example feeds
# -------------------------------------------------------------------------------------------------


def test_start_up(served_site: ServedSite, record_property: Any) -> None:
    site = served_site.site
    print(
        f"\nstart() returned in {site.started_in:.1f} s; every example served "
        f"{served_site.feeds_ready_in:.1f} s later"
    )
    record_property("started_in_s", round(site.started_in, 2))
    record_property("examples_served_in_s", round(served_site.feeds_ready_in, 2))
    assert site.state is not None
    assert site.state.path.parent == served_site.state_dir
    state = find_stack()
    assert (state.site, state.endpoint, state.articles_bucket) == (
        site.site_url,
        site.aws_endpoint,
        site.stack.articles_bucket,
    )
    assert state.config == runtime().config  # the settings the functions run with
    assert state.config.base_url == site.site_url


def test_every_printed_feed_exists_from_the_start(served_site: ServedSite) -> None:
    """Most-viewed feeds included, for the site and every section, though no page was viewed yet."""
    site = served_site.site
    sections = sorted({article.section for article in served_site.articles})
    most_viewed = [f"{site.site_url}/feeds/{section}/{name}" for section in sections
                   for name in (MOST_VIEWED_FILE, MOST_VIEWED_WEEK_FILE)]  # fmt: skip
    for url in [*site.feed_urls.values(), *most_viewed]:
        response = request(url)
        assert response.status == 200, url
        if url.endswith(".json"):
            assert json_feed_errors(json.loads(response.body)) == [], url


def test_newest_example_is_in_the_rss(served_site: ServedSite) -> None:
    seconds = wait_for_feed(served_site.site, served_site.newest().title, timeout=30)
    print(f"\nnewest example in the RSS after {seconds:.2f} s more")


@pytest.mark.parametrize("name", list(FEED_TYPES))
def test_feed_headers(served_site: ServedSite, name: str) -> None:
    response = request(served_site.site.feed_urls[name])
    assert response.status == 200
    assert response.headers["Content-Type"] == FEED_TYPES[name]
    assert response.headers["Cache-Control"] == served_site.config.cache_control
    assert ETAG.match(response.headers["ETag"]), response.headers["ETag"]
    modified = parsedate_to_datetime(response.headers["Last-Modified"])
    assert modified.tzinfo is not None
    assert modified <= datetime.now(UTC) + timedelta(seconds=2)
    assert served_site.newest().title.encode() in response.body
    assert int(response.headers["Content-Length"]) == len(response.body)


def test_sitemaps_are_served_like_the_feeds(served_site: ServedSite) -> None:
    wait_for_feed(served_site.site, served_site.newest().title, timeout=30)
    for name in ("news.xml", "index.xml"):
        response = request(f"{served_site.site.site_url}/sitemaps/{name}", {"Accept": CHROME_ACCEPT})
        assert response.status == 200, name  # never negotiated to a page
        assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
        assert response.headers["Cache-Control"] == served_site.config.cache_control
        assert_valid_sitemap(f"sitemaps/{name}", response.body)
    index = request(f"{served_site.site.site_url}/sitemaps/index.xml").body
    for month in locs(index):
        assert request(month).status == 200, month


def test_tag_author_and_partner_feeds_of_the_examples_are_served(served_site: ServedSite) -> None:
    """examples/feedpub.toml turns them on; `feedpub serve` passes the choice to its stack."""
    wait_for_feed(served_site.site, served_site.newest().title, timeout=30)
    from feedpub.build import collect_articles
    from feedpub.site import render_site

    articles, _ = collect_articles(EXAMPLES, served_site.config)
    built = {file.key for file in render_site(articles, served_site.config, datetime.now(UTC))}
    wanted = sorted(
        key for key in built if key.startswith(("feeds/tags/", "feeds/authors/", "feeds/partners/"))
    )
    assert len(wanted) >= 4 * 5 + 1, wanted  # 4 tags (and authors), 4 files each, and the variant
    for key in wanted:
        response = request(f"{served_site.site.site_url}/{key}")
        assert response.status == 200, key
        assert check_feed_file(RenderedFile(key, response.headers["Content-Type"], response.body)) == [], key
    page = request(f"{served_site.site.site_url}/feeds/tags/ports/rss.xml", {"Accept": CHROME_ACCEPT})
    assert page.headers["Content-Type"].startswith("text/html")  # browsers get the tag feed's page


@pytest.mark.parametrize("name", ["rss", "atom", "json"])
def test_conditional_requests_get_304(served_site: ServedSite, name: str) -> None:
    url = served_site.site.feed_urls[name]
    first = request(url)
    assert first.status == 200

    by_etag = request(url, {"If-None-Match": first.headers["ETag"]})
    assert by_etag.status == 304
    assert by_etag.body == b""
    assert by_etag.headers["ETag"] == first.headers["ETag"]

    by_date = request(url, {"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status == 304
    assert by_date.body == b""

    stale = request(url, {"If-None-Match": '"0123456789abcdef0123456789abcdef"'})
    assert stale.status == 200
    assert stale.body == first.body


# -------------------------------------------------------------------------------------------------
# Negotiation: browsers get the page, feed readers the feed, at the same URL
# -------------------------------------------------------------------------------------------------


def test_browser_gets_the_html_page(served_site: ServedSite) -> None:
    response = request(
        served_site.site.feed_urls["rss"], {"Accept": CHROME_ACCEPT, "User-Agent": BROWSER_AGENT}
    )
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Vary"] == "Accept"
    assert response.text.startswith("<!DOCTYPE html>")
    assert served_site.config.title in response.text
    assert served_site.newest().title in response.text
    assert response.body == request(served_site.site.feed_urls["page"]).body


@pytest.mark.parametrize(
    "accept",
    [FEEDPARSER_ACCEPT, "*/*", None],
    ids=["feedparser", "newsboat-and-curl", "no-accept"],
)
def test_readers_get_the_rss(served_site: ServedSite, accept: str | None) -> None:
    response = request(served_site.site.feed_urls["rss"], {"Accept": accept} if accept else {})
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert response.headers["Vary"] == "Accept"
    assert response.body.startswith(b"<?xml")
    assert b"<rss" in response.body


# -------------------------------------------------------------------------------------------------
# The CloudFront stand-in's cache, and WebSub discovery in headers
# -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["rss.xml", "atom.xml", "feed.json", "world/rss.xml"])
def test_feeds_link_to_the_hub_and_to_themselves(served_site: ServedSite, path: str) -> None:
    url = f"{served_site.site.site_url}/feeds/{path}"
    response = request(url)
    assert response.status == 200
    assert set(LINK.findall(response.headers["Link"])) == {(served_site.site.hub.url, "hub"), (url, "self")}
    assert "x-amz-meta-link" not in response.headers

    unchanged = request(url, {"If-None-Match": response.headers["ETag"]})
    assert unchanged.status == 304
    assert unchanged.headers["Link"] == response.headers["Link"]


def test_front_revalidates_every_feed_fetch_and_honours_invalidations(served_site: ServedSite) -> None:
    site = served_site.site
    invalidate = f"{site.site_url}/_local/invalidate"
    answer = request(invalidate, {"Content-Type": "application/json"}, "POST", b'{"paths": ["/feeds/*"]}')
    assert answer.status == 200, answer.text
    result = json.loads(answer.body)
    assert result["paths"] == ["/feeds/*"]
    assert result["invalidated"] >= 1  # the fixture has fetched the JSON Feed at least

    first = request(site.feed_urls["atom"])
    assert first.headers["X-Cache"] == "Miss from cloudfront"
    # The default Cache-Control has s-maxage=0: the edge asks S3 on every fetch, S3 answers 304.
    again = request(site.feed_urls["atom"])
    assert again.headers["X-Cache"] == "RefreshHit from cloudfront"
    assert again.body == first.body

    refused = request(invalidate, {"Content-Type": "application/json"}, "POST", b'{"paths": ["feeds/*"]}')
    assert refused.status == 400
    assert "start it with /" in refused.text


# -------------------------------------------------------------------------------------------------
# Article pages
# -------------------------------------------------------------------------------------------------


def test_article_page(served_site: ServedSite) -> None:
    newest = served_site.newest()
    items = served_site.get_json("json")["items"]
    url = next(item["url"] for item in items if item["title"] == newest.title)
    assert url == newest.url
    response = request(served_site.site.site_url + urlsplit(url).path)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f"<h1>{newest.title}</h1>" in response.text


def test_unlisted_and_unknown_pages_are_not_found(served_site: ServedSite) -> None:
    now = datetime.now(UTC)
    draft = next(a for a in served_site.articles if a.draft)
    embargoed = next(a for a in served_site.articles if not a.draft and a.published > now)
    for path in (urlsplit(draft.url).path, urlsplit(embargoed.url).path, "/world/no-such-story"):
        response = request(served_site.site.site_url + path)
        assert response.status == 404, path
        assert draft.title.encode() not in response.body


# -------------------------------------------------------------------------------------------------
# Editors: an upload reaches the served feed
# -------------------------------------------------------------------------------------------------


def test_uploaded_article_is_served(served_site: ServedSite, record_property: Any) -> None:
    """What `aws --endpoint-url ... s3 cp story.md s3://<articles>/articles/world/story.md` does."""
    site = served_site.site
    title = new_title("Uploaded story")
    name = f"upload-{uuid.uuid4().hex[:8]}.md"
    started = time.perf_counter()
    local_s3(site).put_object(
        Bucket=site.stack.articles_bucket,
        Key=f"articles/world/{name}",
        Body=article_markdown(title, datetime.now(UTC) - timedelta(minutes=1)),
        ContentType="text/markdown",
    )
    wait_for_feed(site, title, timeout=UPLOAD_TIMEOUT)
    seconds = time.perf_counter() - started
    print(f"\nuploaded article in the served RSS after {seconds:.2f} s")
    record_property("upload_to_feed_s", round(seconds, 2))

    served_site.wait_until_idle("IngestFunction")  # the JSON Feed is written after the RSS
    item = served_site.get_json("json")["items"][0]
    assert item["title"] == title
    assert urlsplit(item["url"]).path == f"/world/{name.removesuffix('.md')}"
    page = request(site.site_url + urlsplit(item["url"]).path)
    assert page.status == 200
    assert title in page.text


def test_feedpub_upload_command(
    served_site: ServedSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    title = new_title("CLI story")
    story = tmp_path / "cli-story.md"
    story.write_bytes(article_markdown(title, datetime.now(UTC) - timedelta(seconds=30)))
    monkeypatch.chdir(tmp_path)  # any folder: the stack is found by its state file

    started = time.perf_counter()
    result = CliRunner().invoke(main, ["upload", str(story), "--section", "business"])
    assert result.exit_code == 0, result.output
    assert "uploaded articles/business/cli-story.md" in result.output
    assert "✗" not in result.output
    wait_for_feed(served_site.site, title, timeout=UPLOAD_TIMEOUT)
    print(f"\n`feedpub upload` article in the served RSS after {time.perf_counter() - started:.2f} s")
    served_site.wait_until_idle("IngestFunction")
    item = served_site.get_json("json")["items"][0]
    assert (item["title"], urlsplit(item["url"]).path) == (title, "/business/cli-story")


def test_a_subscriber_gets_a_new_story_pushed_by_the_local_hub(
    served_site: ServedSite, record_property: Any
) -> None:
    """A WebSub subscriber on the local hub receives the site RSS with an article just uploaded."""
    site = served_site.site
    topic = site.feed_urls["rss"]
    subscriber = Subscriber()
    try:
        callback = subscriber.callback("reader")
        form = [("hub.mode", "subscribe"), ("hub.topic", topic), ("hub.callback", callback)]
        assert post_form(site.hub.url, form) == (202, "")
        assert site.hub.wait_for(lambda: any(s.callback == callback for s in site.hub.subscriptions), 10)

        title = new_title("Pushed story")
        started = time.perf_counter()
        local_s3(site).put_object(
            Bucket=site.stack.articles_bucket,
            Key=f"articles/world/push-{uuid.uuid4().hex[:8]}.md",
            Body=article_markdown(title, datetime.now(UTC) - timedelta(minutes=1)),
        )
        push = subscriber.wait_for_push(lambda push: title.encode() in push.body, PUSH_TIMEOUT)
        assert push is not None, f"no push within {PUSH_TIMEOUT:.0f} s; the hub got {site.hub.publishes}"
        seconds = time.perf_counter() - started
        print(f"\nuploaded article pushed to a subscriber after {seconds:.2f} s")
        record_property("upload_to_push_s", round(seconds, 2))
        assert push.headers["Content-Type"] == FEED_TYPES["rss"]
        assert set(LINK.findall(push.headers["Link"])) == {(site.hub.url, "hub"), (topic, "self")}
    finally:
        subscriber.stop()


def test_feedpub_audit_local_needs_no_other_flag(served_site: ServedSite) -> None:
    """The stack's names and site settings come with its state: no false discrepancies."""
    served_site.wait_until_idle("IngestFunction")
    result = CliRunner().invoke(main, ["audit", "--local"])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("0 discrepancies\n")


# -------------------------------------------------------------------------------------------------
# Most viewed: page views -> access logs -> views function -> most-viewed feed
# -------------------------------------------------------------------------------------------------


def test_page_views_rank_an_article_first(served_site: ServedSite, record_property: Any) -> None:
    site = served_site.site
    items = served_site.get_json("json")["items"]
    target, other = urlsplit(items[-1]["url"]).path, urlsplit(items[-2]["url"]).path
    views = 4
    invocations_before = site.runner.functions["ViewsFunction"].invocations

    not_views = [
        ("GET", {"User-Agent": "curl/8.5.0", "Accept": "*/*"}),
        ("GET", {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0.0.0 Safari/537.36"}),
        ("GET", {"User-Agent": "feedparser/6.0.11 +https://github.com/kurtmckee/feedparser/"}),
        ("GET", {}),  # no User-Agent at all
        ("HEAD", {"User-Agent": BROWSER_AGENT}),  # not a view: nothing was read
    ]
    for number in range(views):
        assert (
            request(site.site_url + target, {"User-Agent": BROWSER_AGENT, "Accept": CHROME_ACCEPT}).status
            == 200
        )
        method, headers = not_views[number % len(not_views)]
        assert request(site.site_url + target, headers, method=method).status == 200
    for method, headers in not_views:
        assert request(site.site_url + target, headers, method=method).status == 200
    assert request(site.site_url + other, {"User-Agent": BROWSER_AGENT}).status == 200

    # Poll only in-process state and the AWS endpoint: a request to the front would itself be
    # logged, and the access log would never be empty.
    views_function = site.runner.functions["ViewsFunction"]
    seconds = served_site.wait_until_idle(
        "ViewsFunction", lambda: not site.access_log.lines and views_function.invocations > invocations_before
    )
    print(
        f"\npage views counted {seconds:.1f} s after the last request (the access log is flushed every 5 s)"
    )
    record_property("views_counted_s", round(seconds, 2))

    ran = request(f"{site.site_url}/_local/run/MostViewedFunction")
    assert ran.status == 200, ran.text
    assert "feeds/most-viewed.json" in ran.text

    most_viewed = served_site.get_json("most viewed")
    ranked = [(urlsplit(item["url"]).path, item["_feedpub"]["views"]) for item in most_viewed["items"]]
    assert ranked[:2] == [(target, views), (other, 1)]
    assert most_viewed["items"][0]["_feedpub"]["rank"] == 1


def test_unknown_local_action(served_site: ServedSite) -> None:
    response = request(f"{served_site.site.site_url}/_local/run/NoSuchFunction")
    assert response.status == 404
