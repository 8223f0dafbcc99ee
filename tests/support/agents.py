"""The User-Agent corpora that bot detection is measured on (benchmarks/bots.py, tests/unit/test_bots.py).

- crawlers: every `instances` agent of monperrus/crawler-user-agents (the PyPI package), real agents
  its contributors saw from crawlers, monitors, feed readers, previewers and scripts. The same project's
  patterns are a detector too, so measuring that detector on them is circular.
- browsers: the distinct agents of fake-useragent's data (real-world browser agents weighted by how
  often they are seen), less the in-app browsers among them.
- in-app: the in-app browsers of fake-useragent's data (Google app, Facebook, Instagram, X, LINE),
  and tests/fixtures/agents/in_app_browsers.txt (from uap-core's test cases, sourced in the file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources

from tests.support.paths import FIXTURES

IN_APP_FILE = FIXTURES / "agents" / "in_app_browsers.txt"
# fake-useragent's `browser` of an app's built-in browser (its "Google" is the Google app, GSA/).
FAKE_USERAGENT_IN_APP = frozenset({"Google", "Facebook", "Instagram", "Twitter", "LINE"})


@dataclass(frozen=True)
class Corpus:
    """Distinct agents, and where they came from."""

    name: str
    source: str
    agents: tuple[str, ...]


@cache
def crawler_corpus() -> Corpus:
    data = resources.files("crawleruseragents").joinpath("crawler-user-agents.json").read_text("utf-8")
    agents = {agent for entry in json.loads(data) for agent in entry.get("instances", [])}
    version = metadata.version("crawler-user-agents")
    return Corpus("crawlers", f"crawler-user-agents {version}, `instances`", tuple(sorted(agents)))


@cache
def _fake_useragent_rows() -> list[dict[str, str]]:
    text = resources.files("fake_useragent").joinpath("data", "browsers.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@cache
def browser_corpus() -> Corpus:
    rows = _fake_useragent_rows()
    agents = {row["useragent"] for row in rows if row["browser"] not in FAKE_USERAGENT_IN_APP}
    version = metadata.version("fake-useragent")
    return Corpus("browsers", f"fake-useragent {version}, data/browsers.jsonl", tuple(sorted(agents)))


@cache
def in_app_corpus() -> Corpus:
    rows = _fake_useragent_rows()
    agents = {row["useragent"] for row in rows if row["browser"] in FAKE_USERAGENT_IN_APP}
    vendored = [line for line in IN_APP_FILE.read_text("utf-8").splitlines() if line and line[0] != "#"]
    version = metadata.version("fake-useragent")
    return Corpus(
        "in-app browsers",
        f"fake-useragent {version} ({len(agents)}: {', '.join(sorted(FAKE_USERAGENT_IN_APP))}) + "
        f"tests/fixtures/agents/in_app_browsers.txt ({len(set(vendored))}, from uap-core)",
        tuple(sorted(agents | set(vendored))),
    )
