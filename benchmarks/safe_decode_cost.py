"""What the bounds-checked rANS decoder costs: decode time of zoo models with the safe decoder
(as shipped) vs CompressAI's unchecked C++ decoder, on the same files.

    .venv/bin/python -m benchmarks.safe_decode_cost [--images DIR|PATH] [--count 4] [--repeats 3]
        [--threads 1] [--model ID]

Runs alternate between the two decoders and the median per image is reported. The C++ path is
for measurement only: it is never used on files (see docs/format.md, "Validation before decoding").
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent

from compressai.ans import RansDecoder  # noqa: E402

from lvqac_core import bitstream  # noqa: E402
from lvqac_core.api import load_model  # noqa: E402
from lvqac_core.entropy import rans  # noqa: E402


class _NativeStream:
    """CompressAI's decoder behind the SymbolStreamDecoder interface (unchecked; timing only)."""

    def __init__(self, data, bank, what=""):
        self._bank, self._dec = bank, RansDecoder()
        self._dec.set_stream(bytes(data))

    def decode(self, indexes):
        local, cdfs, lengths, offsets = self._bank.subset(indexes.ravel())
        return np.asarray(self._dec.decode_stream(local, cdfs, lengths, offsets), dtype=np.int32)


def _decode(codec, data: bytes, native: bool) -> float:
    model = codec.model
    safe_stream, safe_z = rans.SymbolStreamDecoder, model._decode_z
    if native:
        from lvqac_core.models.latent_codecs import base as latent_base
        latent_base.SymbolStreamDecoder = _NativeStream
        model._decode_z = lambda s, hw: model.entropy_bottleneck.decompress([s], tuple(hw))
    try:
        t0 = time.perf_counter()
        codec.decompress(data)
        return time.perf_counter() - t0
    finally:
        from lvqac_core.models.latent_codecs import base as latent_base
        latent_base.SymbolStreamDecoder = safe_stream
        model._decode_z = safe_z


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", default=str(ROOT.parent / "shared" / "data" / "kodak"))
    ap.add_argument("--count", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    src = Path(args.images)
    paths = sorted(src.glob("*.png"))[: args.count] if src.is_dir() else [src]
    if not paths:
        sys.exit(f"no images in {src}")
    codec = load_model(args.model, "cpu")
    print(f"model {codec.model_id}, cpu, {args.threads} thread(s), median of {args.repeats}")
    print(f"{'image':<14}{'symbols':>9}{'C++ s':>8}{'safe s':>8}{'extra':>8}")
    ratios = []
    for path in paths:
        data = codec.compress(str(path)).data
        h = bitstream.read_header(data)
        n = codec.model.config.M * h.latent_height * h.latent_width + codec.model.config.N * h.hyper_height * h.hyper_width
        native, safe = [], []
        for _ in range(args.repeats):
            native.append(_decode(codec, data, True))
            safe.append(_decode(codec, data, False))
        a, b = statistics.median(native), statistics.median(safe)
        ratios.append(b / a)
        print(f"{path.name:<14}{n:>9}{a:>8.3f}{b:>8.3f}{100 * (b / a - 1):>7.1f}%")
    print(f"median extra decode time: {100 * (statistics.median(ratios) - 1):.1f}%")


if __name__ == "__main__":
    main()
