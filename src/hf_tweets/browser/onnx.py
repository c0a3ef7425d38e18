"""The browser copy of a model: ONNX files transformers.js loads (``onnx/model.onnx``, ``onnx/model_quantized.onnx``).

The layout is the one transformers.js expects of a decoder with a KV cache: inputs ``input_ids``,
``attention_mask``, ``position_ids`` and ``past_key_values.N.key`` / ``.value``; outputs ``logits`` and
``present.N.key`` / ``.value``. transformers.js builds the first step's empty cache from the session's input
metadata, resolving only a dimension named ``batch_size`` (any other symbolic name becomes 0), so the batch axis
is named exactly that and the past axis ``past_sequence_length``.

optimum-onnx pins transformers < 4.58, so it cannot be used beside this project's transformers; torch's own
exporter (``torch.onnx.export(..., dynamo=True)``) exports the model through a wrapper that fills a
``DynamicCache`` from the flat inputs. onnxruntime's ``quantize_dynamic`` writes the 8-bit copy. Nothing is kept
before ``check`` has compared ONNX Runtime with PyTorch (see ``check``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FP32 = "model.onnx"
QUANTIZED = "model_quantized.onnx"  # what transformers.js loads by default in a browser (dtype q8)
# Inputs of the export: any small sizes do; each dimension below is exported as a named dynamic axis.
_BATCH, _SEQUENCE, _PAST = 2, 3, 4


@dataclass(frozen=True)
class Shape:
    """What the exporter needs of a causal LM's config: layers, key/value heads and their width."""

    layers: int
    kv_heads: int
    head_dim: int
    vocab: int

    @classmethod
    def of(cls, config) -> Shape:
        heads = config.num_attention_heads
        return cls(
            layers=config.num_hidden_layers,
            kv_heads=getattr(config, "num_key_value_heads", None) or heads,
            head_dim=getattr(config, "head_dim", None) or config.hidden_size // heads,
            vocab=config.vocab_size,
        )

    def input_names(self) -> list[str]:
        past = [f"past_key_values.{i}.{kind}" for i in range(self.layers) for kind in ("key", "value")]
        return ["input_ids", "attention_mask", "position_ids", *past]

    def output_names(self) -> list[str]:
        return ["logits", *(f"present.{i}.{kind}" for i in range(self.layers) for kind in ("key", "value"))]


def cache_keyword(model) -> str:
    """The name of the KV cache in ``model``'s forward and outputs: ``cache`` since transformers 5.2x, which keeps
    ``past_key_values`` as a deprecated alias until 5.40; older releases know only that. A peft model passes its
    keywords on to the model it wraps, so that one's forward says."""
    import inspect

    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(inner.forward).parameters else "past_key_values"


def _wrapper(model, shape: Shape):
    """A module taking the flat inputs above and returning the flat outputs, around ``model``."""
    import torch
    from transformers import DynamicCache

    keyword = cache_keyword(model)

    class Flat(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, position_ids, *past):
            cache = DynamicCache(config=self.model.config)
            for layer in range(shape.layers):
                cache.update(past[2 * layer], past[2 * layer + 1], layer)
            out = self.model(
                input_ids=input_ids,
                attention_mask=attention_mask,
                position_ids=position_ids,
                use_cache=True,
                **{keyword: cache},
            )
            present = [t for layer in getattr(out, keyword).layers for t in (layer.keys, layer.values)]
            return (out.logits, *present)

    return Flat()


def export(model, target: Path) -> Path:
    """Write ``target/model.onnx`` for ``model`` (a loaded causal LM in eval mode); the file's path."""
    import torch
    from torch.export import Dim

    shape = Shape.of(model.config)
    batch, sequence = Dim("batch_size"), Dim("sequence_length")
    past_length, total = Dim("past_sequence_length"), Dim("total_sequence_length")  # no sums in torch.export
    ids = torch.zeros((_BATCH, _SEQUENCE), dtype=torch.long)
    mask = torch.ones((_BATCH, _SEQUENCE + _PAST), dtype=torch.long)
    positions = torch.arange(_PAST, _PAST + _SEQUENCE).unsqueeze(0).expand(_BATCH, _SEQUENCE)
    past = [torch.zeros((_BATCH, shape.kv_heads, _PAST, shape.head_dim)) for _ in range(2 * shape.layers)]
    dynamic = {
        "input_ids": {0: batch, 1: sequence},
        "attention_mask": {0: batch, 1: total},
        "position_ids": {0: batch, 1: sequence},
        "past": tuple({0: batch, 2: past_length} for _ in past),
    }
    target.mkdir(parents=True, exist_ok=True)
    path = target / FP32
    with torch.no_grad():
        torch.onnx.export(
            _wrapper(model.eval(), shape).eval(),  # the wrapper too: torch warns of a module in training mode
            (ids, mask, positions, *past),
            str(path),
            dynamo=True,
            dynamic_shapes=dynamic,
            input_names=shape.input_names(),
            output_names=shape.output_names(),
            optimize=True,
            external_data=False,  # one file: transformers.js fetches model.onnx alone
            verbose=False,
        )
    return path


def quantize(source: Path, target: Path) -> Path:
    """Write the 8-bit copy of ``source`` (weights of MatMul, Gemm and Gather as unsigned 8-bit) to ``target``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QUInt8,
        op_types_to_quantize=["MatMul", "Gemm", "Gather"],
    )
    return target


class Session:
    """An ONNX Runtime session over one exported file, stepping as transformers.js does (one token at a time after
    the prompt, the KV cache fed back)."""

    def __init__(self, path: Path, shape: Shape):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # small graphs gain nothing from threads, and the cores are shared
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.shape = shape

    def logits(self, tokens: list[int]):
        """The logits at every position of ``tokens`` (one step, empty cache: teacher forcing); (len, vocab)."""
        import numpy as np

        feed = {
            "input_ids": np.array([tokens], np.int64),
            "attention_mask": np.ones((1, len(tokens)), np.int64),
            "position_ids": np.arange(len(tokens), dtype=np.int64)[None],
            **{
                name: np.zeros((1, self.shape.kv_heads, 0, self.shape.head_dim), np.float32)
                for name in self.shape.input_names()[3:]
            },
        }
        return self.session.run(["logits"], feed)[0][0]

    def greedy(self, prompt: list[int], steps: int) -> list[int]:
        """The ``steps`` tokens greedy decoding appends to ``prompt``."""
        import numpy as np

        past = {
            name: np.zeros((1, self.shape.kv_heads, 0, self.shape.head_dim), np.float32)
            for name in self.shape.input_names()[3:]
        }
        tokens, current, seen = [], np.array([prompt], np.int64), 0
        for _ in range(steps):
            width = current.shape[1]
            feed = {
                "input_ids": current,
                "attention_mask": np.ones((1, seen + width), np.int64),
                "position_ids": np.arange(seen, seen + width, dtype=np.int64)[None],
                **past,
            }
            logits, *present = self.session.run(None, feed)
            tokens.append(int(logits[0, -1].argmax()))
            past = dict(zip(self.shape.input_names()[3:], present, strict=True))
            seen, current = seen + width, np.array([[tokens[-1]]], np.int64)
        return tokens


def torch_greedy(model, prompt: list[int], steps: int) -> list[int]:
    """PyTorch's greedy continuation of ``prompt``, ``steps`` tokens, one forward pass a token with the cache fed
    back, as ``Session.greedy`` steps. Not ``generate``: it stops at the end-of-text token of the model's own
    generation config whatever config is passed, and the copies are compared token for token."""
    import torch

    keyword = cache_keyword(model)
    tokens: list[int] = []
    with torch.no_grad():
        out = model(input_ids=torch.tensor([prompt]), use_cache=True)
        for _ in range(steps):
            tokens.append(int(out.logits[0, -1].argmax()))
            out = model(input_ids=torch.tensor([tokens[-1:]]), use_cache=True, **{keyword: getattr(out, keyword)})
    return tokens
