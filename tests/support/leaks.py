"""Every way a reader could see an output's text, for tests that prove a body never leaks into it."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from typing import Any

import lxml.html
from lxml import etree

from tests.support import xpath


def readings(key: str, content_type: str, body: bytes) -> Iterator[str]:
    """The file's text raw, parsed (CDATA, JSON strings, attribute values), and each of those with
    HTML/XML entities decoded up to three times (HTML content inside XML is escaped twice)."""
    text = body.decode("utf-8")
    found = [text]
    if "json" in content_type or key.endswith(".json"):
        found.append("\n".join(_strings(json.loads(text))))
    elif "html" in content_type or key.endswith(".html"):
        root = lxml.html.document_fromstring(text)
        values = (v for el in root.iter() for v in xpath.attributes(el).values())
        found.append("\n".join([*xpath.itertext(root), *values]))
    elif "xml" in content_type or key.endswith(".xml"):
        parser = etree.XMLParser(resolve_entities=False, no_network=True, strip_cdata=True)
        root = etree.fromstring(body, parser)
        attributes = (v for el in root.iter() if isinstance(el.tag, str) for v in el.attrib.values())
        found.append("\n".join([*xpath.itertext(root), *map(str, attributes)]))
    for reading in found:
        for _ in range(4):
            yield reading
            reading = html.unescape(reading)


def _strings(value: Any) -> Iterator[str]:
    """Every key and string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
