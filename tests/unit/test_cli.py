"""The `feedpub` command line, driven through click's CliRunner."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from feedpub_cli.main import main
from tests.support.paths import EXAMPLES, FIXTURES

NOW_FLAG = ["--now", "2026-11-26T12:00:00Z"]
CORPUS = FIXTURES / "articles"
GOOD = [
    EXAMPLES / "articles/business/smith-sons-bid.md",
    EXAMPLES / "articles/sport/cricket-series-sweep.json",
]


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)


def assert_clean(result: Result) -> None:
    """No Python exception escaped, and nothing looks like one."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def make_site(root: Path, articles: dict[str, str]) -> Path:
    for key, text in articles.items():
        path = root / "articles" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


GOOD_ARTICLE = '---\ntitle: Harbour reopens\npublished: "2026-11-20T08:00:00+07:00"\n---\n\nBody.\n'
BAD_ARTICLE = '---\ntitle: Harbour reopens\npublished: "2026-11-20T08:00:00"\n---\n\nBody.\n'


def test_build_examples(tmp_path: Path) -> None:
    result = run("build", EXAMPLES, "--out", tmp_path, *NOW_FLAG, "--jobs", "1")
    assert_clean(result)
    assert result.exit_code == 0
    # 12 feed sets (site, 4 sections, 4 tags, 3 authors) of 4 files, the SmartNews variant, 3 sitemaps
    assert "15 articles, 0 rejected; 52 files written, 0 unchanged" in result.output
    for key in ("feeds/rss.xml", "feeds/atom.xml", "feeds/feed.json", "feeds/world/rss.xml"):
        assert (tmp_path / key).is_file()
    again = run("build", EXAMPLES, "--out", tmp_path, *NOW_FLAG, "--jobs", "1")
    assert "0 files written, 52 unchanged" in again.output


def test_build_flags_override_the_config(tmp_path: Path) -> None:
    result = run("build", EXAMPLES, "--out", tmp_path, *NOW_FLAG, "--title", "Other Herald", "--items", "2")
    assert result.exit_code == 0
    document = json.loads((tmp_path / "feeds/feed.json").read_text(encoding="utf-8"))
    assert document["title"] == "Other Herald"
    assert len(document["items"]) == 2


def test_build_reports_bad_articles_and_strict_fails(tmp_path: Path) -> None:
    site = make_site(tmp_path / "src", {"world/good.md": GOOD_ARTICLE, "world/bad.md": BAD_ARTICLE})
    result = run("build", site, "--out", tmp_path / "out", *NOW_FLAG)
    assert_clean(result)
    assert result.exit_code == 0
    assert "1 articles, 1 rejected" in result.output
    assert "articles/world/bad.md" in result.stderr
    assert "published: " in result.stderr and "has no time zone" in result.stderr
    strict = run("build", site, "--out", tmp_path / "out", *NOW_FLAG, "--strict")
    assert_clean(strict)
    assert strict.exit_code == 1


def test_build_without_articles_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run("build", tmp_path, "--out", tmp_path / "out")
    assert_clean(result)
    assert result.exit_code == 2
    assert "has no articles/ folder" in result.output


@pytest.mark.parametrize("now", ["2026-11-26", "yesterday", "2026-11-26T12:00:00"])
def test_build_bad_now_is_a_usage_error(tmp_path: Path, now: str) -> None:
    result = run("build", EXAMPLES, "--out", tmp_path, "--now", now)
    assert_clean(result)
    assert result.exit_code == 2
    assert "--now" in result.output


def test_build_bad_config_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[site]\nitems_per_feed = 0\n", encoding="utf-8")
    result = run("build", EXAMPLES, "--out", tmp_path / "out", "--config", config)
    assert_clean(result)
    assert result.exit_code == 2
    assert "items_per_feed" in result.output


def test_check_good_articles() -> None:
    result = run("check", *GOOD)
    assert_clean(result)
    assert result.exit_code == 0, result.output
    assert "✓ articles/business/smith-sons-bid.md" in result.output
    assert "id=smith-sons-bid section=business ok" in result.output
    assert "2 ok, 0 with problems" in result.output


def test_check_a_folder() -> None:
    result = run("check", EXAMPLES / "articles")
    assert_clean(result)
    assert result.exit_code == 0
    assert "draft" in result.output and "embargoed until 2031-01-01T09:00:00+00:00" in result.output
    assert "15 ok, 0 with problems" in result.output


def test_check_good_fixtures() -> None:
    files = sorted(p for p in (CORPUS / "good").rglob("*") if p.suffix in (".md", ".json"))
    result = run("check", *files)
    assert_clean(result)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("fixture", "field"),
    [
        ("world/date-without-zone.md", "published"),
        ("world/image-javascript-url.md", "image.url"),
        ("world/yaml-alias-bomb.md", "front matter"),
        ("world/binary-junk.md", "file"),
        ("world/typo-titel.md", "titel"),
        ("sport/duplicate-keys.json", "file"),
    ],
)
def test_check_bad_article_names_the_field(fixture: str, field: str) -> None:
    result = run("check", CORPUS / "bad" / fixture)
    assert_clean(result)
    assert result.exit_code == 1
    assert f"✗ articles/bad/{fixture}" in result.stderr
    assert f"    {field}: " in result.stderr
    assert "0 ok, 1 with problems" in result.output


def test_check_mixed_counts(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"world/good.md": GOOD_ARTICLE, "world/bad.md": BAD_ARTICLE})
    result = run("check", site / "articles/world/good.md", site / "articles/world/bad.md")
    assert_clean(result)
    assert result.exit_code == 1
    assert "1 ok, 1 with problems" in result.output


def test_check_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "articles" / "world" / "huge.md"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    result = run("check", path)
    assert_clean(result)
    assert result.exit_code == 1
    assert "file: the file is 100.0 MB" in result.stderr


def test_check_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run("check", tmp_path / "nope.md")
    assert_clean(result)
    assert result.exit_code == 2


def test_help_and_version() -> None:
    assert run("--help").exit_code == 0
    version = run("--version")
    assert version.exit_code == 0 and "0.1.0" in version.output


def test_one_unparseable_url_does_not_abort_the_build(tmp_path: Path) -> None:
    bad_url = GOOD_ARTICLE.replace("title:", 'url: "https://[oops"\ntitle:')
    site = make_site(tmp_path / "src", {"world/good.md": GOOD_ARTICLE, "world/bad-url.md": bad_url})
    result = run("build", site, "--out", tmp_path / "out", *NOW_FLAG)
    assert_clean(result)
    assert "1 articles, 1 rejected" in result.output


def test_check_a_story_outside_its_section_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As `feedpub upload story.md --section world` will upload it, from the editor's folder."""
    (tmp_path / "story.md").write_text(GOOD_ARTICLE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    without = run("check", "story.md")
    assert without.exit_code == 1
    assert "section: missing" in without.stderr
    result = run("check", "story.md", "--section", "world")
    assert_clean(result)
    assert result.exit_code == 0, result.output
    assert "✓ articles/world/story.md  id=story section=world ok" in result.output


@pytest.mark.parametrize(
    ("command", "default"),
    [("build", "SRC_DIR/feedpub.toml"), ("check", "the first feedpub.toml found from FILES upwards")],
)
def test_config_help_says_where_the_default_comes_from(command: str, default: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert f"Default: {default}." in " ".join(result.output.split())


def test_serve_empty_takes_no_articles(tmp_path: Path) -> None:
    result = run("serve", "--empty", "--examples", tmp_path)
    assert_clean(result)
    assert result.exit_code == 2
    assert "--empty starts with no articles" in result.output


def test_serve_without_a_checkout_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wheel install has no template.yaml (nor the handlers) to run."""
    from feedpub_cli.local import stack

    monkeypatch.setattr(stack, "TEMPLATE_PATH", tmp_path / "template.yaml")
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = run("serve")
    finally:  # serve takes over Ctrl-C and SIGTERM; give them back to pytest
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert_clean(result)
    assert result.exit_code == 1
    assert result.output == (
        "Error: feedpub serve needs the template.yaml and handlers of a feedpub checkout, and "
        f"{tmp_path / 'template.yaml'} is not there: install feedpub from a clone with "
        "`pip install -e '.[local]'`\n"
    )


def test_build_reports_what_the_pipeline_would_report(tmp_path: Path) -> None:
    """One rule for which keys are articles (`feedpub.names.is_article_key`): a .txt under
    articles/ is reported as the pipeline reports it; a hidden file is skipped as the pipeline skips it."""
    site = make_site(
        tmp_path / "src",
        {"world/good.md": GOOD_ARTICLE, "world/notes.txt": GOOD_ARTICLE, "world/.DS_Store": "\x00junk"},
    )
    result = run("build", site, "--out", tmp_path / "out", *NOW_FLAG)
    assert_clean(result)
    assert "1 articles, 1 rejected" in result.output
    assert "articles/world/notes.txt" in result.stderr
    assert "file: an article must be a .md (Markdown) or .json file" in result.stderr
    assert ".DS_Store" not in result.stderr


def test_check_warns_when_a_story_has_more_tag_feeds_than_it_joins(tmp_path: Path) -> None:
    tags = ", ".join(f"Topic {n}" for n in range(12))
    story = GOOD_ARTICLE.replace("---\n\n", f"tags: {tags}\n---\n\n")
    site = make_site(tmp_path, {"world/many-tags.md": story})
    (site / "feedpub.toml").write_text('[site]\ntag_feeds = "all"\n', encoding="utf-8")
    result = run("check", site / "articles/world/many-tags.md")
    assert_clean(result)
    assert result.exit_code == 0  # a warning, not a problem
    assert "! tags: 12 of them have feeds on this site, but a story joins at most 10" in result.output
    assert "left out of the feeds of topic-10, topic-11" in result.output
    (site / "feedpub.toml").write_text('[site]\ntag_feeds = ["Topic 1"]\n', encoding="utf-8")
    assert "! tags" not in run("check", site / "articles/world/many-tags.md").output
