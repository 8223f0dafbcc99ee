"""`feedpub build` renders only the bodies an output shows (issue 16, target 3), and the output is
what rendering every body gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import generate
from feedpub.article import Article
from feedpub.build import build, collect_articles
from feedpub.config import SiteConfig
from feedpub.site import render_site
from tests.support.clock import NOW


def test_only_the_bodies_the_feeds_show_are_rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate.write_plain(tmp_path / "src", 400)
    config = SiteConfig(items_per_feed=10)
    rendered: list[str] = []
    original = Article.rendered

    def counting(article: Article) -> Article:
        rendered.append(article.key)
        return original(article)

    monkeypatch.setattr(Article, "rendered", counting)
    result = build(tmp_path / "src", tmp_path / "out", config, NOW, jobs=1)
    assert len(result.articles) == 400 and result.errors == []
    # The site's 10 newest and each of the 4 sections' 10 newest (the site's among them): at most 50.
    assert 10 < len(set(rendered)) <= 50
    assert len(rendered) == len(set(rendered))  # each body once, though it is in two feeds
    monkeypatch.setattr(Article, "rendered", original)
    eager, _ = collect_articles(tmp_path / "src", config, jobs=1)  # every body rendered at parse
    assert all(article.pending is None for article in eager)
    expected = {file.key: file.body for file in render_site(eager, config, NOW)}
    written = {key: (tmp_path / "out" / key).read_bytes() for key in result.written}
    assert written == expected
