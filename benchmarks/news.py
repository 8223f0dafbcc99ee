"""Generated news articles with everything a real one carries, for the render and hostile benchmarks.

Each article has a headline, a lead image with caption and credit, a dateline, body paragraphs with
quotes and a crosshead, a section, authors and tags. All text is assembled from word lists here;
nothing is copied from a real story.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

SECTIONS = {"world": "World", "national": "National", "business": "Business", "sport": "Sport"}
PLACES = ["PORT ELLIS", "CARROW", "NEW HALDEN", "BRISK BAY", "ASHMOOR", "LINDQVIST", "SAINT OREL"]
PEOPLE = ["Mara Okafor", "Tomas Brandt", "Ilse Vantongeren", "Nguyễn Thị Lan", "Rafael Duarte",
          "Priya Raman", "Owen Fairlie", "Sakura Endo", "Aleksander Wolny", "Hannah Quist"]  # fmt: skip
ROLES = ["the harbour master", "a council spokesperson", "the transport minister", "a union organiser",
         "the league's chief executive", "an economist at Carrow University",
         "the port authority"]  # fmt: skip
NOUNS = ["harbour", "council", "ferry", "budget", "market", "tariff", "storm", "coastline", "inquiry",
         "union", "league", "final", "election", "court", "ruling", "dockyard", "bridge", "rail line",
         "fishing fleet", "water supply", "hospital", "school board", "airport", "grain exports"]  # fmt: skip
VERBS = ["reopened", "delayed", "approved", "rejected", "expanded", "suspended", "reviewed", "cut",
         "raised", "defended", "questioned", "restored", "blocked", "funded"]  # fmt: skip
ADJECTIVES = ["new", "long-awaited", "disputed", "emergency", "regional", "record", "temporary",
              "cross-border", "delayed", "costly", "quiet", "sweeping"]  # fmt: skip
FILLER = ["after", "despite", "because of", "ahead of", "following", "amid"]


def _clause(rng: random.Random) -> str:
    return (
        f"the {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} was {rng.choice(VERBS)} "
        f"{rng.choice(FILLER)} the {rng.choice(NOUNS)} {rng.choice(['talks', 'report', 'vote', 'review'])}"
    )


def _sentence(rng: random.Random) -> str:
    text = _clause(rng)
    if rng.random() < 0.5:
        text += f", while {_clause(rng)}"
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def _quote(rng: random.Random) -> str:
    who, role = rng.choice(PEOPLE), rng.choice(ROLES)
    said = rng.choice([f"said {who}, {role}", f"{who}, {role}, told reporters", f"added {who}"])
    return f"“{_paragraph(rng, 2)[:-1]},” {said}."


def headline(rng: random.Random) -> str:
    noun, verb = rng.choice(NOUNS), rng.choice(VERBS)
    return f"{noun[0].upper()}{noun[1:]} {verb} as {rng.choice(NOUNS)} {rng.choice(['talks', 'vote'])} stall"


def body(rng: random.Random, paragraphs: int) -> str:
    """A Markdown story: dateline lead, quotes, a crosshead, a pull quote and a link."""
    parts = [f"**{rng.choice(PLACES)}** — {_paragraph(rng, 3)}", _quote(rng)]
    for n in range(paragraphs):
        if n == paragraphs // 2:
            parts.append(f"## {headline(rng)}")
            parts.append(f"> {_paragraph(rng, 1)}")
        parts.append(_quote(rng) if n % 3 == 1 else _paragraph(rng, rng.randint(2, 5)))
    parts.append(f"Read the [full report](https://www.example.com/reports/{rng.randrange(10**6)}).")
    return "\n\n".join(parts)


def article_markdown(n: int, seed: int = 11, paragraphs: int = 12) -> tuple[str, bytes]:
    """The bucket key and bytes of generated article `n` (deterministic for a seed)."""
    rng = random.Random(seed * 1_000_003 + n)
    section = list(SECTIONS)[n % len(SECTIONS)]
    published = datetime(2026, 1, 5, 6, 0, tzinfo=UTC) + timedelta(minutes=41 * n)
    updated = published + timedelta(minutes=rng.randint(5, 300))
    authors = sorted(rng.sample(PEOPLE, rng.randint(1, 2)))
    tags = rng.sample([w.replace(" ", "-") for w in NOUNS], 3)
    front = [
        f'title: "{headline(rng)}"',
        f'published: "{published.isoformat()}"',
        f'updated: "{updated.isoformat()}"',
        f"authors: [{', '.join(authors)}]",
        f"tags: [{', '.join(tags)}]",
        "image:",
        f"  url: https://images.example.com/{section}/{n:06d}.jpg",
        f'  caption: "{_sentence(rng)}"',
        f"  credit: {rng.choice(PEOPLE)} / Harbour Herald",
        "  width: 1600",
        "  height: 900",
        f"  length: {rng.randint(90_000, 400_000)}",
    ]
    text = "---\n" + "\n".join(front) + "\n---\n" + body(rng, paragraphs) + "\n"
    return f"articles/{section}/story-{n:06d}.md", text.encode("utf-8")
