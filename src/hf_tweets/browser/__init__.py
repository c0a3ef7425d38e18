"""Bots in the visitor's browser: the ONNX copy of a model, the static Space that offers the bots, the local demo."""
