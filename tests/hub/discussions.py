"""The discussions endpoints of the loopback Hub, shaped as huggingface_hub 2.4's discussion methods call them.

Discussions and pull requests share one numbering per repo (store.Thread), as on the Hub: a pull request made
by a commit (``create_pr=1``) takes the next number, so does a discussion. Served (``HfApi`` method: request ->
answer):

* ``get_repo_discussions``: ``GET /api/models/NS/NAME/discussions`` with ``p`` (the page, from 0), ``type``
  (``all``, ``discussion``, ``pull_request``), ``status`` (``all``, ``open``, ``closed``) and ``author``
  -> ``{"discussions": [...], "count", "start", "numClosedDiscussions"}``, newest first; the client pages
  while ``start + len(discussions) < count``. An unknown ``type`` or ``status`` is a 400.
* ``get_discussion_details``: ``GET .../discussions/N`` (``diff=1``) -> the discussion with its ``events``
  (comments, status changes); a pull request also carries ``changes.base``, ``filesWithConflicts``, ``diff``.
  404 (no error code) for a number the repo does not have.
* ``create_discussion``: ``POST .../discussions`` ``{"title", "description", "pullRequest"}`` -> ``{"num",
  "url", ...}``; the description is the first comment. 401 without a token; 400 for a title under 3 or over 200
  characters. With ``pullRequest`` a draft pull request (no changes yet) is opened.
* ``comment_discussion``: ``POST .../discussions/N/comment`` ``{"comment"}`` -> ``{"newMessage": event}``;
  any signed-in user who can see the repo; 400 for an empty comment.
* ``change_discussion_status``: ``POST .../discussions/N/status`` ``{"status", "comment"?}`` ->
  ``{"newStatus": event}``; the discussion's author or a writer of the repo (else 403); 400 for a status other
  than open or closed. A comment given with it is posted first, as the Hub's "close with comment" does.

Every repo's discussions go with it when it is deleted (they live on store.Repo). Not served: renames, comment
edits and hiding, merges, and discussions of datasets and Spaces.
"""

from __future__ import annotations

import html
import secrets

from .store import Repo, Thread, now_iso, repo_id_of

TITLE_MIN, TITLE_MAX = 3, 200
TYPES = {"all": None, "discussion": False, "pull_request": True}  # the type filter: is it a pull request?
STATUSES = ("all", "open", "closed")


class Routes:
    """Handler methods for ROUTES (a mixin of the server's request handler)."""

    # -- reading ---------------------------------------------------------------------------------
    def discussions(self, repo: str) -> None:
        r = self.hub.readable(repo, self.who)
        kind, status, author = (self.query.get(k) for k in ("type", "status", "author"))
        if kind not in (None, *TYPES) or status not in (None, *STATUSES):
            raise _error(400, f"type must be one of {', '.join(TYPES)}; status one of {', '.join(STATUSES)}")
        wanted = TYPES.get(kind or "all")
        found = [
            t
            for t in reversed(r.threads)
            if (wanted is None or (t.pr is not None) == wanted)
            and status in (None, "all", _status_group(t))
            and author in (None, t.author)
        ]
        start = int(self.query.get("p", 0)) * self.hub.page_size
        self._json(
            {
                "discussions": [self._summary(repo, t) for t in found[start : start + self.hub.page_size]],
                "count": len(found),
                "start": start,
                "numClosedDiscussions": sum(1 for t in r.threads if _status_group(t) == "closed"),
            }
        )

    def discussion(self, repo: str, num: str) -> None:
        r = self.hub.readable(repo, self.who)
        self._json(self._details(repo, r, self._thread(r, num)))

    # -- writing ---------------------------------------------------------------------------------
    def create_discussion(self, repo: str) -> None:
        r = self.hub.readable(repo, self.who)
        who = self._signed_in()
        body = self._body_json()
        title = str(body.get("title") or "").strip()
        if not TITLE_MIN <= len(title) <= TITLE_MAX:
            raise _error(400, f"title must be {TITLE_MIN} to {TITLE_MAX} characters long")
        if body.get("pullRequest"):  # a draft pull request: a branch at main's head, with no changes yet
            self.hub.store.commit(r, r.head, title, dict(r.head.files), pr=True, author=who)
            thread = r.threads[-1]
            thread.status = "draft"
        else:
            thread = r.open_thread(title, who, now_iso())
        thread.events.append(_comment(who, str(body.get("description") or "")))
        self.hub.store.save()
        self._json(
            {
                "num": thread.num,
                "url": f"{self.hub.url}/{repo}/discussions/{thread.num}",
                "pullRequest": thread.pr is not None,
            }
        )

    def comment_discussion(self, repo: str, num: str) -> None:
        r = self.hub.readable(repo, self.who)
        who = self._signed_in()
        thread = self._thread(r, num)
        text = str(self._body_json().get("comment") or "")
        if not text.strip():
            raise _error(400, "comment must not be empty")
        event = _comment(who, text)
        thread.events.append(event)
        self.hub.store.save()
        self._json({"newMessage": event})

    def change_discussion_status(self, repo: str, num: str) -> None:
        r = self.hub.readable(repo, self.who)
        who = self._signed_in()
        thread = self._thread(r, num)
        if who != thread.author and not self.hub.can_write(self.who, repo.split("/")[0]):
            raise _error(403, f"only the author of discussion {num} or a writer of {repo} may change its status")
        body = self._body_json()
        if body.get("status") not in ("open", "closed"):
            raise _error(400, "status must be open or closed")
        if str(body.get("comment") or "").strip():
            thread.events.append(_comment(who, body["comment"]))
        event = _event("status-change", who, {"status": body["status"]})
        thread.status = body["status"]
        thread.events.append(event)
        self.hub.store.save()
        self._json({"newStatus": event})

    # -- shared ----------------------------------------------------------------------------------
    def _signed_in(self) -> str:
        if self.who is None:
            raise _error(401, "You must be authenticated to take part in discussions")
        return self.who[0]

    def _thread(self, repo: Repo, num: str) -> Thread:
        if not num.isdigit() or not 0 < int(num) <= len(repo.threads):
            raise _error(404, f"Discussion {num} not found")
        return repo.threads[int(num) - 1]

    def _summary(self, repo: str, thread: Thread) -> dict:
        """A discussion as the listing shows it (``Discussion`` in huggingface_hub)."""
        return {
            "num": thread.num,
            "title": thread.title,
            "status": thread.status,
            "author": {"name": thread.author},
            "createdAt": thread.date,
            "isPullRequest": thread.pr is not None,
            "numComments": sum(1 for e in thread.events if e["type"] == "comment"),
            "pinned": False,
            "repo": {"name": repo_id_of(repo), "type": "model"},
        }

    def _details(self, repo: str, r: Repo, thread: Thread) -> dict:
        """A discussion with its events (``DiscussionWithDetails``); a pull request with its changes too."""
        details = {**self._summary(repo, thread), "events": thread.events}
        if thread.pr is not None:
            head = r.prs[thread.pr]
            details |= {
                "changes": {"base": "refs/heads/main"},
                "filesWithConflicts": [],
                "diff": "",
                "headSha": head.sha,
            }
        return details


def _error(status: int, message: str):
    from .server import HubError  # the server imports this module first

    return HubError(status, message)


def _status_group(thread: Thread) -> str:
    """What the status filter calls a thread: a draft pull request is open, a merged one closed."""
    return "open" if thread.status in ("open", "draft") else "closed"


def _event(kind: str, author: str, data: dict) -> dict:
    return {"id": secrets.token_hex(12), "type": kind, "createdAt": now_iso(), "author": {"name": author}, "data": data}


def _comment(author: str, text: str) -> dict:
    """A comment event as ``deserialize_event`` reads it (``data.latest.raw`` and ``html``)."""
    latest = {"raw": text, "html": f"<p>{html.escape(text)}</p>", "updatedAt": now_iso(), "author": {"name": author}}
    return _event("comment", author, {"edited": False, "hidden": False, "latest": latest, "numEdits": 0})


NUM = r"(?P<num>[^/]+)"
ROUTES = [
    ("GET", "discussions", "discussions"),
    ("POST", "discussions", "create_discussion"),
    ("GET", f"discussions/{NUM}", "discussion"),
    ("POST", f"discussions/{NUM}/comment", "comment_discussion"),
    ("POST", f"discussions/{NUM}/status", "change_discussion_status"),
]  # each under /api/models/NS/NAME/ (the server adds its REPO pattern)
