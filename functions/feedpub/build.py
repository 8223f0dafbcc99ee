"""`feedpub build`: a folder laid out like the articles bucket in, a folder of feeds out."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from feedpub.article import Article, parse_article
from feedpub.config import SiteConfig
from feedpub.errors import ArticleError, Problem
from feedpub.names import ARTICLES_PREFIX, is_article_key
from feedpub.render import RenderedFile
from feedpub.site import claim_ids, render_site
from feedpub.source import MAX_ARTICLE_BYTES


@dataclass
class BuildResult:
    """What a build did: the articles it used, the ones it rejected, and the files it touched."""

    articles: list[Article] = field(default_factory=list)
    errors: list[ArticleError] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def find_article_files(src_dir: Path) -> Iterator[tuple[str, Path]]:
    """(key, path) of every article under `src_dir/articles`, keys as they would be in the bucket."""
    root = src_dir / ARTICLES_PREFIX.rstrip("/")
    for path in sorted(root.rglob("*")):
        if path.is_file():
            key = path.relative_to(src_dir).as_posix()
            if is_article_key(key):
                yield key, path


def read_article(key: str, path: Path, config: SiteConfig) -> Article:
    """Parse one file, refusing to read more than the size limit (a 100 MB file is one stat)."""
    try:
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            raise ArticleError(
                key,
                [
                    Problem(
                        "file",
                        f"the file is {size / 1048576:.1f} MB; articles may be at most "
                        f"{MAX_ARTICLE_BYTES // 1048576} MB",
                    )
                ],
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(key, [Problem("file", f"cannot be read: {exc.strerror}")]) from None
    return parse_article(key, data, config)


def _parse_chunk(chunk: list[tuple[str, Path]], config: SiteConfig) -> list[Article | ArticleError]:
    results: list[Article | ArticleError] = []
    for key, path in chunk:
        try:
            results.append(read_article(key, path, config))
        except ArticleError as exc:
            results.append(exc)
    return results


def collect_articles(
    src_dir: Path,
    config: SiteConfig,
    jobs: int = 1,
    progress: Callable[[int], object] | None = None,
) -> tuple[list[Article], list[ArticleError]]:
    """Parse every article under `src_dir`, in `jobs` processes; bad ones are returned, not raised."""
    files = list(find_article_files(src_dir))
    chunk_size = 200
    chunks = [files[i : i + chunk_size] for i in range(0, len(files), chunk_size)]
    results: list[Article | ArticleError] = []
    if jobs > 1 and len(files) > chunk_size:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for part in pool.map(_parse_chunk, chunks, [config] * len(chunks)):
                results.extend(part)
                if progress:
                    progress(len(part))
    else:
        for chunk in chunks:
            part = _parse_chunk(chunk, config)
            results.extend(part)
            if progress:
                progress(len(part))
    articles = [r for r in results if isinstance(r, Article)]
    errors = [r for r in results if isinstance(r, ArticleError)]
    articles, duplicates = claim_ids(articles)
    return articles, sorted(errors + duplicates, key=lambda e: e.path)


def write_if_changed(out_dir: Path, file: RenderedFile) -> bool:
    """Write one output unless its bytes are already there; returns whether it wrote."""
    target = out_dir / file.key
    try:
        if target.read_bytes() == file.body:
            return False
    except FileNotFoundError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(file.body)
    temporary.replace(target)  # readers never see half a feed
    return True


def build(
    src_dir: Path,
    out_dir: Path,
    config: SiteConfig,
    now: datetime,
    jobs: int | None = None,
    progress: Callable[[int], object] | None = None,
) -> BuildResult:
    """Parse, render and write the whole site; bad articles are reported and left out."""
    articles, errors = collect_articles(src_dir, config, jobs or os.cpu_count() or 1, progress)
    result = BuildResult(articles=articles, errors=errors)
    for file in render_site(articles, config, now):
        (result.written if write_if_changed(out_dir, file) else result.unchanged).append(file.key)
    return result
