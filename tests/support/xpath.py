"""lxml results, typed: lxml-stubs gives every XPath result as the union of all that XPath can return,
an element's text as `str | bytes` (lxml yields str) and an error log as not iterable."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

from lxml import etree


def texts(node: etree._Element, path: str, namespaces: Mapping[str, str] | None = None) -> list[str]:
    """The strings an XPath selects (`text()`, `@attribute`), in document order."""
    result = node.xpath(path, namespaces=namespaces or {})
    assert isinstance(result, list) and all(isinstance(item, str) for item in result), result
    return [item for item in result if isinstance(item, str)]


def elements(
    node: etree._Element, path: str, namespaces: Mapping[str, str] | None = None
) -> list[etree._Element]:
    """The elements an XPath selects, in document order."""
    result = node.xpath(path, namespaces=namespaces or {})
    assert isinstance(result, list) and all(isinstance(item, etree._Element) for item in result), result
    return [item for item in result if isinstance(item, etree._Element)]


def itertext(element: etree._Element) -> Iterator[str]:
    """`element.itertext()`, which yields str."""
    return cast("Iterator[str]", element.itertext())


def attributes(element: etree._Element) -> dict[str, str]:
    """An element's attributes as a dict (lxml-stubs' `_Attrib` is no Mapping)."""
    return {str(name): str(value) for name, value in element.items()}


def log_messages(log: etree._ErrorLog) -> list[str]:
    """The messages of a validator's error log, in order."""
    return [entry.message for entry in cast("Iterable[Any]", log)]
