"""The build cache: what `feedpub build` learnt from each article file, reused while nothing that
decides it changed (issue 16).

One JSON file, `SRC/.feedpub-cache/articles.json`, or in the folder FEEDPUB_CACHE_DIR names (for a
read-only source); delete it at any time; `feedpub build --no-cache` neither reads nor writes it.
Its entries are keyed by the file's key and the sha256 of its bytes; the whole file is keyed by a
fingerprint of feedpub's version and code (a hash of its source files, so an edit between
releases counts too), the versions of the parser and sanitizer, and the site config, so changing
any of them starts afresh. An entry is the validated article (`Article.to_dict`; the
body sanitized when a build showed it, else left pending without its text, which the file has) or
the problems that rejected the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from feedpub.article import Article
from feedpub.config import SiteConfig
from feedpub.errors import ArticleError, Problem

CACHE_DIR = ".feedpub-cache"
CACHE_FILE = "articles.json"
FORMAT = 3
Result = Article | ArticleError


def digest(data: bytes) -> str:
    """The content hash an entry is keyed by."""
    return hashlib.sha256(data).hexdigest()


@cache
def code_digest() -> str:
    """A hash of feedpub's own source (Python and templates): what parses and renders an article,
    whether or not its version number moved (a checkout between releases, a local patch)."""
    root = Path(__file__).resolve().parent
    hashed = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".html", ".css", ".js") and path.is_file():
            hashed.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return hashed.hexdigest()


def fingerprint(config: SiteConfig, version: str | None = None) -> str:
    """What every entry depends on besides the file: feedpub's version and code (and the parser's
    and sanitizer's versions, whose output is stored) and the site config."""
    from importlib import metadata

    import feedpub

    parts: dict[str, Any] = {
        "format": FORMAT,
        "feedpub": version or feedpub.__version__,
        "code": code_digest(),
    }
    for package in ("pyromark", "nh3"):
        try:
            parts[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            parts[package] = None
    parts["config"] = config.to_mapping()
    return digest(json.dumps(parts, sort_keys=True, default=str).encode())


def _encode(result: Result) -> str:
    if isinstance(result, ArticleError):
        data: dict[str, Any] = {"error": [[problem.field, problem.message] for problem in result.problems]}
    else:
        data = {"article": result.to_dict()}
        if result.pending is not None:  # the file has the text: keep the cache small
            data["article"]["pending"] = {"markdown": None}
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _decode(key: str, data: dict[str, Any]) -> Result:
    if "error" in data:
        return ArticleError(key, [Problem(name, message) for name, message in data["error"]])
    return Article.from_dict(data["article"])


@dataclass
class BuildCache:
    """The entries of one source folder, read at the start of a build and written at its end.

    The file is one JSON object; each entry's own JSON is kept as a string in it, so opening the
    cache parses only the outer object, the hits are parsed in one call, and a build that changed
    one entry writes the others' text as it read it.
    """

    path: Path
    fingerprint: str
    entries: dict[str, tuple[str, str]] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def open(cls, src_dir: Path, config: SiteConfig, version: str | None = None) -> BuildCache:
        """The cache of `src_dir`, empty when absent, unreadable or made for another fingerprint."""
        folder = Path(os.environ.get("FEEDPUB_CACHE_DIR") or src_dir / CACHE_DIR)
        cache = cls(folder / CACHE_FILE, fingerprint(config, version))
        try:
            data = json.loads(cache.path.read_bytes())
            if data["format"] != FORMAT or data["fingerprint"] != cache.fingerprint:
                cache.changed = True  # rewrite it, so a stale one does not linger
                return cache
            cache.entries = {key: (sha, entry) for key, (sha, entry) in data["entries"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            cache.entries.clear()
            cache.changed = True
        return cache

    def get_many(self, files: dict[str, str]) -> dict[str, Result]:
        """The cached results of the files (key: sha256) whose bytes the cache knows."""
        hits = [key for key, sha in files.items() if (found := self.entries.get(key)) and found[0] == sha]
        parsed = json.loads("[" + ",".join(self.entries[key][1] for key in hits) + "]")
        return {key: _decode(key, data) for key, data in zip(hits, parsed, strict=True)}

    def put(self, key: str, sha: str, result: Result) -> None:
        """Remember a result (a rendered article replaces its pending entry)."""
        entry = (sha, _encode(result))
        if self.entries.get(key) != entry:
            self.entries[key] = entry
            self.changed = True

    def keep_only(self, keys: set[str]) -> None:
        """Forget the files that are gone."""
        for key in set(self.entries) - keys:
            del self.entries[key]
            self.changed = True

    def save(self) -> None:
        """Write the entries if anything changed (atomically: a build killed midway leaves the old
        cache or the new one)."""
        if not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        data = {"format": FORMAT, "fingerprint": self.fingerprint, "entries": self.entries}
        temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        temporary.replace(self.path)
        self.changed = False
