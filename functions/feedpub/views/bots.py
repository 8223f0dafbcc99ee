"""Who is not a reader: crawlers, feed fetchers, monitors and link previewers. The one list.

Matched case-insensitively as substrings of the User-Agent. A client that sends no User-Agent at
all is treated as a bot too: browsers always send one.
"""

from __future__ import annotations

import re
from functools import cache

BOT_MARKERS: tuple[str, ...] = (
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
def _pattern() -> re.Pattern[str]:
    # "bot" is generic, but Cubot is a phone maker whose model names appear in real browsers' agents.
    markers = [r"(?<!cu)bot" if m == "bot" else re.escape(m) for m in BOT_MARKERS]
    return re.compile("|".join(markers), re.IGNORECASE)


def is_bot(user_agent: str) -> bool:
    """Whether a request came from software rather than a person reading the page."""
    agent = user_agent.strip()
    return not agent or agent == "-" or _pattern().search(agent) is not None
