"""The take-down inbox: the requests people open on the bots' repos, listed across a namespace, and answered.

Every public card links a new discussion on its repo with one fixed title (``labels.TAKEDOWN_TITLE``), so a
request is an **open discussion** (not a pull request) with that title, whoever maintains the bots and however
many there are. ``inbox`` lists them for every model repo of a namespace, newest first, each with its opening
comment (one details call per request: the listing has no text); ``answer`` posts a reply on each open request
of one repo and closes it in the same call (``unpublish --reply`` does, after taking the bot down, or before
deleting it: a repo's discussions go with it).

Every call goes through the client's ``call`` (retries, one-line errors). A repo whose discussions are turned
off (403) or that is gone meanwhile holds no request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from huggingface_hub import DiscussionComment, HfApi
from huggingface_hub.errors import RepositoryNotFoundError

from hf_tweets.cards.labels import TAKEDOWN_TITLE
from hf_tweets.errors import PublishError
from hf_tweets.hub import client as hub
from hf_tweets.text import clean_line


@dataclass(frozen=True)
class Request:
    """One open take-down request: where, who asked, when, and what they wrote."""

    repo_id: str
    num: int
    author: str
    date: datetime
    text: str
    url: str

    def to_dict(self) -> dict:
        """The JSON of ``requests --json`` (one object a line)."""
        when = self.date.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"repo_id": self.repo_id, "num": self.num, "author": self.author, "date": when, "text": self.text}

    def line(self) -> str:
        """The plain line: date, repo, author and text, the text on one line with no control characters."""
        when = self.to_dict()["date"]
        return f"{when}  {self.repo_id}  {self.author}  #{self.num}: {clean_line(self.text)}"


def inbox(namespace: str) -> list[Request]:
    """The open take-down requests on every model repo of ``namespace``, newest first."""
    api = hub.client()
    repos = hub.call(lambda: [m.id for m in api.list_models(author=namespace)], namespace, "listing the models")
    found = [request for repo_id in repos for request in open_requests(api, repo_id)]
    return sorted(found, key=lambda r: (r.date, r.repo_id, r.num), reverse=True)


def open_requests(api: HfApi, repo_id: str) -> list[Request]:
    """The open take-down requests of one repo, each with its opening comment."""

    def listed():
        try:
            found = api.get_repo_discussions(repo_id, discussion_type="discussion", discussion_status="open")
            return [d for d in found if is_request(d.title)]  # discussions only: a pull request is no request
        except RepositoryNotFoundError:
            return []
        except Exception as error:  # noqa: BLE001 - 403: discussions turned off, so no one could ask there
            if hub.status_of(error) == 403:
                return []
            raise

    return [_with_text(api, repo_id, d) for d in hub.call(listed, repo_id, "listing the discussions")]


def is_request(title: str) -> bool:
    return title.strip() == TAKEDOWN_TITLE


def _with_text(api: HfApi, repo_id: str, discussion) -> Request:
    details = hub.call(
        lambda: api.get_discussion_details(repo_id, discussion.num), repo_id, f"reading discussion {discussion.num}"
    )
    comments = [e for e in details.events if isinstance(e, DiscussionComment)]
    text = comments[0].content if comments else ""
    return Request(repo_id, discussion.num, discussion.author, discussion.created_at, text, discussion.url)


def check_reply(reply: str | None, repo_id: str) -> None:
    """Refuse, before any work, a reply the Hub would not post (an empty comment)."""
    if reply is not None and not reply.strip():
        raise PublishError(
            repo_id, "the reply is empty", fix="give --reply the words the person will read, or leave --reply out"
        )


def answer(api: HfApi, repo_id: str, reply: str) -> list[Request]:
    """Post ``reply`` on each open take-down request of ``repo_id`` and close it (one call each: a request is
    never left answered but open, or closed without its answer); the requests answered."""
    answered = open_requests(api, repo_id)
    for request in answered:
        _close(api, request, reply)
    return answered


def _close(api: HfApi, request: Request, reply: str) -> None:
    def closed_already() -> bool | None:  # an earlier try whose answer was lost: the reply is not posted twice
        details = api.get_discussion_details(request.repo_id, request.num)
        return True if details.status == "closed" else None

    hub.call(
        lambda: api.change_discussion_status(request.repo_id, request.num, "closed", comment=reply),
        request.repo_id,
        f"answering take-down request #{request.num}",
        before_retry=closed_already,
    )
