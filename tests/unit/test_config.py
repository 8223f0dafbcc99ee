"""feedpub.config: one SiteConfig from TOML, a mapping or FEEDPUB_* variables; bad values named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from feedpub.config import ConfigError, SiteConfig
from feedpub.feeds import site_feed
from feedpub.render import render_feed_set
from tests.support.paths import EXAMPLES


def test_defaults_derive_feeds_url_and_id_authority() -> None:
    config = SiteConfig(base_url="https://news.example.org/")
    assert config.base_url == "https://news.example.org"
    assert config.feeds_url == "https://news.example.org/feeds"
    assert config.id_authority == "news.example.org"


def test_explicit_feeds_url_and_authority_are_kept() -> None:
    config = SiteConfig(feeds_url="https://cdn.example.net/feeds/", id_authority="example.org")
    assert config.feeds_url == "https://cdn.example.net/feeds"
    assert config.id_authority == "example.org"


def test_title_and_description_are_cleaned() -> None:
    config = SiteConfig(title="  The \u202eHarbour\x00  Herald ", description="News\n from\tPort Ellis")
    assert config.title == "The Harbour Herald"
    assert config.description == "News from Port Ellis"


def test_section_title_prefers_configured_names() -> None:
    config = SiteConfig(sections={"world": "World News"})
    assert config.section_title("world") == "World News"
    assert config.section_title("arts-culture") == "Arts Culture"


def test_with_overrides_ignores_none_and_validates() -> None:
    config = SiteConfig()
    assert config.with_overrides(title=None, language=None) == config
    assert config.with_overrides(title="Other").title == "Other"
    with pytest.raises(ConfigError, match="items_per_feed"):
        config.with_overrides(items_per_feed=0)


def test_from_toml_reads_the_site_table() -> None:
    config = SiteConfig.from_toml(EXAMPLES / "feedpub.toml")
    assert config.title == "The Harbour Herald"
    assert config.items_per_feed == 50
    assert config.sections["world"] == "World"


def test_from_toml_without_a_site_table_reads_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "feedpub.toml"
    path.write_text('title = "Flat"\nttl_minutes = 5\n', encoding="utf-8")
    config = SiteConfig.from_toml(path)
    assert (config.title, config.ttl_minutes) == ("Flat", 5)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[site\ntitle = 1", "feedpub.toml"),  # invalid TOML: the message names the file
        ('[site]\ntitel = "x"', "unknown setting(s) titel"),
        ("[site]\nitems_per_feed = 0", "items_per_feed must be between 1 and 1000"),
        ("[site]\nitems_per_feed = 1001", "items_per_feed"),
        ('[site]\nitems_per_feed = "many"', "items_per_feed must be a int"),
        ("[site]\nitems_per_feed = true", "items_per_feed"),
        ("[site]\nttl_minutes = -1", "ttl_minutes must not be negative"),
        ("[site]\ntitle = 5", "title must be a str"),
        ('[site]\ntitle = "   "', "title must not be empty"),
        ('[site]\nbase_url = "ftp://example.com"', "base_url must be an absolute http(s) URL"),
        ('[site]\nbase_url = "www.example.com"', "base_url"),
        ('[site]\nfeeds_url = "/feeds"', "feeds_url must be an absolute http(s) URL"),
        ('[site]\nurl_template = "{base_url}/{slug}"', "url_template"),
        ('[site]\nurl_template = "{0}"', "url_template"),
        ('[site]\nsections = ["world"]', "sections must be a table"),
        ("[site.sections]\nworld = 1", "sections must be a table"),
    ],
)
def test_from_toml_bad_values_name_the_setting(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "feedpub.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        SiteConfig.from_toml(path)
    assert fragment in str(caught.value)
    assert str(path) in str(caught.value)


def test_from_toml_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.toml"):
        SiteConfig.from_toml(tmp_path / "missing.toml")


def test_from_toml_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "feedpub.toml"
    path.write_bytes(b'[site]\ntitle = "Caf\xe9"\n')
    with pytest.raises(ConfigError, match=r"feedpub\.toml"):
        SiteConfig.from_toml(path)


def test_from_mapping_accepts_digit_strings_for_numbers() -> None:
    config = SiteConfig.from_mapping({"items_per_feed": " 20 ", "ttl_minutes": "0"})
    assert (config.items_per_feed, config.ttl_minutes) == (20, 0)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"bogus": 1, "also": 2}, "unknown setting(s) also, bogus"),
        ({"items_per_feed": 2.5}, "items_per_feed must be a int"),
        ({"items_per_feed": "-5"}, "items_per_feed must be a int"),
        ({"ttl_minutes": False}, "ttl_minutes"),
        ({"language": 7}, "language must be a str"),
        ({"sections": {"world": None}}, "sections"),
    ],
)
def test_from_mapping_rejects_by_name(data: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SiteConfig.from_mapping(data, origin="flags")
    assert str(caught.value).startswith("flags: ")
    assert fragment in str(caught.value)


def test_from_env_reads_prefixed_variables() -> None:
    config = SiteConfig.from_env(
        {
            "FEEDPUB_TITLE": "Harbour Herald",
            "FEEDPUB_BASE_URL": "https://news.example.org",
            "FEEDPUB_ITEMS_PER_FEED": "25",
            "FEEDPUB_TTL_MINUTES": "",  # empty means unset
            "FEEDPUB_SECTIONS": "world=World News, sport = Sport & Leisure,junk,",
            "TITLE": "ignored without the prefix",
        }
    )
    assert config.title == "Harbour Herald"
    assert config.base_url == "https://news.example.org"
    assert config.items_per_feed == 25
    assert config.ttl_minutes == SiteConfig().ttl_minutes
    assert dict(config.sections) == {"world": "World News", "sport": "Sport & Leisure"}


def test_from_env_empty_is_the_defaults() -> None:
    assert SiteConfig.from_env({}) == SiteConfig()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FEEDPUB_ITEMS_PER_FEED", "abc"),
        ("FEEDPUB_ITEMS_PER_FEED", "5000"),
        ("FEEDPUB_TTL_MINUTES", "-3"),
        ("FEEDPUB_BASE_URL", "example.com"),
        ("FEEDPUB_URL_TEMPLATE", "{base_url}/{nope}"),
    ],
)
def test_from_env_bad_values_name_the_setting(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SiteConfig.from_env({name: value})
    message = str(caught.value)
    assert message.startswith("environment: ")
    assert name.removeprefix("FEEDPUB_").lower() in message


# --- bugs -----------------------------------------------------------------------------------------


def test_with_overrides_base_url_moves_the_derived_feeds_url() -> None:
    config = SiteConfig(base_url="https://old.example.com").with_overrides(base_url="https://new.example.org")
    assert config.feeds_url == "https://new.example.org/feeds"


def test_from_toml_site_that_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "feedpub.toml"
    path.write_text("site = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        SiteConfig.from_toml(path)


def test_url_template_attribute_access_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="url_template"):
        SiteConfig(url_template="{base_url}/{id.nope}")


def test_id_date_is_validated() -> None:
    with pytest.raises(ConfigError, match="id_date"):
        SiteConfig(id_date="2026-13-45")


def test_empty_feed_renders_with_a_year_only_tag_date() -> None:
    config = SiteConfig(id_date="2026")
    files = render_feed_set(site_feed(config), [], config)
    assert len(files) == 4


# --- tag, author and partner feeds --------------------------------------------------------------


def test_feed_choices_read_from_toml_and_environment_alike() -> None:
    from_toml = SiteConfig.from_mapping(
        {"tag_feeds": ["Climate", "Port Ellis"], "author_feeds": "all", "partners": ["smartnews", "MSN"],
         "items_per_kind": {"partner": 30, "tag": "20"}}
    )  # fmt: skip
    from_env = SiteConfig.from_env(
        {"FEEDPUB_TAG_FEEDS": "Climate, Port Ellis", "FEEDPUB_AUTHOR_FEEDS": "ALL",
         "FEEDPUB_PARTNERS": "smartnews,msn", "FEEDPUB_ITEMS_PER_KIND": "partner=30,tag=20"}
    )  # fmt: skip
    assert from_toml == from_env
    assert from_env.tag_feeds.includes("port ellis") and from_env.tag_feeds.includes("Clímate")
    assert not from_env.tag_feeds.includes("Elections")
    assert from_env.author_feeds.includes("Ana Lima") and not from_env.author_feeds.includes("!!")
    assert from_env.partners == ("smartnews", "msn")
    counts = (from_env.items_for("partner"), from_env.items_for("tag"), from_env.items_for("site"))
    assert counts == (30, 20, 50)
    assert SiteConfig().tag_feeds.enabled is False and SiteConfig().author_feeds.enabled is False


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"tag_feeds": "some"}, 'tag_feeds must be "all", "none" or a list of names'),
        ({"author_feeds": []}, "author_feeds must be"),
        ({"tag_feeds": ["Climate", 7]}, "tag_feeds: 7 is not a name"),
        ({"tag_feeds": ["!!"]}, "tag_feeds: '!!' is not a name"),
        ({"partners": ["gogle-news"]}, "did you mean google-news?"),
        ({"partners": "smartnews"}, "partners must be a list"),
        ({"items_per_kind": {"tags": 3}}, "'tags' is not a kind of feed"),
        ({"items_per_kind": {"tag": 0}}, "tag must be a whole number from 1 to 1000"),
        ({"items_per_kind": "tag:3"}, "items_per_kind must look like tag=20"),
        ({"logo_url": "logo.png"}, "logo_url must be an absolute http(s) URL"),
    ],
)
def test_feed_choices_reject_by_name(data: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SiteConfig.from_mapping(data, origin="feedpub.toml")
    assert str(caught.value).startswith("feedpub.toml: ")
    assert fragment in str(caught.value)


EVERY_KIND_OF_SETTING = {
    "tag_feeds": ["Port Ellis"], "author_feeds": "all", "partners": ["msn"], "items_per_kind": {"tag": 20},
    "websub_hubs": ["https://hub.example/"], "sections": {"world": "World"},
}  # fmt: skip


@pytest.mark.parametrize("config", [SiteConfig(), SiteConfig.from_mapping(EVERY_KIND_OF_SETTING)])
def test_to_mapping_is_json_that_reads_back_to_the_same_config(config: SiteConfig) -> None:
    import json

    assert SiteConfig.from_mapping(json.loads(json.dumps(config.to_mapping()))) == config
