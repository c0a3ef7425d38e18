"""Fleets: many bots from one file (``hf-tweets batch``), on this machine, a Ray cluster or Hugging Face Jobs."""
