"""Regenerate the golden-file fixture (ONLY for an intentional, versioned format change).

    .venv/bin/python tests/data/make_golden.py

Writes golden_v<FORMAT_VERSION>.lvq (an image coded with golden_model.pt, a tiny seeded random
model, written if missing) and its entry in golden.json (the sha256 of the decoded pixels and of
the .lvq bytes). The files of earlier versions (golden.lvq is version 1) stay: readers must keep
decoding them to the same pixels.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from lvqac_testing import smooth_image, tiny_model  # noqa: E402
from lvqac_core import bitstream  # noqa: E402
from lvqac_core.api import Codec  # noqa: E402
from lvqac_core.checkpoint import save_checkpoint  # noqa: E402


def main() -> None:
    from lvqac_core.checkpoint import load_checkpoint

    if not (HERE / "golden_model.pt").exists():
        save_checkpoint(tiny_model("minnen2018-ckbd", "lvqac", N=8, M=16), HERE / "golden_model.pt", half=False)
    codec = Codec(load_checkpoint(HERE / "golden_model.pt"), "golden", "cpu")
    res = codec.compress(smooth_image(29, 43, seed=7))
    version = bitstream.FORMAT_VERSION
    (HERE / f"golden_v{version}.lvq").write_bytes(res.data)
    decoded = codec.decompress(res.data).image
    table = json.loads((HERE / "golden.json").read_text())
    table[f"v{version}"] = {
        "lvq_sha256": hashlib.sha256(res.data).hexdigest(),
        "decoded_sha256": hashlib.sha256(decoded.tobytes()).hexdigest(),
        "shape": list(decoded.shape),
    }
    (HERE / "golden.json").write_text(json.dumps(table, indent=2) + "\n")
    print("wrote", len(res.data), "bytes")


if __name__ == "__main__":
    main()
