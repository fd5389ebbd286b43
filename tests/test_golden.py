"""Committed .lvq files must keep decoding to the committed pixels, and the encoder must keep
writing the newest one's bytes: a format or coding change cannot slip in unnoticed (regenerate
with tests/data/make_golden.py only with a version bump; older versions' files stay)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lvqac_testing import smooth_image
from lvqac_core import bitstream
from lvqac_core.api import Codec
from lvqac_core.checkpoint import load_checkpoint

DATA = Path(__file__).parent / "data"
FILES = {1: "golden.lvq", 2: "golden_v2.lvq"}


def _codec() -> Codec:
    return Codec(load_checkpoint(DATA / "golden_model.pt"), "golden", "cpu")


def _expected(version: int) -> dict:
    return json.loads((DATA / "golden.json").read_text())[f"v{version}"]


@pytest.mark.parametrize("version", sorted(FILES))
def test_golden_file_decodes_to_committed_pixels(version):
    expected = _expected(version)
    data = (DATA / FILES[version]).read_bytes()
    assert bitstream.read_header(data).format_version == version
    image = _codec().decompress(data).image
    assert list(image.shape) == expected["shape"]
    assert hashlib.sha256(image.tobytes()).hexdigest() == expected["decoded_sha256"]


def test_encoder_still_writes_the_golden_bytes():
    assert max(FILES) == bitstream.FORMAT_VERSION, "a new format version needs its golden file"
    expected = _expected(bitstream.FORMAT_VERSION)
    res = _codec().compress(smooth_image(29, 43, seed=7))
    assert hashlib.sha256(res.data).hexdigest() == expected["lvq_sha256"]
