"""Regenerate the golden-file fixture (ONLY for an intentional, versioned format change).

    .venv/bin/python tests/data/make_golden.py

Writes golden_model.pt (a tiny seeded random model), golden.lvq (an image coded with it) and
golden.json (the sha256 of the decoded pixels and of the .lvq bytes).
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from lvqac_testing import smooth_image, tiny_model  # noqa: E402
from lvqac_core.api import Codec  # noqa: E402
from lvqac_core.checkpoint import save_checkpoint  # noqa: E402


def main() -> None:
    model = tiny_model("minnen2018-ckbd", "lvqac", N=8, M=16)
    save_checkpoint(model, HERE / "golden_model.pt", half=False)
    from lvqac_core.checkpoint import load_checkpoint

    codec = Codec(load_checkpoint(HERE / "golden_model.pt"), "golden", "cpu")
    res = codec.compress(smooth_image(29, 43, seed=7))
    (HERE / "golden.lvq").write_bytes(res.data)
    decoded = codec.decompress(res.data).image
    (HERE / "golden.json").write_text(json.dumps({
        "lvq_sha256": hashlib.sha256(res.data).hexdigest(),
        "decoded_sha256": hashlib.sha256(decoded.tobytes()).hexdigest(),
        "shape": list(decoded.shape),
    }, indent=2) + "\n")
    print("wrote", len(res.data), "bytes")


if __name__ == "__main__":
    main()
