"""`feedpub build`: a folder laid out like the articles bucket in, a folder of feeds out."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from feedpub.article import Article, parse_article
from feedpub.build_cache import BuildCache, digest
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


def article_paths(src_dir: Path) -> list[tuple[str, str]]:
    """(key, file path) of every article under `src_dir/articles`, keys as they would be in the
    bucket, ordered by path parts.

    By os.scandir, whose entries know whether they are files without a stat each, and plain
    strings (Path.rglob, is_file and a Path each took 0.7 s for 10,000 files); symlinked folders
    are not followed, as before.
    """
    found: list[tuple[list[str], str, str]] = []
    folders = [ARTICLES_PREFIX.rstrip("/")]
    while folders:
        relative = folders.pop()
        try:
            entries = list(os.scandir(f"{src_dir}/{relative}"))
        except OSError:
            continue
        for entry in entries:
            key = f"{relative}/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                folders.append(key)
            elif entry.is_file() and is_article_key(key):
                found.append((key.split("/"), key, entry.path))
    found.sort()  # by path parts, as sorted(Path...) ordered them
    return [(key, path) for _, key, path in found]


def find_article_files(src_dir: Path) -> Iterator[tuple[str, Path]]:
    """(key, path) of every article under `src_dir/articles` (see `article_paths`)."""
    for key, path in article_paths(src_dir):
        yield key, Path(path)


def read_source(key: str, path: Path | str) -> bytes:
    """One file's bytes, refusing to read more than the size limit (of a 100 MB file, 2 MB is read)."""
    try:
        with open(path, "rb") as file:  # noqa: PTH123 - a str path: no Path object per file
            data = file.read(MAX_ARTICLE_BYTES + 1)
            if len(data) <= MAX_ARTICLE_BYTES:
                return data
            size = os.fstat(file.fileno()).st_size
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
    except OSError as exc:
        raise ArticleError(key, [Problem("file", f"cannot be read: {exc.strerror}")]) from None


def read_article(key: str, path: Path, config: SiteConfig, *, lazy: bool = False) -> Article:
    """Parse one file (`lazy`: see `validate_article`)."""
    return parse_article(key, read_source(key, path), config, lazy=lazy)


Parsed = tuple[str | None, Article | ArticleError]
"""The sha256 of a file's bytes (None when it could not be read) and what they parse to."""


def _parse_chunk(chunk: list[tuple[str, str]], config: SiteConfig, lazy: bool) -> list[Parsed]:
    results: list[Parsed] = []
    for key, path in chunk:
        sha = None
        try:
            data = read_source(key, path)
            sha = digest(data)
            results.append((sha, parse_article(key, data, config, lazy=lazy)))
        except ArticleError as exc:
            results.append((sha, exc))
    return results


def _parse_all(
    files: list[tuple[str, str]],
    config: SiteConfig,
    jobs: int,
    progress: Callable[[int], object] | None,
    lazy: bool,
) -> list[Parsed]:
    """Parse in `jobs` processes, chunks of 200 files (in order)."""
    chunk_size = 200
    chunks = [files[i : i + chunk_size] for i in range(0, len(files), chunk_size)]
    results: list[Parsed] = []
    if jobs > 1 and len(files) > chunk_size:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for part in pool.map(_parse_chunk, chunks, [config] * len(chunks), [lazy] * len(chunks)):
                results.extend(part)
                if progress:
                    progress(len(part))
    else:
        for chunk in chunks:
            part = _parse_chunk(chunk, config, lazy)
            results.extend(part)
            if progress:
                progress(len(part))
    return results


def _cached(files: list[tuple[str, str]], cache: BuildCache) -> dict[str, Article | ArticleError]:
    """The results the cache has for the files' current bytes (none to look for in an empty one)."""
    if not cache.entries:
        return {}
    hashes = {}
    for key, path in files:
        with contextlib.suppress(ArticleError):  # unreadable: parsing reports it
            hashes[key] = digest(read_source(key, path))
    return cache.get_many(hashes)


def collect_articles(
    src_dir: Path,
    config: SiteConfig,
    jobs: int = 1,
    progress: Callable[[int], object] | None = None,
    cache: BuildCache | None = None,
    lazy: bool = False,
) -> tuple[list[Article], list[ArticleError]]:
    """Parse every article under `src_dir`, in `jobs` processes; bad ones are returned, not raised.

    `lazy`: bodies are validated but may be left pending (`Article.rendered`; a cached one without
    its text, see `build`); files whose bytes the cache knows are not parsed again.
    """
    files = article_paths(src_dir)
    results = _cached(files, cache) if cache is not None else {}
    if progress and results:
        progress(len(results))
    misses = [(key, path) for key, path in files if key not in results]
    for (key, _), (sha, result) in zip(misses, _parse_all(misses, config, jobs, progress, lazy), strict=True):
        results[key] = result
        if cache is not None and sha is not None:
            cache.put(key, sha, result)
    if cache is not None:
        cache.keep_only({key for key, _ in files})
    articles = [r for r in results.values() if isinstance(r, Article)]
    errors = [r for r in results.values() if isinstance(r, ArticleError)]
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
    use_cache: bool = False,
) -> BuildResult:
    """Parse, render and write the whole site; bad articles are reported and left out.

    `use_cache`: reuse and update SRC/.feedpub-cache (see `feedpub.build_cache`; the command turns
    it on unless `--no-cache`); the output is byte for byte the same either way.
    """
    cache = BuildCache.open(src_dir, config) if use_cache else None
    articles, errors = collect_articles(
        src_dir, config, jobs or os.cpu_count() or 1, progress, cache, lazy=True
    )
    result = BuildResult(articles=articles, errors=errors)

    def render(article: Article) -> Article:
        if article.pending is not None and article.pending.markdown is None:  # cached without its text
            done = read_article(article.key, src_dir / article.key, config).rendered()
        else:
            done = article.rendered()
        if cache is not None and article.key in cache.entries:
            cache.put(article.key, cache.entries[article.key][0], done)
        return done

    for file in render_site(articles, config, now, render):
        (result.written if write_if_changed(out_dir, file) else result.unchanged).append(file.key)
    if cache is not None:
        cache.save()
    return result
