"""Import: legacy huggingtweets cards (both generations) and our own cards back into records."""

from __future__ import annotations

import re

import pytest

from hf_tweets.cards.importer import import_card
from hf_tweets.cards.recordfile import load_record
from hf_tweets.cards.render import render
from hf_tweets.errors import CardImportError

from conftest import SEED_CARDS, THREE, TRAINING, WANDB, make_record

SEEDS = [
    # file, repo name, [(handle, display name, avatar id, (downloaded, retweets, short, kept))],
    # preprocess run, train run
    (
        "mike_massive",
        "mike_massive",
        [("mike_massive", "mike insane", "erdLPGsC", (434, 67, 73, 294))],
        "sk151pwp",
        "rli832dd",
    ),
    (
        "the___missile",
        "the___missile",
        [("the___missile", "The Missile", "paTyKfPR", (365, 155, 51, 159))],
        "3ujas2q4",
        "4ajpl0tu",
    ),
    (  # a multi-user card does not say which column is which account: no user gets a handle
        "dril-gnomeszs-s4m31p4n",
        "dril-gnomeszs-s4m31p4n",
        [
            (None, "wint", "VXyQHfn0", (3192, 456, 307, 2429)),
            (None, "gnome 👼🏻", "1urtPrKy", (3220, 1075, 438, 1707)),
            (None, "ppigg", "gta_5zXG", (3156, 992, 907, 1257)),
        ],
        "2370ibjc",
        "yu2suj5m",
    ),
]


@pytest.mark.parametrize("stem, name, users, preprocess, train", SEEDS, ids=[s[0] for s in SEEDS])
def test_legacy_cards_are_read(stem, name, users, preprocess, train):
    record = import_card((SEED_CARDS / f"{stem}.README.md").read_text(encoding="utf-8"))
    assert record.repo_id == f"huggingtweets/{name}"
    assert (record.language, record.widget_prompt, record.base_model) == ("en", "My dream is", "openai-community/gpt2")
    assert record.thumbnail.startswith(f"https://www.huggingtweets.com/{name}/") and record.thumbnail.endswith(
        "/predictions.png"
    )
    assert [a.handle for a in record.accounts] == name.split("-")
    users_ = record.users
    got = [(u.handle, u.display_name, u.avatar, tuple(u.counts.model_dump(exclude_none=True).values())) for u in users_]
    assert got == [
        (h, d, f"https://pbs.twimg.com/profile_images/{a_id_path(stem, a)}_400x400.jpg", c) for h, d, a, c in users
    ]
    assert record.wandb.report.startswith("https://wandb.ai/wandb/huggingtweets/reports/")  # app.wandb.ai normalised
    assert record.wandb.preprocess_run == f"https://wandb.ai/wandb/huggingtweets/runs/{preprocess}"
    assert record.wandb.train_run == f"https://wandb.ai/wandb/huggingtweets/runs/{train}"


def a_id_path(stem: str, avatar_id: str) -> str:
    text = (SEED_CARDS / f"{stem}.README.md").read_text(encoding="utf-8")
    start = text.index(avatar_id)
    return text[text.rindex("profile_images/", 0, start) + len("profile_images/") : start + len(avatar_id)]


def test_legacy_mojibake_is_repaired():
    text = (SEED_CARDS / "mike_massive.README.md").read_text(encoding="utf-8")
    assert "ðŸ¤–" in text
    renamed = text.replace("mike insane ðŸ¤– AI Bot", "mike ðŸ¤– insane ðŸ¤– AI Bot")
    assert import_card(renamed).users[0].display_name == "mike 🤖 insane"


def test_shipped_records_are_the_imported_seed_cards(tmp_path):
    from conftest import EXAMPLE_CARDS

    for stem, *_ in SEEDS:
        shipped = load_record(EXAMPLE_CARDS / f"{stem}.yaml")
        assert shipped == import_card((SEED_CARDS / f"{stem}.README.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "record",
    [
        make_record(),
        make_record(THREE, training=TRAINING, wandb=WANDB, license="apache-2.0", widget_prompt="Ich glaube"),
        make_record(THREE, namespace="someone", name="my-cyborg", training={"newest_tweet": "2022-02-02"}),
        make_record(training={"oldest_tweet": "2019-09-09", "hyperparameters": {"s": "4", "t": "true", "q": '"x"'}}),
    ],
    ids=["single", "three-users-everything", "own-namespace", "odd-hyperparameters"],
)
def test_our_cards_round_trip(record):
    text = render(record)
    assert import_card(text) == record
    assert render(import_card(text)) == text


BIG = make_record(  # every number a card shows past a thousand
    {
        **THREE,
        "users": [
            u | {"counts": {"downloaded": 31823, "retweets": 4567, "short": 1234, "kept": 26022}}
            for u in THREE["users"]
        ],
    },
    training=TRAINING
    | {"tokens_seen": 1234567, "train_seconds": 4321.5, "copies": {"samples": 1500, "copied": 3, "chars": 2500}},
)
# Where the cards hf-tweets published before issue 20 wrote 3,182: the data table, the metrics, the copy sentence.
_SEPARATED = re.compile(r"(?<=\| )\d{4,}(?=(?:\.\d+ s)? \|)|\d{4,}(?=\+| samples)")


@pytest.mark.parametrize("numbers", ["plain", "with separators"])
def test_numbers_import_plain_and_with_thousands_separators(numbers):
    """Cards now say 3182; our cards on the Hub from before issue 20 say 3,182: both read back to the record."""
    text = render(BIG)
    assert "| Tweets downloaded | 31823 | 31823 | 31823 |" in text
    if numbers == "with separators":
        text = _SEPARATED.sub(lambda number: f"{int(number[0]):,}", text)
        for shown in ("| 31,823 | 31,823 | 31,823 |", "| 1,234,567 |", "| 4,321.5 s |", "1,500 samples", "2,500+"):
            assert shown in text
    assert import_card(text) == BIG
    assert render(import_card(text)) == render(BIG)


def test_publish_state_is_not_on_the_card():
    record = make_record(publish={"commit": "a" * 40, "readme_sha256": "b" * 64})
    assert record.published() is not None and import_card(render(record)).publish == {}


BROKEN = [
    ("no front matter", lambda t: t.split("---", 2)[2], "no YAML front matter"),
    ("front matter not YAML", lambda t: t.replace("language: en", "language: [en"), "front matter is not valid YAML"),
    ("no usage snippet", lambda t: t.replace("model='huggingtweets/mike_massive'", "model=name"), "no usage snippet"),
    ("no data table", lambda t: t.replace("| Data |", "| Info |"), "no data table"),
    ("missing row", lambda t: t.replace("| Retweets | 67 |\n", ""), "no 'Retweets' row"),
    (
        "count not a number",
        lambda t: t.replace("| Short tweets | 73 |", "| Short tweets | many |"),
        "'many' is not a whole number",
    ),
    (
        "counts do not add up",
        lambda t: t.replace("| Tweets kept | 294 |", "| Tweets kept | 295 |"),
        "downloaded - retweets - short",
    ),
    (
        "bad avatar",
        lambda t: t.replace("url('https://pbs", "url('ftp://pbs"),
        r"users\[0\]\.avatar: URL must start with http",
    ),
]


@pytest.mark.parametrize("what, breakage, message", BROKEN, ids=[b[0] for b in BROKEN])
def test_unreadable_cards_say_what_is_missing(what, breakage, message):
    text = breakage((SEED_CARDS / "mike_massive.README.md").read_text(encoding="utf-8"))
    with pytest.raises(CardImportError, match=message) as caught:
        import_card(text, "x/README.md")
    assert str(caught.value).startswith("x/README.md: ")
