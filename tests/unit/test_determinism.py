"""Same articles and --now, same bytes: whatever the machine's time zone, locale or hash seed."""

from __future__ import annotations

import locale
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from feedpub.build import build
from feedpub.config import SiteConfig
from tests.support.clock import NOW
from tests.support.paths import EXAMPLES, ROOT

NOW_TEXT = "2026-11-26T12:00:00+00:00"
LOCALE_CANDIDATES = [
    "de_DE.UTF-8",
    "km_KH.UTF-8",
    "tr_TR.UTF-8",
    "fr_FR.UTF-8",
    "C.UTF-8",
    "C.utf8",
    "POSIX",
    "C",
]


def available_locales(wanted: int = 2) -> list[str]:
    """Up to `wanted` locales this machine really has, most exotic first."""
    found: list[str] = []
    saved = locale.setlocale(locale.LC_ALL)
    try:
        for name in LOCALE_CANDIDATES:
            try:
                locale.setlocale(locale.LC_ALL, name)
            except locale.Error:
                continue
            found.append(name)
            if len(found) == wanted:
                break
    finally:
        locale.setlocale(locale.LC_ALL, saved)
    return found


def build_in_subprocess(out: Path, tz: str, lc_all: str, hash_seed: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "TZ", "PYTHONHASHSEED"))}
    env.update({"TZ": tz, "LC_ALL": lc_all, "LANG": lc_all, "PYTHONHASHSEED": hash_seed})
    command = [sys.executable, "-c", "from feedpub_cli.main import main; main()", "build", str(EXAMPLES),
               "--out", str(out), "--now", NOW_TEXT, "--jobs", "1", "--strict"]  # fmt: skip
    completed = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_builds_are_byte_identical_across_time_zones_locales_and_hash_seeds(tmp_path: Path) -> None:
    locales = available_locales()
    first_locale, second_locale = locales[0], locales[-1]
    build_in_subprocess(tmp_path / "utc", "UTC", first_locale, "0")
    build_in_subprocess(tmp_path / "phnom-penh", "Asia/Phnom_Penh", second_locale, "4242")
    first, second = tree(tmp_path / "utc"), tree(tmp_path / "phnom-penh")
    assert len(first) == 52  # 12 feed sets (rss, atom, json, the page), the SmartNews variant, 3 sitemaps
    assert sorted(first) == sorted(second)
    for key, body in first.items():
        assert body == second[key], f"{key} differs between the two builds"


def test_second_build_writes_nothing(tmp_path: Path, config: SiteConfig) -> None:
    first = build(EXAMPLES, tmp_path, config, NOW, jobs=1)
    assert len(first.written) == 52 and first.unchanged == []
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    second = build(EXAMPLES, tmp_path, config, NOW, jobs=1)
    assert second.written == []
    assert sorted(second.unchanged) == sorted(first.written)
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()} == stamps
    assert not list(tmp_path.rglob("*.tmp"))


def test_changing_one_article_rewrites_only_its_feed_sets(tmp_path: Path, config: SiteConfig) -> None:
    source = tmp_path / "src"
    shutil.copytree(EXAMPLES, source)
    out = tmp_path / "out"
    build(source, out, config, NOW, jobs=1)
    article = source / "articles/world/ferry-talks-resume.md"
    article.write_text(article.read_text(encoding="utf-8") + "\nA new closing line.\n", encoding="utf-8")
    result = build(source, out, config, NOW, jobs=1)
    # Its feed sets: the site, its section, its tags and authors that have feeds, and the variant.
    folders = ("", "world/", "tags/diplomacy/", "tags/transport/", "authors/mara-lindqvist/")
    assert sorted(result.written) == sorted(
        [f"feeds/{folder}{name}" for folder in folders for name in ("rss.xml", "atom.xml", "feed.json")]
        + ["feeds/partners/smartnews/rss.xml"]
    )
    # The pages show summaries, and a new closing line leaves the summary as it was.
    # ... and the sitemaps show no body: a new closing line changes none of them.
    assert len(result.unchanged) == 52 - len(result.written)


def test_time_moving_on_changes_nothing_until_an_embargo_lifts(tmp_path: Path, config: SiteConfig) -> None:
    build(EXAMPLES, tmp_path, config, NOW, jobs=1)
    later = build(EXAMPLES, tmp_path, config, NOW + timedelta(days=30), jobs=1)
    # No feed carries the build time; only the news sitemap's 48 hours moved on.
    assert later.written == ["sitemaps/news.xml"]
    embargo_lifted = build(EXAMPLES, tmp_path, config, NOW.replace(year=2031), jobs=1)
    assert "feeds/business/rss.xml" in embargo_lifted.written
    assert "feeds/world/rss.xml" not in embargo_lifted.written
