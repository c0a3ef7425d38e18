"""The collections endpoints of the loopback Hub (not served yet)."""

from __future__ import annotations


class State:
    def reset(self) -> None:
        pass


class Routes:
    """Handler methods for ROUTES (a mixin of the server's request handler)."""


ROUTES: list[tuple[str, str, str]] = []
