"""The values a numeric setting may take, declared once beside its default.

A config class (TrainConfig, PrepareConfig) checks its fields against its
``Range`` table when it is made, so the CLI, ``run``, a batch file's bots and
a library caller are all refused the same way, before any work; the CLI turns
the same table into click types (``IntRange``/``FloatRange``), so a bad option
is a usage error that names the range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hf_tweets.errors import HfTweetsError


@dataclass(frozen=True)
class Range:
    """``low``..``high`` (either may be open, i.e. excluded); ``whole``: whole numbers only. NaN is never in one."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    whole: bool = False

    def __contains__(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if math.isnan(value) or (self.whole and not float(value).is_integer()):
            return False
        low = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        high = self.high is not None and (value >= self.high if self.high_open else value > self.high)
        return not (low or high)

    def describe(self) -> str:
        """'a whole number from 1 to 4096', 'a number above 0 and at most 1', 'a number from 0 to below 1'."""
        kind = "a whole number" if self.whole else "a number"
        if self.low is None and self.high is None:
            return kind
        low = None if self.low is None else f"{'above' if self.low_open else 'from'} {_shown(self.low)}"
        if self.high is None:
            assert low is not None  # neither end set: returned above
            return f"{kind} {low.replace('from', 'of', 1)} or more" if not self.low_open else f"{kind} {low}"
        high = f"{'below' if self.high_open else 'at most'} {_shown(self.high)}"
        if low is None:
            return f"{kind} {high}"
        joiner = " to " if not self.low_open else " and "
        return f"{kind} {low}{joiner}{high.replace('at most ', '') if joiner == ' to ' else high}"


def check(values: dict[str, object], ranges: dict[str, Range], error: type[HfTweetsError]) -> None:
    """Raise ``error`` (an HfTweetsError class) for the first value outside its key's range ('epochs -1 is out of
    range; give epochs a number above 0 and at most 1,000'); keys without a range are not checked."""
    for key, value in values.items():
        if key in ranges and value not in ranges[key]:
            raise error(f"{key} {value!r} is out of range", fix=f"give {key} {ranges[key].describe()}")


def _shown(number: float) -> str:
    return f"{int(number):,}" if float(number).is_integer() else f"{number:g}"


SEED = Range(0, 2**32 - 1, whole=True)  # numpy's seeds, which transformers' set_seed passes on
