"""A Bluesky account's AI preferences (sources/bluesky_prefs.py): the records' real shapes -> one decision.

The records are the shapes of their sources: the User Intents proposal's example and its demo app's
example_record.json (bnewbold/user-intents), and community.lexicon.preference.ai as lexicon-community/lexicon
pull request #72 and its clients write it. Made-up dates only.
"""

from __future__ import annotations

import pytest

from hf_tweets.errors import SourceError
from hf_tweets.sources.bluesky_prefs import COMMUNITY, DECLARATION, DEMO_DECLARATION, Said, decide

WHEN = "2025-02-20T21:37:20.362Z"


def declaration(kind: str = DEMO_DECLARATION, **intents) -> dict:
    """A declaration record as the demo app writes it: each intent {allow, updatedAt}, allow left out for None."""
    record = {"$type": kind, "updatedAt": WHEN}
    for name, allow in intents.items():
        record[name] = {"updatedAt": WHEN} | ({} if allow is None else {"allow": allow})
    return record


def community(**preferences) -> dict:
    """A community.lexicon.preference.ai/self record: the global scope and the categories given."""
    return {
        "$type": COMMUNITY,
        "updatedAt": WHEN,
        "scope": {"$type": f"{COMMUNITY}#globalScope"},
        "preferences": {name: {"allow": allow, "updatedAt": WHEN} for name, allow in preferences.items()},
    }


DEMO_NO = Said(
    "refused", f"{DEMO_DECLARATION}/self", "syntheticContentGeneration.allow", "synthetic content generation"
)
TRAINING_NO = Said("refused", f"{COMMUNITY}/self", "preferences.training.allow", "AI training")
SYNTHETIC_NO = Said("refused", f"{COMMUNITY}/self", "preferences.syntheticContent.allow", "synthetic content")


@pytest.mark.parametrize(
    "records, expected",
    [
        ({}, Said("none")),
        ({DEMO_DECLARATION: None, COMMUNITY: None}, Said("none")),
        ({DEMO_DECLARATION: declaration(syntheticContentGeneration=False)}, DEMO_NO),
        (
            {DECLARATION: declaration(DECLARATION, syntheticContentGeneration=False)},
            Said("refused", f"{DECLARATION}/self", "syntheticContentGeneration.allow", "synthetic content generation"),
        ),
        (
            {DEMO_DECLARATION: declaration(syntheticContentGeneration=True)},
            Said(
                "allowed",
                f"{DEMO_DECLARATION}/self",
                "syntheticContentGeneration.allow",
                "synthetic content generation",
            ),
        ),
        # the demo's example_record.json: an intent without allow is undefined
        ({DEMO_DECLARATION: declaration(syntheticContentGeneration=None, protocolBridging=None)}, Said("none")),
        # the other intents are about other uses
        ({DEMO_DECLARATION: declaration(publicAccessArchive=False, bulkDataset=False)}, Said("none")),
        ({COMMUNITY: community(training=False)}, TRAINING_NO),
        ({COMMUNITY: community(syntheticContent=False)}, SYNTHETIC_NO),
        ({COMMUNITY: community(training=True, syntheticContent=False)}, SYNTHETIC_NO),
        ({COMMUNITY: community(inference=False, embedding=False)}, Said("none")),
        (
            {COMMUNITY: community(training=True)},
            Said("allowed", f"{COMMUNITY}/self", "preferences.training.allow", "AI training"),
        ),
        ({COMMUNITY: {"$type": COMMUNITY, "updatedAt": WHEN, "preferences": {}}}, Said("none")),
        # a no anywhere wins over a yes elsewhere
        (
            {DEMO_DECLARATION: declaration(syntheticContentGeneration=True), COMMUNITY: community(training=False)},
            TRAINING_NO,
        ),
    ],
)
def test_what_the_records_say(records, expected):
    assert decide(records, "@alice.bsky.social") == expected


@pytest.mark.parametrize(
    "records, problem",
    [
        (
            {DEMO_DECLARATION: ["allow"]},
            f"{DEMO_DECLARATION}/self cannot be read: it is ['allow'], not a {DEMO_DECLARATION} record",
        ),
        (
            {DEMO_DECLARATION: declaration(COMMUNITY)},
            f"{DEMO_DECLARATION}/self cannot be read: it is $type '{COMMUNITY}', not a {DEMO_DECLARATION} record",
        ),
        (
            {DEMO_DECLARATION: declaration() | {"syntheticContentGeneration": False}},
            f"{DEMO_DECLARATION}/self cannot be read: syntheticContentGeneration is False, not a map",
        ),
        (
            {DEMO_DECLARATION: declaration() | {"syntheticContentGeneration": {"allow": "no", "updatedAt": WHEN}}},
            f"{DEMO_DECLARATION}/self cannot be read: syntheticContentGeneration.allow is 'no', not true or false",
        ),
        (
            {COMMUNITY: community() | {"preferences": [{"training": False}]}},
            f"{COMMUNITY}/self cannot be read: preferences is [{{'training': False}}], not a map",
        ),
        (
            {COMMUNITY: community() | {"preferences": {"training": {"allow": 0, "updatedAt": WHEN}}}},
            f"{COMMUNITY}/self cannot be read: preferences.training.allow is 0, not true or false",
        ),
    ],
)
def test_a_broken_record_is_an_error_naming_it(records, problem):
    with pytest.raises(SourceError) as caught:
        decide(records, "@alice.bsky.social", "repo.car")
    assert caught.value.line() == (
        f"repo.car: @alice.bsky.social's AI-preference record {problem}; nothing was stored; hf-tweets does not"
        " guess what a preference it cannot read says"
    )


def test_the_line_names_the_record_and_the_field():
    assert DEMO_NO.line("@alice.bsky.social") == (
        "@alice.bsky.social says no to synthetic content generation"
        f" ({DEMO_DECLARATION}/self: syntheticContentGeneration.allow is false)"
    )
