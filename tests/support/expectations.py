"""The `# expect:` convention of the fixture corpus (tests/fixtures/articles/README.md describes it).

A fixture states what must come out of it in its first lines, or in a `<name>.expect` sidecar when
its bytes cannot carry a comment. Each expectation line is one or more checks `key OP value`:

- `=` equals, `~` contains, `!~` does not contain (for a list: is / is not an element);
- `value` is a JSON string `"..."` (escapes such as `\\u202e` allowed), a literal `'...'`, a JSON
  array `[...]`, or a bare word (a JSON number/true/false/null if it parses as one, else text).

Good fixtures check attributes of the parsed Article (dotted: `image.url`); bad fixtures check the
`field` and `message` of one of the ArticleError's problems (all checks of a line on the same one).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

EXPECT_LINE = re.compile(r"^\s*#\s*expect:\s*(?P<body>.*?)\s*$")
TOKEN = re.compile(
    r"""\s*(?P<key>[A-Za-z_][\w.]*)\s*(?P<op>!~|~|=)\s*"""
    r"""(?P<value>"(?:\\.|[^"\\])*"|'[^']*'|\[[^\]]*\]|[^\s"'\[]\S*)"""
)
SIDECAR_SUFFIX = ".expect"


@dataclass(frozen=True)
class Check:
    """One `key OP value`."""

    key: str
    op: str
    value: Any

    def holds(self, actual: Any) -> bool:
        """Whether `actual` (already normalized) satisfies this check."""
        if self.op == "=":
            return bool(actual == self.value)
        if not isinstance(actual, str | list):
            return False
        found = self.value in actual
        return found if self.op == "~" else not found

    def __str__(self) -> str:
        return f"{self.key}{self.op}{self.value!r}"


@dataclass(frozen=True)
class Expectation:
    """One expectation line: every check must hold (on the same problem, for a bad fixture)."""

    line: str
    checks: tuple[Check, ...]


def _value(raw: str) -> Any:
    if raw.startswith("'"):
        return raw[1:-1]
    if raw.startswith(('"', "[")):
        return json.loads(raw)
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parse_expectation(body: str) -> Expectation:
    """Parse the text after `expect:`; raises ValueError on anything it cannot read."""
    checks = []
    position = 0
    while position < len(body):
        match = TOKEN.match(body, position)
        if match is None:
            if body[position:].strip():
                raise ValueError(f"cannot read expectation at {body[position:]!r}")
            break
        checks.append(Check(match["key"], match["op"], _value(match["value"])))
        position = match.end()
    if not checks:
        raise ValueError(f"empty expectation {body!r}")
    return Expectation(body, tuple(checks))


def _decode_for_comments(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def sidecar_path(path: Path) -> Path:
    """`<name>.expect` beside `<name>.<suffix>`."""
    return path.with_suffix(SIDECAR_SUFFIX)


def read_expectations(path: Path) -> list[Expectation]:
    """The expectations of one fixture: from its sidecar if it has one, else from its first lines."""
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        lines = [line for line in sidecar.read_text(encoding="utf-8").splitlines() if line.strip()]
        matches = [EXPECT_LINE.match(line) for line in lines]
        bad = [line for line, match in zip(lines, matches, strict=True) if match is None]
        if bad:
            raise ValueError(f"{sidecar}: not an expectation line: {bad[0]!r}")
        return [parse_expectation(m["body"]) for m in matches if m is not None]
    text = _decode_for_comments(path.read_bytes())
    if text is None:
        raise ValueError(f"{path}: cannot be read as text; give it a {SIDECAR_SUFFIX} sidecar")
    lines = text.splitlines()
    if lines and re.fullmatch(r"-{3,}\s*", lines[0]):
        lines = lines[1:]
    expectations = []
    for line in lines:
        match = EXPECT_LINE.match(line)
        if match is None:
            break
        expectations.append(parse_expectation(match["body"]))
    return expectations


def normalize(value: Any) -> Any:
    """Article values in the shape expectations are written in."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [normalize(v) for v in value]
    return value


def lookup(obj: Any, dotted: str) -> Any:
    """`image.url` of an Article; a missing step (e.g. no image) reads as None."""
    for name in dotted.split("."):
        if obj is None:
            return None
        obj = getattr(obj, name)
    return normalize(obj)
