"""Where a command works: the data folder, the cards folder, the out folder and the opt-out list, as one value.

A command builds one ``Folders`` from its ``--data-dir``, ``--cards-dir`` and ``--out`` options
(``Folders.resolve``: an option not given is $HF_TWEETS_DATA_DIR, $HF_TWEETS_CARDS_DIR, else ./data,
./cards and ./out, settings.py's defaults) and passes it down whole; a function that needs two of the places
takes the Folders, never the places one by one. The opt-out list is found once, here: $HF_TWEETS_OPTOUT, else
optout.yaml beside the cards folder (settings.optout_path). A bot's prepared text is ``data/NAME``
(``prepared``), its model folder ``out/NAME`` (``model``).
A batch's workers get the folders as the options of ``hf-tweets run`` (``args``), so a worker finds the
opt-out list as a command would.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

from hf_tweets import settings
from hf_tweets.fsutil import child


@dataclass(frozen=True)
class Folders:
    """The places one command works in: posts and training text, card records, model folders, the opt-out list."""

    data: Path
    cards: Path
    out: Path
    optout: Path

    @classmethod
    def resolve(
        cls,
        data: str | os.PathLike[str] | None = None,
        cards: str | os.PathLike[str] | None = None,
        out: str | os.PathLike[str] | None = None,
    ) -> Folders:
        """The folders of a command's options (None: not given), with the defaults and variables of settings.py."""
        cards_dir = settings.cards_dir(cards)
        return cls(settings.data_dir(data), cards_dir, settings.out_dir(out), settings.optout_path(cards_dir))

    def args(self) -> list[str]:
        """The options that give a command these folders (a batch's worker runs ``hf-tweets run`` with them)."""
        return ["--data-dir", str(self.data), "--cards-dir", str(self.cards), "--out", str(self.out)]

    def absolute(self) -> Folders:
        """The same folders from anywhere (a worker in another folder): data, cards and out made absolute."""
        return replace(self, data=self.data.resolve(), cards=self.cards.resolve(), out=self.out.resolve())

    def prepared(self, name: str) -> Path:
        """A bot's training text and its stored facts, data/NAME (prepare's); UnsafePathError as ``model``."""
        return child(self.data, name)

    def model(self, name: str) -> Path:
        """A bot's model folder, out/NAME; UnsafePathError for a name that cannot name a folder."""
        return child(self.out, name)

    def to_json(self) -> str:
        """The folders as JSON text, for a worker process (``from_json`` reads it back)."""
        return json.dumps({key: str(value) for key, value in vars(self).items()})

    @classmethod
    def from_json(cls, text: str) -> Folders:
        return cls(**{key: Path(value) for key, value in json.loads(text).items()})
