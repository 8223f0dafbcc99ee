"""Any feed's bytes -> one neutral Feed of channel fields and items, for the partner rules.

Only what some rule looks at is kept. lxml and json only: feedparser is a test dependency, and
the publisher runs these checks in Lambda. Entities are never resolved and the network is never
used, whatever the document says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
MEDIA_NS = "http://search.yahoo.com/mrss/"
SNF_NS = "http://www.smartnews.be/snf"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

RSS, ATOM, JSON_FEED = "rss", "atom", "json"
FORMAT_NAMES = {RSS: "RSS 2.0", ATOM: "Atom 1.0", JSON_FEED: "JSON Feed"}


class NotAFeedError(ValueError):
    """The bytes are not an RSS 2.0, Atom 1.0 or JSON Feed document; the message says what they are."""


@dataclass(frozen=True, slots=True)
class ItemImage:
    """An item's lead image as the feed describes it; sizes are None when the feed does not say."""

    url: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One item/entry, reduced to what the partner rules read."""

    id: str = ""
    title: str = ""
    link: str = ""
    summary: str = ""
    content: str = ""
    """The full HTML (content:encoded, Atom content, content_html)."""
    published: datetime | None = None
    authors: tuple[str, ...] = ()
    image: ItemImage | None = None
    thumbnail: str = ""
    """media:thumbnail's URL (RSS), which SmartNews and Flipboard read for the item's tile."""
    guid_is_permalink: bool = True
    """RSS guid's isPermaLink (true when absent, as RSS 2.0 says)."""
    size: int = 0
    """Bytes of the item as serialized in the feed."""

    @property
    def label(self) -> str:
        """How the doctor names the item."""
        return self.title or self.id or self.link or "(untitled item)"


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed document: its format, channel fields and items."""

    format: str
    size: int
    encoding: str = "utf-8"
    title: str = ""
    link: str = ""
    description: str = ""
    language: str = ""
    self_url: str = ""
    pub_date: datetime | None = None
    """RSS channel pubDate (not lastBuildDate): SmartFormat requires it."""
    smartformat: bool = False
    """The document declares the SmartNews namespace: SmartFormat's own rules apply."""
    logo: str = ""
    """snf:logo's URL (SmartFormat)."""
    items: tuple[Item, ...] = field(default_factory=tuple)


def parse_feed(data: bytes) -> Feed:
    """Read a feed; NotAFeedError (with one sentence) when it is none of the three formats."""
    if data.lstrip()[:1] in (b"{", b"["):
        return _parse_json(data)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise NotAFeedError(f"not well-formed XML ({exc.msg}, line {exc.lineno})") from None
    tag = etree.QName(root)
    encoding = (root.getroottree().docinfo.encoding or "utf-8").lower()
    if tag.localname == "rss" and tag.namespace is None:
        return _parse_rss(root, len(data), encoding)
    if tag.localname == "feed" and tag.namespace == ATOM_NS:
        return _parse_atom(root, len(data), encoding)
    raise NotAFeedError(f"an XML document whose root is <{tag.localname}>, not <rss> or an Atom <feed>")


def _text(element: Any, path: str, namespaces: dict[str, str] | None = None) -> str:
    found = element.find(path, namespaces)
    return "" if found is None else "".join(found.itertext()).strip()


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def parse_date(value: str) -> datetime | None:
    """RFC 822 (RSS) or RFC 3339 (Atom, JSON Feed); None when it is neither."""
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _media_image(element: Any) -> tuple[ItemImage | None, str]:
    """The Media RSS image of an item (media:content, else media:thumbnail) and the thumbnail URL."""
    thumbnail = element.find(f"{{{MEDIA_NS}}}thumbnail")
    thumb_url = "" if thumbnail is None else thumbnail.get("url", "")
    for content in element.iter(f"{{{MEDIA_NS}}}content"):
        if content.get("medium") == "image" or content.get("type", "").startswith("image/"):
            return ItemImage(
                content.get("url", ""), _int(content.get("width")), _int(content.get("height"))
            ), thumb_url
    if thumbnail is not None and thumb_url:
        return ItemImage(thumb_url, _int(thumbnail.get("width")), _int(thumbnail.get("height"))), thumb_url
    return None, thumb_url


def _parse_rss(root: Any, size: int, encoding: str) -> Feed:
    channel = root.find("channel")
    if channel is None:
        raise NotAFeedError("an <rss> document without a <channel>")
    self_link = next((link.get("href", "") for link in channel.findall(f"{{{ATOM_NS}}}link")
                      if link.get("rel") == "self"), "")  # fmt: skip
    items = tuple(_rss_item(item) for item in channel.findall("item"))
    logo = channel.find(f"{{{SNF_NS}}}logo")
    return Feed(
        format=RSS,
        size=size,
        encoding=encoding,
        title=_text(channel, "title"),
        link=_text(channel, "link"),
        description=_text(channel, "description"),
        language=_text(channel, "language"),
        self_url=self_link,
        pub_date=parse_date(_text(channel, "pubDate")),
        smartformat=SNF_NS in root.nsmap.values(),
        logo="" if logo is None else _text(logo, "url"),
        items=items,
    )


def _rss_item(item: Any) -> Item:
    guid = item.find("guid")
    image, thumbnail = _media_image(item)
    if image is None:
        enclosure = item.find("enclosure")
        if enclosure is not None and enclosure.get("type", "").startswith("image/"):
            image = ItemImage(enclosure.get("url", ""))
    authors = [_text(c, ".") for c in item.findall(f"{{{DC_NS}}}creator")] or [_text(item, "author")]
    return Item(
        id="" if guid is None else (guid.text or "").strip(),
        title=_text(item, "title"),
        link=_text(item, "link"),
        summary=_text(item, "description"),
        content=_text(item, f"{{{CONTENT_NS}}}encoded"),
        published=parse_date(_text(item, "pubDate")),
        authors=tuple(a for a in authors if a),
        image=image,
        thumbnail=thumbnail,
        guid_is_permalink=guid is None or guid.get("isPermaLink", "true").strip().lower() != "false",
        size=len(etree.tostring(item)),
    )


def _atom_link(element: Any, rel: str) -> Any:
    for link in element.findall(f"{{{ATOM_NS}}}link"):
        if link.get("rel", "alternate") == rel:
            return link
    return None


def _parse_atom(root: Any, size: int, encoding: str) -> Feed:
    a = f"{{{ATOM_NS}}}"
    alternate, self_link = _atom_link(root, "alternate"), _atom_link(root, "self")
    return Feed(
        format=ATOM,
        size=size,
        encoding=encoding,
        title=_text(root, a + "title"),
        link="" if alternate is None else alternate.get("href", ""),
        description=_text(root, a + "subtitle"),
        language=root.get(XML_LANG, ""),
        self_url="" if self_link is None else self_link.get("href", ""),
        smartformat=SNF_NS in root.nsmap.values(),
        items=tuple(_atom_entry(e) for e in root.findall(a + "entry")),
    )


def _atom_entry(entry: Any) -> Item:
    a = f"{{{ATOM_NS}}}"
    alternate = _atom_link(entry, "alternate")
    image, thumbnail = _media_image(entry)
    enclosure = _atom_link(entry, "enclosure")
    if image is None and enclosure is not None and enclosure.get("type", "").startswith("image/"):
        image = ItemImage(enclosure.get("href", ""))
    published = _text(entry, a + "published") or _text(entry, a + "updated")
    return Item(
        id=_text(entry, a + "id"),
        title=_text(entry, a + "title"),
        link="" if alternate is None else alternate.get("href", ""),
        summary=_text(entry, a + "summary"),
        content=_text(entry, a + "content"),
        published=parse_date(published),
        authors=tuple(_text(author, a + "name") for author in entry.findall(a + "author")),
        image=image,
        thumbnail=thumbnail,
        size=len(etree.tostring(entry)),
    )


def _parse_json(data: bytes) -> Feed:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotAFeedError(f"not valid JSON ({exc})") from None
    version = document.get("version", "") if isinstance(document, dict) else ""
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        raise NotAFeedError("JSON without a JSON Feed `version`")
    raw_items = document.get("items")
    items = tuple(_json_item(item) for item in raw_items if isinstance(item, dict)) if isinstance(
        raw_items, list) else ()  # fmt: skip
    return Feed(
        format=JSON_FEED,
        size=len(data),
        title=str(document.get("title", "")),
        link=str(document.get("home_page_url", "")),
        description=str(document.get("description", "")),
        language=str(document.get("language", "")),
        self_url=str(document.get("feed_url", "")),
        items=items,
    )


def _json_item(item: dict[str, Any]) -> Item:
    raw_authors = item.get("authors")
    authors: list[Any] = raw_authors if isinstance(raw_authors, list) else []
    image = item.get("image")
    return Item(
        id=str(item.get("id", "")),
        title=str(item.get("title", "")),
        link=str(item.get("url", "")),
        summary=str(item.get("summary", "")),
        content=str(item.get("content_html") or item.get("content_text") or ""),
        published=parse_date(str(item.get("date_published", ""))),
        authors=tuple(str(a.get("name", "")) for a in authors if isinstance(a, dict) and a.get("name")),
        image=ItemImage(image) if isinstance(image, str) and image else None,
        size=len(json.dumps(item, ensure_ascii=False).encode()),
    )
