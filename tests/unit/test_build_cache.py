"""Issue 16: lazy bodies and the build cache change no byte of the output.

A lazily parsed article, once rendered, is the article an eager parse makes (or fails as it
does); a build with the cache, cold or warm, writes what a build without it writes, also after an
article changes, leaves or enters a feed, and after the config or feedpub's version changes.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

import feedpub
from feedpub.article import parse_article
from feedpub.build import build
from feedpub.build_cache import CACHE_FILE, BuildCache
from feedpub.config import SiteConfig
from feedpub.errors import ArticleError
from tests.support.paths import EXAMPLES, FIXTURES

NOW = datetime(2030, 1, 1, tzinfo=UTC)
CORPUS = FIXTURES / "articles"
FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".md", ".json"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_lazy_parse_renders_to_the_eager_article(path: Path, config: SiteConfig) -> None:
    key = "articles/" + "/".join(path.relative_to(CORPUS).parts[1:])
    data = path.read_bytes()
    try:
        eager = parse_article(key, data, config)
    except ArticleError as error:
        with pytest.raises(ArticleError) as lazily:
            parse_article(key, data, config, lazy=True)
        assert lazily.value.problems == error.problems
        return
    lazy = parse_article(key, data, config, lazy=True)
    assert lazy.rendered() == eager
    assert eager.pending is None


def test_lazy_parse_leaves_plain_markdown_pending(config: SiteConfig) -> None:
    text = '---\ntitle: T\npublished: "2026-11-20T08:00:00+07:00"\n---\nSome *news*.\n'
    article = parse_article("articles/world/a.md", text.encode(), config, lazy=True)
    assert article.pending is not None and article.body_html == ""
    with pytest.raises(ValueError, match="not rendered"):
        article.content_html  # noqa: B018
    assert article.rendered().body_html == "<p>Some <em>news</em>.</p>"
    assert article.rendered().summary == "Some news."


def outputs(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def build_both(src: Path, tmp: Path, config: SiteConfig, name: str) -> dict[str, bytes]:
    """Build with the cache and without it into fresh folders; they must agree; returns the files."""
    cached, plain = tmp / f"{name}-cached", tmp / f"{name}-plain"
    with_cache = build(src, cached, config, NOW, jobs=1, use_cache=True)
    without = build(src, plain, config, NOW, jobs=1)
    assert outputs(cached) == outputs(plain)
    assert [e.to_dict() for e in with_cache.errors] == [e.to_dict() for e in without.errors]
    return outputs(cached)


def test_cached_builds_write_the_same_bytes(tmp_path: Path, config: SiteConfig) -> None:
    src = tmp_path / "src"
    shutil.copytree(EXAMPLES, src)
    # Few items: most bodies stay pending in the cache.
    small = config.with_overrides(items_per_feed=2, items_per_kind={})
    first = build_both(src, tmp_path, small, "cold")
    cache_file = Path(BuildCache.open(src, small).path)
    assert cache_file.name == CACHE_FILE and cache_file.exists()
    assert build_both(src, tmp_path, small, "warm") == first
    # One article changes, one leaves: an older one, cached without its body, enters the feeds.
    stories = sorted((src / "articles").rglob("*.md"))
    stories[0].write_text(stories[0].read_text().replace("\n---\n", "\n---\nA new first line.\n\n", 1))
    stories[1].unlink()
    changed = build_both(src, tmp_path, small, "changed")
    assert changed != first
    # A broken article is reported the same from the cache.
    stories[2].write_text("no front matter")
    build_both(src, tmp_path, small, "broken")
    build_both(src, tmp_path, small, "broken-warm")


def test_config_and_version_changes_invalidate_the_cache(
    tmp_path: Path, config: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    shutil.copytree(EXAMPLES, src)
    build_both(src, tmp_path, config, "first")
    before = BuildCache.open(src, config)
    assert before.entries
    other = config.with_overrides(title="Another Herald", base_url="https://news.example.org")
    assert BuildCache.open(src, other).entries == {}  # another site: nothing reused
    build_both(src, tmp_path, other, "other-config")  # the URLs in every feed change
    monkeypatch.setattr(feedpub, "__version__", "99.0.0")
    assert BuildCache.open(src, other).entries == {}
    build_both(src, tmp_path, other, "other-version")


def test_an_edit_of_feedpubs_code_invalidates_the_cache(
    tmp_path: Path, config: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Between releases the version stays put while the code moves on (a checkout, a local patch).
    from feedpub import build_cache

    src = tmp_path / "src"
    shutil.copytree(EXAMPLES, src)
    build_both(src, tmp_path, config, "first")
    assert BuildCache.open(src, config).entries
    assert build_cache.code_digest() == build_cache.code_digest.__wrapped__()  # the same tree, the same hash
    monkeypatch.setattr(build_cache, "code_digest", lambda: "0" * 64)
    assert BuildCache.open(src, config).entries == {}
