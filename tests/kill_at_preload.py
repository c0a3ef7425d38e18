"""Imported once by kill_at.Killer's forkserver: what every hf-tweets run needs, so forked runs start at once
(the text-generation pipeline and GPT-2's modelling code too: transformers imports them lazily, in each run)."""

import torch  # noqa: F401
import transformers.models.gpt2.modeling_gpt2  # noqa: F401
import transformers.pipelines.text_generation  # noqa: F401
from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments  # noqa: F401

import kill_at

kill_at.install()

import gc  # noqa: E402

from hf_tweets.training import language  # noqa: E402

language.preload()  # as the bot host does: a forked prepare does not load the detector again
gc.freeze()  # what was imported is never garbage: the gc.collect() of each training's start skips it
