"""Article bytes to raw fields: decoding, front matter and JSON, each bounded against hostile input.

Nothing here knows what the fields mean; `article` validates them. Every failure is an
ArticleError naming the object, so one bad upload produces a report instead of a crash.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from array import array
from dataclasses import dataclass
from itertools import accumulate
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
MAX_INT_BITS = 14_000
"""Larger integers (hex or base 60 has no digit limit) have more decimal digits than str() writes."""
SUFFIXES = (".md", ".markdown", ".json")
_DASHES = re.compile(r"^-{3,}[ \t]*$", re.MULTILINE)


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


class _Bounds:
    """The checks both loaders share: no aliases (no billion laughs), no deep nesting, no duplicate
    or structured keys. They sit on the composer and constructor, which are Python in both."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]
            mark = self.peek_event().start_mark  # type: ignore[attr-defined]
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed in front matter; write the value out",
                problem_mark=mark,
            )
        self._depth += 1
        if self._depth > MAX_NESTING:
            mark = self.peek_event().start_mark  # type: ignore[attr-defined]
            raise yaml.MarkedYAMLError(
                problem=f"values are nested more than {MAX_NESTING} levels deep",
                problem_mark=mark,
            )
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        # PyYAML's constructors raise plain Python errors for values their tag cannot hold
        # (`!!int abc`, `!!timestamp x`, `!!float` of nothing, a 5,000-digit number): YAML errors.
        value = node.value if isinstance(node.value, str) else type(node.value).__name__
        try:
            data = super().construct_object(node, deep=deep)  # type: ignore[misc]
        except (ValueError, TypeError, LookupError, AttributeError) as exc:
            tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
            raise yaml.MarkedYAMLError(
                problem=f"{value[:40]!r} cannot be read as {tag} ({type(exc).__name__})",
                problem_mark=node.start_mark,
            ) from None
        if isinstance(data, int) and data.bit_length() > MAX_INT_BITS:  # 0x..., 1:2:3:...
            raise yaml.MarkedYAMLError(
                problem=f"{value[:40]!r}… is too large a number to be written out",
                problem_mark=node.start_mark,
            )
        return data

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if not isinstance(node, yaml.MappingNode):  # e.g. `!!set [a]`: PyYAML's own error
            return super().construct_mapping(node, deep=deep)  # type: ignore[misc]
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
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


class _BoundedLoader(_Bounds, yaml.SafeLoader):
    """SafeLoader without aliases, duplicate keys, deep nesting or timestamps, all in Python.

    The reference: whenever it and the fast loader disagree, or either finds a problem, this one
    decides, so an editor always reads the same message.
    """

    yaml_implicit_resolvers = _no_timestamps()


_FastBoundedLoader: Any = None
if yaml.__with_libyaml__:
    from yaml._yaml import CParser
    from yaml.composer import Composer
    from yaml.constructor import SafeConstructor
    from yaml.resolver import Resolver

    class _FastBoundedLoader(_Bounds, Composer, CParser, SafeConstructor, Resolver):  # type: ignore[no-redef]
        """The same loader with libyaml's scanner and parser (7x faster on front matter).

        Only reading characters into events is C: composing (aliases, depth), resolving
        (no timestamps) and constructing (safe tags, keys) are the Python classes above, so every
        bound is enforced by the same code. Composer precedes CParser so that its Python
        `compose_node`, not libyaml's, builds the nodes. Where libyaml's events say something
        PyYAML's would not (a `!` tag, a `?` in a plain scalar in [...] or {...}), it gives up and
        the Python loader reads the text; `_LIBYAML_DIFFERS` keeps the rest from it.
        """

        yaml_implicit_resolvers = _BoundedLoader.yaml_implicit_resolvers

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

        def compose_scalar_node(self, anchor: Any) -> Any:
            if getattr(self.peek_event(), "tag", None) == "!":
                raise _LibyamlDiffersError("libyaml resolves `! value` as text, PyYAML by its value")
            return super().compose_scalar_node(anchor)

        def get_single_data(self) -> Any:
            node = self.get_single_node()
            if node is None:
                return None
            if _has_flow_plain_question_mark(node):
                raise _LibyamlDiffersError("PyYAML ends a plain scalar at `?` inside [...] and {...}")
            return self.construct_document(node)


class _LibyamlDiffersError(yaml.YAMLError):
    """The fast loader read something PyYAML reads differently; the Python loader must decide."""


def _has_flow_plain_question_mark(root: Any) -> bool:
    """Whether a plain (unquoted) scalar inside a flow collection contains `?`, which libyaml keeps
    in the scalar and PyYAML's scanner treats as an indicator."""
    stack = [(root, False)]
    while stack:
        node, in_flow = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if in_flow and not node.style and "?" in node.value:
                return True
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, in_flow or bool(node.flow_style)) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            flow = in_flow or bool(node.flow_style)
            stack.extend((part, flow) for pair in node.value for part in pair)
    return False


_LIBYAML_DIFFERS = re.compile(r"[\t\ufeff]|[|>][-+0-9]*#")
"""What else libyaml reads differently from PyYAML's Python scanner (found by differential
fuzzing): tabs inside plain scalars and `|#` block headers, which PyYAML refuses, and a BOM after a
line break, which libyaml drops. Front matter containing any of them is read in Python only."""


_NOT_LITERAL = r'"\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff'
"""Inside a character class: a quote, a backslash, control characters, YAML's other line breaks
and a BOM."""
_SIMPLE_LINE = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*): "
    rf'(?:"([^{_NOT_LITERAL}]*)"|([A-Za-z](?:[^{_NOT_LITERAL}#:\'\s{{}}\[\],&*!|>%@`]| (?! *$))*))'
)
"""`name: "text"` or `name: Plain words`: a top-level line whose value YAML reads literally (no
escapes, comments, colons, indicators, tabs or line breaks inside)."""


def _plain_text(value: str) -> bool:
    """Whether YAML (our resolvers) reads this plain scalar as text, not a number, bool or null."""
    resolvers = _BoundedLoader.yaml_implicit_resolvers
    candidates = resolvers.get(value[0], []) + resolvers.get(None, [])
    return not any(regexp.match(value) for _, regexp in candidates)


def _simple_mapping(text: str) -> dict[str, str] | None:
    """Front matter of only `name: text` lines, read without a YAML parser (a quarter of a build's
    time went to YAML); None when anything else is there, and the YAML loader decides. The same
    result as the loader's, by construction and by a differential test (tests/unit/test_source.py)."""
    fields: dict[str, str] = {}
    for line in text.split("\n"):
        if not line:
            continue
        match = _SIMPLE_LINE.fullmatch(line)
        if match is None:
            return None
        key, quoted, plain = match.groups()
        if key in fields or not _plain_text(key) or (plain is not None and not _plain_text(plain)):
            return None
        fields[key] = quoted if quoted is not None else plain
    return fields or None


def load_front_matter(text: str) -> Any:
    """The front matter's YAML as Python values, bounded; raises yaml.YAMLError or RecursionError.

    The pure-Python loader is the reference. libyaml reads the front matter when available and it
    contains nothing libyaml reads differently; if that fails in any way, the Python loader reads it
    again, so every error message (and anything libyaml alone refuses) is the Python loader's.
    """
    if (simple := _simple_mapping(text)) is not None:
        return simple
    if _FastBoundedLoader is not None and not _LIBYAML_DIFFERS.search(text):
        with contextlib.suppress(Exception):  # the reference loader below decides, in its own words
            return _FastBoundedLoader(text).get_single_data()
    return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - the loader derives from SafeLoader


class _BoundedYAMLHandler(YAMLHandler):
    def load(self, fm: str, **kwargs: Any) -> Any:
        return load_front_matter(fm)


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


# A JSON string, or (group 1) a `"` whose string never closes. Possessive, and the second branch
# never fails, so an unclosed string is scanned twice and not once for every `"` inside it: 2 MB of
# `"\\` costs two passes instead of ~10^12 steps.
_JSON_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"|("[^"\\]*+(?:\\.[^"\\]*+)*+)')
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def _nesting_depth(text: str) -> int:
    """How deep containers nest, brackets inside strings not counted; linear time, in C loops.

    Strings are removed as `re.sub(r'"(?:\\.|[^"\\])*"', "", text)` would (an unclosed `"` is
    kept, and so is what follows it), then the deepest running count of `[{` minus `]}`.
    """
    outside = "".join(filter(None, _JSON_STRING.split(text)))
    steps = outside.encode("utf-8", "surrogatepass").translate(_BRACKET_STEPS, _NOT_BRACKETS)
    return max(0, max(accumulate(array("b", steps)), default=0))


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
    if len(list(itertools.islice(_DASHES.finditer(head), 2))) < 2:
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
