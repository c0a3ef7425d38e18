"""Imported once by kill_at.Killer's forkserver: what every hf-tweets run needs, so forked runs start at once."""

import torch  # noqa: F401
from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments  # noqa: F401

import kill_at

kill_at.install()
