"""`access: public | members | paid`: validation, the body-less Article, its teaser and its dict form.

That no output ever holds a non-public body is proved over generated sites in test_access_leaks.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from feedpub.article import Article, parse_article
from feedpub.aws.index_table import decode_article, encode_article
from feedpub.config import SiteConfig
from feedpub.errors import ArticleError
from feedpub.feeds import site_feed
from feedpub.render.jsonfeed import render_most_viewed
from feedpub.views.ranking import RankedArticle
from feedpub_cli.main import main
from tests.support.feedcheck import NS, check_feed_files, parse_strict, render_article

LEAD = "PORT ELLIS — The council met on Monday."
SECRET = "The minutes show the vote was rigged."
BODY = f"{LEAD}\n\n{SECRET}\n"
IMAGE = {"url": "https://images.example.com/2026/11/council.jpg", "caption": "The council chamber"}


def story(config: SiteConfig, body: str = BODY, **fields: Any) -> Article:
    """A Markdown story from front matter fields (JSON-encoded: any value is a valid YAML scalar)."""
    fields = {"title": "Council vote", "published": "2026-11-20T08:00:00+07:00", **fields}
    front = "".join(f"{name}: {json.dumps(value)}\n" for name, value in fields.items())
    return parse_article("articles/national/council.md", f"---\n{front}---\n\n{body}".encode(), config)


def problems(config: SiteConfig, body: str = BODY, **fields: Any) -> list[tuple[str, str]]:
    with pytest.raises(ArticleError) as caught:
        story(config, body, **fields)
    return [(p.field, p.message) for p in caught.value.problems]


# --- validation --------------------------------------------------------------------------------


def test_access_defaults_to_public_with_the_body(config: SiteConfig) -> None:
    article = story(config)
    assert (article.access, article.is_public) == ("public", True)
    assert SECRET in article.body_html and article.content_html == article.body_html


@pytest.mark.parametrize("access", ["members", "paid"])
def test_a_non_public_article_carries_no_body(config: SiteConfig, access: str) -> None:
    article = story(config, access=access)
    assert (article.access, article.is_public, article.body_html) == (access, False, "")
    assert article.summary == LEAD  # made from the first paragraph before the body was dropped
    assert SECRET not in json.dumps(article.to_dict())
    assert SECRET not in article.content_html


def test_an_explicit_public_is_the_default(config: SiteConfig) -> None:
    assert story(config, access="public") == story(config)


def test_the_editors_summary_is_the_teaser(config: SiteConfig) -> None:
    article = story(config, access="paid", summary="Councillors voted on the harbour plan.")
    assert article.summary == "Councillors voted on the harbour plan."
    assert LEAD not in article.content_html


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("premium", "must be public, members or paid, not 'premium'; write `access: paid` (subscribers) "
         "or `access: members`, or leave the line out for a public story"),
        ("Paid", "must be public, members or paid, not 'Paid'; did you mean `access: paid`?"),
        ("member", "must be public, members or paid, not 'member'; did you mean `access: members`?"),
        (True, "must be public, members or paid, not true/false; write `access: paid` (subscribers) "
         "or `access: members`, or leave the line out for a public story"),
        (["paid"], "must be public, members or paid, not a list; did you mean `access: paid`?"),
        (None, "must be public, members or paid, not nothing; write `access: paid` (subscribers) "
         "or `access: members`, or leave the line out for a public story"),
    ],
)  # fmt: skip
def test_an_unknown_access_names_the_field_and_the_fix(config: SiteConfig, value: Any, message: str) -> None:
    assert problems(config, access=value) == [("access", message)]


def test_a_near_miss_of_the_field_name(config: SiteConfig) -> None:
    assert problems(config, acess="paid") == [("acess", "unknown field; did you mean `access`?")]


def test_a_paid_story_is_still_a_real_story(config: SiteConfig) -> None:
    """The body is required and validated as for any story, even though it is then dropped."""
    assert problems(config, body="", access="paid") == [
        ("body", "the article has no text; write the story after the front matter")
    ]
    with pytest.raises(ArticleError) as caught:
        story(config, body="<script>x()</script>", access="members")
    assert [p.field for p in caught.value.problems] == ["body"]


def test_the_invariant_holds_whoever_builds_the_article(config: SiteConfig) -> None:
    public = story(config)
    with pytest.raises(ValueError, match="carries no body"):
        replace(public, access="paid")
    with pytest.raises(ValueError, match="access must be one of"):
        replace(public, access="premium")
    with pytest.raises(ValueError, match="carries no body"):
        Article.from_dict({**public.to_dict(), "access": "members"})


# --- what an item shows ------------------------------------------------------------------------


def test_the_teaser_is_figure_summary_and_link(config: SiteConfig) -> None:
    article = story(config, access="paid", image=IMAGE, summary='Votes & "deals"')
    url = "https://www.example.com/national/council"
    assert article.content_html == (
        '<figure><img src="https://images.example.com/2026/11/council.jpg" alt="The council chamber">'
        "<figcaption>The council chamber</figcaption></figure>\n"
        "<p>Votes &amp; &quot;deals&quot;</p>\n"
        f'<p>Subscribers can read the full story at <a href="{url}">{url}</a>.</p>'
    )
    members = story(config, access="members")
    assert members.content_html.endswith(
        f'<p>Members can read the full story at <a href="{url}">{url}</a>.</p>'
    )


def test_feeds_of_a_paid_story_are_valid_and_say_so_only_in_json(config: SiteConfig) -> None:
    article = story(config, access="paid", image=IMAGE)
    files = render_article(article, config)
    assert check_feed_files(files) == []
    rss = parse_strict(files[0].body)
    assert rss.findtext("channel/item/content:encoded", namespaces=NS) == article.content_html
    assert rss.findtext("channel/item/description") == LEAD
    atom = parse_strict(files[1].body)
    assert atom.findtext("atom:entry/atom:content", namespaces=NS) == article.content_html
    item = json.loads(files[2].body)["items"][0]
    assert (item["content_html"], item["_feedpub"]) == (article.content_html, {"access": "paid"})
    assert "For subscribers" in files[3].body.decode()
    public = json.loads(render_article(story(config), config)[2].body)["items"][0]
    assert "_feedpub" not in public


def test_most_viewed_keeps_access_beside_the_rank(config: SiteConfig) -> None:
    ranked = [RankedArticle(rank=1, views=42, article=story(config, access="members"))]
    feed = json.loads(render_most_viewed(site_feed(config), ranked, config, 24, "most-viewed.json"))
    assert feed["items"][0]["_feedpub"] == {"access": "members", "rank": 1, "views": 42}


# --- dict form and the index -------------------------------------------------------------------


@pytest.mark.parametrize("access", ["public", "members", "paid"])
def test_round_trip_through_dict_and_index_payload(config: SiteConfig, access: str) -> None:
    article = story(config, access=access, image=IMAGE)
    assert Article.from_dict(json.loads(json.dumps(article.to_dict()))) == article
    assert decode_article(encode_article(article)) == article


def test_an_old_payload_without_access_reads_as_public(config: SiteConfig) -> None:
    data = story(config).to_dict()
    del data["access"]
    assert Article.from_dict(data).access == "public"


def test_a_paid_index_payload_holds_no_body(config: SiteConfig) -> None:
    import zlib

    payload = zlib.decompress(encode_article(story(config, access="paid"))).decode()
    assert SECRET not in payload and json.loads(payload)["body_html"] == ""


# --- feedpub check -----------------------------------------------------------------------------


def test_check_shows_access_of_a_non_public_story(tmp_path: Path) -> None:
    folder = tmp_path / "articles" / "national"
    folder.mkdir(parents=True)
    front = '---\ntitle: Council vote\npublished: "2026-11-20T08:00:00+07:00"\n'
    (folder / "paid.md").write_text(f"{front}access: paid\n---\n\n{BODY}", encoding="utf-8")
    (folder / "open.md").write_text(f"{front}---\n\n{BODY}", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    assert "✓ articles/national/open.md  id=open section=national ok" in result.output
    assert "✓ articles/national/paid.md  id=paid section=national access=paid ok" in result.output
