"""feedpub.article: validation into an immutable Article, its derived values and its dict form."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from feedpub.article import (
    SUMMARY_LIMIT,
    Article,
    Image,
    figure_html,
    parse_article,
    parse_datetime,
    plain_text,
)
from feedpub.config import SiteConfig
from feedpub.errors import ArticleError
from feedpub.names import is_article_key
from tests.support.clock import NOW
from tests.support.paths import EXAMPLES

EXAMPLE_FILES = sorted((EXAMPLES / "articles").rglob("*.*"))
PUBLISHED = "2026-11-20T08:00:00+07:00"


def key_of(path: Path) -> str:
    return path.relative_to(EXAMPLES).as_posix()


def article(
    config: SiteConfig, key: str = "articles/world/storm.md", body: str = "The body.", **fields: Any
) -> Article:
    """An article from front matter fields (JSON-encoded so any value is a valid YAML scalar)."""
    fields.setdefault("title", "Storm")
    fields.setdefault("published", PUBLISHED)
    front = "".join(f"{name}: {json.dumps(value)}\n" for name, value in fields.items() if value is not None)
    return parse_article(key, f"---\n{front}---\n\n{body}\n".encode(), config)


def problems_of(config: SiteConfig, **fields: Any) -> list[tuple[str, str]]:
    with pytest.raises(ArticleError) as caught:
        article(config, **fields)
    return [(p.field, p.message) for p in caught.value.problems]


def json_article(config: SiteConfig, document: dict[str, Any], key: str = "articles/sport/a.json") -> Article:
    return parse_article(key, json.dumps(document).encode(), config)


# --- the examples ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_parses(path: Path, config: SiteConfig) -> None:
    parsed = parse_article(key_of(path), path.read_bytes(), config)
    assert parsed.key == key_of(path)
    assert parsed.section == path.parent.name
    assert parsed.url.startswith("https://www.example.com/")
    assert parsed.published.tzinfo is not None
    assert parsed.summary and len(parsed.summary) <= 2000
    assert parsed.body_html.startswith("<")


def test_smith_sons_example(config: SiteConfig) -> None:
    path = EXAMPLES / "articles/business/smith-sons-bid.md"
    parsed = parse_article(key_of(path), path.read_bytes(), config)
    assert parsed.title == 'Smith & Sons rejects "low-ball" bid from Carrow Group'
    assert parsed.id == "smith-sons-bid"
    assert (parsed.section, parsed.section_title) == ("business", "Business")
    assert parsed.url == "https://www.example.com/business/smith-sons-bid"
    assert parsed.authors == ("Felix Armitage",)
    assert parsed.tags == ("mergers", "shipbuilding", "markets")
    assert parsed.published == datetime(2026, 11, 10, 8, 15, tzinfo=UTC)
    assert parsed.updated is None and parsed.modified == parsed.published
    assert parsed.image == Image(
        url="https://images.example.com/2026/11/smith-sons-shipyard-crane.jpg",
        caption="A gantry crane at the Smith & Sons shipyard on the Ellis estuary.",
        credit="Herald photo / Jane Doe",
        alt="A tall red gantry crane stands over a partly built ship hull in a dry dock.",
        width=1920,
        height=1280,
        type="image/jpeg",
    )


def test_json_example(config: SiteConfig) -> None:
    path = EXAMPLES / "articles/sport/cricket-series-sweep.json"
    parsed = parse_article(key_of(path), path.read_bytes(), config)
    assert parsed.id == "cricket-series-sweep"
    assert "<ul>" in parsed.body_html and "<li>" in parsed.body_html
    assert parsed.updated == datetime(2026, 11, 25, 22, 10, tzinfo=timezone(timedelta(hours=-5)))


# --- to_dict / from_dict --------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_dict_round_trip_through_json(path: Path, config: SiteConfig) -> None:
    parsed = parse_article(key_of(path), path.read_bytes(), config)
    data = json.loads(json.dumps(parsed.to_dict()))
    again = Article.from_dict(data)
    assert again == parsed
    assert again.published.utcoffset() == parsed.published.utcoffset()
    assert again.to_dict() == parsed.to_dict()


def test_dict_form_shape(config: SiteConfig) -> None:
    data = article(config, image={"url": "https://img.example.com/a.png", "width": 10}).to_dict()
    assert set(data) == {
        "id", "key", "title", "section", "section_title", "url", "published", "updated", "summary",
        "body_html", "language", "authors", "tags", "draft", "image", "access",
    }  # fmt: skip
    assert data["access"] == "public"
    assert data["published"] == PUBLISHED
    assert data["image"] == {
        "url": "https://img.example.com/a.png", "caption": "", "credit": "", "alt": "", "width": 10,
        "height": None, "type": "image/png", "length": 0,
    }  # fmt: skip


# --- content_html -------------------------------------------------------------------------------


def test_content_html_puts_the_figure_first_with_caption_and_credit_escaped(config: SiteConfig) -> None:
    parsed = article(
        config,
        image={
            "url": "https://img.example.com/boats.jpg?a=1&b=2",
            "caption": 'Boats & nets <3 "quoted"',
            "credit": "Jo &amp; Co <b>Photo</b>",
            "width": 1600,
            "height": 900,
        },
    )
    assert parsed.content_html == (
        '<figure><img src="https://img.example.com/boats.jpg?a=1&amp;b=2" '
        'alt="Boats &amp; nets &lt;3 &quot;quoted&quot;" width="1600" height="900">'
        "<figcaption>Boats &amp; nets &lt;3 &quot;quoted&quot; <small>Jo &amp; Co Photo</small></figcaption>"
        "</figure>\n<p>The body.</p>"
    )


def test_content_html_without_image_is_the_body(config: SiteConfig) -> None:
    parsed = article(config)
    assert parsed.content_html == parsed.body_html == "<p>The body.</p>"


@pytest.mark.parametrize(
    ("image", "html"),
    [
        (Image(url="https://i.example/a.jpg"), '<figure><img src="https://i.example/a.jpg" alt=""></figure>'),
        (
            Image(url="https://i.example/a.jpg", alt="Alt", caption="Cap", width=10),
            '<figure><img src="https://i.example/a.jpg" alt="Alt"><figcaption>Cap</figcaption></figure>',
        ),
        (
            Image(url="https://i.example/a.jpg", credit="AFP", width=10, height=20),
            '<figure><img src="https://i.example/a.jpg" alt="" width="10" height="20">'
            "<figcaption><small>AFP</small></figcaption></figure>",
        ),
    ],
)
def test_figure_html_variants(image: Image, html: str) -> None:
    assert figure_html(image) == html


# --- listing and ordering -------------------------------------------------------------------------


def test_is_listed_for_drafts_and_embargoes(config: SiteConfig) -> None:
    published = datetime.fromisoformat(PUBLISHED)
    assert article(config).is_listed(published)
    assert article(config).is_listed(NOW)
    assert not article(config).is_listed(published - timedelta(microseconds=1))  # embargoed until then
    assert not article(config, draft=True).is_listed(NOW)
    assert article(config, draft=False).is_listed(NOW)


def test_embargo_compares_instants_not_wall_clocks(config: SiteConfig) -> None:
    parsed = article(config, published="2026-11-20T08:00:00+07:00")  # 01:00 UTC
    assert parsed.is_listed(datetime(2026, 11, 20, 1, 0, tzinfo=UTC))
    assert not parsed.is_listed(datetime(2026, 11, 20, 7, 59, tzinfo=timezone(timedelta(hours=7))))


def test_modified_and_sort_key(config: SiteConfig) -> None:
    parsed = article(config, updated="2026-11-21T00:00:00Z")
    assert parsed.modified == datetime(2026, 11, 21, tzinfo=UTC)
    assert parsed.sort_key() == (datetime.fromisoformat(PUBLISHED), "storm")


# --- summary --------------------------------------------------------------------------------------


def test_summary_default_is_the_first_paragraph_cut_on_a_word_boundary(config: SiteConfig) -> None:
    words = " ".join(f"word{i}" for i in range(100))
    parsed = article(config, body=f"## Heading\n\n{words}\n\nSecond paragraph.")
    assert parsed.summary.endswith("…")
    assert len(parsed.summary) <= SUMMARY_LIMIT
    kept = parsed.summary[:-1]
    assert words.startswith(kept)
    assert words[len(kept)] == " "  # the cut falls between two words
    assert len(kept) > SUMMARY_LIMIT // 2


def test_summary_default_short_paragraph_is_whole(config: SiteConfig) -> None:
    parsed = article(config, body="<p>  </p>\n\nFirst *short* paragraph &amp; more.\n\nSecond.")
    assert parsed.summary == "First short paragraph & more."


def test_explicit_summary_wins_and_is_plain_text(config: SiteConfig) -> None:
    parsed = article(config, summary="<b>Bold</b> &amp; clear", body="Body paragraph.")
    assert parsed.summary == "Bold & clear"


def test_summary_falls_back_to_the_title_when_the_body_has_no_text(config: SiteConfig) -> None:
    parsed = article(config, title="Picture story", body='<img src="https://i.example/a.jpg">')
    assert parsed.summary == "Picture story"


# --- fields -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("Smith & Sons", "Smith & Sons"),
        ("Smith &amp; Sons", "Smith & Sons"),
        ("&amp;amp;", "&amp;"),  # decoded exactly once
        ("<b>Bold</b> <i>move</i>", "Bold move"),
        ("<script>alert(1)</script>Safe<style>p{}</style>", "Safe"),
        ("a < b > c", "a < b > c"),
        ("&lt;b&gt;literal&lt;/b&gt;", "<b>literal</b>"),
        ("Tom &amp; Jerry&#x202E; ", "Tom & Jerry"),
        ("  many   spaces\n\tand lines ", "many spaces and lines"),
        ("no markup at all", "no markup at all"),
    ],
)
def test_plain_text(raw: str, text: str) -> None:
    assert plain_text(raw) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20T08:00:00+07:00", datetime(2026, 11, 20, 1, 0, tzinfo=UTC)),
        ("2026-11-20T08:00:00+0700", datetime(2026, 11, 20, 1, 0, tzinfo=UTC)),
        ("2026-11-20T08:00Z", datetime(2026, 11, 20, 8, 0, tzinfo=UTC)),
        ("2026-11-20 08:00:00z", datetime(2026, 11, 20, 8, 0, tzinfo=UTC)),
        ("2026-11-20t08:00:00.5-05:00", datetime(2026, 11, 20, 13, 0, 0, 500000, tzinfo=UTC)),
        ("  2026-11-20T08:00:00Z  ", datetime(2026, 11, 20, 8, 0, tzinfo=UTC)),
        ("1800-01-01T00:00:00Z", datetime(1800, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_datetime_accepts(value: str, expected: datetime) -> None:
    parsed = parse_datetime(value)
    assert isinstance(parsed, datetime)
    assert parsed == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2026-11-20", "has no time; write the time and UTC offset too, e.g. 2026-11-20T08:00:00+00:00"),
        (
            "2026-11-20T08:00",
            "has no time zone; write it with its UTC offset, e.g. 2026-11-20T08:00:00+07:00",
        ),
        ("2026-11-20T08:00:00", "has no time zone"),
        ("2026-02-30T08:00:00Z", "is not a real date and time (day is out of range for month)"),
        ("2026-11-20T24:00:00Z", "is not a real date and time"),
        ("2026-11-20T08:00:00+25:00", "is not a real date and time"),
        ("0000-01-01T00:00:00Z", "is not a real date and time"),
        ("1799-12-31T23:59:59Z", "out of range; the year must be between 1800 and 9998"),
        ("9999-01-01T00:00:00Z", "out of range"),
        ("20 Nov 2026", "is not a date and time; write it like 2026-11-20T08:00:00+07:00"),
        ("", "is not a date and time"),
        ("2026-11-20T08:00:00+07:00 extra", "is not a date and time"),
    ],
)
def test_parse_datetime_explains(value: str, fragment: str) -> None:
    message = parse_datetime(value)
    assert isinstance(message, str)
    assert fragment in message
    assert repr(value) in message


def test_ids(config: SiteConfig) -> None:
    assert article(config, key="articles/world/Storm Warning 🌀 Update.md").id == "storm-warning-update"
    assert article(config, key="articles/world/x.json.md").id == "x-json"
    assert article(config, id="  2026-storm.v2_final~1 ").id == "2026-storm.v2_final~1"
    assert article(config, id="a" * 128).id == "a" * 128


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("a/b", "may use only letters"),
        ("..", "may use only letters"),
        ("-leading", "may use only letters"),
        (".hidden", "may use only letters"),
        ("has space", "may use only letters"),
        ("café", "may use only letters"),
        ("a" * 129, "at most 128"),
        ("", "may use only letters"),
        (12, 'must be text in quotes, e.g. id: "12", not a number'),
        ([1], "must be text, not a list"),
    ],
)
def test_bad_ids(config: SiteConfig, value: Any, fragment: str) -> None:
    found = problems_of(config, id=value)
    assert any(field == "id" and fragment in message for field, message in found), found


def test_id_from_an_unusable_file_name(config: SiteConfig) -> None:
    with pytest.raises(ArticleError) as caught:
        article(config, key="articles/world/🌀.md")
    assert caught.value.problems[0].field == "id"


def test_sections(config: SiteConfig) -> None:
    assert article(config, key="articles/world/asia/x.md").section == "world"
    custom = article(config, key="articles/world/x.md", section="Sport & Leisure")
    assert (custom.section, custom.section_title) == ("sport-leisure", "Sport & Leisure")
    known = article(config, key="articles/world/x.md", section="BUSINESS")
    assert (known.section, known.section_title) == ("business", "Business")
    unknown_folder = article(config, key="articles/arts-culture/x.md")
    assert (unknown_folder.section, unknown_folder.section_title) == ("arts-culture", "Arts Culture")
    outside = article(config, key="drafts/opinion/x.md")
    assert outside.section == "opinion"


def test_no_section_anywhere(config: SiteConfig) -> None:
    with pytest.raises(ArticleError) as caught:
        article(config, key="x.md")
    assert [p.field for p in caught.value.problems] == ["section"]


def test_article_at_the_root_of_articles_needs_a_section(config: SiteConfig) -> None:
    with pytest.raises(ArticleError) as caught:
        article(config, key="articles/loose.md")
    assert [p.field for p in caught.value.problems] == ["section"]


def test_urls(config: SiteConfig) -> None:
    assert article(config).url == "https://www.example.com/world/storm"
    dated = config.with_overrides(url_template="{base_url}/{year}/{month}/{section}/{id}.html")
    assert article(dated).url == "https://www.example.com/2026/11/world/storm.html"
    explicit = article(config, url=" https://news.example.org/a\u202e ", body="[x](b)")
    assert explicit.url == "https://news.example.org/a"
    assert 'href="https://news.example.org/b"' in explicit.body_html


@pytest.mark.parametrize(
    "value", ["/world/x", "www.example.com/x", "ftp://example.com/x", "https://exa mple.com/x", "https://", 5]
)
def test_bad_urls(config: SiteConfig, value: Any) -> None:
    found = problems_of(config, url=value)
    assert [f for f, _ in found] == ["url"]


def test_people_and_tags(config: SiteConfig) -> None:
    parsed = article(config, authors=["Ann Lee", " Ann  Lee ", "<b>Bo</b> Ek", 7], tags="a, b,, a ,c")
    assert parsed.authors == ("Ann Lee", "Bo Ek", "7")
    assert parsed.tags == ("a", "b", "c")
    assert article(config, author="Smith, John").authors == ("Smith, John",)


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"tags": [f"t{i}" for i in range(31)]}, "tags", "has 31 entries; at most 30"),
        ({"tags": ["x" * 101]}, "tags", "longer than 100 characters"),
        ({"tags": [None]}, "tags", "must contain only text, not nothing"),
        ({"authors": [f"a{i}" for i in range(21)]}, "authors", "at most 20"),
        ({"authors": {"name": "x"}}, "authors", "must be a list of names, not a mapping"),
        ({"author": "A", "authors": ["B"]}, "author", "not both"),
        ({"title": "x" * 301}, "title", "is 301 characters long"),
        ({"summary": "x" * 2001}, "summary", "is 2001 characters long"),
        ({"summary": ["x"]}, "summary", "must be text, not a list"),
        ({"language": "english"}, "language", "is not a language tag"),
        ({"language": "en_US"}, "language", "is not a language tag"),
        ({"draft": "false"}, "draft", "must be true or false, not 'false'"),
        ({"draft": 0}, "draft", "must be true or false"),
        ({"published": None}, "published", "missing"),
        ({"published": ["2026-11-20T08:00:00Z"]}, "published", "in quotes"),
        ({"updated": "2026-11-19T08:00:00+07:00"}, "updated", "is before published"),
        ({"image": ["https://i.example/a.jpg"]}, "image", "must be a mapping with url"),
        ({"image": {"url": "https://i.example/a.jpg", "caption": ["x"]}}, "image.caption", "must be text"),
        ({"image": {"url": "https://i.example/a.jpg", "alt": "x" * 1001}}, "image.alt", "longer than 1000"),
        (
            {"image": {"url": "https://i.example/a.jpg", "height": 0}},
            "image.height",
            "whole number of pixels",
        ),
        ({"image": {"url": "https://i.example/a.jpg", "width": 1.5}}, "image.width", "whole number"),
        ({"image": {"url": "https://i.example/a.jpg", "width": True}}, "image.width", "whole number"),
        (
            {"image": {"url": "https://i.example/a.jpg", "length": 2**31}},
            "image.length",
            "whole number of bytes",
        ),
        ({"image": {"url": "https://i.example/a.html"}}, "image.type", "not 'text/html'"),
        ({"image": {"url": "https://i.example/a.jpg", "type": "IMAGE/JPEG"}}, "image.type", "MIME type"),
        ({"image": {"url": "data:image/png;base64,AAAA"}}, "image.url", "not an absolute http(s) URL"),
        ({"sumary": "x"}, "sumary", "did you mean `summary`?"),
        ({"Title": "x"}, "Title", "did you mean `title`?"),
    ],
)
def test_field_problems(config: SiteConfig, fields: dict[str, Any], field: str, fragment: str) -> None:
    found = problems_of(config, **fields)
    assert any(f == field and fragment in m for f, m in found), found


def test_unrelated_unknown_fields_are_ignored(config: SiteConfig) -> None:
    parsed = article(config, editor_notes="call back", layout="wide", kicker="Exclusive")
    assert parsed.title == "Storm"


def test_every_problem_is_reported_at_once(config: SiteConfig) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_article(
            "articles/world/x.md",
            b'---\ntitel: x\npublished: "2026-11-20"\ndraft: maybe\nlanguage: "??"\ntags: [{}]\n'
            b"image: {url: /a.jpg, size: 3}\n---\n\n",
            config,
        )
    fields = [p.field for p in caught.value.problems]
    for field in (
        "titel",
        "title",
        "published",
        "draft",
        "language",
        "tags",
        "image.url",
        "image.size",
        "body",
    ):
        assert field in fields
    assert len(fields) == len(set(fields))


def test_is_article_key() -> None:
    assert is_article_key("articles/world/a.md")
    assert is_article_key("articles/world/a.JSON")
    assert is_article_key("articles/world/deep/a.markdown")
    assert not is_article_key("articles/world/.a.md")
    # Anything else under articles/ is one too, and so is reported (a .tmp, a .txt), never skipped.
    assert is_article_key("articles/world/a.md.tmp")
    assert not is_article_key("articles/world/")
    assert not is_article_key("feeds/world/a.json")
    assert not is_article_key("Articles/world/a.md")


# --- bugs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [{"url": "https://[oops"}, {"image": "https://[oops/a.jpg"}, {"image": {"url": "http://[::1/a.jpg"}}],
    ids=["url", "image string", "image.url"],
)
def test_unparseable_url_is_an_article_error(config: SiteConfig, fields: dict[str, Any]) -> None:
    found = problems_of(config, **fields)
    assert found


def test_problem_reports_are_encodable(config: SiteConfig) -> None:
    data = b'{"titl\\ud800e": "x", "image": {"url": "https://i.example/a.jpg", "\\udfff": 1}, "body": "x"}'
    with pytest.raises(ArticleError) as caught:
        parse_article("articles/sport/a.json", data, config)
    str(caught.value).encode("utf-8")
    json.dumps(caught.value.to_dict(), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(
    "data",
    [
        b'{"title": "Fish \\ud800 & Chips", "published": "2026-11-20T08:00:00Z", "body": "x"}',
        b'{"title": "T", "tags": ["\\udc00<b>x</b>"], "published": "2026-11-20T08:00:00Z", "body": "x"}',
        b'---\ntitle: "Storm \\ud83c\\udf0a & rain"\npublished: "2026-11-20T08:00:00Z"\n---\nx\n',
    ],
    ids=["json title", "json tag", "yaml surrogate-pair escape"],
)
def test_lone_surrogate_next_to_markup_is_removed(config: SiteConfig, data: bytes) -> None:
    key = "articles/sport/a.json" if data.startswith(b"{") else "articles/world/a.md"
    parsed = parse_article(key, data, config)
    assert "\ud800" not in parsed.title and all(c < "\ud800" or c > "\udfff" for c in parsed.title)


# -- Bodies that would make the Markdown parser or the sanitizer slow -----------------------------

FRONT = '---\ntitle: T\npublished: "2026-11-20T08:00:00+07:00"\n---\n'


def body_problem(config: SiteConfig, body: str, key: str = "articles/world/a.md") -> str:
    with pytest.raises(ArticleError) as raised:
        parse_article(key, (FRONT + body).encode(), config)
    [problem] = raised.value.problems
    assert problem.field == "body"
    return problem.message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("x" * 100_001, "is 100,001 characters; at most 100,000 are allowed"),
        ("<div>" * 300 + "x", "nests HTML elements more than 255 deep; flatten the markup"),
        ("> " * 300 + "x", "nests HTML elements more than 255 deep; flatten the markup"),
        ("- " * 200 + "x", "nests HTML elements more than 255 deep; flatten the markup"),
    ],
    ids=["too-long", "nesting", "blockquotes", "lists"],
)
def test_bodies_that_would_take_seconds_are_refused(config: SiteConfig, body: str, expected: str) -> None:
    assert body_problem(config, body).startswith(expected)


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize(
    "body", ["[" * 50_000 + "x", "*a_" * 30_000, "![" * 40_000 + "x"], ids=["brackets", "emphasis", "images"]
)
def test_markdown_the_old_parser_needed_limits_for(config: SiteConfig, body: str, lazy: bool) -> None:
    """markdown-it-py took seconds on these (hence 2,000 '[' and 20,000 '*'/'_'); pulldown-cmark is linear."""
    article = parse_article("articles/world/a.md", (FRONT + body).encode(), config, lazy=lazy).rendered()
    assert article.body_html.startswith("<p>")


def test_deeply_nested_body_html_is_refused(config: SiteConfig) -> None:
    with pytest.raises(ArticleError) as raised:
        json_article(config, {"title": "T", "published": "2026-11-20T08:00:00+07:00",
                              "body_html": "<span>" * 5000 + "x"})  # fmt: skip
    assert [p.field for p in raised.value.problems] == ["body"]


def test_bodies_at_the_limits_are_accepted(config: SiteConfig) -> None:
    for body in ("x" * 100_000, "[a](https://e.example/) " * 2_000, "*a* " * 10_000, "<span>" * 250 + "x"):
        assert parse_article("articles/world/a.md", (FRONT + body).encode(), config).body_html
