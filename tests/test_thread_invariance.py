"""A file must not depend on the thread count: encoding with 1, 2 and 4 intra-op threads writes
the same bytes, and decoding any of them with 1, 2 or 4 threads gives the same pixels (format 2:
the coding networks are exact, the analysis runs on one thread; docs/format.md). On the zoo's
three networks and the bundled samples by default; on all 24 Kodak images in a slow test."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lvqac_testing import smooth_image
from lvqac_core import api

ROOT = Path(__file__).resolve().parents[1]
KODAK = ROOT.parent / "shared" / "data" / "kodak"
FAMILIES = ("scalar", "lvq", "lvqac")
THREADS = (1, 2, 4)


@pytest.fixture
def threads():
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


def _model(family: str) -> api.Codec:
    return api.load_model(f"minnen2018-ckbd-{family}-0.0075", device="cpu")


def _check(codec: api.Codec, image: np.ndarray, set_threads) -> None:
    files = {}
    for n in THREADS:
        set_threads(n)
        files[n] = codec.compress(image, reconstruction=False).data
    assert len({hashlib.sha256(f).digest() for f in files.values()}) == 1, "the file depends on the thread count"
    pixels = set()
    for n in THREADS:
        set_threads(n)
        pixels.add(hashlib.sha256(codec.decompress(files[1], bits_map=False).image.tobytes()).digest())
    assert len(pixels) == 1, "the decoded pixels depend on the thread count"


def _samples() -> dict[str, np.ndarray]:
    chelsea = np.asarray(Image.open(ROOT / "resources" / "samples" / "chelsea.png").convert("RGB"))
    return {"chelsea": chelsea, "smooth": smooth_image(200, 328, seed=5)}


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("sample", ["chelsea", "smooth"])
def test_zoo_files_and_pixels_do_not_depend_on_threads(family, sample, threads):
    _check(_model(family), _samples()[sample], threads)


@pytest.mark.slow
@pytest.mark.skipif(not KODAK.is_dir(), reason="Kodak is not beside the checkout (../shared/data/kodak)")
@pytest.mark.parametrize("family", FAMILIES)
def test_kodak_files_and_pixels_do_not_depend_on_threads(family, threads):
    codec = _model(family)
    for path in sorted(KODAK.glob("kodim*.png")):
        _check(codec, np.asarray(Image.open(path).convert("RGB")), threads)
