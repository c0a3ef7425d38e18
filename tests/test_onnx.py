"""The browser copy (issue 22): onnx/model_quantized.onnx beside the weights, checked against PyTorch, published in
the same commit, and added to repos already on the Hub by ``hf-tweets onnx``.

Exports cost 6-8 s each: they are shared through module fixtures, and every test that exports is slow.
"""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download
from test_lora import build_base

from hf_tweets.browser import copy
from hf_tweets.browser.onnx import QUANTIZED, Session, Shape, torch_greedy
from hf_tweets.cards.recordfile import load_record
from hf_tweets.errors import BrowserCopyError

from conftest import SAMPLE_ARCHIVE
from tiny_model import build_tiny_model

REPO = "huggingtweets/pixel_poet"
ONNX_FILES = ["onnx/browser_copy.json", "onnx/model_quantized.onnx"]
EOS = "<|endoftext|>"


def commits(hub, repo_id=REPO) -> int:
    """Commits on main after the one creating the repo."""
    repo = hub.repo(repo_id)
    return 0 if repo is None else len(repo.commits) - 1


def head_files(hub, repo_id=REPO) -> list[str]:
    return sorted(hub.repo(repo_id).head.files)


def ids_of(folder: Path, text: str) -> list[int]:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder)(EOS + text, add_special_tokens=False)["input_ids"]


# -- the library: GPT-2 full weights, a Llama adapter merged -----------------------------------------------------


@pytest.fixture(scope="module")
def kept_exports(tmp_path_factory):
    """Every fp32 export write_browser_copy makes in this module, kept aside (it keeps only the 8-bit file)."""
    folder = tmp_path_factory.mktemp("fp32")
    real, made = copy.export, []

    def keeping(model, target):
        path = real(model, target)
        made.append(shutil.copy(path, folder / f"{len(made)}.onnx"))
        return path

    patch = pytest.MonkeyPatch()
    patch.setattr(copy, "export", keeping)
    yield made
    patch.undo()


@pytest.fixture(scope="module")
def gpt2_copy(tmp_path_factory, kept_exports):
    """A tiny GPT-2 folder with its browser copy; (folder, facts, the fp32 export)."""
    folder = build_tiny_model(tmp_path_factory.mktemp("gpt2") / "model")
    facts = copy.write_browser_copy(folder, texts=["a made-up post about the sea", "another one"])
    return folder, facts, Path(kept_exports[-1])


@pytest.fixture(scope="module")
def llama_adapter_copy(tmp_path_factory, kept_exports):
    """A LoRA adapter (non-zero B: the merge changes the model) on a tiny Llama, with its browser copy."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    root = tmp_path_factory.mktemp("llama")
    base = build_base(root / "base-llama", "llama")
    torch.manual_seed(1)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(base), LoraConfig(r=4, target_modules="all-linear"))
    with torch.no_grad():
        for name, weight in model.named_parameters():
            if "lora_B" in name:
                weight.normal_(0, 0.5)
    folder = root / "adapter"
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(base).save_pretrained(folder)
    (folder / "hf_tweets.json").write_text(json.dumps({"base": str(base)}))
    facts = copy.write_browser_copy(folder)
    return folder, base, facts, Path(kept_exports[-1])


@pytest.mark.slow
def test_a_gpt2_copy_is_the_8bit_file_and_its_facts(gpt2_copy):
    folder, facts, _ = gpt2_copy
    assert sorted(p.name for p in (folder / "onnx").iterdir()) == ["browser_copy.json", QUANTIZED]
    written = json.loads((folder / "onnx" / "browser_copy.json").read_text())
    assert written["browser"] == facts.model_dump()
    assert written["weights"] == {"model.safetensors": copy.weights_sha256(folder)["model.safetensors"]}
    assert facts.files == ["onnx/model_quantized.onnx"]
    assert facts.bytes == (folder / "onnx" / QUANTIZED).stat().st_size
    assert 0.5 <= facts.agreement <= 1 and facts.positions > 3 * copy.STEPS  # prompts and their texts, the posts
    assert copy.is_current(folder)
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no staging folder left


@pytest.mark.slow
def test_onnx_runtime_continues_as_pytorch_does(gpt2_copy):
    from transformers import AutoModelForCausalLM

    folder, _, fp32 = gpt2_copy
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    for text in ("My dream is", "The sea", ""):
        ids = ids_of(folder, text)
        assert Session(fp32, Shape.of(model.config)).greedy(ids, 16) == torch_greedy(model, ids, 16)


def test_the_export_and_the_comparison_name_the_cache_as_this_transformers_does(tiny_model, tmp_path):
    """transformers renamed forward's past_key_values to cache (the old name goes in 5.40): no deprecated name."""
    import warnings

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from hf_tweets.browser.onnx import _wrapper

    model = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    shape = Shape.of(model.config)
    past = [torch.zeros(1, shape.kv_heads, 2, shape.head_dim) for _ in range(2 * shape.layers)]
    with warnings.catch_warnings(record=True) as caught, torch.no_grad():
        warnings.simplefilter("always")
        logits, *present = _wrapper(model, shape)(
            torch.tensor([[5, 6]]), torch.ones(1, 4, dtype=torch.long), torch.tensor([[2, 3]]), *past
        )
        torch_greedy(model, [5, 6], 2)
        torch_greedy(get_peft_model(model, LoraConfig(r=2, target_modules="all-linear")), [5, 6], 2)
    assert logits.shape[:2] == (1, 2) and [t.shape[2] for t in present] == [4] * 2 * shape.layers
    assert not [str(w.message) for w in caught if "past_key_values" in str(w.message)]


@pytest.mark.slow
def test_a_llama_adapter_is_exported_merged(llama_adapter_copy):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    folder, base, facts, fp32 = llama_adapter_copy
    assert (folder / "onnx" / QUANTIZED).is_file() and facts.positions > 0
    plain = AutoModelForCausalLM.from_pretrained(base).eval()
    adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), folder).eval()
    session = Session(fp32, Shape.of(plain.config))
    ids = ids_of(folder, "My dream is")
    assert session.greedy(ids, 12) == torch_greedy(adapted, ids, 12)  # the adapter's model, unmerged
    assert torch_greedy(plain, ids, 12) != torch_greedy(adapted, ids, 12)  # ...which is not the base's


@pytest.mark.slow
def test_a_copy_of_other_weights_is_not_current(gpt2_copy, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(gpt2_copy[0], folder)
    assert copy.is_current(folder)
    build_tiny_model(tmp_path / "other", seed=1)
    shutil.copy(tmp_path / "other" / "model.safetensors", folder / "model.safetensors")
    assert not copy.is_current(folder)


# -- a copy that cannot be kept ----------------------------------------------------------------------------------


def test_a_full_disk_while_exporting_leaves_no_half_folder(tiny_model, tmp_path, monkeypatch):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)

    def half_then_full(model, target):
        (target / "model.onnx").write_bytes(b"half a graph")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(copy, "export", half_then_full)
    with pytest.raises(BrowserCopyError) as caught:
        copy.write_browser_copy(folder)
    assert caught.value.line() == (
        f"{folder}: could not be exported for the browser (OSError: [Errno 28] No space left on device)"
    )
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in tiny_model.iterdir())


def test_a_failed_check_removes_a_stale_copy(tiny_model, tmp_path, monkeypatch):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    (folder / "onnx").mkdir()
    (folder / "onnx" / QUANTIZED).write_bytes(b"a copy of weights trained before")
    monkeypatch.setattr(copy, "export", lambda model, target: (_ for _ in ()).throw(RuntimeError("unsupported op")))
    with pytest.raises(BrowserCopyError, match=r"could not be exported for the browser \(RuntimeError: unsup"):
        copy.write_browser_copy(folder)
    assert not (folder / "onnx").exists() and not [p for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_a_copy_that_differs_is_not_published_and_the_run_says_why(run, hub, trained, fast, monkeypatch):
    monkeypatch.setattr(copy, "torch_greedy", lambda model, ids, steps: [0, 0, 1] + [0] * (steps - 3))
    code, out, err = run("run", "--archive", str(SAMPLE_ARCHIVE), *fast, "--onnx", "--publish")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning: pixel_poet: the browser copy")]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: pixel_poet: the browser copy differs from the model at token ")
    assert warnings[0].endswith(' of "My dream is"; published without it (run hf-tweets onnx pixel_poet to try again)')
    assert not (trained / "out" / "pixel_poet" / "onnx").exists()
    assert load_record(trained / "cards" / "pixel_poet.yaml").browser is None
    assert commits(hub) == 1 and not [f for f in head_files(hub) if f.startswith("onnx/")]


# -- run --publish, publish --no-onnx, hf-tweets onnx on what was published ---------------------------------------


@pytest.mark.slow
def test_run_publishes_the_copy_in_the_same_commit_and_it_loads_from_the_hub(run, hub, trained, fast, tmp_path):
    import onnxruntime  # noqa: F401 - the loaded copy below runs on it
    from transformers import AutoTokenizer

    code, out, err = run("run", "--archive", str(SAMPLE_ARCHIVE), *fast, "--onnx", "--publish")
    assert code == 0, err
    assert commits(hub) == 1
    files = head_files(hub)
    assert set(ONNX_FILES) <= set(files) and "model.safetensors" in files
    record = load_record(trained / "cards" / "pixel_poet.yaml")
    assert record.browser is not None and record.browser.files == ["onnx/model_quantized.onnx"]

    cache = tmp_path / "fresh-cache"  # what a visitor's browser fetches, through the real client
    path = Path(hf_hub_download(REPO, "onnx/model_quantized.onnx", cache_dir=cache))
    config = json.loads(Path(hf_hub_download(REPO, "config.json", cache_dir=cache)).read_text())
    tokenizer = AutoTokenizer.from_pretrained(Path(hf_hub_download(REPO, "tokenizer.json", cache_dir=cache)).parent)
    from transformers import GPT2Config

    tokens = Session(path, Shape.of(GPT2Config(**config))).greedy(ids_of_tokenizer(tokenizer, "My dream is"), 8)
    assert len(tokens) == 8 and isinstance(tokenizer.decode(tokens), str) and tokenizer.decode(tokens)

    code, out, err = run("onnx", REPO)  # already there, made from these weights
    assert (code, commits(hub)) == (0, 1), err
    assert out.strip().startswith(f"{REPO}: the browser copy is current at ") and out.count("\n") == 1

    code, out, err = run("publish", "pixel_poet", "--model-dir", "out/pixel_poet", "--namespace", "tester", "--no-onnx")
    assert code == 0, err
    assert not [f for f in head_files(hub, "tester/pixel_poet") if f.startswith("onnx/")]


def ids_of_tokenizer(tokenizer, text: str) -> list[int]:
    return tokenizer(EOS + text, add_special_tokens=False)["input_ids"]


@pytest.mark.slow
def test_onnx_adds_copies_to_legacy_repos_and_reports_a_broken_one(run, hub, tiny_model, tmp_path):
    """A huggingtweets repo (pytorch_model.bin), a repo without weights and one that does not exist."""
    import torch
    from safetensors.torch import load_file

    api = HfApi()
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    for name in ("config.json", "vocab.json", "merges.txt", "tokenizer_config.json"):
        if (tiny_model / name).is_file():
            shutil.copy(tiny_model / name, legacy / name)
    shutil.copy(tiny_model / "tokenizer.json", legacy / "tokenizer.json")
    torch.save(load_file(tiny_model / "model.safetensors"), legacy / "pytorch_model.bin")
    for repo_id, folder in (("huggingtweets/old_bot", legacy), ("huggingtweets/card_only", None)):
        api.create_repo(repo_id)
        if folder is None:
            api.upload_file(path_or_fileobj=b"# a card\n", path_in_repo="README.md", repo_id=repo_id)
        else:
            api.upload_folder(folder_path=folder, repo_id=repo_id)
    repos = ["huggingtweets/card_only", "huggingtweets/old_bot", "huggingtweets/missing"]
    before = commits(hub, "huggingtweets/old_bot")

    code, out, err = run("onnx", *repos, "--max-commits-per-hour", "0")
    assert code == 1
    assert err.splitlines() == [
        "hf-tweets: error: huggingtweets/card_only: holds no weights (model.safetensors or pytorch_model.bin);"
        " publish a model",
        "hf-tweets: error: huggingtweets/missing: no such repo on the Hub; check the repo id (namespace/name)",
    ]
    assert out.startswith("huggingtweets/old_bot: committed ")
    assert commits(hub, "huggingtweets/old_bot") == before + 1
    assert set(ONNX_FILES) <= set(head_files(hub, "huggingtweets/old_bot"))
    assert hub.repo("huggingtweets/old_bot").head.title == "Add the browser copy (ONNX) with hf-tweets"

    code, out, err = run("onnx", "huggingtweets/old_bot")
    assert (code, commits(hub, "huggingtweets/old_bot")) == (0, before + 1)
    assert out.startswith("huggingtweets/old_bot: the browser copy is current at ")


# -- publish: onnx/ with the weights, or left alone while they stay ----------------------------------------------


def with_a_copy(model: Path, folder: Path) -> Path:
    """A copy of ``model`` with a stand-in browser copy (publish sends files; it does not run them)."""
    shutil.copytree(model, folder)
    (folder / "onnx").mkdir()
    (folder / "onnx" / QUANTIZED).write_bytes(b"an 8-bit graph")
    facts = {"files": ["onnx/model_quantized.onnx"], "bytes": 14, "agreement": 0.97, "positions": 60}
    (folder / "onnx" / "browser_copy.json").write_text(json.dumps({"browser": facts, "weights": {}}))
    return folder


@pytest.mark.parametrize("new_weights, copy_stays", [(False, True), (True, False)])
def test_a_repos_copy_stays_with_no_onnx_only_while_the_weights_stay(
    run, hub, card, tiny_model, tmp_path, new_weights, copy_stays
):
    first = with_a_copy(tiny_model, tmp_path / "first")
    code, out, err = run("publish", "pixel_poet", "--model-dir", str(first), "--onnx")
    assert code == 0, err
    assert set(ONNX_FILES) <= set(head_files(hub)) and commits(hub) == 1
    again = tmp_path / "again"
    shutil.copytree(tiny_model, again)
    if new_weights:
        build_tiny_model(tmp_path / "other", seed=1)
        shutil.copy(tmp_path / "other" / "model.safetensors", again / "model.safetensors")
    code, out, err = run("publish", "pixel_poet", "--model-dir", str(again), "--no-onnx")
    assert code == 0, err
    onnx = [f for f in head_files(hub) if f.startswith("onnx/")]
    assert (onnx == ONNX_FILES) == copy_stays and (onnx == []) == (not copy_stays)
    assert commits(hub) == (2 if new_weights else 1)  # the stale copy goes in the commit of the new weights
    if new_weights:
        assert out.startswith("published huggingtweets/pixel_poet: commit ") and "2 deleted" in out


def test_no_onnx_leaves_the_folders_copy_out(run, hub, card, tiny_model, tmp_path):
    folder = with_a_copy(tiny_model, tmp_path / "model")
    code, out, err = run("publish", "pixel_poet", "--model-dir", str(folder), "--no-onnx")
    assert code == 0, err
    assert not [f for f in head_files(hub) if f.startswith("onnx/")] and "model.safetensors" in head_files(hub)


@pytest.mark.parametrize(
    "value, args, expected",
    [("0", [], False), ("1", [], True), (None, [], True), ("0", ["--onnx"], True), ("1", ["--no-onnx"], False)],
)
def test_the_default_comes_from_hf_tweets_onnx(run, card, monkeypatch, value, args, expected):
    import hf_tweets.hub.publish as publishing

    seen = []
    monkeypatch.setattr(
        publishing, "publish", lambda *a, onnx, **k: seen.append(onnx) or (_ for _ in ()).throw(SystemExit(0))
    )
    if value is None:
        monkeypatch.delenv("HF_TWEETS_ONNX")
    else:
        monkeypatch.setenv("HF_TWEETS_ONNX", value)
    run("publish", "pixel_poet", "--model-dir", ".", *args)
    assert seen == [expected]


def test_a_bad_hf_tweets_onnx_is_one_line(run, monkeypatch):
    monkeypatch.setenv("HF_TWEETS_ONNX", "maybe")
    code, out, err = run("publish", "pixel_poet", "--model-dir", ".")
    assert (code, err) == (
        1,
        "hf-tweets: error: HF_TWEETS_ONNX='maybe' is not 0 or 1; set HF_TWEETS_ONNX to 0 or 1, or unset it for 1\n",
    )


@pytest.mark.slow
def test_a_kill_during_the_swap_leaves_no_half_copy_and_the_next_run_finishes_it(run, tiny_model, tmp_path):
    """kill -9 between the swap's two renames (kill_at's swapping: point), over a stale copy: onnx/ is missing for
    a moment, never half there; hf-tweets onnx puts the complete copy in place (sweep_orphans), finds it current."""
    import os

    from kill_at import Killer

    folder = with_a_copy(tiny_model, tmp_path / "model")  # a copy of no weights: stale
    log = tmp_path / "points.log"
    env = os.environ | {"HF_TWEETS_RETRY_BASE": "0.01"}
    points = ["temp:", "renamed:", "staged:", "swapping:"]  # browser_copy.json's write, then the swap
    code, output = Killer()(len(points), log, ["onnx", str(folder)], tmp_path, env)
    assert code == -9, output
    passed = log.read_text().splitlines()
    assert [p.split(":", 1)[0] + ":" for p in passed] == points and passed[-1] == f"swapping:{folder / 'onnx'}"
    assert not (folder / "onnx").exists()
    code, out, err = run("onnx", str(folder))
    assert (code, out) == (0, f"{folder}: the browser copy in {folder / 'onnx'} is current; nothing to do\n"), err
    assert sorted(p.name for p in (folder / "onnx").iterdir()) == ["browser_copy.json", QUANTIZED]
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_new_weights_without_a_copy_leave_no_facts_on_the_record(card, tiny_model, tmp_path):
    from hf_tweets.cards.record import BrowserCopy
    from hf_tweets.cards.recordfile import update_record

    def had_one(record):
        record.browser = BrowserCopy(files=["onnx/model_quantized.onnx"], bytes=14, agreement=0.9, positions=9)

    update_record(card, had_one)
    folder = with_a_copy(tiny_model, tmp_path / "model")  # its facts name no weights: not a copy of these
    copy.forget_stale("pixel_poet", card.parent, folder)
    assert load_record(card).browser is None
