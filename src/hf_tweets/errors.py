"""Every exception hf-tweets raises on purpose, each carrying its context.

The CLI turns an ``HfTweetsError`` into one line on stderr and exit code 1;
messages say what went wrong and what to do next.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class HfTweetsError(Exception):
    """Base class: an error the user can act on."""


@dataclass
class Problem:
    """One thing wrong with a record or card: where, and what to do."""

    where: str  # a field path such as "users[0].handle", or "" for the whole file
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class RecordError(HfTweetsError):
    """A card record that fails validation; names the file, the field and the fix."""

    def __init__(self, source: str | Path, problems: list[Problem]):
        self.source = str(source)
        self.problems = problems
        first = f"{self.source}: {problems[0]}"
        more = len(problems) - 1
        if more:
            first += f" (and {more} more problem{'s' if more > 1 else ''}: run hf-tweets card check {self.source})"
        super().__init__(first)

    def lines(self) -> list[str]:
        """One line per problem, each prefixed with the file."""
        return [f"{self.source}: {p}" for p in self.problems]


class RecordNotFoundError(HfTweetsError):
    """No record file for a name or path."""


class CardImportError(HfTweetsError):
    """A README that cannot be read into a record; says what was missing."""

    def __init__(self, source: str | Path, message: str):
        self.source = str(source)
        super().__init__(f"{self.source}: {message}")


class TemplateError(HfTweetsError):
    """A template that cannot be loaded or rendered."""


def redact(text: str, secrets: list[str]) -> str:
    """Replace every known secret in ``text`` with ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


class PublishError(HfTweetsError):
    """Publishing failed; the message says whether anything was committed and what to do."""

    def __init__(self, repo_id: str, message: str):
        self.repo_id = repo_id
        super().__init__(f"{repo_id}: {message}")


class ConcurrentUpdateError(PublishError):
    """The repo moved between the plan and the commit; nothing was overwritten."""


class SourceError(HfTweetsError):
    """Posts could not be fetched or read; says what to do."""


class PrepareError(HfTweetsError):
    """Posts could not be turned into training text; says what to do."""


class TrainError(HfTweetsError):
    """Training could not start or finish; says what to do."""
