"""Issue 16 target 4: the Markdown parser, before (markdown-it-py) and after (pyromark), with cmarkgfm.

    .venv/bin/python -m benchmarks.markdown [--smoke]

Speed on typical articles and on hostile inputs, and every difference the swap makes to the
sanitized HTML of the fixture corpus and the examples. The method is in the notes.
"""

from __future__ import annotations

import difflib
import random
import statistics
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.news import body
from benchmarks.report import Benchmark, cli

ROOT = Path(__file__).resolve().parent.parent
Renderer = Callable[[str], str]


def renderers() -> dict[str, Renderer]:
    """Each installed candidate, configured as feedpub needs: CommonMark, raw HTML passed on to
    the sanitizer, tables and strikethrough."""
    from feedpub.sanitize import markdown_to_html

    found: dict[str, Renderer] = {}
    try:
        from markdown_it import MarkdownIt

        parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
        found["markdown-it-py (before)"] = parser.render
    except ImportError:
        pass
    found["pyromark (after)"] = markdown_to_html
    try:
        from cmarkgfm.cmark import Options, markdown_to_html_with_extensions

        def cmark(text: str) -> str:
            html: str = markdown_to_html_with_extensions(
                text, Options.CMARK_OPT_UNSAFE, ["table", "strikethrough"]
            )
            return html

        found["cmarkgfm"] = cmark
    except ImportError:
        pass
    return found


PACKAGES = {
    "markdown-it-py (before)": "markdown-it-py",
    "pyromark (after)": "pyromark",
    "cmarkgfm": "cmarkgfm",
}


def hostile_inputs(scale: float) -> dict[str, str]:
    """Bodies that made markdown-it-py superlinear, at the 100,000-character body limit (or past
    it, where the old limits were the only defence)."""

    def n(count: int) -> int:
        return max(10, int(count * scale))

    return {
        "100,000 '['": "[" * n(100_000) + "x",
        "50,000 '!['": "![" * n(50_000),
        "33,000 '*a_' (unmatched emphasis)": "*a_" * n(33_000),
        "50,000 '[' then 50,000 '](b)'": "[" * n(25_000) + "a" + "](b)" * n(18_000),
        "3,000 reference links and uses": "".join(f"[r{i}]\n" for i in range(n(3_000)))
        + "".join(f"[r{i}]: https://e.example/{i}\n" for i in range(n(3_000))),
        "99,000 '<'": "<" * n(99_000),
        "50,000 '`a'": "`a" * n(50_000),
        "33,000 '~~a'": "~~a" * n(33_000),
        "a table of 1,000 columns, 50 rows": "|" + "a|" * n(1_000) + "\n|" + "-|" * n(1_000) + "\n"
        + ("|" + "x|" * n(1_000) + "\n") * 50,
        "5,000 list items, 40 deep": "".join("  " * (i % 40) + "- x\n" for i in range(n(5_000))),
    }  # fmt: skip


def corpus() -> list[tuple[str, str, bytes]]:
    """(name, key, bytes) of every Markdown fixture and example article."""
    files = []
    for base, kinds in (
        (ROOT / "tests/fixtures/articles", ("good", "bad")),
        (ROOT / "examples", ("articles",)),
    ):
        for kind in kinds:
            for path in sorted((base / kind).rglob("*.md")):
                key = "articles/" + "/".join(path.relative_to(base / kind).parts[-2:])
                files.append((path.relative_to(ROOT).as_posix(), key, path.read_bytes()))
    return files


CONSTRUCTS = {
    "table": "| a | b |\n|---|:-:|\n| 1 | 2 |",
    "strikethrough": "~~gone~~ and ~one~",
    "javascript link": "[x](javascript:alert(1))",
    "autolink": "<https://example.com/a>",
    "hard break": "a  \nb",
    "entities": "&copy; &#169; &bogus;",
    "inline HTML": "a <b>bold</b> <span>x</span>",
    "emphasis": "***a*** _b_ *c*",
    "link with title": '[a](https://e.example/x "T")',
    "image": "![alt *text*](https://e.example/i.png)",
    "footnote syntax": "a[^1]\n\n[^1]: b",
    "code": "```py\nx < 1\n```",
}
"""Small snippets of each construct feedpub's articles use, to show where the two parsers differ
(sanitized, as a feed gets them)."""


def construct_differences(before: Renderer, after: Renderer) -> list[str]:
    from feedpub.sanitize import sanitize_html

    lines = []
    for name, text in CONSTRUCTS.items():
        old, new = (sanitize_html(render(text), "https://e.example/a/") for render in (before, after))
        if old != new:
            lines.append(f"{name}: `{old}` → `{new}`".replace("\n", "⏎"))
    return lines


def per_article_ms(render: Renderer, texts: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        for text in texts:
            render(text)
        times.append((time.perf_counter() - started) / len(texts))
    return statistics.median(times) * 1000


def html_differences(before: Renderer) -> tuple[int, list[str]]:
    """How many corpus articles' sanitized bodies differ, and one line per difference."""
    import feedpub.sanitize
    from feedpub.article import parse_article
    from feedpub.config import SiteConfig
    from feedpub.errors import ArticleError

    config = SiteConfig.from_toml(ROOT / "examples/feedpub.toml")
    after = feedpub.sanitize.markdown_to_html
    compared, lines = 0, []
    for name, key, data in corpus():
        outcomes = []
        for render in (before, after):
            vars(feedpub.sanitize)["markdown_to_html"] = render  # parse_article looks it up at each call
            try:
                outcomes.append(parse_article(key, data, config).body_html)
            except ArticleError as error:
                outcomes.append(f"rejected: {'; '.join(map(str, error.problems))}")
            finally:
                vars(feedpub.sanitize)["markdown_to_html"] = after
        compared += 1
        if outcomes[0] != outcomes[1]:
            diff = [
                line for line in difflib.unified_diff(outcomes[0].splitlines(), outcomes[1].splitlines(), n=0)
                if line[:1] in "+-" and line[:3] not in ("---", "+++")
            ]  # fmt: skip
            shown = " / ".join(f"`{line[:90]}`" for line in diff[:4])
            lines.append(f"{name}: {shown}" + (f" (+{len(diff) - 4} lines)" if len(diff) > 4 else ""))
    return compared, lines


def run_benchmark(smoke: bool) -> Benchmark:
    """Parser speed (typical and hostile) and the HTML the swap changes."""
    scale, count, repeat = (0.01, 20, 1) if smoke else (1.0, 300, 5)
    found = renderers()
    rng = random.Random(16)
    stories = [body(rng, 12) for _ in range(count)]
    before_name, after_name = "markdown-it-py (before)", "pyromark (after)"
    rows: list[list[Any]] = []
    typical = {name: per_article_ms(render, stories, repeat) for name, render in found.items()}
    rows.append(["typical story (~4.4 KB, 12 paragraphs), ms per article", *typical.values()])
    hostile: dict[str, dict[str, float]] = {}
    for label, text in hostile_inputs(scale).items():
        hostile[label] = {name: per_article_ms(render, [text], 1) for name, render in found.items()}
        rows.append([f"{label}, ms", *hostile[label].values()])
    slowest = {name: max(times[name] for times in hostile.values()) for name in found}
    compared, differences = (
        html_differences(found["markdown-it-py (before)"]) if "markdown-it-py (before)" in found else (0, [])
    )
    constructs = construct_differences(found[before_name], found[after_name]) if before_name in found else []
    versions = ", ".join(f"{name.split(' ')[0]} {metadata.version(PACKAGES[name])}" for name in found)
    after, before = "pyromark (after)", "markdown-it-py (before)"
    summary = (
        f"pyromark {typical[after]:.3f} ms per typical article"
        + (
            f" ({typical[before] / typical[after]:.0f} x faster than markdown-it-py)"
            if before in typical
            else ""
        )
        + f"; slowest hostile input {slowest[after]:.0f} ms"
        + (f" (markdown-it-py {slowest[before]:,.0f} ms)" if before in slowest else "")
        + f"; {len(differences)} of {compared} corpus articles' HTML differs"
    )
    notes = [
        f"Versions: {versions}. Each parser renders the same text (CommonMark, raw HTML on, tables "
        "and strikethrough) in this process; typical: generated news bodies (benchmarks/news.py), "
        f"median of {repeat} passes; hostile: one run each.",
        "**HTML differences** after sanitizing (nh3, unchanged), every Markdown file of "
        "tests/fixtures/articles and examples/ parsed with each parser: "
        + ("none." if not differences else "; ".join(differences))
        + " (markdown-it-py refuses a javascript: link and leaves its Markdown as text; pulldown-cmark "
        "writes the link and the sanitizer drops the href.)",
        "**By construct** (before → after, sanitized): "
        + ("; ".join(constructs) if constructs else "no differences")
        + ". Footnotes are not enabled in either (they never were; `[^1]` stays text).",
    ]
    return Benchmark(
        number=0,
        title="The Markdown parser (issue 16, target 4)",
        target="linear on hostile input, faster than markdown-it-py; HTML differences shown",
        met=None
        if smoke
        else before in slowest and slowest[after] < 100 and typical[after] < typical[before],
        columns=["input", *found],
        rows=rows,
        summary=summary,
        notes=notes,
        extra={
            "typical_ms": typical,
            "slowest_ms": slowest,
            "differences": differences,
            "compared": compared,
        },
    )


def main() -> None:
    cli(run_benchmark, __doc__, "1% sizes, one pass")


if __name__ == "__main__":
    main()
