"""Write N realistic generated articles laid out like the bucket, for build/backfill benchmarks.

.venv/bin/python -m benchmarks.generate /tmp/big 10000
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

SECTIONS = ("world", "national", "business", "sport")
WORDS = [
    "harbour", "council", "minister", "talks", "strike", "ferry", "budget", "market", "rates",
    "league", "final", "storm", "coast", "inquiry", "report", "union", "port", "tariff", "growth",
    "season", "record", "vote", "election", "court", "ruling",
]  # fmt: skip


def paragraph(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def write(root: Path, count: int, seed: int = 7) -> None:
    """Create `count` Markdown articles under root/articles/<section>/."""
    rng = random.Random(seed)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for n in range(count):
        section = SECTIONS[n % len(SECTIONS)]
        published = start + timedelta(minutes=53 * n)
        folder = root / "articles" / section
        folder.mkdir(parents=True, exist_ok=True)
        body = "\n\n".join(
            [f"PORT ELLIS — {paragraph(rng, 30)}", f"“{paragraph(rng, 12)}” said a spokesperson."]
            + [paragraph(rng, rng.randint(25, 60)) for _ in range(rng.randint(4, 9))]
        )
        image = ""
        if n % 3 == 0:
            image = f"image:\n  url: https://images.example.com/{n}.jpg\n"
            image += f"  caption: {paragraph(rng, 8)}\n  credit: AFP\n"
        (folder / f"story-{n:06d}.md").write_text(
            f'---\ntitle: "{paragraph(rng, 8)}"\npublished: "{published.isoformat()}"\n'
            f"authors: [Desk {n % 17}]\ntags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]\n"
            f"{image}---\n{body}\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    write(Path(sys.argv[1]), int(sys.argv[2]))


def write_plain(root: Path, count: int, seed: int = 16) -> None:
    """Issue 16's input: `count` articles over 4 sections, 8 paragraphs of 60 words each, front
    matter of title, published and summary only (what a Hugo site can read as well)."""
    rng = random.Random(seed)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for n in range(count):
        folder = root / "articles" / SECTIONS[n % len(SECTIONS)]
        folder.mkdir(parents=True, exist_ok=True)
        published = start + timedelta(minutes=53 * n)
        body = "\n\n".join(paragraph(rng, 60) for _ in range(8))
        (folder / f"story-{n:06d}.md").write_text(
            f'---\ntitle: "{paragraph(rng, 8)}"\npublished: "{published.isoformat()}"\n'
            f'summary: "{paragraph(rng, 20)}"\n---\n{body}\n',
            encoding="utf-8",
        )
