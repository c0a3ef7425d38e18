"""Request quotas of the loopback Hub, and the RateLimit headers the real Hub sends.

Off unless a test sets a quota; see ``State``.
"""

from __future__ import annotations


class State:
    """The quota in force (none by default)."""

    def reset(self) -> None:
        pass

    def refuse(self, handler, method: str) -> bool:
        """Answer the request with a 429 (and return True) when it is over the quota."""
        return False

    def headers(self, handler) -> dict:
        """Headers every answer carries (RateLimit, RateLimit-Policy) while a quota is set."""
        return {}
