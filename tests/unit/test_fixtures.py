"""The fixture corpus: every good article parses to what it says, every bad one fails as it says.

Layout and the `# expect:` convention: tests/fixtures/articles/README.md. Each fixture is parsed under
the key `articles/<section>/<name>`, so its section comes from its folder as in the bucket.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from feedpub.article import parse_article
from feedpub.build import read_article
from feedpub.config import SiteConfig
from feedpub.errors import ArticleError
from feedpub.source import MAX_ARTICLE_BYTES
from tests.support.expectations import (
    SIDECAR_SUFFIX,
    Expectation,
    lookup,
    parse_expectation,
    read_expectations,
    sidecar_path,
)
from tests.support.feedcheck import check_feed_files, render_article
from tests.support.paths import FIXTURES

CORPUS = FIXTURES / "articles"


def _fixtures(kind: str) -> list[Path]:
    return sorted(
        p for p in (CORPUS / kind).rglob("*") if p.is_file() and not p.name.endswith(SIDECAR_SUFFIX)
    )


GOOD = _fixtures("good")
BAD = _fixtures("bad")


def _key(kind: str, path: Path) -> str:
    return "articles/" + path.relative_to(CORPUS / kind).as_posix()


def _id(kind: str, path: Path) -> str:
    return f"{kind}/{path.relative_to(CORPUS / kind).as_posix()}"


def _describe(expectation: Expectation) -> str:
    return " ".join(map(str, expectation.checks))


def test_corpus_is_large_enough_and_laid_out_by_section() -> None:
    assert len(GOOD) >= 15
    assert len(BAD) >= 30
    for path in GOOD + BAD:
        # <kind>/<section>/<name>: exactly one folder level, which is the section
        assert len(path.relative_to(CORPUS).parts) == 3, path


@pytest.mark.parametrize(
    "path", GOOD + BAD, ids=[_id("good", p) for p in GOOD] + [_id("bad", p) for p in BAD]
)
def test_every_fixture_states_an_expectation(path: Path) -> None:
    assert read_expectations(path), f"{path} has no `# expect:` line (or {SIDECAR_SUFFIX} sidecar)"


def test_every_sidecar_belongs_to_a_fixture() -> None:
    fixtures = {sidecar_path(p) for p in GOOD + BAD}
    orphans = [p for p in CORPUS.rglob(f"*{SIDECAR_SUFFIX}") if p not in fixtures]
    assert orphans == []


@pytest.mark.parametrize("path", GOOD, ids=[_id("good", p) for p in GOOD])
def test_good_fixture(path: Path, config: SiteConfig) -> None:
    article = parse_article(_key("good", path), path.read_bytes(), config)
    for expectation in read_expectations(path):
        for check in expectation.checks:
            actual = lookup(article, check.key)
            assert check.holds(actual), f"expected {check}, got {check.key}={actual!r}"
    # Whatever an article that parses contains, its feeds must be valid.
    assert check_feed_files(render_article(article, config)) == []


@pytest.mark.parametrize("path", BAD, ids=[_id("bad", p) for p in BAD])
def test_bad_fixture(path: Path, config: SiteConfig) -> None:
    key = _key("bad", path)
    with pytest.raises(ArticleError) as caught:
        parse_article(key, path.read_bytes(), config)
    error = caught.value
    assert error.path == key
    problems = [{"field": p.field, "message": p.message} for p in error.problems]
    for expectation in read_expectations(path):
        assert any(all(c.holds(p[c.key]) for c in expectation.checks) for p in problems), (
            f"no problem matches {_describe(expectation)}; got {problems}"
        )
    assert str(error).startswith(f"{key}: {len(problems)} problem(s)")


def test_hundred_megabyte_article_is_refused_before_parsing(config: SiteConfig) -> None:
    data = b"---\ntitle: Huge\n---\n" + b"x" * (100 * 1024 * 1024)
    with pytest.raises(ArticleError) as caught:
        parse_article("articles/world/huge.md", data, config)
    assert [p.field for p in caught.value.problems] == ["file"]
    assert "100.0 MB" in caught.value.problems[0].message


def test_hundred_megabyte_file_is_refused_by_size_alone(tmp_path: Path, config: SiteConfig) -> None:
    path = tmp_path / "huge.md"
    with path.open("wb") as handle:  # sparse: the size is there without writing 100 MB
        handle.truncate(100 * 1024 * 1024)
    with pytest.raises(ArticleError) as caught:
        read_article("articles/world/huge.md", path, config)
    assert [p.field for p in caught.value.problems] == ["file"]
    assert f"at most {MAX_ARTICLE_BYTES // 1048576} MB" in caught.value.problems[0].message


def test_article_at_the_byte_limit_is_read_then_judged_by_its_body(config: SiteConfig) -> None:
    head = b'---\ntitle: Long read\npublished: "2026-11-20T08:00:00+07:00"\n---\n\n'
    data = head + b"word " * ((MAX_ARTICLE_BYTES - len(head)) // 5)
    data += b"x" * (MAX_ARTICLE_BYTES - len(data))
    with pytest.raises(ArticleError) as caught:  # within the byte limit, over the body limit
        parse_article("articles/world/long.md", data, config)
    assert [p.field for p in caught.value.problems] == ["body"]


@pytest.mark.parametrize(
    ("line", "checks"),
    [
        ("field=title message~missing", [("field", "=", "title"), ("message", "~", "missing")]),
        ("title='Smith & \"Sons\"'", [("title", "=", 'Smith & "Sons"')]),
        ('body_html!~"\\u202e"', [("body_html", "!~", "\u202e")]),
        ('tags=["a", "b c"] draft=true updated=null', [
            ("tags", "=", ["a", "b c"]), ("draft", "=", True), ("updated", "=", None)]),
        ("image.width=1600", [("image.width", "=", 1600)]),
    ],
)  # fmt: skip
def test_expectation_syntax(line: str, checks: list[tuple[str, str, object]]) -> None:
    parsed = parse_expectation(line)
    assert [(c.key, c.op, c.value) for c in parsed.checks] == checks


@pytest.mark.parametrize("line", ["", "title", "title=", "=x", "title='unclosed"])
def test_expectation_syntax_errors(line: str) -> None:
    with pytest.raises(ValueError):
        parse_expectation(line)
