"""The card of modern models (issue 13): what was trained (full weights or a LoRA adapter, on which base), the
eval loss as a model-index, the copy check; read back by the importer and accepted by the (loopback) Hub."""

from __future__ import annotations

import copy
import re
import warnings
from pathlib import Path

import pytest
import yaml
from huggingface_hub import HfApi, ModelCard

from hf_tweets.cards import labels
from hf_tweets.cards.check import check_readme_text
from hf_tweets.cards.importer import import_card
from hf_tweets.cards.record import CopyCheck
from hf_tweets.cards.recordfile import load_record
from hf_tweets.cards.render import _metadata, card_data, dump_yaml, render

from conftest import EXAMPLE_CARDS, HUB, SINGLE, THREE, TRAINING, WANDB, make_record

ENDPOINT = "https://huggingface.co"
# The cards of BEFORE_RECORDS (NAME.md), and of THREE with TRAINING (eval-loss.md), as the code before issue 13
# rendered them on ENDPOINT: written once, never regenerated.
BEFORE = Path(__file__).parent / "fixtures" / "cards-before-models"

BLUESKY = {
    "users": [
        {
            "platform": "bluesky",
            "handle": "quiet-heron.bsky.social",
            "display_name": "Quiet Heron",
            "counts": {"downloaded": 900, "retweets": 100, "short": 50, "kept": 750},
        }
    ],
    "license": "cc-by-4.0",
}
MIXED = copy.deepcopy(THREE)
MIXED["users"][1] |= {"platform": "bluesky", "handle": "alpha-omega.bsky.social"}
MIXED["users"][2] |= {"platform": "mastodon", "handle": "mid_1@mastodon.example"}
NO_EVAL = {k: v for k, v in TRAINING.items() if k != "eval_loss"}


def front_matter(text: str) -> dict:
    return yaml.safe_load(text.split("---\n", 2)[1])


def body(text: str) -> str:
    return text.split("\n---\n", 1)[1]


def sections(text: str) -> dict[str, str]:
    """The card body split at its '## ' headings."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {title: part for title, part in zip(parts[1::2], parts[2::2], strict=True)}


def paragraphs(section: str) -> list[str]:
    return [p.strip() for p in section.strip().split("\n\n") if p.strip()]


def _before_records() -> dict[str, object]:
    """Records whose cards must not change: every kind of card before issue 13, none with an eval loss."""
    shipped = {path.stem: load_record(path) for path in sorted(EXAMPLE_CARDS.glob("*.yaml"))}
    return shipped | {
        "single": make_record(),
        "single-training": make_record(training=NO_EVAL, samples=["My dream is a quiet sea.", "a | b"]),
        "three-wandb": make_record(THREE, wandb=WANDB, consent="public"),
        "scratch": make_record(base_model=None, training=NO_EVAL | {"tokens_seen": 12345}),
        "distilgpt2": make_record(base_model="distilbert/distilgpt2", consent="self"),
        "bluesky": make_record(BLUESKY, training={"train_loss": 2.5, "versions": {"peft": "0.21.0"}}),
        "mixed": make_record(MIXED, consent="permission", samples=["Hello there"]),
    }


BEFORE_RECORDS = _before_records()


# Issue 20: a card's numbers are plain integers (3182, as huggingtweets wrote them; a separator is English). The
# fixtures keep the 3,182 they were rendered with, as our cards of those weeks are on the Hub: today's card differs
# from them in that alone, and the importer reads them as they are.
_SEPARATOR = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def plain_numbers(card: str) -> str:
    return _SEPARATOR.sub("", card)


# Issue 22: every card links the namespace's try-it Space, with the bot selected, at the top of "How to use".
def try_it_line(repo_id: str, endpoint: str = ENDPOINT) -> str:
    namespace = repo_id.split("/")[0]
    return (
        f"[Try it in your browser]({endpoint}/spaces/{namespace}/try-the-bots?bot={repo_id}): the model runs on your"
        " device, in the page; what you type stays there.\n\n"
    )


def with_try_it(card: str, repo_id: str) -> str:
    return card.replace("## How to use\n\n", "## How to use\n\n" + try_it_line(repo_id), 1)


def with_issue_22(card: str, record) -> str:
    """A card of before issue 22 as it renders now: the try-it link, the first sample as the widget's output, and
    the machine-generated label (issue 24) under that output and above the samples."""
    if record.samples:
        widget = {"text": record.widget_prompt}
        was = dump_yaml({"widget": [widget]})
        card = card.replace(was, dump_yaml({"widget": [widget | {"output": {"text": widget_output(record)}}]}), 1)
        label = labels.machine_label(record.repo_id).replace("_", "\\_")
        card = card.replace(f"| {labels.SAMPLE} |\n", f"{label}\n\n| {labels.SAMPLE} |\n", 1)
    return with_try_it(card, record.repo_id)


def with_issue_24(card: str, record) -> str:
    """A card of before issue 24 as it renders now: its take-down sentence links a new take-down discussion."""
    link = f"[ask for it in a discussion]({labels.takedown_url(ENDPOINT, record.repo_id)})"
    return card.replace("taken down, open a discussion on this repository", f"taken down, {link} on this repository")


def widget_output(record) -> str:
    """The widget's example output: the first sample, and under it the label."""
    return f"{record.samples[0]}\n\n{labels.machine_label(record.repo_id)}"


@pytest.mark.parametrize("name", list(BEFORE_RECORDS))
def test_cards_without_eval_loss_are_unchanged_but_for_their_numbers(name):
    expected = (BEFORE / f"{name}.md").read_text(encoding="utf-8")
    record = BEFORE_RECORDS[name]
    assert render(record, endpoint=ENDPOINT) == with_issue_24(with_issue_22(plain_numbers(expected), record), record)


def test_the_fixtures_have_separators_and_import_as_published():
    published = (BEFORE / "dril-gnomeszs-s4m31p4n.md").read_text(encoding="utf-8")
    assert "| Tweets downloaded | 3,192 | 3,220 | 3,156 |" in published
    assert [u.counts.downloaded for u in import_card(published).users] == [3192, 3220, 3156]
    assert check_readme_text(published, "README.md") == []
    for name in BEFORE_RECORDS:
        published = (BEFORE / f"{name}.md").read_text(encoding="utf-8")
        assert import_card(published) == import_card(plain_numbers(published)), name


def test_an_eval_loss_adds_only_the_model_index():
    """A card of full weights with an eval loss keeps its body and every key; the model-index comes last."""
    record = make_record(THREE, training=TRAINING)
    before = plain_numbers((BEFORE / "eval-loss.md").read_text(encoding="utf-8"))
    text = render(record, endpoint=ENDPOINT)
    assert body(text) == with_try_it(body(before), record.repo_id)
    meta, was = front_matter(text), front_matter(before)
    assert list(meta) == [*was, "model-index"]
    assert {k: v for k, v in meta.items() if k != "model-index"} == was
    assert text.startswith(before.split("\n---\n", 1)[0] + "\nmodel-index:\n")


# -- the five kinds of model x copies or not x one or three accounts ------------------------------------

TINY_BASE = "huggingtweets/tiny-base-0123456789ab"
PYTHIA = "EleutherAI/pythia-14m"
KINDS = {
    "full-hub": {"base_model": "openai-community/gpt2"},
    "full-local": {"base_model": None, "base_model_local": True},
    "scratch": {"base_model": None},
    "adapter-hub": {"base_model": PYTHIA, "weights": "adapter"},
    "adapter-random": {"base_model": TINY_BASE, "weights": "adapter"},
}
GPT2_URL = "https://huggingface.co/openai-community/gpt2"
PROCEDURE = {
    "full-hub": f"The model is based on a pre-trained [GPT-2]({GPT2_URL}) which is fine-tuned on the {{posts}} of"
    " {accounts}.",
    "full-local": "The model is based on a pre-trained model from a local folder that does not say which Hub model"
    " it is, fine-tuned on the {posts} of {accounts}.",
    "scratch": "The model is a small GPT-2 trained from scratch by hf-tweets on the {posts} of {accounts}.",
    "adapter-hub": f"The model is a LoRA adapter (peft) on a pre-trained [{PYTHIA}](https://huggingface.co/{PYTHIA}),"
    " trained on the {posts} of {accounts}.",
    "adapter-random": "The model is a LoRA adapter (peft) trained on the {posts} of {accounts}, on a small GPT-2 that"
    f" hf-tweets initialised at random (it is not pre-trained) and published at [{TINY_BASE}]"
    f"(https://huggingface.co/{TINY_BASE}) for the adapter to load on.",
}
SCRATCH_LIMITS = (
    "The model is small and trained from scratch on {kept} posts: it imitates their form more than their sense."
)
LIMITS = {
    "full-hub": f"The model suffers from [the same limitations and bias as GPT-2]({GPT2_URL}#limitations-and-bias).",
    "full-local": "The model suffers from the same limitations and bias as its base model.",
    "scratch": SCRATCH_LIMITS,
    "adapter-hub": f"The model suffers from the same limitations and bias as [its base model](https://huggingface.co/{PYTHIA}).",
    "adapter-random": SCRATCH_LIMITS,
}
ACCOUNTS = {
    "one": (SINGLE, {"samples": ["My dream is a quiet sea."]}),
    "three": (MIXED, {}),  # X, Bluesky and Mastodon; no samples: the copy rate is still said
}
SHOWN = {  # how each card names the accounts: in its body (Markdown), in its model-index (YAML), its words
    "one": ("@pixel\\_poet", "@pixel_poet", "tweet", "2500"),
    "three": (
        "@Zeta\\_Z, @alpha-omega.bsky.social and @mid\\_1@mastodon.example",
        "@Zeta_Z, @alpha-omega.bsky.social and @mid_1@mastodon.example",
        "post",
        "47",
    ),
}
COPIES = {"samples": 30, "copied": 1}
CASES = [(k, c, a) for k in KINDS for c in ("copies", "no-copies") for a in ACCOUNTS]


def kind_record(kind: str, copies: str, accounts: str):
    base, extra = ACCOUNTS[accounts]
    training = TRAINING | ({"copies": COPIES} if copies == "copies" else {})
    return make_record(base, **KINDS[kind], training=training, **extra)


def expected_front_matter(record, kind: str, accounts: str) -> dict:
    adapter = kind.startswith("adapter")
    data = {"base_model": record.base_model} if record.base_model else {}
    data |= {"language": "en", "library_name": "peft" if adapter else "transformers"}
    data |= {"license": "mit"} if accounts == "one" else {}
    data |= {"pipeline_tag": "text-generation", "tags": ["huggingtweets", "hf-tweets", "text-generation"]}
    if adapter:
        data["tags"].append("lora")
        data["base_model_relation"] = "adapter"
    if accounts == "one":
        data["thumbnail"] = f"{HUB.url}/huggingtweets/pixel_poet/resolve/main/predictions.png"
    # The widget's example output is the first sample (the Hub shows it where no provider serves the model).
    data["widget"] = [{"text": "My dream is"} | ({"output": {"text": widget_output(record)}} if record.samples else {})]
    posts = "Tweets" if accounts == "one" else "Posts"
    data["model-index"] = [
        {
            "name": record.name,
            "results": [
                {
                    "task": {"type": "text-generation", "name": "Text Generation"},
                    "dataset": {
                        "name": f"{posts} of {SHOWN[accounts][1]}",
                        "type": f"hf-tweets:{record.repo_id}",
                        "split": "eval",
                    },
                    "metrics": [
                        {"type": "loss", "value": 3.5, "name": "Eval loss"},
                        {"type": "perplexity", "value": 33.12, "name": "Eval perplexity"},
                    ],
                }
            ],
        }
    ]
    return data


@pytest.mark.parametrize("kind, copies, accounts", CASES, ids=["-".join(c) for c in CASES])
def test_front_matter_says_what_was_trained(kind, copies, accounts):
    record = kind_record(kind, copies, accounts)
    meta = front_matter(render(record))
    expected = expected_front_matter(record, kind, accounts)
    assert meta == expected
    assert list(meta) == list(expected)  # the order ModelCardData writes them in


@pytest.mark.parametrize("kind, copies, accounts", CASES, ids=["-".join(c) for c in CASES])
def test_body_says_what_was_trained(kind, copies, accounts):
    record = kind_record(kind, copies, accounts)
    markdown, _, post, kept = SHOWN[accounts]
    parts = sections(render(record))
    assert paragraphs(parts["Training procedure"])[0] == PROCEDURE[kind].format(posts=f"{post}s", accounts=markdown)
    assert paragraphs(parts["Limitations and bias"])[0] == LIMITS[kind].format(kept=kept)
    samples = parts.get("Sample generations")
    if copies == "no-copies":
        assert samples is None or not samples.strip().startswith("3.3 %")
        return
    sentences = paragraphs(samples)
    assert sentences[0] == (
        f"3.3 % of 30 samples copy 8+ words of a training {post} (50+ characters in text written without spaces)."
    )
    if accounts == "one":
        assert sentences[1] == f"The samples shown here copy no training {post}."
        assert sentences[2] == "Machine-generated by huggingtweets/pixel\\_poet, not written by a person."
        assert sentences[3].startswith("| Sample |\n| --- |\n| My dream is a quiet sea. |")
    else:
        assert sentences[1:] == []  # no samples to show, and none claimed


@pytest.mark.parametrize("kind, copies, accounts", CASES, ids=["-".join(c) for c in CASES])
def test_the_card_passes_card_check_and_the_hubs_validation(hub, kind, copies, accounts):
    text = render(kind_record(kind, copies, accounts))
    notes: list = []
    assert check_readme_text(text, "README.md", notes) == [] and notes == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning from the Hub's answer would fail the test
        HfApi()._validate_yaml(text)
        ModelCard(text).validate()
    assert hub.validate_yaml_calls == 2


@pytest.mark.parametrize("kind, copies, accounts", CASES, ids=["-".join(c) for c in CASES])
def test_the_card_imports_back_to_its_record(kind, copies, accounts):
    record = kind_record(kind, copies, accounts)
    text = render(record)
    imported = import_card(text)
    assert imported == record
    assert (imported.weights, imported.base_model, imported.base_model_local) == (
        record.weights,
        record.base_model,
        record.base_model_local,
    )
    assert imported.training.copies == record.training.copies
    assert render(imported) == text


@pytest.mark.parametrize("kind", list(KINDS))
def test_without_training_facts_no_model_index(kind):
    meta = front_matter(render(make_record(**KINDS[kind])))
    assert "model-index" not in meta
    assert meta.get("base_model_relation") == ("adapter" if kind.startswith("adapter") else None)


# -- the copy check's sentence -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "copies, words, sentence",
    [
        ({"samples": 30, "copied": 1}, "x", "3.3 % of 30 samples copy 8+ words of a training tweet"),
        ({"samples": 200, "copied": 0}, "x", "0 % of 200 samples copy 8+ words of a training tweet"),
        ({"samples": 3, "copied": 3}, "bluesky", "100 % of 3 samples copy 8+ words of a training post"),
        ({"samples": 1, "copied": 0}, "x", "0 % of 1 sample copy 8+ words of a training tweet"),
        ({"samples": 7, "copied": 1}, "x", "14.3 % of 7 samples copy 8+ words of a training tweet"),
        ({"samples": 100_000, "copied": 12_345}, "x", "12.345 % of 100000 samples copy 8+ words of a training tweet"),
        ({"samples": 99_999, "copied": 1}, "x", "0.001 % of 99999 samples copy 8+ words of a training tweet"),
        (
            {"samples": 50, "copied": 5, "words": 12, "chars": 1200},
            "mastodon",
            "10 % of 50 samples copy 12+ words of a training post (1200+ characters in text written without spaces).",
        ),
    ],
)
def test_the_copy_rate_is_said_and_read_back(copies, words, sentence):
    check = CopyCheck(**copies)
    shown = labels.copies_sentence(check, labels.words_of([words]))
    assert shown.startswith(sentence)
    assert labels.read_copies(shown) == check.model_dump()


# -- usage snippets ------------------------------------------------------------------------------------------

ADAPTER_USAGE = """\
## How to use

{try_it}This repo holds a LoRA adapter: it needs peft (`pip install peft`), which loads it on its base model:

```python
from peft import AutoPeftModelForCausalLM
from transformers import AutoTokenizer, pipeline

model = AutoPeftModelForCausalLM.from_pretrained('huggingtweets/pixel_poet')
tokenizer = AutoTokenizer.from_pretrained('huggingtweets/pixel_poet')
generator = pipeline('text-generation', model=model, tokenizer=tokenizer)
generator("It's my dream", prefix=tokenizer.eos_token, num_return_sequences=5,
          do_sample=True, top_p=0.95, max_new_tokens=60)
```
"""
FULL_USAGE = """\
## How to use

{try_it}You can use this model directly with a pipeline for text generation:

```python
from transformers import pipeline
generator = pipeline('text-generation',
                     model='huggingtweets/pixel_poet')
generator("It's my dream", num_return_sequences=5)
```
"""


def test_the_adapter_snippet_loads_the_adapter_with_peft():
    text = render(make_record(**KINDS["adapter-hub"], widget_prompt="It's my dream"))
    usage = "## How to use" + text.split("## How to use", 1)[1].split("## Limitations", 1)[0]
    expected = ADAPTER_USAGE.replace("{try_it}", try_it_line("huggingtweets/pixel_poet", HUB.url))
    assert usage.rstrip("\n") == expected.rstrip("\n")
    code = usage.split("```python\n", 1)[1].split("```", 1)[0]
    compile(code, "usage", "exec")
    assert code.count("'huggingtweets/pixel_poet'") == 2


def test_the_full_weights_snippet_is_unchanged():
    text = render(make_record(widget_prompt="It's my dream"))
    usage = "## How to use" + text.split("## How to use", 1)[1].split("## Limitations", 1)[0]
    expected = FULL_USAGE.replace("{try_it}", try_it_line("huggingtweets/pixel_poet", HUB.url))
    assert usage.rstrip("\n") == expected.rstrip("\n")


# -- front matter: the fast path agrees with huggingface_hub ------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_metadata_shortcut_is_what_to_dict_gives(kind):
    for training in (None, TRAINING, NO_EVAL):
        data = card_data(make_record(**KINDS[kind], training=training))
        assert list(_metadata(data).items()) == list(data.to_dict().items())


# -- the loopback Hub refuses what the Hub refuses ----------------------------------------------------------

GOOD = {
    "base_model": "openai-community/gpt2",
    "library_name": "peft",
    "base_model_relation": "adapter",
    "model-index": [
        {
            "name": "alice",
            "results": [
                {
                    "task": {"type": "text-generation"},
                    "dataset": {"type": "hf-tweets:huggingtweets/alice", "name": "Tweets of @alice"},
                    "metrics": [{"type": "loss", "value": 3.5}],
                }
            ],
        }
    ],
}
NOT_VALID = "is not valid. Use a model id from https://hf.co/models."
REFUSED = [
    ("local-folder", {"base_model": "./folder"}, f'"base_model" with value "./folder" {NOT_VALID}'),
    ("absolute-path", {"base_model": "/tmp/x"}, f'"base_model" with value "/tmp/x" {NOT_VALID}'),
    ("in-a-list", {"base_model": ["gpt2", "../up"]}, f'"base_model[1]" with value "../up" {NOT_VALID}'),
    ("three-parts", {"base_model": "a/b/c"}, f'"base_model" with value "a/b/c" {NOT_VALID}'),
    ("not-a-string", {"base_model": 12}, '"base_model" must be one of [string, array]'),
    (
        "relation",
        {"base_model_relation": "lora"},
        '"base_model_relation" must be one of [adapter, merge, quantized, finetune]',
    ),
    ("relation-alone", {"base_model": None}, '"base_model_relation" missing required peer "base_model"'),
    ("library", {"library_name": ["peft"]}, '"library_name" must be a string'),
    ("index-not-list", {"model-index": {"name": "alice"}}, '"model-index" must be an array'),
    ("index-no-name", {"model-index": [{"results": []}]}, '"model-index[0].name" is required'),
    ("index-no-results", {"model-index": [{"name": "alice"}]}, '"model-index[0].results" is required'),
    ("results-not-list", {"model-index": [{"name": "a", "results": 3}]}, '"model-index[0].results" must be an array'),
]


def _broken_index(path: str, value) -> dict:
    """GOOD's model-index with the value at ``path`` (task.type, metrics ...) replaced; None removes it."""
    index = copy.deepcopy(GOOD["model-index"])
    *parents, last = path.split(".")
    node = index[0]["results"][0]
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return {"model-index": index}


R0 = '"model-index[0].results[0]'
REFUSED += [
    ("no-task", _broken_index("task", None), f'{R0}.task" is required'),
    ("no-task-type", _broken_index("task.type", None), f'{R0}.task.type" is required'),
    ("task-type-number", _broken_index("task.type", 5), f'{R0}.task.type" must be a string'),
    ("no-dataset-type", _broken_index("dataset.type", None), f'{R0}.dataset.type" is required'),
    ("no-dataset-name", _broken_index("dataset.name", None), f'{R0}.dataset.name" is required'),
    ("config-object", _broken_index("dataset.config", {"a": 1}), f'{R0}.dataset.config" must be a string'),
    ("metrics-not-list", _broken_index("metrics", {"type": "loss"}), f'{R0}.metrics" must be an array'),
    ("no-metric-value", _broken_index("metrics.0.value", None), f'{R0}.metrics[0].value" is required'),
    ("no-metric-type", _broken_index("metrics.0.type", None), f'{R0}.metrics[0].type" is required'),
]


def _readme(metadata: dict) -> str:
    data = {k: v for k, v in (GOOD | metadata).items() if v is not None}
    return f"---\n{yaml.safe_dump(data, sort_keys=False)}---\n\n# A card\n"


def test_the_loopback_hub_accepts_the_good_metadata(hub):
    HfApi()._validate_yaml(_readme({}))
    ModelCard(_readme({})).validate()
    assert hub.validate_yaml_calls == 2


@pytest.mark.parametrize("what, metadata, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_the_loopback_hub_refuses_what_the_hub_refuses(hub, what, metadata, message):
    with pytest.raises(ValueError) as raised:
        HfApi()._validate_yaml(_readme(metadata))
    assert str(raised.value) == f"Invalid metadata in README.md.\n- {message}"


@pytest.mark.parametrize("what, metadata, message", REFUSED[:8], ids=[r[0] for r in REFUSED[:8]])
def test_modelcard_validate_gets_the_hubs_message(hub, what, metadata, message):
    with pytest.raises(ValueError) as raised:
        ModelCard(_readme(metadata)).validate()  # huggingface_hub raises the answer's text as it is
    assert str(raised.value) == message


# -- the front matter's YAML: libyaml's emitter fed the events yaml.dump would make --------------------------

SHARED = {"text": "same"}
YAML_VALUES = [
    "My dream is",
    "",
    "yes",
    "null",
    "3.5",
    "1e3",
    "key: value # comment - [list]",
    "  padded  ",
    "line\nbreak",
    "next\x85line",
    "emoji 🌙 and café",
    "'quoted' \"both\"",
    3.5,
    1e-05,
    1e16,
    -0.0,
    float("inf"),
    0,
    -12,
    10**20,
    True,
    False,
    None,
    [],
    {},
    ["huggingtweets", "hf-tweets"],
    [{"text": "My dream is"}],
    {"nested": [{"a": 1, "b": [1.5, "x"]}], "empty": []},
    [SHARED, SHARED],  # one object twice: yaml.dump writes an anchor and an alias
    ("a", "tuple"),
    {1: "not a string key"},
]


def test_a_cached_zero_does_not_stand_for_minus_zero():
    """0.0 == -0.0, so a cache of scalars keyed by value alone wrote 0.0 for -0.0 once 0.0 had been written."""
    assert dump_yaml({"key": 0.0}) == "key: 0.0\n" and dump_yaml({"key": -0.0}) == "key: -0.0\n"


@pytest.mark.parametrize("value", YAML_VALUES, ids=[f"v{i}" for i in range(len(YAML_VALUES))])
def test_dump_yaml_writes_what_yaml_dump_writes(value):
    data = {"key": value}
    expected = yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=4096)
    if "\\U" in expected:  # dump_yaml keeps characters beyond the BMP readable, as huggingface_hub does
        expected = yaml.dump(data, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=4096)
    assert dump_yaml(data) == expected
    assert dump_yaml(data) == dump_yaml(data)  # the cached events give the same text again
