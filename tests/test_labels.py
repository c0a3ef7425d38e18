"""The card's vocabulary lives in cards/labels.py: each label is rendered, read back, and reworded in one place."""

from __future__ import annotations

import subprocess
import sys

from hf_tweets.cards import labels
from hf_tweets.cards.importer import import_card
from hf_tweets.cards.render import render

from conftest import THREE, TRAINING, WANDB, make_record

X_WORDS = labels.words_of(["x"])  # "tweet", "retweet": an X card's words
FULL = {
    "training": TRAINING
    | {
        "tokens_seen": 1234567,
        "train_seconds": 4321.5,
        "versions": {"torch": "2.13.0"},
        "copies": {"samples": 30, "copied": 1},
    },
    "wandb": WANDB,
    "samples": ["My dream is a quiet sea."],
}


def test_every_label_is_on_the_card_and_read_back():
    record = make_record(THREE, **FULL)
    text = render(record)
    shown = [
        labels.DATA,
        labels.HANDLE,
        *(label for key, label in X_WORDS.counts().items() if key not in labels.OPTIONAL_COUNTS),
        labels.HYPERPARAMETER,
        labels.METRIC,
        labels.SOFTWARE,
        labels.SAMPLE,
        *labels.METRICS.values(),
        *labels.WANDB_LINKS.values(),
        X_WORDS.fill(labels.POSTED_BETWEEN, oldest="2020-01-02", newest="2021-06-30"),
        "3.3 % of 30 samples copy 8+ words of a training tweet (50+ characters in text written without spaces).",
        X_WORDS.fill(labels.COPIES_SHOWN),
    ]
    assert [label for label in shown if label not in text] == []
    assert "| Tokens seen | 1234567 |" in text and "| Training time | 4321.5 s |" in text
    assert import_card(text) == record


def test_cards_with_earlier_labels_still_import():
    record = make_record(**FULL)
    earlier = render(record).replace(f"| {labels.METRICS['train_loss']} |", "| Train loss |")
    assert import_card(earlier) == record


REWORDED = """
from hf_tweets.cards import labels
labels.COUNTS["kept"] = "Posts kept (reworded)"
labels.METRICS["eval_loss"] = "Held-out loss"
labels.WANDB_LINKS["report"] = "The report"
labels.SAMPLE = "Example"
labels.POSTED_BETWEEN = "Written from {oldest} to {newest}."
import sys
sys.path.insert(0, "tests")
from conftest import THREE, TRAINING, WANDB, make_record
from hf_tweets.cards.check import check_readme_text
from hf_tweets.cards.importer import import_card
from hf_tweets.cards.render import render
record = make_record(THREE, training=TRAINING, wandb=WANDB, samples=["My dream is a quiet sea."])
text = render(record)
for words in ("Posts kept (reworded)", "Held-out loss", "[The report]", "| Example |", "Written from 2020-01-02 to"):
    assert words in text, words
assert "Tweets kept" not in text
assert import_card(text) == record
assert check_readme_text(text, "README.md") == []
print("ok")
"""


def test_rewording_a_label_in_one_place_rewords_the_card_and_the_importer(tmp_path):
    from conftest import REPO_ROOT

    done = subprocess.run([sys.executable, "-c", REWORDED], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
