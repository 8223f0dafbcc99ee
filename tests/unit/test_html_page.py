"""The HTML pages shown to browsers instead of XSLT: a feed set's index.html and article previews."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import lxml.html
import pytest

from feedpub.article import Article, Image, figure_html
from feedpub.build import collect_articles
from feedpub.config import SiteConfig
from feedpub.feeds import FeedSpec, feed_specs, section_feed, select_items, site_feed
from feedpub.render.html_page import (
    HTML_TYPE,
    format_datetime,
    render_article_page,
    render_feed_page,
)
from tests.support.clock import NOW
from tests.support.paths import EXAMPLES, ROOT

CONFIG = SiteConfig.from_toml(EXAMPLES / "feedpub.toml")
ARTICLES, ERRORS = collect_articles(EXAMPLES, CONFIG, jobs=1)
SPECS = feed_specs(CONFIG, ARTICLES, NOW)
SPEC_IDS = [spec.name for spec in SPECS]
FEED_FILES = ("rss.xml", "atom.xml", "feed.json")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
HOSTILE = 'Smith & Sons <script>alert("x")</script> "onerror=alert(1) &amp; <b>bold</b>'


def parse(body: bytes) -> lxml.html.HtmlElement:
    assert body.startswith(b"<!DOCTYPE html>\n")
    return lxml.html.document_fromstring(body.decode("utf-8"))


def items_of(spec: FeedSpec) -> list[Article]:
    return select_items(ARTICLES, spec, CONFIG, NOW)


def feed_urls(spec: FeedSpec) -> list[str]:
    return [spec.url(name) for name in FEED_FILES]


def check_head(doc: lxml.html.HtmlElement, spec: FeedSpec) -> None:
    assert doc.xpath("//meta[@charset]/@charset") == ["utf-8"]
    assert doc.xpath("//meta[@name='viewport']")
    links = doc.xpath("//head/link[@rel='alternate']")
    assert [link.get("href") for link in links] == feed_urls(spec)
    assert [link.get("type") for link in links] == list(FEED_TYPES)


def check_no_external_resources(doc: lxml.html.HtmlElement, allowed_images: set[str]) -> None:
    """Nothing is loaded from elsewhere: no fonts, CDNs, stylesheets or scripts; only images."""
    assert set(doc.xpath("//@src")) <= allowed_images
    assert not doc.xpath("//script[@src] | //iframe | //object | //embed | //link[@rel='stylesheet']")
    assert {link.get("rel") for link in doc.xpath("//link")} <= {"alternate", "canonical"}
    for style in doc.xpath("//style/text()") + doc.xpath("//@style"):
        assert "url(" not in style
        assert "@import" not in style
        assert "http" not in style


def hostile_article(**changes: object) -> Article:
    article = Article(
        id="hostile",
        key="articles/business/hostile.md",
        title=HOSTILE,
        section="business",
        section_title="Business <i>&amp;</i> Money",
        url="https://www.example.com/business/hostile?a=1&b=2",
        published=datetime(2026, 11, 20, 8, 15, tzinfo=timezone(timedelta(hours=7))),
        updated=None,
        summary="Summary " + HOSTILE,
        body_html="<p>Body</p>",
        language="en",
        authors=("Jane <script>Doe</script>", 'O"Brien & Co'),
        image=Image(
            url="https://images.example.com/a.jpg?x=1&y=2",
            caption="Caption " + HOSTILE,
            credit="Credit " + HOSTILE,
            alt='Alt "onerror=alert(1)',
        ),
    )
    return replace(article, **changes)  # type: ignore[arg-type]


def test_examples_load() -> None:
    assert ERRORS == []
    assert SPEC_IDS == ["site", "business", "national", "sport", "world", "tags/diplomacy", "tags/economy",
        "tags/ports", "tags/transport", "authors/declan-moffatt", "authors/mara-lindqvist",
        "authors/priyanka-sethi"]  # fmt: skip
    assert HTML_TYPE == "text/html; charset=utf-8"


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_feed_page_of_examples(spec: FeedSpec) -> None:
    items = items_of(spec)
    assert items
    body = render_feed_page(spec, items, CONFIG)
    doc = parse(body)
    assert doc.get("lang") == CONFIG.language
    assert doc.findtext(".//title") == spec.title
    assert doc.xpath("string(//h1)") == spec.title
    if spec.section:
        assert spec.title == f"{CONFIG.title}: {CONFIG.sections[spec.section]}"
    check_head(doc, spec)
    assert [i.get("value") for i in doc.xpath("//input")] == feed_urls(spec)
    assert all(i.get("readonly") is not None for i in doc.xpath("//input"))
    assert len(doc.xpath("//button[@data-copy]")) == 3
    assert "Copy one of these addresses into your feed reader" in doc.text_content()
    assert doc.xpath("string(//footer)").strip() == "Published with feedpub"
    # Newest first, every item's headline linking to its article.
    headlines = doc.xpath("//article//h3/a")
    assert [(a.text_content(), a.get("href")) for a in headlines] == [(i.title, i.url) for i in items]
    assert headlines[0].text_content() == items[0].title
    times = doc.xpath("//article//time")
    assert [t.get("datetime") for t in times] == [format_datetime(i.published)["iso"] for i in items]
    assert [datetime.fromisoformat(t.get("datetime")) for t in times] == [i.published for i in items]
    for article in items:
        if article.image:
            (img,) = doc.xpath("//img[@src=$src]", src=article.image.url)
            assert img.get("loading") == "lazy"
            assert img.get("alt") == (article.image.alt or article.image.caption)
            if article.image.width and article.image.height:
                assert img.get("width") == str(article.image.width)
        # Only the plain summary, never the article body.
        assert article.summary in doc.text_content()
        assert article.body_html not in body.decode()
    images = {i.image.url for i in items if i.image}
    check_no_external_resources(doc, images)
    allowed = {*feed_urls(spec), spec.home_url, *(i.url for i in items)}
    for href in doc.xpath("//@href"):
        assert href in allowed
    assert body.count(b"<script") == 1  # the page's own copy script, inline


def test_feed_page_date_and_authors_text() -> None:
    article = hostile_article(authors=("A", "B", "C"))
    doc = parse(render_feed_page(site_feed(CONFIG), [article], CONFIG))
    (time,) = doc.xpath("//article//time")
    assert time.text == "20 November 2026, 08:15 (UTC+07:00)"
    assert time.get("datetime") == "2026-11-20T08:15:00+07:00"
    assert "By A, B and C" in doc.xpath("string(//article//p[@class='meta'])")


def test_format_datetime() -> None:
    minus = timezone(-timedelta(hours=5, minutes=30))
    assert format_datetime(datetime(2026, 1, 2, 3, 4, tzinfo=minus)) == {
        "text": "2 January 2026, 03:04 (UTC-05:30)",
        "iso": "2026-01-02T03:04:00-05:30",
    }
    assert format_datetime(datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC)) == {
        "text": "31 December 2026, 23:59 (UTC)",
        "iso": "2026-12-31T23:59:30Z",
    }


def test_feed_page_escapes_hostile_text() -> None:
    spec = replace(site_feed(CONFIG), title="Smith & Sons <script>", description=HOSTILE)
    article = hostile_article()
    body = render_feed_page(spec, [article], CONFIG)
    text = body.decode()
    assert text.count("<script") == 1
    assert "<b>bold" not in text
    assert '"onerror' not in text
    assert "&amp;amp;" in text  # the literal "&amp;" is escaped once more, shown as typed
    doc = parse(body)
    assert doc.findtext(".//title") == "Smith & Sons <script>"
    assert doc.xpath("string(//h1)") == "Smith & Sons <script>"
    assert doc.xpath("string(//header/p[1])") == HOSTILE
    assert doc.xpath("string(//article//h3)") == HOSTILE
    assert doc.xpath("//article//h3/a/@href") == [article.url]
    assert doc.xpath("//article/p[1]/text()") == ["Summary " + HOSTILE]
    assert doc.xpath("//article//img/@alt") == ['Alt "onerror=alert(1)']
    assert doc.xpath("//article//img/@src") == [article.image.url]  # type: ignore[union-attr]
    assert 'By Jane <script>Doe</script> and O"Brien & Co' in doc.xpath("string(//article//p[@class='meta'])")
    assert doc.xpath("//link[@rel='alternate']/@title")[0] == "Smith & Sons <script> (RSS)"
    assert not doc.xpath("//*[@onerror]")
    assert not doc.xpath("//b")


def test_unsafe_urls_are_not_linked() -> None:
    article = hostile_article(
        url="javascript:alert(1)", image=Image(url="javascript:alert(2)", alt="x"), section="s"
    )
    body = render_feed_page(site_feed(CONFIG), [article], CONFIG)
    assert b"javascript:" not in body
    doc = parse(body)
    assert doc.xpath("string(//article//h3)") == HOSTILE
    assert not doc.xpath("//article//a | //article//img")
    page = render_article_page(replace(article, image=None), CONFIG, section_feed(CONFIG, "business"))
    assert b"javascript:" not in page


def test_empty_feed_page() -> None:
    spec = section_feed(CONFIG, "weather")
    body = render_feed_page(spec, [], CONFIG)
    doc = parse(body)
    assert "No stories yet." in doc.text_content()
    assert not doc.xpath("//article")
    assert doc.findtext(".//title") == f"{CONFIG.title}: Weather"
    check_head(doc, spec)
    assert [i.get("value") for i in doc.xpath("//input")] == feed_urls(spec)
    check_no_external_resources(doc, set())


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_feed_page_is_deterministic(spec: FeedSpec) -> None:
    items = items_of(spec)
    assert render_feed_page(spec, items, CONFIG) == render_feed_page(spec, list(items), CONFIG)


RENDER_ALL = """
import hashlib, sys
from feedpub.build import collect_articles
from feedpub.config import SiteConfig
from feedpub.feeds import feed_specs, select_items
from feedpub.render.html_page import render_article_page, render_feed_page
from tests.support.clock import NOW
from tests.support.paths import EXAMPLES
config = SiteConfig.from_toml(EXAMPLES / "feedpub.toml")
articles, _ = collect_articles(EXAMPLES, config, jobs=1)
digest = hashlib.sha256()
for spec in feed_specs(config, articles, NOW):
    items = select_items(articles, spec, config, NOW)
    digest.update(render_feed_page(spec, items, config))
    for article in items:
        digest.update(render_article_page(article, config, spec))
sys.stdout.write(digest.hexdigest())
"""


def render_digest(tz: str, lang: str) -> str:
    env = {**os.environ, "TZ": tz, "LC_ALL": lang, "LANG": lang, "PYTHONHASHSEED": "random"}
    result = subprocess.run(
        [sys.executable, "-c", RENDER_ALL], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout


def test_pages_do_not_depend_on_time_zone_or_locale() -> None:
    assert render_digest("Asia/Phnom_Penh", "C.UTF-8") == render_digest("UTC", "C")
    assert render_digest("America/St_Johns", "C.UTF-8") == render_digest("UTC", "C")


@pytest.mark.parametrize("article", [a for a in ARTICLES if a.is_listed(NOW)], ids=lambda a: a.id)
def test_article_page_of_examples(article: Article) -> None:
    spec = section_feed(CONFIG, article.section, article.section_title)
    body = render_article_page(article, CONFIG, spec)
    text = body.decode("utf-8")
    assert article.content_html in text
    doc = parse(body)
    assert doc.get("lang") == article.language
    assert doc.xpath("string(//h1)") == article.title
    check_head(doc, spec)
    (section,) = doc.xpath("//p[@class='section']/a")
    assert (section.text, section.get("href")) == (article.section_title, spec.home_url)
    (subscribe,) = doc.xpath("//a[starts-with(., 'Subscribe to')]")
    assert subscribe.text == f"Subscribe to {article.section_title} feeds"
    assert subscribe.get("href") == spec.url("index.html")
    assert doc.xpath("//article//time/@datetime")[0] == format_datetime(article.published)["iso"]
    for author in article.authors:
        assert author in doc.xpath("string(//p[@class='meta'])")
    assert "<script" not in text
    images = {article.image.url} if article.image else set()
    images |= set(lxml.html.fragment_fromstring(article.content_html, create_parent="div").xpath("//@src"))
    check_no_external_resources(doc, images)


def test_article_page_with_image_has_figure_caption_and_credit() -> None:
    article = next(a for a in ARTICLES if a.id == "smith-sons-bid")
    assert article.image is not None
    spec = section_feed(CONFIG, "business")
    body = render_article_page(article, CONFIG, spec)
    assert figure_html(article.image).encode() in body
    doc = parse(body)
    (figure,) = doc.xpath("//article//figure")
    assert figure.xpath("img/@src") == [article.image.url]
    assert figure.xpath("img/@alt") == [article.image.alt]
    caption = figure.find("figcaption")
    assert caption is not None
    assert article.image.caption in caption.text_content()
    assert caption.findtext("small") == article.image.credit == "Herald photo / Jane Doe"


def test_article_page_escapes_hostile_text() -> None:
    article = hostile_article(updated=datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    spec = section_feed(CONFIG, "business")
    body = render_article_page(article, CONFIG, spec)
    text = body.decode()
    assert "<script" not in text
    assert '"onerror' not in text
    doc = parse(body)
    assert doc.xpath("string(//h1)") == HOSTILE
    assert doc.findtext(".//title") == f"{HOSTILE} – {CONFIG.title}"
    assert doc.xpath("string(//p[@class='section'])") == "Business <i>&amp;</i> Money"
    assert doc.xpath("string(//figcaption)") == f"Caption {HOSTILE} Credit {HOSTILE}"
    assert doc.xpath("//figure/img/@alt") == ['Alt "onerror=alert(1)']
    assert doc.xpath("//link[@rel='canonical']/@href") == [article.url]
    meta = doc.xpath("string(//p[@class='meta'])")
    assert 'Jane <script>Doe</script> and O"Brien & Co' in meta
    assert "Updated 21 November 2026, 09:00 (UTC)" in meta
    assert doc.xpath("string(//a[starts-with(., 'Subscribe to')])") == (
        "Subscribe to Business <i>&amp;</i> Money feeds"
    )
    assert not doc.xpath("//*[@onerror] | //i | //b")


def test_article_page_for_site_feed_set() -> None:
    article = next(a for a in ARTICLES if a.is_listed(NOW))
    spec = site_feed(CONFIG)
    doc = parse(render_article_page(article, CONFIG, spec))
    check_head(doc, spec)
    (subscribe,) = doc.xpath("//a[starts-with(., 'Subscribe to')]")
    assert subscribe.text == f"Subscribe to {CONFIG.title} feeds"
    assert subscribe.get("href") == "https://www.example.com/feeds/index.html"
