"""The one table of partner requirements: what each aggregator documents, where, and the fix.

A rule is a *blocker* when the partner's own document says the feed or the item is refused
(missing required elements, size limits, the SmartFormat logo); it is *advice* when the document
says the feed is featured, promoted or auto-published less (images, item counts, title lengths).
docs/partners.md lists the same rules with their sources' dates and what is old or unclear; a
test keeps the two in step.

Each partner reads only some formats (`PARTNER_FORMATS`): a feed in another format gets one advice
("submit the RSS feed of this set") and none of that partner's other rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from feedpub.names import PARTNERS
from feedpub.partners.model import ATOM, FORMAT_NAMES, RSS, Feed, Item

BLOCKER, ADVICE = "blocker", "advice"

GOOGLE = "https://support.google.com/news/publisher-center/answer/9545420"
APPLE = "https://support.apple.com/guide/news-publisher/apdc2c7520ff/icloud"
FLIPBOARD = "https://about.flipboard.com/rss-spec/"
FLIPBOARD_FAQ = "https://flipboard.helpshift.com/hc/en/1-flipboard/faq/1023-resubmit-an-rss-feed/"
MSN_SPEC = "https://helpcenter.microsoftstart.com/kb/articles/25-feed-content-specifications"
MSN_ITEMS = "https://support.microsoft.com/topic/msn-feed-item-metadata-requirements-0114c19c-36bb-4fef-8322-4a1ed6888329"
SMARTNEWS = "https://publishers.smartnews.com/hc/en-us/articles/360036526213"
SMARTNEWS_LATEST = "https://publishers.smartnews.com/hc/en-us/articles/56500436151065"

PARTNER_FORMATS: dict[str, tuple[str, ...]] = {
    "google-news": (RSS, ATOM),
    "apple-news": (RSS, ATOM),
    "flipboard": (RSS,),
    "msn": (RSS, ATOM),
    "smartnews": (RSS, ATOM),
}
"""The formats each partner's document describes; none reads JSON Feed."""

FeedCheck = Callable[[Feed, datetime], bool]
ItemCheck = Callable[[Item, Feed, datetime], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    """One documented requirement of one partner; `check` is True when the feed (or item) meets it."""

    id: str
    partner: str
    severity: str
    rule: str
    """The requirement in one sentence."""
    source: str
    fix: str
    check_feed: FeedCheck | None = None
    check_item: ItemCheck | None = None
    formats: tuple[str, ...] = ()
    """Formats the rule applies to; empty: the partner's own (`PARTNER_FORMATS`)."""
    smartformat_only: bool = False
    """Only for feeds in SmartNews's SmartFormat (the snf namespace), e.g. the partner variant."""

    def applies(self, feed: Feed) -> bool:
        """Whether this rule looks at `feed` at all."""
        formats = self.formats or PARTNER_FORMATS[self.partner]
        return feed.format in formats and (feed.smartformat or not self.smartformat_only)


def _image_at_least(item: Item, pixels: int, smallest: bool) -> bool:
    """The item has an image whose width and height the feed states: both at least `pixels`
    (`smallest`), else the larger at least `pixels` and both at least 150 px (MSN's floor)."""
    image = item.image
    if image is None or image.width is None or image.height is None:
        return False
    sizes = (image.width, image.height)
    return min(sizes) >= pixels if smallest else max(sizes) >= pixels and min(sizes) >= 150


def _format_rule(partner: str, name: str, source: str) -> Rule:
    others = tuple(f for f in FORMAT_NAMES if f not in PARTNER_FORMATS[partner])
    read = " and ".join(FORMAT_NAMES[f] for f in PARTNER_FORMATS[partner])
    return Rule(
        f"{partner}/format",
        partner,
        ADVICE,
        f"{name} reads {read} feeds; its other rules were not checked here.",
        source,
        f"submit this feed set's {' or '.join(f'{f}.xml' for f in PARTNER_FORMATS[partner])} to {name}, "
        "not this file",
        check_feed=lambda feed, now: False,
        formats=others,
    )


RULES: tuple[Rule, ...] = (
    # -- Google News: Publisher Center, "Technical feed requirements" --------------------------------
    _format_rule("google-news", "Google News", GOOGLE),
    Rule(
        "google-news/guid",
        "google-news",
        BLOCKER,
        "Every item needs a <guid> (RSS) or <id> (Atom) that identifies it for good.",
        GOOGLE,
        "give every article a permanent `id:`; feedpub writes it as the guid",
        check_item=lambda item, feed, now: bool(item.id),
    ),
    Rule(
        "google-news/permalink",
        "google-news",
        BLOCKER,
        'A <guid> that is not the article\'s full URL must say isPermaLink="false".',
        GOOGLE,
        'write isPermaLink="false" on guids that are not URLs (feedpub does for its tag: ids)',
        check_item=lambda item, feed, now: (
            not item.guid_is_permalink or item.id.startswith(("http://", "https://"))
        ),
        formats=(RSS,),
    ),
    Rule(
        "google-news/feed-size",
        "google-news",
        BLOCKER,
        "A feed may be at most 2 MB.",
        GOOGLE,
        "carry fewer items: lower items_per_kind for this kind of feed (or items_per_feed)",
        check_feed=lambda feed, now: feed.size <= 2 * 1024 * 1024,
    ),
    Rule(
        "google-news/article-size",
        "google-news",
        BLOCKER,
        "An article may be at most 1 MB in the feed.",
        GOOGLE,
        "shorten the article or move embedded data out of its body",
        check_item=lambda item, feed, now: item.size <= 1024 * 1024,
    ),
    Rule(
        "google-news/fetch-limit",
        "google-news",
        ADVICE,
        "Google News reads at most 60 new articles per fetch; more are left for later fetches.",
        GOOGLE,
        "set items_per_kind for this kind of feed to 60 or fewer",
        check_feed=lambda feed, now: len(feed.items) <= 60,
    ),
    Rule(
        "google-news/date",
        "google-news",
        ADVICE,
        "Every item should carry its date (pubDate/updated): Google News sees changes by it.",
        GOOGLE,
        "give the article a `published:` date (and `updated:` when it changes)",
        check_item=lambda item, feed, now: item.published is not None,
    ),
    # -- Apple News: News Publisher guide, "RSS guidelines for Apple News" ---------------------------
    _format_rule("apple-news", "Apple News", APPLE),
    Rule(
        "apple-news/encoding",
        "apple-news",
        BLOCKER,
        "The feed must be encoded in UTF-8.",
        APPLE,
        "write the feed as UTF-8 (feedpub always does)",
        check_feed=lambda feed, now: feed.encoding.replace("-", "") == "utf8",
    ),
    Rule(
        "apple-news/channel",
        "apple-news",
        BLOCKER,
        "The channel must have a title, a link and a language.",
        APPLE,
        "set title, base_url and language in the site config",
        check_feed=lambda feed, now: bool(feed.title and feed.link and feed.language),
    ),
    Rule(
        "apple-news/locale",
        "apple-news",
        BLOCKER,
        "The channel language must include its locale (region), like en-US or en-GB.",
        APPLE,
        'set language = "en-GB" (or your region) in feedpub.toml, template parameter SiteLanguage',
        check_feed=lambda feed, now: "-" in feed.language,
    ),
    Rule(
        "apple-news/item",
        "apple-news",
        BLOCKER,
        "Every item needs a title, a link and a description.",
        APPLE,
        "give the article a title and a summary (feedpub writes the summary as the description)",
        check_item=lambda item, feed, now: bool(item.title and item.link and item.summary),
    ),
    Rule(
        "apple-news/title-length",
        "apple-news",
        ADVICE,
        "Titles should be at most 60 characters long.",
        APPLE,
        "shorten the headline to 60 characters or fewer",
        check_item=lambda item, feed, now: len(item.title) <= 60,
    ),
    # -- Flipboard: "Optimizing your RSS feed for Flipboard" and the publisher FAQ --------------------
    _format_rule("flipboard", "Flipboard", FLIPBOARD),
    Rule(
        "flipboard/item",
        "flipboard",
        BLOCKER,
        "Every item must have a link and a title.",
        FLIPBOARD,
        "give the article a title (its link comes from url or url_template)",
        check_item=lambda item, feed, now: bool(item.title and item.link),
    ),
    Rule(
        "flipboard/full-text",
        "flipboard",
        BLOCKER,
        "Every item must carry the whole article in <content:encoded>, not just a summary.",
        FLIPBOARD,
        "give the article a body; feedpub writes it as content:encoded",
        check_item=lambda item, feed, now: bool(item.content),
    ),
    Rule(
        "flipboard/image",
        "flipboard",
        ADVICE,
        "Flipboard features items with an image no smaller than 400 px on its shortest side.",
        FLIPBOARD,
        "add image.url with image.width and image.height of at least 400 px to the article",
        check_item=lambda item, feed, now: _image_at_least(item, 400, smallest=True),
    ),
    Rule(
        "flipboard/items",
        "flipboard",
        ADVICE,
        "A feed should carry at least the 20 most recent items.",
        FLIPBOARD_FAQ,
        "set items_per_kind for this kind of feed to 20 or more (it shows what there is)",
        check_feed=lambda feed, now: len(feed.items) >= 20,
    ),
    Rule(
        "flipboard/creator",
        "flipboard",
        ADVICE,
        "Every item should name its authors in <dc:creator>.",
        FLIPBOARD_FAQ,
        "add `authors:` to the article",
        check_item=lambda item, feed, now: bool(item.authors),
    ),
    # -- Microsoft Start / MSN: Partner Hub feed content specifications and item requirements ---------
    _format_rule("msn", "MSN", MSN_SPEC),
    Rule(
        "msn/https",
        "msn",
        BLOCKER,
        "MSN reads feeds over HTTPS only.",
        MSN_SPEC,
        "serve the feeds over https: set base_url (or feeds_url) to an https URL",
        check_feed=lambda feed, now: not feed.self_url or feed.self_url.startswith("https://"),
    ),
    Rule(
        "msn/item",
        "msn",
        BLOCKER,
        "Every article must have a unique id, a title, a published date, a body and a link.",
        MSN_ITEMS,
        "give the article a title, a published date and a body",
        check_item=lambda item, feed, now: bool(
            item.id and item.title and item.published and item.link and (item.content or item.summary)
        ),
    ),
    Rule(
        "msn/title-length",
        "msn",
        BLOCKER,
        "Titles must be longer than 20 characters and at most 150 (longer ones may be removed).",
        MSN_ITEMS,
        "write a headline of 21 to 150 characters",
        check_item=lambda item, feed, now: 20 < len(item.title) <= 150,
    ),
    Rule(
        "msn/image",
        "msn",
        ADVICE,
        "MSN auto-publishes only items with an image of at least 150 px; 720 px is recommended.",
        MSN_SPEC,
        "add image.width/height or a larger image (720 px or more on one side) to the article",
        check_item=lambda item, feed, now: _image_at_least(item, 720, smallest=False),
    ),
    Rule(
        "msn/age",
        "msn",
        ADVICE,
        "MSN ingests only items published in the past 365 days.",
        MSN_ITEMS,
        "nothing to fix if the story is old on purpose: MSN skips it",
        check_item=lambda item, feed, now: (
            item.published is not None
            and now - timedelta(days=365) < item.published <= now + timedelta(minutes=5)
        ),
    ),
    # -- SmartNews: SmartFormat specification (2.1, and the later revision) --------------------------
    _format_rule("smartnews", "SmartNews", SMARTNEWS),
    Rule(
        "smartnews/encoding",
        "smartnews",
        BLOCKER,
        "SmartFormat supports UTF-8 only.",
        SMARTNEWS,
        "write the feed as UTF-8 (feedpub always does)",
        check_feed=lambda feed, now: feed.encoding.replace("-", "") == "utf8",
    ),
    Rule(
        "smartnews/channel",
        "smartnews",
        BLOCKER,
        "The channel must have a title, a link and a description.",
        SMARTNEWS,
        "set title, base_url and description in the site config",
        check_feed=lambda feed, now: bool(feed.title and feed.link and feed.description),
    ),
    Rule(
        "smartnews/item",
        "smartnews",
        BLOCKER,
        "Every item must have a title and a link.",
        SMARTNEWS,
        "give the article a title",
        check_item=lambda item, feed, now: bool(item.title and item.link),
    ),
    Rule(
        "smartnews/logo",
        "smartnews",
        BLOCKER,
        "A SmartFormat feed must name the publisher's logo in <snf:logo> (SmartView First).",
        SMARTNEWS,
        "set logo_url (template parameter SiteLogoUrl) to the site's logo, an absolute https URL",
        check_feed=lambda feed, now: feed.logo.startswith("https://"),
        smartformat_only=True,
    ),
    Rule(
        "smartnews/pubdate",
        "smartnews",
        BLOCKER,
        "A SmartFormat channel must carry its <pubDate>.",
        SMARTNEWS_LATEST,
        "use feedpub's SmartNews variant (feeds/partners/smartnews/rss.xml), which writes it",
        check_feed=lambda feed, now: feed.pub_date is not None,
        formats=(RSS,),
        smartformat_only=True,
    ),
    Rule(
        "smartnews/description",
        "smartnews",
        ADVICE,
        "The channel description should be 30 characters or fewer.",
        SMARTNEWS_LATEST,
        "shorten description in the site config (SmartNews shows it under the logo)",
        check_feed=lambda feed, now: len(feed.description) <= 30,
        smartformat_only=True,
    ),
    Rule(
        "smartnews/thumbnail",
        "smartnews",
        ADVICE,
        "Every item should offer a <media:thumbnail>.",
        SMARTNEWS,
        "add an image to the article; feedpub writes it as media:thumbnail",
        check_item=lambda item, feed, now: bool(item.thumbnail),
        formats=(RSS,),
    ),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}
assert len(RULES_BY_ID) == len(RULES), "rule ids must be unique"
assert {rule.partner for rule in RULES} == set(PARTNERS), "every partner has rules, and only partners do"
