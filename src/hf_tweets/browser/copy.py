"""The browser copy of a trained model folder: ``onnx/model_quantized.onnx``, checked before it is kept.

``write_browser_copy`` loads the folder (full weights; an adapter merged into its base in memory, peft's
``merge_and_unload``), exports it in fp32 to a staging folder (onnx.py), and keeps nothing unless ONNX Runtime's
greedy continuation of a few prompts equals PyTorch's token for token. It then quantizes the export (8-bit
weights), measures how often the 8-bit copy predicts the same next token as PyTorch (``agreement``, defined on
``record.BrowserCopy``), writes ``onnx/browser_copy.json`` (those facts and the sha256 of the weights the copy was
made from, so a copy of other weights is known to be stale) and swaps ``onnx/`` into place whole
(fsutil.staged_folder: a kill -9 or a full disk never leaves half of it).

Only the 8-bit file is kept. transformers.js loads it by default in a browser (dtype q8); the fp32 file would
double what a visitor may download and what the repo stores (GPT-2 124M: 498 MB beside the weights' 498 MB, the
8-bit one 25 % of that, bench/onnx_size.py), for a copy no page asks for.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from hf_tweets import __version__
from hf_tweets.browser.onnx import FP32, QUANTIZED, Session, Shape, export, quantize, torch_greedy
from hf_tweets.cards.record import DEFAULT_PROMPT, BrowserCopy
from hf_tweets.cards.recordfile import load_record, record_path, update_record
from hf_tweets.errors import BrowserCopyError, HfTweetsError
from hf_tweets.folders import Folders
from hf_tweets.fsutil import atomic_write_text, sha256_of, staged_folder
from hf_tweets.training.basemodel import weights_files  # the weight files a copy is made from
from hf_tweets.training.prepare import EOS

FOLDER = "onnx"
FACTS = "browser_copy.json"  # in onnx/: the copy's facts and the weights it was made from
STEPS = 12  # greedy tokens compared per prompt
MORE_PROMPTS = ("I think", "")  # besides the record's widget prompt: a second phrase, and no prompt at all
MAX_TEXTS = 4  # eval posts read teacher-forced for the agreement


def weights_sha256(model_dir: Path) -> dict[str, str]:
    """File name -> sha256 of the weights in ``model_dir`` (the Hub keeps them in LFS: it knows the same hashes)."""
    names = weights_files(p.name for p in model_dir.iterdir() if p.is_file()) if model_dir.is_dir() else []
    return {name: sha256_of(model_dir / name).hexdigest() for name in names}


def made_from(model_dir: Path) -> dict[str, str] | None:
    """The weights the folder's browser copy was made from (None: there is no complete copy)."""
    folder = model_dir / FOLDER
    try:
        facts = json.loads((folder / FACTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    weights = facts.get("weights") if isinstance(facts, dict) else None
    return weights if isinstance(weights, dict) and (folder / QUANTIZED).is_file() else None


def is_current(model_dir: Path) -> bool:
    """Whether ``onnx/`` is a copy of the weights the folder holds now."""
    weights = weights_sha256(model_dir)
    return bool(weights) and made_from(model_dir) == weights


def write_browser_copy(model_dir: Path, *, prompt: str = DEFAULT_PROMPT, texts: Sequence[str] = ()) -> BrowserCopy:
    """Write ``model_dir/onnx/`` (see the module docstring) and return its facts; BrowserCopyError when it cannot be
    made or fails its check, and then no ``onnx/`` is left (an older copy is of other weights: it goes too)."""
    weights = weights_sha256(model_dir)
    target = model_dir / FOLDER
    try:
        model, tokenizer = _load_merged(model_dir)
        with staged_folder(target) as staging:
            facts = _make(model, tokenizer, staging, [prompt, *MORE_PROMPTS], list(texts)[:MAX_TEXTS])
            record = {"browser": facts.model_dump(), "weights": weights, "hf_tweets": __version__}
            atomic_write_text(staging / FACTS, json.dumps(record, indent=2, sort_keys=True) + "\n")
        return facts
    except BrowserCopyError as error:
        _drop(target)
        raise BrowserCopyError(error.what, where=model_dir, fix=error.fix) from None
    except HfTweetsError as error:  # a full disk (WriteError), a model that does not load (TrainError)
        _drop(target)
        raise BrowserCopyError(error.what, where=error.where or model_dir, fix=error.fix) from None
    except Exception as error:  # noqa: BLE001 - an exporter that cannot handle an architecture says so in its way
        _drop(target)
        cause = " ".join(str(error).split())[:160]
        raise BrowserCopyError(
            f"could not be exported for the browser ({type(error).__name__}: {cause})", where=model_dir
        ) from None


def copy_for_bot(name: str, folders: Folders, model_dir: Path, *, then: str) -> str | None:
    """The browser copy of a bot's model folder, unless it is a copy of these weights already, with its facts on the
    record (a few of data/NAME's eval posts measure the agreement). One that cannot be made leaves no onnx/ (the
    record says none) and comes back as the warning line; ``then`` says what goes on without it ("published")."""
    card = record_path(folders.cards, name)
    if is_current(model_dir):
        return None
    eval_file = folders.prepared(name) / "eval.txt"
    posts = eval_file.read_text(encoding="utf-8").split(EOS) if eval_file.is_file() else []
    warning = None
    try:
        facts = write_browser_copy(model_dir, prompt=load_record(card).widget_prompt, texts=posts)
    except BrowserCopyError as error:
        facts, fix = None, f"run hf-tweets onnx {name} to try again"
        warning = f"{name}: {error.what}; {then} without it ({fix})"

    def change(record) -> None:
        record.browser = facts

    update_record(card, change)
    return warning


def forget_stale(name: str, cards_dir: Path, model_dir: Path) -> None:
    """With --no-onnx: a record whose model folder has no current copy (new weights) says it has none."""
    card = record_path(cards_dir, name)
    if load_record(card).browser is not None and not is_current(model_dir):

        def change(record) -> None:
            record.browser = None

        update_record(card, change)


def _make(model, tokenizer, staging: Path, prompts: list[str], texts: list[str]) -> BrowserCopy:
    """Export, check, quantize and measure in ``staging``; only the 8-bit file is left there."""
    shape = Shape.of(model.config)
    fp32 = export(model, staging)
    session, forced = Session(fp32, shape), []
    prefix = tokenizer.eos_token or ""
    for text in prompts:
        ids = tokenizer(prefix + text, add_special_tokens=False)["input_ids"]
        want, got = torch_greedy(model, ids, STEPS), session.greedy(ids, STEPS)
        if want != got:
            token = next(i for i, (a, b) in enumerate(zip(want, got, strict=True)) if a != b) + 1
            raise BrowserCopyError(f"the browser copy differs from the model at token {token} of {json.dumps(text)}")
        forced.append(ids + want)
    forced += [tokenizer(prefix + t, add_special_tokens=False)["input_ids"] for t in texts if t.strip()]
    del session
    quantized = quantize(fp32, staging / QUANTIZED)
    fp32.unlink()
    agreement, positions = _agreement(model, Session(quantized, shape), forced, _limit(model.config))
    return BrowserCopy(
        files=[f"{FOLDER}/{QUANTIZED}"], bytes=quantized.stat().st_size, agreement=agreement, positions=positions
    )


def _agreement(model, session: Session, sequences: list[list[int]], limit: int) -> tuple[float, int]:
    """(share of positions where the copy's most likely next token is PyTorch's, positions), teacher-forced."""
    import torch

    same = total = 0
    for ids in (s[:limit] for s in sequences):
        with torch.no_grad():
            want = model(torch.tensor([ids])).logits[0].argmax(-1).numpy()
        got = session.logits(ids).argmax(-1)
        same, total = same + int((want == got).sum()), total + len(ids)
    return same / total, total


def _limit(config) -> int:
    return getattr(config, "n_positions", None) or getattr(config, "max_position_embeddings", None) or 128


def _load_merged(model_dir: Path):
    """(model, tokenizer) of a model folder, an adapter merged into its base: the browser runs one plain model."""
    from hf_tweets.training.basemodel import load_trained

    model, tokenizer, _ = load_trained(model_dir)
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    return model.eval(), tokenizer


def _drop(target: Path) -> None:
    """Remove ``target`` out of the way first (renamed, then deleted: sweep_orphans ends what a kill interrupts)."""
    if not target.exists():
        return
    old = target.with_name(f".{target.name}.{os.getpid()}.old")
    os.rename(target, old)
    shutil.rmtree(old, ignore_errors=True)


__all__ = ["FACTS", "FOLDER", "FP32", "QUANTIZED", "copy_for_bot", "is_current", "made_from", "write_browser_copy"]
