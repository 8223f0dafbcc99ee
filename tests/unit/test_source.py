"""feedpub.source: bytes to raw fields; decoding, front matter and JSON, bounded against hostile input."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from feedpub import source
from feedpub.errors import ArticleError
from feedpub.source import (
    MAX_ARTICLE_BYTES,
    MAX_FRONT_MATTER_BYTES,
    MAX_NESTING,
    RawArticle,
    decode_text,
    load_raw_article,
)
from tests.support.paths import FIXTURES

FRONT = b'---\ntitle: Harbour reopens\npublished: "2026-11-20T08:00:00+07:00"\n---\n\nThe body.\n'


def problems(path: str, data: bytes) -> list[tuple[str, str]]:
    with pytest.raises(ArticleError) as caught:
        load_raw_article(path, data)
    assert caught.value.path == path
    return [(p.field, p.message) for p in caught.value.problems]


def only_problem(path: str, data: bytes) -> tuple[str, str]:
    found = problems(path, data)
    assert len(found) == 1, found
    return found[0]


# --- decoding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"plain", "plain"),
        (b"\xef\xbb\xbfwith bom", "with bom"),
        ("utf-16 le é".encode("utf-16-le").join([b"\xff\xfe", b""]), "utf-16 le é"),
        (b"\xfe\xff" + "utf-16 be ✓".encode("utf-16-be"), "utf-16 be ✓"),
        ("Nguyễn 🌊".encode(), "Nguyễn 🌊"),
    ],
)
def test_decode_text(data: bytes, text: str) -> None:
    assert decode_text("a.md", data) == text


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "the file is empty"),
        (b" \r\n\t ", "the file is empty"),
        (b"caf\xe9", "not valid UTF-8 (byte 3)"),
        (b"\x00" * 9 + b"\xff", "binary data, not text"),
        (b"\xff\xfe\x00", "says it is UTF-16 but is not"),
        (b"\xff\xfe\x00\xd8", "says it is UTF-16 but is not"),  # a lone surrogate
    ],
)
def test_decode_text_failures_name_the_file(data: bytes, fragment: str) -> None:
    with pytest.raises(ArticleError) as caught:
        decode_text("articles/world/a.md", data)
    [problem] = caught.value.problems
    assert problem.field == "file"
    assert fragment in problem.message


# --- format by suffix and size ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a.md", "a.MD", "a.markdown", "A.Markdown"])
def test_markdown_suffixes(name: str) -> None:
    raw = load_raw_article(f"articles/world/{name}", FRONT)
    assert raw.fields["title"] == "Harbour reopens"
    assert raw.body_markdown is not None and raw.body_markdown.strip() == "The body."
    assert raw.body_html is None


@pytest.mark.parametrize("name", ["a.txt", "a.html", "a.md.bak", "a", ".md.swp", "a.yaml"])
def test_other_suffixes_are_refused(name: str) -> None:
    assert only_problem(f"articles/world/{name}", FRONT) == (
        "file",
        "an article must be a .md (Markdown) or .json file",
    )


def test_size_limit_is_checked_before_anything_else() -> None:
    field, message = only_problem("articles/world/a.txt", b"\xff" * (MAX_ARTICLE_BYTES + 1))
    assert field == "file"
    assert "2.0 MB" in message and "at most 2 MB" in message


def test_exactly_the_size_limit_is_accepted() -> None:
    body = b"x" * (MAX_ARTICLE_BYTES - len(FRONT))
    raw = load_raw_article("articles/world/a.md", FRONT + body)
    assert raw.body_markdown is not None and raw.body_markdown.endswith("x")


# --- front matter -------------------------------------------------------------------------------


def test_yaml_values_keep_their_types_but_dates_stay_strings() -> None:
    raw = load_raw_article(
        "articles/world/a.md",
        b"---\npublished: 2026-11-20T08:00:00+07:00\nday: 2026-11-20\nn: 5\nf: 1.5\nb: yes\nnothing: ~\n"
        b"tags: [a, b]\nimage: {url: x}\n---\nBody\n",
    )
    assert raw.fields == {
        "published": "2026-11-20T08:00:00+07:00",
        "day": "2026-11-20",
        "n": 5,
        "f": 1.5,
        "b": True,
        "nothing": None,
        "tags": ["a", "b"],
        "image": {"url": "x"},
    }


def test_front_matter_delimiters_may_carry_trailing_spaces_and_more_dashes() -> None:
    raw = load_raw_article("articles/world/a.md", b"---- \ntitle: x\n-----\t\nbody\n")
    assert raw.fields == {"title": "x"}
    assert raw.body_markdown == "body"


def test_only_the_first_two_delimiters_count() -> None:
    raw = load_raw_article("articles/world/a.md", b"---\ntitle: x\n---\nbody\n\n---\n\nmore\n")
    assert raw.fields == {"title": "x"}
    assert raw.body_markdown is not None and "more" in raw.body_markdown


def test_empty_front_matter_and_empty_body() -> None:
    raw = load_raw_article("articles/world/a.md", b"---\n---\n")
    assert raw == RawArticle({}, "", None)


def test_anchors_without_aliases_are_fine() -> None:
    raw = load_raw_article("articles/world/a.md", b"---\na: &x 1\nb: 2\n---\nx\n")
    assert raw.fields == {"a": 1, "b": 2}


@pytest.mark.parametrize(
    ("front", "fragment"),
    [
        ("a: &x 1\nb: *x", "aliases (*name) are not allowed"),
        ("<<: {a: 1}\nb: 2", "could not determine a constructor for the tag 'tag:yaml.org,2002:merge'"),
        ("a: !!python/object/apply:os.system ['false']", "could not determine a constructor"),
        ("a: !!python/name:os.system", "could not determine a constructor"),
        ("a: !!python/object:builtins.dict {}", "could not determine a constructor"),
        ("a: !custom x", "could not determine a constructor for the tag '!custom'"),
        ("title: a\ntitle: b", "the key 'title' appears twice; keep one (line 3, column 1)"),
        ("image:\n  url: a\n  url: b", "the key 'url' appears twice"),
        ("a: [1, 2", "expected ',' or ']'"),
        ("a: b: c", "mapping values are not allowed here"),
    ],
)
def test_front_matter_problems(front: str, fragment: str) -> None:
    field, message = only_problem("articles/world/a.md", f"---\n{front}\n---\nbody\n".encode())
    assert field == "front matter"
    assert fragment in message


def test_yaml_nesting_limit() -> None:
    shallow = "a: " + "[" * (MAX_NESTING - 2) + "]" * (MAX_NESTING - 2)
    assert load_raw_article("articles/world/a.md", f"---\n{shallow}\n---\nx\n".encode()).fields
    deep = "a: " + "[" * MAX_NESTING + "]" * MAX_NESTING
    field, message = only_problem("articles/world/a.md", f"---\n{deep}\n---\nx\n".encode())
    assert field == "front matter"
    assert f"values are nested more than {MAX_NESTING} levels deep (line 2," in message


@pytest.mark.parametrize(
    "nested",
    [
        "[" * 10000 + "]" * 10000,
        "{a: " * 5000 + "1" + "}" * 5000,
        "".join("\n" + "  " * (i + 1) + f"k{i}:" for i in range(100)) + " leaf",
    ],
    ids=["flow lists", "flow maps", "block maps"],
)
def test_yaml_deep_nesting_is_refused_without_recursion_error(nested: str) -> None:
    field, message = only_problem("articles/world/a.md", f"---\na: {nested}\n---\nx\n".encode())
    assert field == "front matter"
    assert "nested more than" in message


def test_yaml_alias_bomb_is_refused() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)]
    field, message = only_problem("articles/world/a.md", ("---\n" + "\n".join(lines) + "\n---\nx\n").encode())
    assert field == "front matter"
    assert "aliases" in message


def test_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    front = f"a: !!python/object/apply:os.system ['touch {marker}']"
    problems("articles/world/a.md", f"---\n{front}\n---\nx\n".encode())
    assert not marker.exists()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"no front matter\n", "must start with a '---' line"),
        (b"\n---\ntitle: x\n---\nbody", "must start with a '---' line"),
        (b"---title: x\n---\nbody", "must start with a '---' line"),
        (b"---\ntitle: x\nbody without a closing line\n", "no closing '---' line within the first 64 KB"),
    ],
)
def test_front_matter_framing(data: bytes, fragment: str) -> None:
    field, message = only_problem("articles/world/a.md", data)
    assert field == "front matter"
    assert fragment in message


def test_closing_delimiter_must_come_within_the_front_matter_limit() -> None:
    padding = "# padding\n" * (MAX_FRONT_MATTER_BYTES // 10 + 1)
    field, message = only_problem("articles/world/a.md", f"---\ntitle: x\n{padding}---\nbody\n".encode())
    assert (field, "no closing") == ("front matter", message[:10])


def test_crlf_line_endings_are_accepted() -> None:
    raw = load_raw_article("articles/world/a.md", FRONT.replace(b"\n", b"\r\n"))
    assert raw.fields["title"] == "Harbour reopens"


@pytest.mark.parametrize("key", ["[a, b]", "{x: 1}"])
def test_unhashable_yaml_key_is_an_article_error(key: str) -> None:
    field, _ = only_problem("articles/world/a.md", f"---\n? {key}\n: 1\n---\nbody\n".encode())
    assert field == "front matter"


# --- JSON ---------------------------------------------------------------------------------------


def test_json_article_splits_body() -> None:
    raw = load_raw_article(
        "articles/sport/a.json", json.dumps({"title": "T", "body": "Some *markdown*"}).encode()
    )
    assert raw == RawArticle({"title": "T"}, "Some *markdown*", None)
    raw = load_raw_article(
        "articles/sport/a.json", json.dumps({"title": "T", "body_html": "<p>x</p>"}).encode()
    )
    assert raw == RawArticle({"title": "T"}, None, "<p>x</p>")


def test_json_with_bom_and_utf16() -> None:
    document = {"title": "Café", "body": "x"}
    for data in (b"\xef\xbb\xbf" + json.dumps(document).encode(), json.dumps(document).encode("utf-16")):
        assert load_raw_article("articles/sport/a.json", data).fields == {"title": "Café"}


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        ('{"title": "a", "title": "b"}', "file", "the key 'title' appears twice"),
        ('{"image": {"url": "a", "url": "b"}}', "file", "the key 'url' appears twice"),
        ('{"a": NaN}', "file", "NaN is not a number JSON allows"),
        ('{"a": -Infinity}', "file", "-Infinity is not a number JSON allows"),
        ('{"a": }', "file", "invalid JSON at line 1, column 7"),
        ('{"a": 1} {"b": 2}', "file", "Extra data"),
        ("[1, 2]", "file", "must be one object"),
        ('"text"', "file", "must be one object"),
        ("null", "file", "must be one object"),
        (
            '{"body": "x", "body_html": "<p>y</p>"}',
            "body",
            "give either body (Markdown) or body_html, not both",
        ),
        ('{"body": 5}', "body", "must be a string, not int"),
        ('{"body_html": {"p": 1}}', "body_html", "must be a string, not dict"),
    ],
)
def test_json_problems(text: str, field: str, fragment: str) -> None:
    found = problems("articles/sport/a.json", text.encode())
    assert any(f == field and fragment in m for f, m in found), found


def test_json_nesting_limit_counts_containers_not_brackets_in_strings() -> None:
    inner = "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1)
    assert load_raw_article("articles/sport/a.json", f'{{"a": {inner}, "body": "x"}}'.encode())
    too_deep = "[" * MAX_NESTING + "]" * MAX_NESTING
    assert only_problem("articles/sport/a.json", f'{{"a": {too_deep}}}'.encode()) == (
        "file",
        f"the JSON is nested more than {MAX_NESTING} levels deep",
    )
    brackets = json.dumps({"title": "[" * 100 + '"{{{' + "\\", "body": "]" * 100})
    assert load_raw_article("articles/sport/a.json", brackets.encode()).fields["title"].startswith("[[[")


@pytest.mark.parametrize(
    "text",
    ["[" * 10000 + "]" * 10000, '{"a":' * 10000 + "1" + "}" * 10000, "[" * 100000],
    ids=["lists", "objects", "unclosed"],
)
def test_json_deep_nesting_is_refused_without_recursion_error(text: str) -> None:
    field, message = only_problem("articles/sport/a.json", text.encode())
    assert field == "file"
    assert "nested more than" in message


def test_json_lone_surrogate_escapes_reach_the_fields() -> None:
    raw = load_raw_article("articles/sport/a.json", b'{"title": "a\\ud800b", "body": "x"}')
    assert raw.fields["title"] == "a\ud800b"  # removed later, by validation


# --- the libyaml fast path ------------------------------------------------------------------------

FAST = pytest.mark.skipif(source._FastBoundedLoader is None, reason="PyYAML without libyaml")
FIXTURE_FRONTS = sorted(
    {
        path.read_bytes().decode("utf-8", "replace").split("---\n")[1]
        for path in (FIXTURES / "articles").rglob("*.md")
        if path.read_bytes().startswith(b"---\n") and path.read_bytes().count(b"---\n") >= 2
    }
)


def _outcome(loader: Any, text: str) -> tuple[str, str]:
    try:
        return "ok", repr(yaml.load(text, Loader=loader))
    except (yaml.YAMLError, RecursionError) as exc:
        return "error", str(exc)


@FAST
@pytest.mark.parametrize(
    ("front", "fragment"),
    [
        ("a: &x 1\nb: *x", "aliases (*name) are not allowed"),
        ("a: " + "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1), "nested more than"),
        ("a: " + "[" * 10000 + "]" * 10000, "nest"),  # libyaml's scanner refuses it first
        ("title: a\ntitle: b", "the key 'title' appears twice"),
        ("? [a]\n: 1", "field names must be plain text"),
        ("a: !!python/object/apply:os.system ['false']", "could not determine a constructor"),
        ("<<: {a: 1}\nb: 2", "could not determine a constructor"),
    ],
)
def test_the_libyaml_loader_enforces_every_bound_by_itself(front: str, fragment: str) -> None:
    # The same checks run on libyaml's events, not only in the pure-Python fallback.
    loader = source._FastBoundedLoader(front)
    with pytest.raises(yaml.YAMLError) as caught:
        loader.get_single_data()
    assert fragment in str(caught.value)


@FAST
def test_the_libyaml_loader_keeps_dates_as_strings() -> None:
    loader = source._FastBoundedLoader("a: 2026-11-20T08:00:00+07:00\nb: 2026-11-20\nc: 1.5\nd: yes\n")
    assert loader.get_single_data() == {
        "a": "2026-11-20T08:00:00+07:00",
        "b": "2026-11-20",
        "c": 1.5,
        "d": True,
    }


@FAST
@pytest.mark.parametrize("front", FIXTURE_FRONTS)
def test_libyaml_and_python_loaders_agree_on_the_fixtures(front: str) -> None:
    text = source._normalize(front)
    python = _outcome(source._BoundedLoader, text)
    assert _outcome(source._FastBoundedLoader, text)[0] in ("error", python[0])
    try:
        assert ("ok", repr(source.load_front_matter(text))) == python
    except (yaml.YAMLError, RecursionError) as exc:
        assert ("error", str(exc)) == python


@pytest.mark.parametrize(
    ("front", "fast"),
    [
        ("a: [x\ty]", False),
        ("a: [x?y]", False),
        ("a: {k?: v}", False),
        ("a: |#\n  x", False),
        ("a: 1\n\ufeffb: 2", False),
        ("a: ! 12\nb: !\n", False),
        ("url: https://x.example/a?b=1\ntitle: Will rates rise?\ntags: ['why?', b]", True),
    ],
    ids=[
        "tab",
        "question mark in a flow scalar",
        "in a flow key",
        "block header",
        "bom",
        "! tag",
        "question marks",
    ],
)
def test_what_libyaml_reads_differently_is_read_in_python(front: str, fast: bool) -> None:
    # libyaml accepts the first four, which PyYAML refuses, drops the BOM PyYAML keeps, and reads
    # `! 12` as text where PyYAML reads 12; a `?` outside [...] and {...}, or quoted, reads the same.
    python = _outcome(source._BoundedLoader, front)
    try:
        assert ("ok", repr(source.load_front_matter(front))) == python
    except yaml.YAMLError as exc:
        assert ("error", str(exc)) == python
    if source._FastBoundedLoader is not None:
        read_by_libyaml = (
            not source._LIBYAML_DIFFERS.search(front) and _outcome(source._FastBoundedLoader, front) == python
        )
        assert read_by_libyaml == fast


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("!!timestamp x", "'x' cannot be read as !!timestamp"),
        ("!!int abc", "'abc' cannot be read as !!int"),
        ("!!float abc", "'abc' cannot be read as !!float"),
        ("!!bool maybe", "'maybe' cannot be read as !!bool"),
        ("1" * 5000, "cannot be read as !!int"),  # past Python's int() digit limit
        ("!!set [a]", "expected a mapping node, but found sequence"),
        ("!!map [a]", "expected a mapping node, but found sequence"),
        ("!!float", "'' cannot be read as !!float"),
        ("0x" + "f" * 4000, "is too large a number"),  # str() of it would raise
    ],
)
def test_values_their_tag_cannot_hold_are_front_matter_problems(value: str, fragment: str) -> None:
    # PyYAML raises ValueError, KeyError, TypeError or AttributeError here; they were crashes.
    field, message = only_problem("articles/world/a.md", f"---\na: {value}\n---\nbody\n".encode())
    assert field == "front matter"
    assert fragment in message and "(line 2, column 4)" in message


def _reference_depth(text: str) -> int:
    """The nesting count as first written: strings removed by a regex, then a loop."""
    depth = deepest = 0
    for char in re.sub(r'"(?:\\.|[^"\\])*"', "", text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


@pytest.mark.parametrize(
    "text",
    ['{"a": [1, {"b": "]]]"}]}', '"unclosed [[', '"a\\"[" [', '"\\\n" [[', '"x\\', "]]] [[", '"é🌊" {[', ""],
)
def test_json_nesting_count_matches_the_reference(text: str) -> None:
    assert source._nesting_depth(text) == _reference_depth(text)


def test_json_with_a_million_unclosed_escapes_is_one_pass() -> None:
    # Each `"` starts a string that never closes; a backtracking scan would rescan the rest each time.
    field, message = only_problem("articles/sport/a.json", b'"\\' * 1_000_000)
    assert field == "file"
    assert message.startswith("invalid JSON at line 1")


# -- The simple front matter path (issue 16): `name: text` lines read without YAML ------------------

TRICKY = "aZ09 _-:#'\"\\\t{}[],&*!|>%@`?.~é日\u2028\u0085\ufeffyesNonullTrue"
LINES = st.tuples(
    st.sampled_from(["title", "yes", "on", "a_1", "null", "Title", "_x", "1a", "é"]),
    st.sampled_from([': "', ": ", ":  ", ":", ': "x" ']),
    st.text(alphabet=TRICKY, max_size=12),
    st.sampled_from(['"', "", " ", '" # c']),
).map("".join)


def reference(text: str) -> Any:
    try:
        return yaml.load(text, Loader=source._BoundedLoader)
    except (yaml.YAMLError, RecursionError) as exc:
        return type(exc)


@settings(max_examples=3000, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=4))
def test_simple_front_matter_reads_as_yaml_does(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    fast = source._simple_mapping(text)
    if fast is not None:
        assert fast == reference(text), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('title: "Storm, then calm"\npublished: "2026-11-20T08:00:00+07:00"\n', True),
        ("title: Storm warning\nsection: World\n", True),
        ("draft: yes\n", False),  # a bool: YAML decides
        ("title: x # a comment\n", False),
        ('title: "a \\" quote"\n', False),
        ("tags: [a, b]\n", False),
        ("title: a\ntitle: b\n", False),  # duplicate: the loader's message
    ],
)
def test_simple_front_matter_only_takes_plain_lines(text: str, expected: bool) -> None:
    fast = source._simple_mapping(text)
    assert (fast is not None) is expected
    if fast is not None:
        assert fast == reference(text)
