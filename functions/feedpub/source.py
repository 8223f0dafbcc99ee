"""Article bytes to raw fields: decoding, front matter and JSON, each bounded against hostile input.

Nothing here knows what the fields mean; `article` validates them. Every failure is an
ArticleError naming the object, so one bad upload produces a report instead of a crash.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from feedpub.errors import ArticleError, Problem
from feedpub.text import strip_illegal

MAX_ARTICLE_BYTES = 2 * 1024 * 1024
"""Largest article object accepted; a long read is ~100 KB, so this only stops accidents."""
MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_NESTING = 20
SUFFIXES = (".md", ".markdown", ".json")


@dataclass(frozen=True, slots=True)
class RawArticle:
    """What an article file says, before validation."""

    fields: dict[str, Any]
    body_markdown: str | None
    body_html: str | None


def _no_timestamps() -> dict[Any, Any]:
    # Dates stay strings so that validation can quote them back and insist on a time zone.
    return {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader without aliases (no billion laughs), duplicate keys, deep nesting or timestamps."""

    yaml_implicit_resolvers = _no_timestamps()

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed in front matter; write the value out",
                problem_mark=mark,
            )
        self._depth += 1
        if self._depth > MAX_NESTING:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                problem=f"values are nested more than {MAX_NESTING} levels deep",
                problem_mark=mark,
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict | set):
                raise yaml.MarkedYAMLError(
                    problem="field names must be plain text, not lists or mappings",
                    problem_mark=key_node.start_mark,
                )
            if isinstance(key, str) and key in seen:
                raise yaml.MarkedYAMLError(
                    problem=f"the key {key!r} appears twice; keep one",
                    problem_mark=key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _BoundedYAMLHandler(YAMLHandler):
    def load(self, fm: str, **kwargs: Any) -> Any:
        return yaml.load(fm, Loader=_BoundedLoader)  # noqa: S506 - the loader derives from SafeLoader


def decode_text(path: str, data: bytes) -> str:
    """Bytes to text: UTF-8 (a BOM is fine), or UTF-16 when it says so with a BOM.

    Line ends become \n, and characters XML forbids are removed here, once, so that neither the
    YAML reader nor a feed ever sees them.
    """
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise ArticleError(path, [Problem("file", "the file is empty; write the article into it")])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _normalize(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise ArticleError(
                path, [Problem("file", "the file says it is UTF-16 but is not; save it as UTF-8")]
            ) from None
    try:
        return _normalize(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        kind = "binary data, not text" if data.count(b"\x00") > 8 else "not valid UTF-8"
        raise ArticleError(
            path,
            [Problem("file", f"the file is {kind} (byte {exc.start}); save the article as UTF-8")],
        ) from None


def _normalize(text: str) -> str:
    return strip_illegal(text.replace("\r\n", "\n").replace("\r", "\n"))


def _json_object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice; keep one")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _nesting_depth(text: str) -> int:
    depth = deepest = 0
    for char in re.sub(r'"(?:\\.|[^"\\])*"', "", text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _load_json(path: str, text: str) -> RawArticle:
    if _nesting_depth(text) > MAX_NESTING:
        raise ArticleError(path, [Problem("file", f"the JSON is nested more than {MAX_NESTING} levels deep")])
    try:
        data = json.loads(
            text,
            object_pairs_hook=_json_object_without_duplicates,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as exc:
        raise ArticleError(
            path, [Problem("file", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")]
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ArticleError(path, [Problem("file", f"invalid JSON: {exc}")]) from None
    if not isinstance(data, dict):
        raise ArticleError(path, [Problem("file", "a JSON article must be one object {...}")])
    body = data.pop("body", None)
    body_html = data.pop("body_html", None)
    problems = []
    if body is not None and body_html is not None:
        problems.append(Problem("body", "give either body (Markdown) or body_html, not both"))
    for name, value in (("body", body), ("body_html", body_html)):
        if value is not None and not isinstance(value, str):
            problems.append(Problem(name, f"must be a string, not {type(value).__name__}"))
    if problems:
        raise ArticleError(path, problems)
    return RawArticle(data, body, body_html)


def _load_markdown(path: str, text: str) -> RawArticle:
    if not re.match(r"-{3,}[ \t]*\r?\n", text):
        raise ArticleError(
            path,
            [
                Problem(
                    "front matter",
                    "the file must start with a '---' line, then the fields "
                    "(title, published, ...), then another '---' line, then the body",
                )
            ],
        )
    head = text[: MAX_FRONT_MATTER_BYTES + 8]
    if len(re.findall(r"^-{3,}[ \t]*$", head, re.MULTILINE)) < 2:
        raise ArticleError(
            path,
            [
                Problem(
                    "front matter",
                    "no closing '---' line within the first "
                    f"{MAX_FRONT_MATTER_BYTES // 1024} KB; close the fields with a '---' line",
                )
            ],
        )
    try:
        fields, body = frontmatter.parse(text, handler=_BoundedYAMLHandler())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = exc.problem or str(exc)
        raise ArticleError(path, [Problem("front matter", f"{problem}{where}")]) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise ArticleError(path, [Problem("front matter", f"invalid YAML: {exc}")]) from None
    if not isinstance(fields, dict):
        raise ArticleError(path, [Problem("front matter", "the fields must be `name: value` lines")])
    return RawArticle(dict(fields), body, None)


def load_raw_article(path: str, data: bytes) -> RawArticle:
    """Decode and split one article file; `path` decides the format by its suffix."""
    if len(data) > MAX_ARTICLE_BYTES:
        raise ArticleError(
            path,
            [
                Problem(
                    "file",
                    f"the file is {len(data) / 1048576:.1f} MB; articles may be at most "
                    f"{MAX_ARTICLE_BYTES // 1048576} MB (put large media elsewhere and link it)",
                )
            ],
        )
    lowered = path.lower()
    if not lowered.endswith(SUFFIXES):
        raise ArticleError(path, [Problem("file", "an article must be a .md (Markdown) or .json file")])
    text = decode_text(path, data)
    if lowered.endswith(".json"):
        return _load_json(path, text)
    return _load_markdown(path, text)
