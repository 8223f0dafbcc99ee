"""The names of published files and feed sets: one home for every module that spells them."""

from __future__ import annotations

FEEDS_PREFIX = "feeds"
"""Key prefix of every published file in the site bucket (and folder under a local --out)."""
SITE_FEED = "site"
"""Name of the whole-site feed set; section feed sets are named by their section slug."""
RSS_FILE = "rss.xml"
ATOM_FILE = "atom.xml"
JSON_FEED_FILE = "feed.json"
PAGE_FILE = "index.html"
"""The page a browser is shown for a feed set (not a feed: never announced to hubs)."""
MOST_VIEWED_FILE = "most-viewed.json"
MOST_VIEWED_WEEK_FILE = "most-viewed-7d.json"
TOPIC_FILENAMES = frozenset({RSS_FILE, ATOM_FILE, JSON_FEED_FILE, MOST_VIEWED_FILE, MOST_VIEWED_WEEK_FILE})
"""The files readers subscribe to: each is a WebSub topic, announced to the hubs when its bytes change."""
HUB_ITEM_PREFIX = "HUB#"
"""Index item of one WebSub hub: when each topic's newest announcement was accepted by it."""
