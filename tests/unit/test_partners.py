"""Partner rules, `feedpub doctor` and the SmartNews variant.

Each file under tests/fixtures/partners/ says in its first comment (JSON: `_expect`/`_pass`)
which rules it fails (`expect:`) and which it meets (`pass:`); one parametrized test reads them
all. Rules about counts and sizes are checked on feeds built in code (no 2 MB fixture files).
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner, Result

from feedpub.build import build, collect_articles
from feedpub.config import SiteConfig
from feedpub.feeds import site_feed
from feedpub.names import PARTNERS
from feedpub.partners.check import blocker_findings, check_feed
from feedpub.partners.model import Feed, Item, NotAFeedError, parse_feed
from feedpub.partners.rules import RULES, RULES_BY_ID
from feedpub.partners.smartnews import render_partner_feeds
from feedpub.render import RenderedFile
from feedpub.site import render_site
from feedpub_cli.main import main
from tests.support.clock import NOW
from tests.support.feedcheck import check_feed_file, parse_strict
from tests.support.paths import EXAMPLES, FIXTURES, ROOT

PARTNER_FIXTURES = FIXTURES / "partners"
NOW_FLAG = ["--now", NOW.isoformat()]
LOGO = "https://www.example.com/logo.png"
PARTNER_CONFIG = replace(
    SiteConfig.from_toml(EXAMPLES / "feedpub.toml"),
    language="en-GB", partners=PARTNERS, logo_url=LOGO, items_per_kind={"partner": 30},
    tag_feeds=SiteConfig().tag_feeds, author_feeds=SiteConfig().author_feeds,
)  # fmt: skip
"""The examples with every partner enabled, as docs/partners.md tells a site to set them."""
ARTICLES, _ = collect_articles(EXAMPLES, PARTNER_CONFIG, jobs=1)


def expectations(path: Path) -> tuple[set[str], set[str]]:
    """(rules the fixture must fail, rules it must meet), from its first comment or JSON keys."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        document = json.loads(text)
        lists = {"expect": document.get("_expect", ""), "pass": document.get("_pass", "")}
    else:
        comment = re.search(r"<!--(.*?)-->", text, re.S)
        assert comment, f"{path.name} says nothing about what it expects"
        lists = dict(re.findall(r"(expect|pass): ([a-z0-9/, -]+)", comment.group(1)))
    ids = {key: {part.strip() for part in value.split(",") if part.strip()} for key, value in lists.items()}
    return ids.get("expect", set()), ids.get("pass", set())


FIXTURE_FILES = sorted(p for p in PARTNER_FIXTURES.iterdir() if p.is_file())


def failed_rules(data: bytes) -> set[str]:
    return {finding.rule.id for finding in check_feed(parse_feed(data), "fixture", NOW)}


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
def test_fixture_fails_and_passes_what_it_says(path: Path) -> None:
    expected, passing = expectations(path)
    assert expected or passing, f"{path.name} expects nothing"
    assert expected | passing <= set(RULES_BY_ID), "a fixture names a rule that does not exist"
    failed = failed_rules(path.read_bytes())
    assert expected <= failed, f"{path.name} should fail {sorted(expected - failed)}"
    assert not passing & failed, f"{path.name} should pass {sorted(passing & failed)}"


# -- count and size rules, on feeds built here -------------------------------------------------------

ITEM = (
    "<item><title>Harbour strike vote passes after long night of talks</title>"
    "<link>https://www.example.com/a{n}</link><guid isPermaLink='false'>a{n}</guid>"
    "<description>{text}</description></item>"
)


def rss_with(count: int, text: str = "Dock workers voted.") -> bytes:
    items = "".join(ITEM.format(n=n, text=text) for n in range(count))
    return (
        "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>Herald</title>"
        f"<link>https://www.example.com/</link><description>News</description>{items}</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("data", "rule", "fails"),
    [
        (rss_with(61), "google-news/fetch-limit", True),
        (rss_with(60), "google-news/fetch-limit", False),
        (rss_with(19), "flipboard/items", True),
        (rss_with(20), "flipboard/items", False),
        (rss_with(3, "x" * (1024 * 1024 + 1)), "google-news/article-size", True),
        (rss_with(3, "x" * 1000), "google-news/article-size", False),
        (rss_with(3, "x" * 800_000), "google-news/feed-size", True),
        (rss_with(2, "x" * 800_000), "google-news/feed-size", False),
    ],
    ids=["61-items", "60-items", "19-items", "20-items", "huge-item", "small-item", "3x800k", "2x800k"],
)
def test_count_and_size_rules(data: bytes, rule: str, fails: bool) -> None:
    assert (rule in failed_rules(data)) is fails


CHECKED_IN_CODE = {
    "google-news/fetch-limit",
    "flipboard/items",
    "google-news/article-size",
    "google-news/feed-size",
}


def test_every_rule_has_a_failing_and_a_passing_case() -> None:
    expected: set[str] = set(CHECKED_IN_CODE)
    passing: set[str] = set(CHECKED_IN_CODE)
    for path in FIXTURE_FILES:
        fails, passes = expectations(path)
        expected |= fails
        passing |= passes
    format_rules = {r.id for r in RULES if r.id.endswith("/format")}
    assert set(RULES_BY_ID) - expected == set()
    assert set(RULES_BY_ID) - format_rules - passing == set()  # a format rule "passes" on every RSS feed
    assert format_rules <= passing


def test_every_rule_is_in_docs_with_its_source() -> None:
    docs = (ROOT / "docs" / "partners.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"`{rule.id}`" in docs, rule.id
        assert rule.source in docs, rule.source


def test_rules_are_one_sentence_with_a_fix() -> None:
    for rule in RULES:
        assert rule.rule.endswith(".") and rule.fix and rule.source.startswith("https://"), rule.id
        assert (rule.check_feed is None) != (rule.check_item is None), rule.id


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<!DOCTYPE html><html><body>Hello<br></body></html>", "not well-formed XML"),
        (b"<html><body>Hello</body></html>", "root is <html>"),
        (b"<rss version='2.0'><channel><title>x</title>", "not well-formed XML"),
        (b"<rss version='2.0'/>", "without a <channel>"),
        (b'{"title": "no version"}', "without a JSON Feed `version`"),
        (b"{not json", "not valid JSON"),
    ],
)
def test_documents_that_are_not_feeds_are_named(data: bytes, message: str) -> None:
    with pytest.raises(NotAFeedError, match=re.escape(message)):
        parse_feed(data)


def test_entities_are_never_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">]>'
        b'<rss version="2.0"><channel><title>&a;</title></channel></rss>'
    )
    assert "aaaaaaaaaa" not in parse_feed(bomb).title


# -- the doctor ----------------------------------------------------------------------------------


def doctor(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["doctor", *map(str, args), *NOW_FLAG], catch_exceptions=True)


def test_doctor_blocker_exits_1_and_names_partner_rule_source_and_fix() -> None:
    result = doctor(PARTNER_FIXTURES / "language-no-region.rss.xml", "--for", "apple-news")
    rule = RULES_BY_ID["apple-news/locale"]
    assert result.exit_code == 1, result.output
    for text in ("BLOCKER apple-news", rule.rule, rule.source, rule.fix, "the feed:"):
        assert text in result.output
    assert "1 blockers" in result.output


def test_doctor_names_the_item_that_fails() -> None:
    result = doctor(PARTNER_FIXTURES / "no-guid.rss.xml", "--for", "google-news")
    assert result.exit_code == 1
    assert "item 'Harbour strike vote passes after long night of talks':" in result.output
    assert "google-news/guid" in result.output


def test_doctor_advice_only_exits_0() -> None:
    result = doctor(PARTNER_FIXTURES / "no-image.rss.xml", "--for", "msn,flipboard")
    assert result.exit_code == 0, result.output
    assert "ADVICE msn" in result.output and "BLOCKER" not in result.output
    assert RULES_BY_ID["msn/image"].fix in result.output


def test_doctor_clean_feed_says_so() -> None:
    result = doctor(PARTNER_FIXTURES / "good.rss.xml", "--for", "apple-news,msn,google-news")
    assert result.exit_code == 0 and "ok: no rule of the partners checked fails" in result.output


def test_doctor_rejects_an_unknown_partner_by_option_name() -> None:
    result = doctor(PARTNER_FIXTURES / "good.rss.xml", "--for", "msn,gogle-news")
    assert result.exit_code == 2
    assert "--for" in result.output and "did you mean google-news?" in result.output
    assert "known: apple-news, flipboard, google-news, msn, smartnews" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [("<!DOCTYPE html><html><p>Hi</html>", "not a feed: not well-formed XML"), ("<html/>", "root is <html>")],
)
def test_doctor_says_in_one_line_that_a_page_is_not_a_feed(
    tmp_path: Path, content: str, message: str
) -> None:
    page = tmp_path / "index.html"
    page.write_text(content, encoding="utf-8")
    result = doctor(page, PARTNER_FIXTURES / "good.rss.xml")
    assert result.exit_code == 2 and "Traceback" not in result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert message in line and str(page) in line
    assert "good.rss.xml: RSS 2.0" in result.output  # the other feed is still checked


def test_doctor_missing_file_is_unreadable(tmp_path: Path) -> None:
    result = doctor(tmp_path / "nope.xml")
    assert result.exit_code == 2 and "unreadable: cannot be read" in result.output


@pytest.fixture
def local_server() -> Iterator[str]:
    """A feed server on 127.0.0.1 serving tests/fixtures/partners/."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(PARTNER_FIXTURES), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_doctor_fetches_urls(local_server: str) -> None:
    result = doctor(f"{local_server}/language-no-region.rss.xml", "--for", "apple-news")
    assert result.exit_code == 1 and "apple-news/locale" in result.output
    missing = doctor(f"{local_server}/missing.xml")
    assert missing.exit_code == 2 and "HTTP 404" in missing.output


def test_doctor_names_an_unreachable_url() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = doctor(f"http://127.0.0.1:{port}/rss.xml")
    assert result.exit_code == 2 and "unreachable" in result.output and "Traceback" not in result.output


# -- the example site with every partner enabled ---------------------------------------------------


def test_example_build_has_no_blocker_for_any_partner(tmp_path: Path) -> None:
    build(EXAMPLES, tmp_path, PARTNER_CONFIG, NOW, jobs=1)
    feeds = sorted(
        p for p in (tmp_path / "feeds").rglob("*") if p.name in ("rss.xml", "atom.xml", "feed.json")
    )
    assert tmp_path / "feeds/partners/smartnews/rss.xml" in feeds
    findings = [f for path in feeds for f in check_feed(parse_feed(path.read_bytes()), str(path), NOW)]
    assert [f for f in findings if f.blocker] == []
    assert findings, "advice is expected: some example articles have no image"
    result = doctor(*feeds)
    assert result.exit_code == 0, result.output
    assert f"{len(feeds)} feeds checked for {', '.join(PARTNERS)}: 0 blockers" in result.output


def test_items_per_kind_counts_each_feed_set() -> None:
    config = replace(PARTNER_CONFIG, items_per_kind={"site": 5, "section": 2, "partner": 7})
    files = {f.key: f.body for f in render_site(ARTICLES, config, NOW)}
    counts = {
        key: len(parse_strict(body).findall("channel/item"))
        for key, body in files.items()
        if key.endswith("rss.xml")
    }
    assert counts["feeds/rss.xml"] == 5
    assert counts["feeds/world/rss.xml"] == 2
    assert counts["feeds/partners/smartnews/rss.xml"] == 7


# -- the SmartNews variant -------------------------------------------------------------------------

SNF = "{http://www.smartnews.be/snf}"


def variant(config: SiteConfig) -> list[RenderedFile]:
    items = sorted((a for a in ARTICLES if a.is_listed(NOW)), key=lambda a: a.sort_key(), reverse=True)
    return render_partner_feeds(items, config)


def test_smartnews_variant_is_valid_stable_smartformat() -> None:
    [file] = variant(PARTNER_CONFIG)
    assert file.key == "feeds/partners/smartnews/rss.xml" and file.content_type.startswith(
        "application/rss+xml"
    )
    assert file.body == variant(PARTNER_CONFIG)[0].body
    assert check_feed_file(file) == []
    parsed = feedparser.parse(file.body)
    assert parsed.bozo == 0 and len(parsed.entries) == len([a for a in ARTICLES if a.is_listed(NOW)])
    channel = parse_strict(file.body).find("channel")
    assert channel is not None
    assert channel.findtext(f"{SNF}logo/url") == LOGO
    assert channel.findtext("pubDate") and channel.findtext("language") == "en-GB"
    self_link = channel.find("{http://www.w3.org/2005/Atom}link[@rel='self']")
    assert (
        self_link is not None
        and self_link.get("href") == "https://www.example.com/feeds/partners/smartnews/rss.xml"
    )
    thumbnails = channel.findall("item/{http://search.yahoo.com/mrss/}thumbnail")
    assert thumbnails and all(t.get("width") and t.get("height") for t in thumbnails)
    assert [f for f in check_feed(parse_feed(file.body), file.key, NOW, ["smartnews"]) if f.blocker] == []


def test_smartnews_variant_carries_the_site_items_in_order() -> None:
    [file] = variant(PARTNER_CONFIG)
    site = {f.key: f.body for f in render_site(ARTICLES, PARTNER_CONFIG, NOW)}["feeds/rss.xml"]
    guids = [parse_strict(body).findall("channel/item/guid") for body in (file.body, site)]
    assert [g.text for g in guids[0]] == [g.text for g in guids[1]]


def test_smartnews_variant_only_when_enabled() -> None:
    assert variant(replace(PARTNER_CONFIG, partners=("msn", "apple-news"))) == []
    keys = [f.key for f in render_site(ARTICLES, replace(PARTNER_CONFIG, partners=()), NOW)]
    assert not any(key.startswith("feeds/partners/") for key in keys)


def test_smartnews_without_logo_is_a_blocker_the_publisher_sees() -> None:
    [file] = variant(replace(PARTNER_CONFIG, logo_url=""))
    assert parse_strict(file.body).find(f"channel/{SNF}logo") is None
    findings = blocker_findings(file.key, file.body, PARTNER_CONFIG.partners, NOW)
    assert {f.rule.id for f in findings} == {"smartnews/logo"}
    assert findings[0].as_log() == {
        "feed": file.key,
        "item": "",
        "rule": "smartnews/logo",
        "severity": "blocker",
    }


def test_publisher_check_skips_pages_and_sites_without_partners() -> None:
    page = b"<html></html>"
    assert blocker_findings("feeds/index.html", page, PARTNERS, NOW) == []
    bad = (PARTNER_FIXTURES / "language-no-region.rss.xml").read_bytes()
    assert blocker_findings("feeds/rss.xml", bad, (), NOW) == []
    assert [f.rule.id for f in blocker_findings("feeds/rss.xml", bad, ["apple-news"], NOW)] == [
        "apple-news/locale"
    ]


def test_model_reads_each_format_alike() -> None:
    files = {f.key: f.body for f in render_site(ARTICLES, PARTNER_CONFIG, NOW)}
    feeds: dict[str, Feed] = {
        name: parse_feed(files[f"feeds/{name}"]) for name in ("rss.xml", "atom.xml", "feed.json")
    }
    ids = {name: [item.id for item in feed.items] for name, feed in feeds.items()}
    assert ids["rss.xml"] == ids["atom.xml"] == ids["feed.json"]
    assert {feed.language for feed in feeds.values()} == {"en-GB"}
    first: dict[str, Item] = {name: feed.items[0] for name, feed in feeds.items()}
    assert len({item.title for item in first.values()}) == 1
    assert first["rss.xml"].image is not None and first["rss.xml"].image.width
    assert site_feed(PARTNER_CONFIG).url("rss.xml") == feeds["rss.xml"].self_url


def test_serve_passes_the_partner_settings_of_feedpub_toml_to_the_stack() -> None:
    from feedpub_cli.local.serve import _site_parameters

    assert _site_parameters(PARTNER_CONFIG) == {
        "SiteLanguage": "en-GB",
        "TagFeeds": "none",
        "AuthorFeeds": "none",
        "Partners": ",".join(PARTNERS),
        "SiteLogoUrl": LOGO,
        "ItemsPerKind": "partner=30",
    }
    chosen = SiteConfig.from_mapping({"tag_feeds": ["Port Ellis", "Ports"], "author_feeds": "all"})
    assert _site_parameters(chosen) == {
        "SiteLanguage": "en",
        "TagFeeds": "port-ellis,ports",
        "AuthorFeeds": "all",
    }
