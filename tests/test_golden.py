"""A committed .lvq file must keep decoding to the committed pixels: a format or coding change
cannot slip in unnoticed (regenerate with tests/data/make_golden.py only with a version bump)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from lvqac_testing import smooth_image
from lvqac_core import bitstream
from lvqac_core.api import Codec
from lvqac_core.checkpoint import load_checkpoint

DATA = Path(__file__).parent / "data"


def _codec() -> Codec:
    return Codec(load_checkpoint(DATA / "golden_model.pt"), "golden", "cpu")


def test_golden_file_decodes_to_committed_pixels():
    expected = json.loads((DATA / "golden.json").read_text())
    data = (DATA / "golden.lvq").read_bytes()
    assert bitstream.read_header(data).format_version == 1
    image = _codec().decompress(data).image
    assert list(image.shape) == expected["shape"]
    assert hashlib.sha256(image.tobytes()).hexdigest() == expected["decoded_sha256"]


def test_encoder_still_writes_the_golden_bytes():
    expected = json.loads((DATA / "golden.json").read_text())
    res = _codec().compress(smooth_image(29, 43, seed=7))
    assert hashlib.sha256(res.data).hexdigest() == expected["lvq_sha256"]
