"""``hf-tweets generate``: sample posts from a trained model with the settings saved beside it."""

from __future__ import annotations

import difflib
from pathlib import Path

from huggingface_hub.utils import HFValidationError, validate_repo_id

from hf_tweets.errors import HfTweetsError
from hf_tweets.fsutil import NAME_RE
from hf_tweets.sources import bots


def resolve(model: str, out_root: Path = Path("out")) -> str:
    """A model folder, ``out/NAME`` for a bot's name or its accounts (sources/bots.py), or a Hub repo id; a miss
    that looks local fails at once.

    Only a plausible ``namespace/name`` whose namespace is no local folder goes to the Hub: a typo of a
    local path (``out/pixel_poett``) must not spend half a minute retrying the Hub."""
    bot = bots.name(model)
    for candidate in (Path(model).expanduser(), out_root / model, out_root / bot):
        if _model_folder(candidate):
            return str(candidate)
    if _hub_id(model):
        return model
    raise HfTweetsError(
        f"no such model folder (looked for {model}/config.json and {out_root / bot}/config.json)",
        where=model,
        fix=_suggest(bot, out_root) or "train one with hf-tweets run or train, or give a Hub repo id (namespace/name)",
    )


def _hub_id(model: str) -> bool:
    if model.startswith((".", "/", "~")) or model.count("/") != 1 or Path(model.split("/")[0]).exists():
        return False
    try:
        validate_repo_id(model)
    except HFValidationError:
        return False
    return True


def _suggest(model: str, out_root: Path) -> str | None:
    """ "did you mean ...?" for a near miss of a local model folder."""
    path = Path(model)
    folder = path.parent if path.parent != Path(".") else out_root
    names = [p.name for p in folder.iterdir() if _model_folder(p)] if folder.is_dir() else []
    close = difflib.get_close_matches(path.name, names, n=1)
    if not close:
        return None
    return f"did you mean {folder / close[0] if path.parent != Path('.') else close[0]}?"


def _model_folder(path: Path) -> bool:
    return (path / "config.json").is_file() or (path / "adapter_config.json").is_file()


def bot_of(model: str, cards_dir: Path) -> tuple[str, bool]:
    """(the bot whose texts these are, as their label names it; whether it is a bot of this cards folder): the
    record's repo id for a bot's folder (out/NAME with cards/NAME.yaml), the repo id given, else the folder."""
    source = resolve(model)
    folder = Path(source)
    if not folder.is_dir():
        return source, False  # a Hub repo id
    if not NAME_RE.fullmatch(folder.name):
        return source, False
    from hf_tweets.cards.recordfile import load_record, record_path

    record = record_path(cards_dir, folder.name)
    return (load_record(record).repo_id, True) if record.is_file() else (source, False)


def json_item(prompt: str, text: str, bot: str) -> dict:
    """One text as ``generate --json`` writes it: marked machine-generated, with the bot that wrote it."""
    return {"prompt": prompt, "text": text, "machine_generated": True, "bot": bot}


def generate(model: str, prompt: str, count: int = 5, seed: int | None = None) -> list[str]:
    """``count`` texts starting with ``prompt``; cut at the first line break unless the model kept newlines."""
    return Generator(model, seed)(prompt, count)


def generate_originals(generator: Generator, prompt: str, count: int, posts: list[str]) -> tuple[list[str], int]:
    """Up to ``count`` texts that copy no training post (copies.py), asking for more while some are dropped, at
    most ROUNDS times; (texts, how many were dropped as copies)."""
    from hf_tweets.training import copies

    return copies.keep_originals(copies.CopyIndex(posts), lambda n: generator(prompt, n), count, ROUNDS)


ROUNDS = 5  # generations asked for at most, when copies are dropped
# Below this many parameters a model samples on one thread: its matrices are too small to gain from more, and with
# other processes on the cores, threads that wait for each other made 20 samples of a 1M-parameter model take 142 s
# instead of 0.6 s.
SMALL = 30_000_000


class Generator:
    """A model loaded once (a folder, ``out/NAME``, or a Hub repo id: full weights or a LoRA adapter), sampling
    with the settings saved beside it; every prompt starts after the end-of-text token, as posts did in training."""

    def __init__(self, model: str, seed: int | None = None):
        source = resolve(model)  # before transformers is even imported: a wrong path fails at once
        from transformers import pipeline, set_seed

        from hf_tweets.training.basemodel import load_trained

        if not Path(source).is_dir():
            source = _download(source)
        if seed is not None:
            set_seed(seed)
        loaded, tokenizer, facts = load_trained(Path(source))
        self.threads = 1 if loaded.num_parameters() < SMALL else None
        self.keep_newlines = facts.get("keep_newlines", False)
        self.prefix = tokenizer.eos_token or ""
        self.pipeline = pipeline("text-generation", model=loaded, tokenizer=tokenizer)
        self.model, self.max_length = model, loaded.generation_config.max_length

    def __call__(self, prompt: str, count: int = 5) -> list[str]:
        if count < 1:
            raise HfTweetsError(f"-n {count} asks for no text", fix="give -n 1 or more")
        self._check_prompt(prompt)
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(self.threads or threads)
        try:
            outputs = self.pipeline(prompt, prefix=self.prefix, num_return_sequences=count)
        finally:
            torch.set_num_threads(threads)
        texts = [o["generated_text"] for o in outputs]
        return texts if self.keep_newlines else [t.split("\n", 1)[0].rstrip() for t in texts]

    def _check_prompt(self, prompt: str) -> None:
        """HfTweetsError for a prompt that leaves no room to write in: a text is at most max_length tokens (the
        saved sampling settings), prompt included, and transformers' own error would not say what to do."""
        tokenizer = self.pipeline.tokenizer
        assert tokenizer is not None  # given to pipeline() in __init__
        tokens = len(tokenizer(self.prefix + prompt, add_special_tokens=False)["input_ids"])
        if tokens >= self.max_length:
            raise HfTweetsError(
                f"the prompt is {tokens:,} tokens and this model writes texts of {self.max_length} tokens at most,"
                " prompt included",
                where=self.model,
                fix=f"give a prompt of fewer than {self.max_length // 2} tokens (a few words)",
            )


def _download(repo_id: str) -> str:
    """The files of a Hub model a generation needs, in the Hugging Face cache: its settings and tokenizer, and its
    weights: the .safetensors, else a legacy huggingtweets repo's pytorch_model.bin (never both)."""
    from huggingface_hub import HfApi, snapshot_download

    from hf_tweets.training.basemodel import weights_files

    info = HfApi().model_info(repo_id)
    weights = weights_files(sibling.rfilename for sibling in info.siblings or [])
    patterns = ["*.json", "*.txt", "*.model", "*.jinja", *weights]  # no weights: load_trained says so
    return snapshot_download(repo_id, revision=info.sha, allow_patterns=patterns)
