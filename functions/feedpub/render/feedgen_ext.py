"""feedgen extensions that replace its broken parts (feedgen 1.0.0).

- Atom entry links: `FeedEntry.atom_entry` shadows its loop variable, so every link loses its
  rel/type/length and an enclosure becomes a second alternate link. `AtomLinksEntry` rewrites them.
- RSS atom:link: feedgen writes only `rel="self"` in RSS and drops every other rel, so a
  `rel="hub"` would vanish; `AtomHubs` writes the WebSub hub links beside the self link.
- media:content: feedgen's media extension wraps items in media:group and has no caption or credit;
  `MediaEntry` writes one media:content with media:description and media:credit, and the same image
  as the item's media:thumbnail (the tile Flipboard and SmartNews show).
- SmartFormat: feedgen knows nothing of SmartNews; `SmartFormat` writes the channel's snf:logo.
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
SNF_NS = "http://www.smartnews.be/snf"


class AtomLinks(BaseExtension):  # type: ignore[misc]
    """Feed-level half of the Atom link fix (feedgen needs one per extension)."""


class AtomLinksEntry(BaseEntryExtension):  # type: ignore[misc]
    """Holds an entry's links and writes them with every attribute kept."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def add(self, href: str, rel: str, type: str = "", length: int | None = None) -> None:
        """Queue a link for the Atom entry."""
        link = {"href": href, "rel": rel}
        if type:
            link["type"] = type
        if length:
            link["length"] = str(length)
        self.links.append(link)

    def extend_atom(self, entry: Any) -> Any:
        for old in entry.findall("link") + entry.findall(f"{{{ATOM_NS}}}link"):
            entry.remove(old)
        for link in self.links:
            xml_elem("link", entry, **link)
        return entry


class AtomHubs(BaseExtension):  # type: ignore[misc]
    """The RSS channel's `<atom:link rel="hub">` links (WebSub discovery), after its self link."""

    def __init__(self) -> None:
        self.hubs: list[str] = []

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        self_links = [link for link in channel.iter(f"{{{ATOM_NS}}}link") if link.get("rel") == "self"]
        position = channel.index(self_links[0]) + 1 if self_links else len(channel)
        for offset, hub in enumerate(self.hubs):
            link = xml_elem(f"{{{ATOM_NS}}}link", channel, href=hub, rel="hub")
            channel.insert(position + offset, link)  # beside the self link, where readers look
        return rss_feed


class NoEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """feedgen requires an entry half for every extension; this one writes nothing."""


class Media(BaseExtension):  # type: ignore[misc]
    """Declares the Media RSS namespace on the channel."""

    def extend_ns(self) -> dict[str, str]:
        return {"media": MEDIA_NS}


class MediaEntry(BaseEntryExtension):  # type: ignore[misc]
    """One lead image as media:content with its caption and credit."""

    def __init__(self) -> None:
        self.image: dict[str, Any] | None = None

    def set_image(self, **image: Any) -> None:
        """Set the item's image: url, type, width, height, caption, credit."""
        self.image = image

    def extend_rss(self, item: Any) -> Any:
        if not self.image:
            return item
        image = self.image
        attrs = {"url": image["url"], "type": image["type"], "medium": "image"}
        for name in ("width", "height"):
            if image.get(name):
                attrs[name] = str(image[name])
        content = xml_elem(f"{{{MEDIA_NS}}}content", item, **attrs)
        if image.get("caption"):
            description = xml_elem(f"{{{MEDIA_NS}}}description", content, type="plain")
            description.text = image["caption"]
        if image.get("credit"):
            credit = xml_elem(f"{{{MEDIA_NS}}}credit", content)
            credit.text = image["credit"]
        thumbnail = {name: value for name, value in attrs.items() if name in ("url", "width", "height")}
        xml_elem(f"{{{MEDIA_NS}}}thumbnail", item, **thumbnail)
        return item


class SmartFormat(BaseExtension):  # type: ignore[misc]
    """SmartNews's channel elements: the snf namespace and `<snf:logo><url>` (SmartFormat 2.x)."""

    def __init__(self) -> None:
        self.logo = ""

    def extend_ns(self) -> dict[str, str]:
        return {"snf": SNF_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        if not self.logo:
            return rss_feed  # the doctor's smartnews/logo blocker says what to set
        channel = rss_feed[0]
        items = channel.findall("item")
        logo = xml_elem(f"{{{SNF_NS}}}logo", channel)
        xml_elem("url", logo).text = self.logo
        channel.insert(channel.index(items[0]) if items else len(channel), logo)  # before the items
        return rss_feed
