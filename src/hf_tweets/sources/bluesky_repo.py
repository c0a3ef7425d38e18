"""A Bluesky account's identity and its own repo, asked on the network: its DID document (PDS, handle), and the
records of its AI preferences (bluesky_prefs.py), read from its PDS.

A did:plc is resolved by the PLC directory ($HF_TWEETS_PLC_URL, default https://plc.directory), a did:web by
its host, both through atproto_identity's ``DidResolver``. The document's ``#atproto_pds`` service is the PDS;
its first ``at://`` name in ``alsoKnownAs`` is the handle the account claims. The records are asked for with
com.atproto.repo.getRecord (atproto's client, at the PDS), at record key ``self``; a 400 RecordNotFound is "the
repo has none".

A PLC directory or PDS that cannot be reached (no answer, a timeout, a 5xx) never means "no preference": the
fetch stops with one SourceError that says which could not be reached, or, with ``on_wait`` (fetch ``--wait``),
waits ``BACKOFF`` seconds and asks again, up to ``len(BACKOFF)`` times. A DID the directory does not know, a
document without a PDS, or another answer is a SourceError too: nothing is stored without the preferences read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from hf_tweets import settings
from hf_tweets.errors import SourceError
from hf_tweets.sources import bluesky_prefs
from hf_tweets.sources.api_source import Wait
from hf_tweets.text import clean_line, clean_url, snippet

TIMEOUT = 10.0  # seconds for one answer of the directory or the PDS
BACKOFF = (5, 10, 20, 40, 60, 60, 60, 60)  # seconds between tries with --wait: some six minutes in all


@dataclass(frozen=True)
class Identity:
    """What an account's DID document says: its PDS (an http(s) URL) and the handle it claims (None: none)."""

    did: str
    pds: str
    handle: str | None


class Unreachable(Exception):
    """A private signal: the service did not answer (``what`` names it); with --wait, ask again."""

    def __init__(self, what: str):
        self.what = what
        super().__init__(what)


def identity(did: str, who: object = None, on_wait: Wait | None = None) -> Identity:
    """The DID document of ``did`` (the account ``who``, else the DID), asked of the PLC directory (a did:web: of
    its host); SourceError when it cannot be had (``on_wait``: retry an unreachable directory)."""
    return _patiently(lambda: _resolve(did), on_wait, who or did)


def preferences(ident: Identity, who: object, on_wait: Wait | None = None) -> bluesky_prefs.Said:
    """What the account's AI-preference records, read from its PDS, say (bluesky_prefs.decide)."""
    from atproto import Client

    api = Client(base_url=ident.pds)
    with contextlib.closing(api.request):
        records = {c: _patiently(lambda c=c: _record(api, ident, c), on_wait, who) for c in bluesky_prefs.COLLECTIONS}
    return bluesky_prefs.decide(records, who)


def _resolve(did: str) -> Identity:
    from atproto_core.exceptions import AtProtocolError
    from atproto_identity.did.resolver import DidResolver
    from atproto_identity.exceptions import DidPlcResolverError, DidWebResolverError

    plc = settings.plc_url()
    if clean_url(plc) != plc:
        raise SourceError(
            f"{settings.PLC_URL_ENV} is {snippet(plc)}, not an http(s) URL",
            fix=f"set it to a PLC directory such as {settings.DEFAULT_PLC_URL}, or unset it",
        )
    where = f"the PLC directory at {plc}" if did.startswith("did:plc:") else f"the host of {did}"
    try:
        document = DidResolver(plc_url=plc, timeout=TIMEOUT).resolve(did)
    except (DidPlcResolverError, DidWebResolverError) as error:
        status = getattr(getattr(error.__cause__, "response", None), "status_code", None)
        if status is None or status >= 500:
            raise Unreachable(f"{where} ({status or type(error.__cause__ or error).__name__})") from None
        raise SourceError(f"{where} answered {status} for {did}", fix=_NOTHING) from None
    except (AtProtocolError, ValueError, AttributeError) as error:  # a document that is not one: atproto's parse errors
        raise SourceError(
            f"{where} answered {did} with a document that is not one ({_line(error)})", fix=_NOTHING
        ) from None
    if document is None:
        raise SourceError(f"{where} does not know {did}", fix=f"{_NOTHING}; check {settings.PLC_URL_ENV}")
    pds = document.get_pds_endpoint()
    if not isinstance(pds, str) or clean_url(pds) != pds:
        raise SourceError(f"the DID document of {did} names no PDS (an http(s) URL) to read its repo", fix=_NOTHING)
    handle = document.get_handle()
    return Identity(did, pds.rstrip("/"), handle if isinstance(handle, str) else None)


def _record(api, ident: Identity, collection: str) -> dict | None:
    """The value of the account's ``collection``/self record, as a dict; None when the repo has none."""
    import httpx
    from atproto_client import exceptions as atp
    from atproto_client.models.common import XrpcError
    from atproto_client.models.utils import get_model_as_dict

    where = f"the PDS at {ident.pds}"
    params = {"repo": ident.did, "collection": collection, "rkey": bluesky_prefs.RKEY}
    try:
        answer = api.com.atproto.repo.get_record(params)
    except (atp.RequestErrorBase, httpx.HTTPError) as error:
        response = getattr(error, "response", None)
        status = getattr(response, "status_code", None)
        if status is None or status >= 500:
            raise Unreachable(f"{where} ({status or type(error.__cause__ or error).__name__})") from None
        content = getattr(response, "content", None)
        if status == 400 and isinstance(content, XrpcError) and content.error == "RecordNotFound":
            return None
        raise SourceError(f"{where} answered {status} for {collection}/self of {ident.did}", fix=_NOTHING) from None
    except (atp.ModelError, ValueError) as error:
        raise SourceError(
            f"{where} answered {collection}/self of {ident.did} with a record that is not one ({_line(error)})",
            fix=_NOTHING,
        ) from None
    value = answer.value
    return get_model_as_dict(value) if not isinstance(value, dict) else value


def _patiently(call: Callable, on_wait: Wait | None, who: object):
    """``call()``'s answer; an Unreachable service is waited for (``on_wait``, BACKOFF) or one SourceError."""
    waits = iter(BACKOFF if on_wait else ())
    while True:
        try:
            return call()
        except Unreachable as gone:
            seconds = next(waits, None)
            if seconds is None or on_wait is None:
                tried = f" (tried {len(BACKOFF) + 1} times)" if on_wait else ""
                raise SourceError(
                    f"could not reach {gone.what}{tried} to read {who}'s AI preferences",
                    fix=f"nothing was stored; check the network (or {settings.PLC_URL_ENV}) and run fetch again"
                    + ("" if on_wait else ", or add --wait to retry"),
                ) from None
            on_wait(seconds)


def _line(error: Exception) -> str:
    return clean_line(str(error).splitlines()[0] if str(error) else type(error).__name__)[:120]


_NOTHING = "nothing was stored; hf-tweets reads an account's AI preferences before its posts"
