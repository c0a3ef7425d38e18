"""A Hub-compatible HTTP server on loopback, for tests and for publishing by hand.

    python -m tests.hub --root DIR --port N

See server.py for what it implements.
"""

from .server import LoopbackHub, Repo

__all__ = ["LoopbackHub", "Repo"]
