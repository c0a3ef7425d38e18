"""What a Bluesky account's own repo says about AI use of its posts: allowed, refused (which record, which field), or
nothing said.

Two kinds of record, each read at record key ``self`` of the account's repo (an API fetch asks the account's
PDS with com.atproto.repo.getRecord: bluesky_repo.py; an export holds them: bluesky_car.py). Their shapes come
from their sources, not from memory:

* **User Intents** (bluesky-social/proposals, ``0008-user-intents/README.md``): a ``declaration`` record whose
  keys are intents, each ``{"allow": bool, "updatedAt": datetime}``; ``allow`` left out means "undefined"
  (tri-state). The proposal names the record ``org.user-intents.declaration``; its demo app
  (bnewbold/user-intents, ``main.go``) writes ``org.user-intents.demo.declaration/self``, under its lexicon
  ``lexicons/org.user-intents/demo/declaration.json`` (``key: literal:self``; ``#intent`` is an object with an
  optional boolean ``allow`` and a required ``updatedAt``). hf-tweets reads both. The intent that concerns it is
  ``syntheticContentGeneration`` ("use of account data as input to machine learning models which could be used
  to generate synthetic content or interactions"): a bot trained on the posts is exactly that. The other intents
  (publicAccessArchive, bulkDataset, protocolBridging) are about other uses and are not read.
* **Community AI preferences** (lexicon-community/lexicon, pull request #72, "Add community.lexicon.preference.ai
  lexicon", merged 2026-04): a ``community.lexicon.preference.ai`` record ``{scope, updatedAt, preferences}``
  whose ``preferences`` has up to four categories, ``training``, ``inference``, ``syntheticContent`` and
  ``embedding``, each ``{"allow": bool, "updatedAt": datetime}`` or left out (undefined). The record at key
  ``self`` (``scope`` ``community.lexicon.preference.ai#globalScope``) is the account-wide default; records keyed
  by TID are overrides for one entity or one collection. The lexicon's JSON file was not in the sources searched;
  the shape here is the pull request's description and two clients' mirrors of it (their ``AIPreferenceRecord``
  and ``AiPreferencesRecord`` types). hf-tweets reads ``training`` (it trains a model on the posts) and
  ``syntheticContent`` (the model writes posts in the person's voice); ``inference`` and ``embedding`` are uses
  hf-tweets does not make of the posts. Only the ``self`` record is read: an override names a consumer by DID or
  domain, and hf-tweets has neither.

``decide`` turns the records (raw dicts, or None where the repo has none) into one ``Said``: refused when any of
those fields says ``allow: false`` (the first in READ's order), else allowed when one says ``allow: true``, else
nothing said. A record that is not of its lexicon's shape (not a map, another ``$type``, an intent or category
that is not a map, an ``allow`` that is not a boolean) is a SourceError naming the record: a preference that
cannot be read is never taken as "nothing said".
"""

from __future__ import annotations

from dataclasses import dataclass

from hf_tweets.errors import SourceError
from hf_tweets.text import snippet

DEMO_DECLARATION = "org.user-intents.demo.declaration"  # what the proposal's demo app writes
DECLARATION = "org.user-intents.declaration"  # the proposal's own name for it
COMMUNITY = "community.lexicon.preference.ai"
RKEY = "self"
# (collection, path to the object holding ``allow``, what saying no to it means), in the order they are reported
READ = (
    (DEMO_DECLARATION, ("syntheticContentGeneration",), "synthetic content generation"),
    (DECLARATION, ("syntheticContentGeneration",), "synthetic content generation"),
    (COMMUNITY, ("preferences", "training"), "AI training"),
    (COMMUNITY, ("preferences", "syntheticContent"), "synthetic content"),
)
COLLECTIONS = tuple(dict.fromkeys(collection for collection, _, _ in READ))


@dataclass(frozen=True)
class Said:
    """What the account's records say: ``verdict`` "refused", "allowed" or "none"; for the first two, the record
    (``collection/self``), the field (``syntheticContentGeneration.allow``) and what it is about."""

    verdict: str
    record: str = ""
    field: str = ""
    about: str = ""

    def line(self, who: object) -> str:
        """``who`` says no to synthetic content generation (org.user-intents.demo.declaration/self:
        syntheticContentGeneration.allow is false)."""
        word = {"refused": "says no", "allowed": "says yes"}[self.verdict]
        value = "false" if self.verdict == "refused" else "true"
        return f"{who} {word} to {self.about} ({self.record}: {self.field} is {value})"


NOTHING = Said("none")


def decide(records: dict[str, object], who: object, where: object = None) -> Said:
    """What ``records`` (collection -> the ``self`` record's value as a dict, None or absent: the repo has none)
    say; SourceError naming the record (``who``'s, in ``where``: a file) when one is not of its lexicon's shape."""
    said = [_field(collection, records.get(collection), path, about, who, where) for collection, path, about in READ]
    refused = [s for s in said if s.verdict == "refused"]
    allowed = [s for s in said if s.verdict == "allowed"]
    return (refused or allowed or [NOTHING])[0]


def _field(collection: str, record: object, path: tuple[str, ...], about: str, who: object, where: object) -> Said:
    """What one field of one record says."""
    if record is None:
        return NOTHING
    name = f"{collection}/{RKEY}"
    if not isinstance(record, dict) or record.get("$type") != collection:
        kind = f"$type {snippet(record.get('$type'))}" if isinstance(record, dict) else snippet(record)
        raise _broken(who, name, f"it is {kind}, not a {collection} record", where)
    value: object = record
    for depth, key in enumerate(path):
        value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return NOTHING  # left out: undefined
        if not isinstance(value, dict):
            raise _broken(who, name, f"{'.'.join(path[: depth + 1])} is {snippet(value)}, not a map", where)
    allow = value.get("allow") if isinstance(value, dict) else None
    field = ".".join((*path, "allow"))
    if allow is None:
        return NOTHING  # the intent without allow: undefined (the proposal: "missing 'allow' field")
    if not isinstance(allow, bool):
        raise _broken(who, name, f"{field} is {snippet(allow)}, not true or false", where)
    return Said("allowed" if allow else "refused", name, field, about)


def _broken(who: object, record: str, what: str, where: object) -> SourceError:
    return SourceError(
        f"{who}'s AI-preference record {record} cannot be read: {what}",
        where=None if where is None else str(where),
        fix="nothing was stored; hf-tweets does not guess what a preference it cannot read says",
    )
