"""Every exception hf-tweets raises on purpose, each carrying its context.

An ``HfTweetsError`` has three fields: ``where`` (a file, a repo, a field:
what the problem is about), ``what`` (what is wrong) and ``fix`` (what to do
next). The CLI formats them as one line on stderr with exit code 1; nothing
else turns an error into text, and no caller takes an error's text apart.

The tree (every HfTweetsError of the package is here; the few other exceptions in it are private signals
between two functions of one module, never shown to a user)::

    HfTweetsError
    ├── RecordError            a card record fails validation (each Problem listed)
    ├── RecordNotFoundError
    ├── CardImportError        a README that cannot be read into a record
    ├── TemplateError
    ├── PublishError           names the repo and whether anything was committed
    │   ├── ConcurrentUpdateError
    │   └── GaveUp             a call that kept failing transiently
    ├── SourceError            posts could not be fetched or read
    ├── ConsentError           not public, asks not to be used, or on the opt-out list
    ├── PrepareError
    ├── TrainError
    │   └── TrainInterrupted   Ctrl-C after a checkpoint
    ├── WriteError             full disk, permissions: the old file is intact
    ├── UnsafePathError        a name from data would lead outside its folder
    ├── BrowserCopyError       the ONNX copy failed its check; the model is unaffected
    ├── BatchFileError         the batch file cannot be used; nothing has run
    ├── JournalError           a journal damaged beyond repairing itself
    └── ModelFolderError       a folder given as a model holds none
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class HfTweetsError(Exception):
    """Base class: an error the user can act on."""

    def __init__(self, what: str, *, where: str | Path | None = None, fix: str | None = None):
        self.what, self.where, self.fix = what, None if where is None else str(where), fix
        super().__init__(self.line())

    def line(self) -> str:
        """``where: what; fix``, the one line the CLI prints."""
        text = f"{self.where}: {self.what}" if self.where else self.what
        return f"{text}; {self.fix}" if self.fix else text

    def reason(self, subject: str | None = None) -> str:
        """``what; fix`` for a report line that already names ``subject`` (a batch's table); the place is
        kept when it is something else (a file that could not be written while republishing a repo)."""
        if self.where is not None and subject is not None and self.where != subject:
            return self.line()
        return f"{self.what}; {self.fix}" if self.fix else self.what


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
        more = len(problems) - 1
        what = str(problems[0])
        if more:
            what += f" (and {more} more problem{'s' if more > 1 else ''}: run hf-tweets card check {self.source})"
        super().__init__(what, where=self.source)

    def lines(self) -> list[str]:
        """One line per problem, each prefixed with the file."""
        return [f"{self.source}: {p}" for p in self.problems]


class RecordNotFoundError(HfTweetsError):
    """No record file for a name or path."""


class CardImportError(HfTweetsError):
    """A README that cannot be read into a record; says what was missing."""

    def __init__(self, source: str | Path, message: str):
        self.source = str(source)
        super().__init__(message, where=self.source)


class TemplateError(HfTweetsError):
    """A template that cannot be loaded or rendered."""


def redact(text: str, secrets: list[str]) -> str:
    """Replace every known secret in ``text`` with ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


ERROR_LINE = "hf-tweets: error: "  # how an error is printed (the CLI, a batch's bot log) and read back (a Job's log)


def one_line(error: BaseException, secrets: list[str], hint: str = "") -> str:
    """An error as one line without secrets: an HfTweetsError's own line, an OSError's file and reason, else its
    type and text followed by ``hint``."""
    if isinstance(error, HfTweetsError):
        text = error.line()
    elif isinstance(error, OSError) and error.strerror:
        text = f"{error.filename or ''}: {error.strerror}".lstrip(": ")
    else:
        text = f"{type(error).__name__}: {error}{hint}"
    return redact(" ".join(text.split()), secrets)


class PublishError(HfTweetsError):
    """Publishing failed; the message says whether anything was committed and what to do."""

    def __init__(self, repo_id: str, message: str, fix: str | None = None):
        self.repo_id = repo_id
        super().__init__(message, where=repo_id, fix=fix)


class ConcurrentUpdateError(PublishError):
    """The repo moved between the plan and the commit; nothing was overwritten."""


class GaveUp(PublishError):
    """A call that kept failing transiently; the caller says whether anything was committed."""


class SourceError(HfTweetsError):
    """Posts could not be fetched or read; says what to do."""


class ConsentError(HfTweetsError):
    """An account that is not public, asks not to be used, or is on the opt-out list: nothing was read, stored,
    trained or published."""


class PrepareError(HfTweetsError):
    """Posts could not be turned into training text; says what to do."""


class TrainError(HfTweetsError):
    """Training could not start or finish; says what to do."""


class TrainInterrupted(TrainError):
    """Ctrl-C stopped training after a checkpoint was saved; the fix names the command that goes on."""


class WriteError(HfTweetsError):
    """A file could not be written (full disk, permissions); the old file, if any, is intact."""


class UnsafePathError(HfTweetsError):
    """A name from data (a handle, a record name, an archive member) would lead outside its folder."""


class BrowserCopyError(HfTweetsError):
    """The browser copy (ONNX) of a model could not be made or failed its check; none was kept, and the model
    itself is unaffected."""


class BatchFileError(HfTweetsError):
    """The batch file cannot be used as it is; nothing has run."""


class JournalError(HfTweetsError):
    """A journal damaged in a way that cannot be repaired by itself."""


class ModelFolderError(HfTweetsError):
    """A folder given as a model is missing or holds no model (config.json and a tokenizer)."""
