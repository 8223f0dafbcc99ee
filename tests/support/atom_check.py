"""An RFC 4287 (Atom 1.0) conformance check: `atom_violations(data)` lists what a document breaks.

It covers the MUSTs a feed generator can get wrong: element cardinality of feed and entry, authors,
content or alternate link, absolute IRIs as ids, RFC 3339 dates, escaped html text constructs, and
unique alternate links per type and hreflang. An empty list means no violation was found.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from lxml import etree

from tests.support.xpath import itertext

ATOM = "http://www.w3.org/2005/Atom"
XHTML = "http://www.w3.org/1999/xhtml"
A = f"{{{ATOM}}}"

# RFC 3339 section 5.6 date-time, with the upper-case T and Z that RFC 4287 section 3.3 requires.
RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?P<zone>Z|[+-]\d{2}:\d{2})"
)
# RFC 3987: an absolute IRI starts with a scheme; no white space anywhere.
ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+")
TEXT_CONSTRUCTS = ("title", "subtitle", "summary", "rights")
FEED_AT_MOST_ONE = ("generator", "icon", "logo", "rights", "subtitle")
ENTRY_AT_MOST_ONE = ("content", "published", "rights", "source", "summary")


def is_rfc3339(value: str) -> bool:
    """Whether `value` is an RFC 3339 date-time that names a real instant."""
    match = RFC3339.fullmatch(value)
    if match is None:
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return element.findall(A + name)


def _text(element: etree._Element) -> str:
    return "".join(itertext(element))


def _check_text_construct(element: etree._Element, where: str, out: list[str]) -> None:
    kind = element.get("type", "text")
    if kind not in ("text", "html", "xhtml"):
        out.append(f"{where}: type must be text, html or xhtml, not {kind!r}")
    elif kind in ("text", "html") and len(element):
        out.append(f"{where}: type={kind} must hold escaped text, not child elements")
    elif kind == "xhtml":
        divs = element.findall(f"{{{XHTML}}}div")
        if len(element) != 1 or len(divs) != 1:
            out.append(f"{where}: type=xhtml must hold exactly one xhtml:div")


def _check_content(element: etree._Element, where: str, out: list[str]) -> None:
    kind = element.get("type", "text")
    if element.get("src") is not None:
        if _text(element).strip() or len(element):
            out.append(f"{where}: content with src must be empty")
        return
    if kind in ("text", "html") and len(element):
        out.append(f"{where}: content type={kind} must hold escaped text, not child elements")
    elif kind == "xhtml":
        divs = element.findall(f"{{{XHTML}}}div")
        if len(element) != 1 or len(divs) != 1:
            out.append(f"{where}: content type=xhtml must hold exactly one xhtml:div")


def _check_common(element: etree._Element, where: str, out: list[str]) -> None:
    """id, title, updated exactly once; text constructs, dates, links, categories, persons."""
    for name in ("id", "title", "updated"):
        count = len(_children(element, name))
        if count != 1:
            out.append(f"{where}: must have exactly one atom:{name}, has {count}")
    for node in _children(element, "id"):
        value = (node.text or "").strip()
        if value != (node.text or "") or not ABSOLUTE_IRI.fullmatch(value):
            out.append(f"{where}: atom:id {node.text!r} is not an absolute IRI")
    for name in ("updated", "published"):
        for node in _children(element, name):
            if not is_rfc3339(node.text or ""):
                out.append(f"{where}: atom:{name} {node.text!r} is not an RFC 3339 date-time")
    for name in TEXT_CONSTRUCTS:
        for node in _children(element, name):
            _check_text_construct(node, f"{where}/{name}", out)
    alternates: Counter[tuple[str, str]] = Counter()
    for link in _children(element, "link"):
        if not link.get("href"):
            out.append(f"{where}: atom:link without href")
        if link.get("rel", "alternate") == "alternate":
            alternates[(link.get("type", ""), link.get("hreflang", ""))] += 1
        length = link.get("length")
        if length is not None and not length.isdigit():
            out.append(f"{where}: atom:link length {length!r} is not a number of octets")
    for (kind, lang), count in alternates.items():
        if count > 1:
            out.append(f"{where}: {count} alternate links with type={kind!r} hreflang={lang!r}")
    for category in _children(element, "category"):
        if not category.get("term"):
            out.append(f"{where}: atom:category without term")
    for name in ("author", "contributor"):
        for person in _children(element, name):
            if len(_children(person, "name")) != 1:
                out.append(f"{where}: atom:{name} must have exactly one atom:name")


def atom_violations(data: bytes) -> list[str]:
    """Every RFC 4287 rule the Atom document `data` breaks (that this check knows)."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    if root.tag != A + "feed":
        return [f"root element is {root.tag}, not atom:feed"]
    out: list[str] = []
    _check_common(root, "feed", out)
    for name in FEED_AT_MOST_ONE:
        count = len(_children(root, name))
        if count > 1:
            out.append(f"feed: at most one atom:{name}, has {count}")
    feed_has_author = bool(_children(root, "author"))
    for index, entry in enumerate(_children(root, "entry")):
        ids = _children(entry, "id")
        where = f"entry[{index}]" + (f" {ids[0].text}" if ids else "")
        _check_common(entry, where, out)
        for name in ENTRY_AT_MOST_ONE:
            count = len(_children(entry, name))
            if count > 1:
                out.append(f"{where}: at most one atom:{name}, has {count}")
        source = entry.find(A + "source")
        if not (feed_has_author or _children(entry, "author") or (
            source is not None and _children(source, "author"))):  # fmt: skip
            out.append(f"{where}: no atom:author in the entry and none in the feed")
        contents = _children(entry, "content")
        alternates = [
            link for link in _children(entry, "link") if link.get("rel", "alternate") == "alternate"
        ]
        if not contents and not alternates:
            out.append(f"{where}: needs atom:content or an alternate link")
        for content in contents:
            _check_content(content, f"{where}/content", out)
            if content.get("src") is not None and not _children(entry, "summary"):
                out.append(f"{where}: content with src needs an atom:summary")
    return out
