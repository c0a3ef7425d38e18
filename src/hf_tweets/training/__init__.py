"""From stored posts to a model: prepare, train, generate, and W&B tracking."""
