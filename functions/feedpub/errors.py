"""The one exception type an editor ever sees for a bad article."""

from __future__ import annotations

from dataclasses import dataclass

from feedpub.text import strip_illegal


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an article: the field it concerns and a sentence saying how to fix it."""

    field: str
    message: str

    def __post_init__(self) -> None:
        # Field names and quoted values come from the article itself; keep reports encodable.
        object.__setattr__(self, "field", strip_illegal(self.field))
        object.__setattr__(self, "message", strip_illegal(self.message))

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        """The JSON shape used in reports."""
        return {"field": self.field, "message": self.message}


class ArticleError(Exception):
    """An article that cannot be published, with every problem found in it.

    All problems are collected before raising so that an editor fixes an article in one round trip.
    """

    def __init__(self, path: str, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("ArticleError needs at least one problem")
        self.path = path
        self.problems = list(problems)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        lines = [f"{self.path}: {len(self.problems)} problem(s)"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of a report object."""
        return {"path": self.path, "problems": [p.to_dict() for p in self.problems]}
