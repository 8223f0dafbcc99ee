"""Who is a reader: feedpub.views.bots over crawlerdetect, its contract and its measured quality.

The floors below are what benchmarks/bots.py measured when crawlerdetect replaced the hand-written
list (docs/benchmarks.md, "Bot detection"), rounded down: a new release of crawlerdetect, or a change
here, that detects fewer real crawlers or flags real people fails this gate on data (not on time).
"""

from __future__ import annotations

import pytest

from feedpub.views.bots import FEEDPUB_MARKERS, is_bot
from tests.support.agents import browser_corpus, crawler_corpus, in_app_corpus
from tests.support.logs import BOTS, BROWSERS

# Measured: 1,850 of 2,123 (87.1%); the hand-written list before it: 1,425 (67.1%).
CRAWLER_RECALL_FLOOR = 0.87
# Measured: 0 of 792 browsers, 0 of 95 in-app browsers.
BROWSER_FALSE_POSITIVES_CEILING = 0
IN_APP_FALSE_POSITIVES_CEILING = 0

KNOWN_BOTS = (
    *BOTS,
    "Mozilla/5.0 (compatible; FlipboardProxy/1.2; +http://flipboard.com/browserproxy)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "GoogleOther",
    "Mozilla/5.0 (compatible; Google-InspectionTool/1.0)",
    "ELB-HealthChecker/2.0",
    "Amazon-Route53-Health-Check-Service (ref 1234; report http://amzn.to/1vsZADi)",
    "Amazon CloudFront",
    "http.rb/5.1.1 (Mastodon/4.2.0; +https://mastodon.social/)",
    "Overcast/1.0 Podcast Sync (123 subscribers; feed-id=456789; +http://overcast.fm/)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 "
    "Safari/537.36",
)

# In-app browsers of social and news apps are people reading (from tests/fixtures/agents).
KNOWN_PEOPLE = (
    *BROWSERS,
    "Mozilla/5.0 (iPhone; CPU iPhone OS 11_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15G77 [FBAN/FBIOS;FBAV/194.0.0.38.99;FBBV/127868476;FBDV/iPhone7,2;FBMD/iPhone;FBSN/iOS;"
    "FBSV/11.4.1;FBSS/2;FBCR/OrangeBotswana;FBID/phone;FBLC/en_GB;FBOP/5;FBRV/128807018]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 11_2_6 like Mac OS X) AppleWebKit/604.5.6 (KHTML, like Gecko) "
    "Mobile/15D100 Flipboard/4.2.2",
    "Mozilla/5.0 (Linux; Android 9; Pixel 3 Build/PQ1A.181205.006; wv) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Version/4.0 Chrome/71.0.3578.99 Mobile Safari/537.36 GSA/8.65.5.21.arm64",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 10_0_2 like Mac OS X) AppleWebKit/602.1.50 (KHTML, like Gecko) "
    "AppleNews/608.0.1 Version/2.0.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.3.1 Mobile/15E148 Safari/604.1 musical_ly_34.3.1 JsSdk/2.0 NetType/4G Channel/App Store "
    "ByteLocale/en Region/US isDarkMode/1 WKWebView/1 RevealType/Dialog",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 11_2_1 like Mac OS X) AppleWebKit/604.4.7 (KHTML, like Gecko) "
    "Mobile/15C153 Twitter for iPhone/7.19",
    "Mozilla/5.0 (Linux; Android 7.0; SM-A520F Build/NRD90M; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/58.0.3029.83 Mobile Safari/537.36 Flipboard-Briefing/2.7.28",
)


@pytest.mark.parametrize("agent", [*KNOWN_BOTS, "", "-", "   "])
def test_known_bots_and_no_agent_are_bots(agent: str) -> None:
    assert is_bot(agent) is True


@pytest.mark.parametrize("agent", KNOWN_PEOPLE)
def test_browsers_and_in_app_browsers_are_people(agent: str) -> None:
    assert is_bot(agent) is False


def test_the_answer_is_cached_per_agent() -> None:
    is_bot.cache_clear()
    for _ in range(3):
        is_bot(BROWSERS[0])
    assert is_bot.cache_info().hits == 2


def test_the_corpora_are_the_ones_measured() -> None:
    assert len(crawler_corpus().agents) >= 2000
    assert len(browser_corpus().agents) >= 700
    assert len(in_app_corpus().agents) >= 90
    for agent in KNOWN_PEOPLE[len(BROWSERS) :]:
        assert agent in in_app_corpus().agents


def test_recall_on_real_crawler_agents_is_no_worse_than_measured() -> None:
    agents = crawler_corpus().agents
    detected = sum(is_bot(agent) for agent in agents)
    assert detected / len(agents) >= CRAWLER_RECALL_FLOOR, f"{detected} of {len(agents)}"


def test_real_browsers_and_in_app_browsers_are_not_flagged() -> None:
    flagged = [agent for agent in browser_corpus().agents if is_bot(agent)]
    assert len(flagged) <= BROWSER_FALSE_POSITIVES_CEILING, flagged
    flagged = [agent for agent in in_app_corpus().agents if is_bot(agent)]
    assert len(flagged) <= IN_APP_FALSE_POSITIVES_CEILING, flagged


@pytest.mark.parametrize("marker", FEEDPUB_MARKERS)
def test_every_addition_catches_a_crawler_the_library_misses(marker: str) -> None:
    from crawlerdetect import CrawlerDetect

    library = CrawlerDetect()
    caught = [a for a in crawler_corpus().agents if marker in a.lower() and not library.is_crawler(a)]
    assert caught, f"{marker!r} is no longer needed: crawlerdetect catches every corpus agent it matches"
