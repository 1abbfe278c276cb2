"""Build a stand-in for the default detector's speed reference: an int8 MiniLM-L6.

    pip install -e ".[train]"
    python benchmarks/reference_encoder.py [--out benchmarks/.reference]

The default detector's budget (15 ms per 200-word email) was set beside an int8
all-MiniLM-L6-v2 (six layers, 384 wide: the shape of the learned tier's encoder) that read
240 tokens on 2 cores in about 10 ms. How that model was exported is not recorded; this
builds the same model the way the shipped one is built: all-MiniLM-L6-v2 (the `train`
extra's offline copy, checked against its SHA-256), exported and quantized by
`mailenv.detection.train`, with an untrained head (a model's speed does not depend on
its weights). Milliseconds move with the machine, so `bench_detect.py` times it beside
the detector, when it has been built, to say what a figure would be where the budget
was set.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np

from mailenv.detection import base_models, train

OUT = Path(__file__).resolve().parent / ".reference"
MODEL = "minilm-l6.int8.onnx"
TOKENIZER = "minilm-l6.tokenizer.json"


def build(out: Path) -> Path:
    """Write the reference model and its tokenizer into `out`; returns the model's path."""
    import torch

    torch.manual_seed(0)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        base = base_models.prepare("minilm", Path(tmp) / "base", [])
        model = train.classifier(base.directory, base.layers).eval()
        example = (np.full((1, 8), 1000, dtype=np.int64), np.ones((1, 8), dtype=np.int64))
        fp32 = Path(tmp) / "fp32.onnx"
        train.export(model, example, fp32)
        train.quantize(fp32, out / MODEL)
        shutil.copy(base.directory / "tokenizer.json", out / TOKENIZER)
    return out / MODEL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the model")
    print(build(parser.parse_args().out))


if __name__ == "__main__":
    main()
