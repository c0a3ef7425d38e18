"""hf-tweets: turn a person's posts into a small text-generation model, its card, and a Hub repo."""

__version__ = "0.1.0"
