"""Rendering: front matter through ModelCardData, the partials, and what is left out."""

from __future__ import annotations

import re
import shutil

import pytest
from huggingface_hub import ModelCard

from hf_tweets.cards.render import render
from hf_tweets.cards.templating import reload_templates
from hf_tweets.errors import TemplateError

from conftest import HUB, REPO_ROOT, SINGLE, THREE, TRAINING, WANDB, make_record


def sections(text: str) -> dict[str, str]:
    """The card body split at its '## ' headings."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {title: body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {},
            {
                "language": "en",
                "license": "mit",
                "base_model": "openai-community/gpt2",
                "pipeline_tag": "text-generation",
                "library_name": "transformers",
                # a file of the repo, resolved on the Hub in use
                "thumbnail": f"{HUB.url}/huggingtweets/pixel_poet/resolve/main/predictions.png",
                "widget": [{"text": "My dream is"}],
            },
        ),
        (
            {"license": None, "thumbnail": None, "widget_prompt": "Je pense que", "language": "fr"},
            {"language": "fr", "widget": [{"text": "Je pense que"}]},
        ),
        (
            {"widget_prompt": 'key: value # "quoted" - [list]', "base_model": "distilbert/distilgpt2"},
            {"widget": [{"text": 'key: value # "quoted" - [list]'}], "base_model": "distilbert/distilgpt2"},
        ),
    ],
)
def test_front_matter_loads_with_modelcard(changes, expected):
    card = ModelCard(render(make_record(**changes)))
    data = card.data.to_dict()
    for key, value in expected.items():
        assert data[key] == value
    assert "huggingtweets" in data["tags"]
    for absent in ("license", "thumbnail"):
        if changes.get(absent, "x") is None:
            assert absent not in data


def test_single_user_card():
    text = render(make_record())
    body = text.split("---", 2)[2]
    assert body.count("border-radius: 50%") == 1
    assert "🤖 AI BOT 🤖" in body and "CYBORG" not in body
    assert "[@pixel\\_poet's tweets](https://x.com/pixel_poet)" in body
    assert "| Data | Pixel Poet |" in body
    assert "| Tweets kept | 2500 |" in body  # a plain integer, as huggingtweets' cards wrote it (issue 20)
    usage = sections(body)["How to use"]
    assert "pipeline('text-generation',\n                     model='huggingtweets/pixel_poet')" in usage
    assert "generator('My dream is', num_return_sequences=5)" in usage


def test_three_user_card_names_its_users():
    text = render(make_record(THREE))
    assert text.count("border-radius: 50%") == 3
    assert "🤖 AI CYBORG 🤖" in text and "AI BOT" not in text
    assert "Zeta &amp; Alpha &amp; Omega &amp; Mid 🌙" in text  # header names, HTML-escaped
    assert "| Data | Zeta | Alpha &amp; Omega | Mid 🌙 |" in text
    assert "| Tweets downloaded | 10 | 20 | 30 |" in text
    assert (
        "| Handle | [@Zeta\\_Z](https://x.com/Zeta_Z) | [@alpha](https://x.com/alpha)"
        " | [@mid\\_1](https://x.com/mid_1) |" in text
    )
    procedure = sections(text)["Training procedure"]
    assert "alpha-mid_1-zeta_z" not in procedure  # the legacy bug: "fine-tuned on @a-b-c's tweets"
    assert "fine-tuned on the tweets of @Zeta\\_Z, @alpha and @mid\\_1." in procedure
    assert "model='huggingtweets/alpha-mid_1-zeta_z'" in text
    # the user without an avatar gets a placeholder, not an empty url('')
    assert "url('')" not in text and 'title="@mid_1"' in text


BIG = {  # every number a card shows, each past a thousand
    "users": [SINGLE["users"][0] | {"counts": {"downloaded": 31823, "retweets": 4567, "short": 1234, "kept": 26022}}],
    "base_model": None,  # the Limitations section says how many posts it was trained on
    "training": TRAINING
    | {
        "eval_loss": 8.0,  # a perplexity of 2980.96
        "tokens_seen": 1234567,
        "train_seconds": 4321.5,
        "copies": {"samples": 1500, "copied": 3, "words": 1000, "chars": 2500},
        "hyperparameters": {"max_steps": 12000, "learning_rate": 1.372e-4},
    },
}
PLAIN = [
    "| Tweets downloaded | 31823 |",
    "| Retweets | 4567 |",
    "| Short tweets | 1234 |",
    "| Tweets kept | 26022 |",
    "trained from scratch on 26022 posts",
    "| Eval perplexity | 2980.96 |",
    "| Tokens seen | 1234567 |",
    "| Training time | 4321.5 s |",
    "| max\\_steps | 12000 |",
    "0.2 % of 1500 samples copy 1000+ words of a training tweet (2500+ characters in text written without spaces).",
]


def test_every_number_on_the_card_is_a_plain_integer():
    """Cards are in many languages: 3182 as huggingtweets wrote it, never the English 3,182 (issue 20)."""
    text = render(make_record(BIG))
    assert [row for row in PLAIN if row not in text] == []
    assert re.findall(r"\d,\d", text) == []


def test_without_wandb_the_card_states_facts_inline():
    text = render(make_record(training=TRAINING))
    assert "wandb" not in text.lower().replace("w&b", "")
    assert "W&B" not in text
    procedure = sections(text)["Training procedure"]
    for row in (
        "| learning\\_rate | 0.0001372 |",
        "| epochs | 4 |",
        "| lr\\_scheduler | cosine |",
        "| fp16 | false |",
        "| Train loss (last epoch) | 3.21 |",
        "| Eval loss | 3.5 |",
        "| Eval perplexity | 33.12 |",
    ):
        assert row in procedure
    assert "posted between 2020-01-02 and 2021-06-30" in sections(text)["Training data"]


def test_with_wandb_the_card_links_the_runs():
    text = render(make_record(wandb=WANDB))
    assert f"[W&B report]({WANDB['report']})" in text
    assert f"[Explore the data]({WANDB['preprocess_run']}/artifacts)" in text
    assert f"[W&B training run]({WANDB['train_run']})" in text
    assert f"[the final model]({WANDB['train_run']}/artifacts)" in text


def test_sections_with_nothing_to_say_are_left_out():
    text = render(make_record(license=None, thumbnail=None))
    assert re.search(r"\bNone\b|\bnull\b|\]\(\)|\(\s*\)|url\(''\)", text) is None
    assert "Hyperparameter" not in text and "Metric" not in text and "posted" not in text
    assert "\n\n\n" not in text
    assert list(sections(text)) == [
        "How does it work?",
        "Training data",
        "Training procedure",
        "How to use",
        "Limitations and bias",
        "About",
    ]


def test_base_model_other_than_gpt2_is_named():
    text = render(make_record(base_model="EleutherAI/pythia-70m"))
    assert "[EleutherAI/pythia-70m](https://huggingface.co/EleutherAI/pythia-70m)" in text
    assert "GPT-2" not in sections(text)["Limitations and bias"]


def test_output_is_stable_utf8_nfc():
    record = make_record(THREE, training=TRAINING, wandb=WANDB)
    text = render(record)
    assert text == render(record)
    assert text.endswith("\n") and not text.endswith("\n\n")
    import unicodedata

    assert unicodedata.is_normalized("NFC", text)
    text.encode("utf-8")


def test_templates_dir_can_be_overridden(tmp_path, monkeypatch):
    custom = tmp_path / "tpl"
    shutil.copytree(REPO_ROOT / "templates", custom)
    about = custom / "partials" / "about.md.j2"
    about.write_text("## About\n\nMaintained by the collection team.\n", encoding="utf-8")
    assert "collection team" in render(make_record(), custom)
    monkeypatch.setenv("HF_TWEETS_TEMPLATES_DIR", str(custom))
    assert "collection team" in render(make_record())
    about.write_text("## About\n\nEdited again.\n", encoding="utf-8")
    reload_templates()  # what the preview server calls when a template changes
    assert "Edited again." in render(make_record())


def test_a_template_that_forgets_to_escape_is_refused(tmp_path):
    custom = tmp_path / "tpl"
    shutil.copytree(REPO_ROOT / "templates", custom)
    (custom / "partials" / "about.md.j2").write_text(
        "## About\n\n{{ record.users[0].display_name }}\n", encoding="utf-8"
    )
    with pytest.raises(TemplateError, match=r"\|html, \|md"):
        render(make_record(), custom)


def test_a_folder_without_the_card_template_is_a_clear_error(tmp_path):
    with pytest.raises(TemplateError, match="no card.md.j2"):
        render(make_record(), tmp_path)
