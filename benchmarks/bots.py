"""Bot detection (issue 13): recall on real crawler agents, false positives on real browsers, and cost.

    .venv/bin/python -m benchmarks.bots [--smoke]

Quality: each detector is run over the corpora of tests/support/agents.py (crawler-user-agents'
`instances`, fake-useragent's browsers, in-app browsers from fake-useragent and uap-core). The
detectors: the hand-written list feedpub had before issue 13 (kept verbatim below), crawlerdetect on
its own, feedpub.views.bots (crawlerdetect plus feedpub's measured additions), and
crawler-user-agents' own patterns, which are circular on the crawler corpus (the same project).

Cost: lines per second of `tally(parse_log(text))` over a generated access log whose agents are drawn
from the corpora, old detector against new, interleaved; and, in fresh interpreters, the time from
nothing to the first answer (import plus the first call, where the patterns are compiled): the cold
cost a detector adds to the views function.
"""

from __future__ import annotations

import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from benchmarks.report import Benchmark, cli

ROOT = Path(__file__).resolve().parent.parent

# -- the hand-written list of functions/feedpub/views/bots.py before issue 13, verbatim ---------------

OLD_MARKERS: tuple[str, ...] = (
    # generic self-descriptions
    "bot", "crawl", "spider", "slurp", "scrape", "archiver", "preview", "fetcher", "headless",
    # search engines and SEO tools
    "googlebot", "bingbot", "yandex", "baiduspider", "duckduckbot", "applebot", "petalbot",
    "semrush", "ahrefs", "mj12bot", "dotbot", "bytespider", "gptbot", "ccbot", "claudebot",
    "perplexity", "amazonbot", "seznambot",
    # feed readers and aggregators polling (they read feeds, not pages)
    "feedly", "feedfetcher", "newsblur", "inoreader", "newsboat", "tt-rss", "miniflux",
    "freshrss", "feedbin", "theoldreader", "netnewswire", "feedparser", "rss", "podcast",
    # link previewers and social unfurlers
    "facebookexternalhit", "facebot", "twitterbot", "slackbot", "discordbot", "telegrambot",
    "whatsapp", "linkedinbot", "embedly", "skypeuripreview", "redditbot", "mastodon",
    # monitors and load tools
    "pingdom", "uptimerobot", "statuscake", "site24x7", "newrelic", "datadog", "monitor",
    "elb-healthchecker", "amazon-route53-health-check", "cloudfront",
    # HTTP libraries and command-line clients
    "curl", "wget", "python-requests", "python-urllib", "aiohttp", "httpx", "go-http-client",
    "okhttp", "java/", "libwww-perl", "node-fetch", "axios", "postman", "insomnia",
    "lighthouse", "chrome-lighthouse", "pagespeed", "gtmetrix",
)  # fmt: skip


@cache
def _old_pattern() -> re.Pattern[str]:
    markers = [r"(?<!cu)bot" if m == "bot" else re.escape(m) for m in OLD_MARKERS]
    return re.compile("|".join(markers), re.IGNORECASE)


def old_is_bot(user_agent: str) -> bool:
    """The detector before issue 13 (no per-agent cache: one regex search per line)."""
    agent = user_agent.strip()
    return not agent or agent == "-" or _old_pattern().search(agent) is not None


# -- detectors --------------------------------------------------------------------------------------


def detectors() -> dict[str, Callable[[str], bool]]:
    from crawlerdetect import CrawlerDetect

    from feedpub.views.bots import is_bot

    crawler_detect = CrawlerDetect()

    def library_only(agent: str) -> bool:
        return bool(crawler_detect.is_crawler(agent))

    def crawler_user_agents(agent: str) -> bool:
        import crawleruseragents

        return bool(crawleruseragents.is_crawler(agent))

    return {
        "hand-written list (before)": old_is_bot,
        "crawlerdetect alone": library_only,
        "feedpub.views.bots (after: crawlerdetect + additions)": is_bot,
        "crawler-user-agents patterns (circular on crawlers)": crawler_user_agents,
    }


def quality() -> tuple[list[list[Any]], dict[str, dict[str, tuple[int, int]]], list[str]]:
    """Rows of (detector, corpus, n, flagged, %), the same as a dict, and the corpora's descriptions."""
    from tests.support.agents import browser_corpus, crawler_corpus, in_app_corpus

    corpora = [crawler_corpus(), browser_corpus(), in_app_corpus()]
    rows: list[list[Any]] = []
    numbers: dict[str, dict[str, tuple[int, int]]] = {}
    for name, detect in detectors().items():
        numbers[name] = {}
        for corpus in corpora:
            flagged = sum(detect(agent) for agent in corpus.agents)
            n = len(corpus.agents)
            numbers[name][corpus.name] = (n, flagged)
            kind = "recall" if corpus.name == "crawlers" else "false positives"
            rows.append([name, f"{corpus.name} ({kind})", n, flagged, 100 * flagged / n])
    described = [f"{c.name}: {len(c.agents):,} distinct agents, {c.source}" for c in corpora]
    return rows, numbers, described


# -- cost ---------------------------------------------------------------------------------------------


def sample_log(lines: int, seed: int = 13) -> str:
    """An access log of `lines` requests: 80% browsers, 8% in-app, 12% crawlers, drawn from a few
    hundred distinct agents (a busy news site's hour has a few thousand)."""
    from tests.support.agents import browser_corpus, crawler_corpus, in_app_corpus
    from tests.support.logs import Hit, log_text

    rng = random.Random(seed)
    pools = [
        (0.80, rng.sample(browser_corpus().agents, 300)),
        (0.08, rng.sample(in_app_corpus().agents, 60)),
        (0.12, rng.sample(crawler_corpus().agents, 200)),
    ]
    start = datetime(2026, 11, 26, 14, tzinfo=UTC)
    hits = []
    shares, agents = [share for share, _ in pools], [pool for _, pool in pools]
    for n in range(lines):
        [pool] = rng.choices(agents, weights=shares)
        when = start + timedelta(seconds=n % 3600)
        hits.append(Hit(when, f"/world/story-{n % 50}", agent=rng.choice(pool)))
    return log_text(hits)


def lines_per_second(text: str, detect: Callable[[str], bool], reset: Callable[[], None]) -> float:
    """One pass of the views function's counting over `text`, with `detect` deciding who is a bot."""
    import feedpub.views.counting as counting
    from feedpub.views.logs import LogReadStats, parse_log

    names = vars(counting)  # the module's own binding of is_bot, which tally() calls
    saved: Callable[[str], bool] = names["is_bot"]
    names["is_bot"] = detect
    try:
        reset()  # every pass starts cold: each distinct agent is decided once more
        stats = LogReadStats()
        started = time.perf_counter()
        counting.tally(parse_log(text, stats))
        return stats.lines / (time.perf_counter() - started)
    finally:
        names["is_bot"] = saved


COLD = {
    "before": (
        "import time; t = time.perf_counter(); from benchmarks.bots import old_is_bot; "
        "import feedpub.views.counting; old_is_bot('curl/8.7.1'); print(time.perf_counter() - t)"
    ),
    "after": (
        "import time; t = time.perf_counter(); import benchmarks.bots; "
        "from feedpub.views.bots import is_bot; import feedpub.views.counting; is_bot('curl/8.7.1'); "
        "print(time.perf_counter() - t)"
    ),
}


def cold_seconds(rounds: int) -> dict[str, float]:
    """Median time, in fresh interpreters, from nothing to the detector's first answer."""
    samples: dict[str, list[float]] = {name: [] for name in COLD}
    for _ in range(rounds):
        for name, code in COLD.items():
            command = [sys.executable, "-c", code]
            out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
            samples[name].append(float(out.stdout))
    return {name: statistics.median(values) for name, values in samples.items()}


def microseconds_per_agent(detect: Callable[[str], bool], agents: list[str]) -> float:
    """Mean time to decide one agent never seen before (every agent of the corpora, once)."""
    started = time.perf_counter()
    for agent in agents:
        detect(agent)
    return (time.perf_counter() - started) / len(agents) * 1e6


def cost(smoke: bool) -> dict[str, float]:
    from tests.support.agents import browser_corpus, crawler_corpus, in_app_corpus

    from feedpub.views.bots import is_bot

    agents = [a for c in (crawler_corpus(), browser_corpus(), in_app_corpus()) for a in c.agents]
    old_is_bot("curl/8.7.1"), is_bot("curl/8.7.1")  # both compiled: the cold cost is measured below
    per_agent_old = microseconds_per_agent(old_is_bot, agents)
    per_agent_new = microseconds_per_agent(is_bot.__wrapped__, agents)

    text = sample_log(2_000 if smoke else 50_000)
    repeat = 1 if smoke else 5
    old: list[float] = []
    new: list[float] = []
    for _ in range(repeat):
        old.append(lines_per_second(text, old_is_bot, lambda: None))
        new.append(lines_per_second(text, is_bot, is_bot.cache_clear))
    warm = lines_per_second(text, is_bot, lambda: None)  # a warm Lambda: agents already decided
    cold = cold_seconds(1 if smoke else 9)
    return {
        "lines": text.count("\n") - 2,
        "per_agent_old_us": per_agent_old,
        "per_agent_new_us": per_agent_new,
        "old": statistics.median(old),
        "new": statistics.median(new),
        "new_warm": warm,
        "cold_before": cold["before"],
        "cold_after": cold["after"],
    }


# -- the report ---------------------------------------------------------------------------------------


def run_benchmark(smoke: bool) -> Benchmark:
    rows, numbers, described = quality()
    measured = cost(smoke)
    after = numbers["feedpub.views.bots (after: crawlerdetect + additions)"]
    before = numbers["hand-written list (before)"]

    alone = numbers["crawlerdetect alone"]

    def pct(pair: tuple[int, int]) -> str:
        return f"{100 * pair[1] / pair[0]:.1f}%"

    met = None if smoke else (after["crawlers"][1] > before["crawlers"][1] and after["browsers"][1] == 0)
    added_ms = (measured["cold_after"] - measured["cold_before"]) * 1000
    notes = [
        "**Corpora** (all distinct agents): " + "; ".join(described) + ". The machine reaches only "
        "package registries, so the crawler and browser corpora are PyPI packages in the dev extra "
        "and the in-app one is vendored with its source named line by line.",
        "**Circularity.** crawler-user-agents' patterns are written from its own `instances`, so their "
        "100% recall on that corpus says nothing; they are listed only to show it. feedpub uses "
        "crawlerdetect, whose patterns come from another project (JayBizzle/CrawlerDetect), so its "
        "recall on crawler-user-agents' instances is an honest out-of-sample number. The additions "
        "in feedpub.views.bots were chosen on this same corpus (each is a substring that caught at "
        "least one agent the library missed and no browser), so the *after* recall is partly in-sample: "
        f"crawlerdetect alone is the out-of-sample number ({pct(alone['crawlers'])}).",
        "**What is still missed** is mostly agents that do not say what they are (`Hello World`, "
        "`Jumio`, `Magellan`, a plain Chrome agent with a product name appended), niche scanners, and "
        "two agents crawler-user-agents lists as bots that feedpub deliberately counts as people: "
        "`... Mobile Safari/537.36 MetaIAB Facebook` and `... Instagram 406.0.0.58.159 Android (...; "
        "IABMV/1)`, the Facebook and Instagram in-app browsers (crawler-user-agents calls the first a link "
        "preview fetcher; it is the agent of the browser people read in).",
        "**False positives.** No detector flags any agent of fake-useragent's browsers. On in-app "
        "browsers the old list flagged Facebook's iOS agent whose carrier field is `FBCR/OrangeBotswana` "
        "(its generic `bot`); so does crawlerdetect, so feedpub drops the free-text carrier field before "
        "asking. FlipboardProxy, facebookexternalhit, GoogleOther and Google-InspectionTool are "
        "crawlers in the corpus and detected; Flipboard's app, Facebook's FBAN/FBAV and the Google app "
        "(GSA/) are people and pass.",
        f"**Cost.** Counting a generated log of {measured['lines']:,} lines (agents drawn from the "
        "corpora: 300 browsers, 60 in-app, 200 crawlers): the old list runs one regex search per line; "
        "feedpub.views.bots decides each distinct agent once (an lru_cache of 8,192 agents) with "
        "crawlerdetect's ~1,500-pattern regex, and the cache is cleared before every pass, so each "
        "pass pays for every distinct agent again; a warm Lambda instance keeps the cache between "
        f"log files ({measured['new_warm']:,.0f} lines/s). Cold: the median over fresh interpreters "
        "of importing the counting module and answering once (crawlerdetect compiles its patterns on "
        f"the first call): {measured['cold_before'] * 1000:.0f} ms before, "
        f"{measured['cold_after'] * 1000:.0f} ms after, so crawlerdetect adds about {added_ms:.0f} ms "
        "to the views function's first invocation (the import is lazy: init is unchanged; "
        "benchmark 4 counts it in *cold cost*). Local Python "
        f"{'.'.join(map(str, sys.version_info[:3]))}; Lambda runs python3.13 on arm64 "
        "(crawlerdetect is pure Python, one py3-none-any wheel).",
    ]
    rows.append(["cost: lines/s counting a log, old list", "", measured["lines"], "", measured["old"]])
    rows.append(["cost: lines/s counting a log, after (cache cleared)", "", measured["lines"], "",
                 measured["new"]])  # fmt: skip
    rows.append(["cost: µs to decide one new agent (old list → after, uncached)", "", "",
                 f"{measured['per_agent_old_us']:.1f} → {measured['per_agent_new_us']:.1f}",
                 measured["per_agent_new_us"]])  # fmt: skip
    cold = f"{measured['cold_before'] * 1e3:.0f} → {measured['cold_after'] * 1e3:.0f}"
    rows.append(["cost: first answer in a fresh interpreter, ms (before → after)", "", "", cold, added_ms])
    return Benchmark(
        number=0,
        title="Bot detection (issue 13)",
        target="recall on real crawler agents above the hand-written list's; no real browser flagged",
        met=met,
        columns=["detector", "corpus", "n", "flagged", "% (or lines/s, ms)"],
        rows=rows,
        summary=(
            f"recall {pct(after['crawlers'])} (before {pct(before['crawlers'])}; crawlerdetect alone "
            f"{pct(numbers['crawlerdetect alone']['crawlers'])}), browsers flagged {pct(after['browsers'])}, "
            f"in-app flagged {pct(after['in-app browsers'])} (before {pct(before['in-app browsers'])}); "
            f"{measured['new']:,.0f} lines/s (before {measured['old']:,.0f}); +{added_ms:.0f} ms cold"
        ),
        notes=notes,
        extra={"numbers": numbers, **measured},
    )


def main() -> None:
    cli(run_benchmark, __doc__, "a small log and one cold round")


if __name__ == "__main__":
    main()
