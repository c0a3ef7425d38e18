"""Size and time of the browser copy of a GPT-2 124M, against the weights it is made from, in the same run.

    .venv/bin/python bench/onnx_size.py [--layers 12]

A GPT-2 of ``GPT2Config()``'s defaults (124M parameters, random weights: the size does not depend on what the
weights hold) is saved as transformers saves a trained model (model.safetensors, the baseline) with a GPT-2
tokenizer built here (no download), then ``write_browser_copy`` makes its copy exactly as ``train`` does:
export in fp32, greedy check of three prompts against PyTorch, 8-bit quantization (MatMul, Gemm and Gather: the
embedding, which GPT-2 ties to the LM head, is the biggest matrix), next-token agreement. Printed: the 8-bit
file's bytes over model.safetensors' bytes (target <= 30 %), whether the tied matrix is in the 8-bit graph once
(a duplicate would show as a second vocab x 768 initializer), and the copy's wall time. Exits 1 above target.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from hf_tweets.browser.copy import write_browser_copy
from hf_tweets.browser.onnx import QUANTIZED

TARGET = 0.30  # model_quantized.onnx over model.safetensors


def build(folder: Path, layers: int) -> Path:
    """A random GPT-2 124M (GPT2Config defaults) and a byte-level BPE tokenizer with GPT-2's end-of-text token."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    texts = [f"a made-up post number {i} about the sea, the sky and a cat" for i in range(200)]
    bpe.train_from_iterator(texts, vocab_size=1000, special_tokens=["<|endoftext|>"], show_progress=False)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>", bos_token="<|endoftext|>")
    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config(n_layer=layers)).save_pretrained(folder)  # vocab 50,257, as GPT-2's
    tokenizer.save_pretrained(folder)
    return folder


def tied_matrices(path: Path, vocab: int, width: int) -> int:
    """How many initializers of the 8-bit graph are vocab x width (or width x vocab): 1 when the tie survived."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    shapes = [tuple(t.dims) for t in graph.initializer]
    return sum(1 for s in shapes if sorted(s) == sorted((vocab, width)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-onnx-") as tmp:
        folder = build(Path(tmp) / "model", args.layers)
        weights = (folder / "model.safetensors").stat().st_size
        start = time.perf_counter()
        facts = write_browser_copy(folder)
        seconds = time.perf_counter() - start
        quantized = folder / "onnx" / QUANTIZED
        ratio = quantized.stat().st_size / weights
        tied = tied_matrices(quantized, 50257, 768)
    print(f"model.safetensors       {weights / 1e6:8.1f} MB (baseline)")
    print(f"onnx/{QUANTIZED} {facts.bytes / 1e6:8.1f} MB")
    print(f"ratio                   {ratio:8.1%} (target <= {TARGET:.0%})")
    print(f"tied embedding matrices {tied:8d} in the 8-bit graph (1: not duplicated)")
    print(f"next-token agreement    {facts.agreement:8.1%} over {facts.positions} positions")
    print(f"export + check + 8-bit  {seconds:8.1f} s on this machine")
    return 0 if ratio <= TARGET and tied == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
