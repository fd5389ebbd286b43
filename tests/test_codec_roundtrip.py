"""Real rANS round trips for every architecture × quantizer, on odd image sizes."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lvqac_testing import smooth_image, tiny_codec, tiny_model
from lvqac_core import bitstream
from lvqac_core.api import Codec, read_info
from lvqac_core.errors import DesyncError, LvqFormatError, ModelMismatchError
from lvqac_core.models import ARCHITECTURES

ARCHS = sorted(ARCHITECTURES)
QUANTIZERS = ["scalar", "lvq", "lvqac"]


@pytest.mark.parametrize("quantizer", QUANTIZERS)
@pytest.mark.parametrize("architecture", ARCHS)
def test_roundtrip_is_bit_exact(architecture, quantizer):
    codec = tiny_codec(architecture, quantizer)
    img = smooth_image(37, 70, seed=3)
    res = codec.compress(img)
    dec = codec.decompress(res.data)
    assert dec.image.shape == img.shape
    assert np.array_equal(dec.image, res.reconstruction)
    header = bitstream.read_header(res.data)
    assert (header.width, header.height, header.quantizer) == (70, 37, quantizer)
    assert res.bpp == pytest.approx(8 * len(res.data) / (70 * 37))
    h, w = 3, 5  # ceil(37/16), ceil(70/16)
    assert res.maps.bits.shape == (h, w)
    assert np.allclose(dec.maps.bits, res.maps.bits)  # the decoder sees the same bits per position
    assert 0 < res.maps.bits.sum() <= res.bpp_estimated * 70 * 37 * (1 + 1e-5)  # cropped: padding excluded
    if quantizer == "scalar":
        assert res.maps.selection is None and "selection" not in {k for k, v in res.section_bytes.items() if v}
    else:
        assert res.maps.selection.shape == (1, h, w)
        assert np.array_equal(dec.maps.selection, res.maps.selection)
    if quantizer == "lvqac":
        assert res.maps.a_law.shape == (h, w) and (res.maps.a_law >= 1).all()
        assert np.array_equal(dec.maps.a_law, res.maps.a_law)
    else:
        assert res.maps.a_law is None


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (17, 1), (65, 64), (64, 129)])
def test_any_size_works(size):
    codec = tiny_codec("minnen2018-ckbd", "lvq")
    img = smooth_image(*size, seed=1)
    res = codec.compress(img)
    assert np.array_equal(codec.decompress(res.data).image, res.reconstruction)
    assert res.reconstruction.shape == img.shape


@pytest.mark.parametrize("g", [1, 4, 8])
def test_channel_groups_roundtrip(g):
    codec = tiny_codec("minnen2018-ckbd", "lvqac", group_size=g)
    res = codec.compress(smooth_image(40, 50))
    assert res.maps.selection.shape[0] == 24 // g
    assert np.array_equal(codec.decompress(res.data).image, res.reconstruction)


def test_file_size_tracks_estimated_rate():
    """On a 256×256 image the real latent bytes stay within a few % of the model's estimate."""
    codec = tiny_codec("minnen2018-mean", "lvqac", N=32, M=32)
    res = codec.compress(smooth_image(256, 256, seed=5))
    payload_bits = 8 * sum(res.section_bytes.values())
    assert res.section_bytes == read_info(res.data).sections  # the encoder reports what the file holds
    estimated_bits = res.bpp_estimated * 256 * 256
    assert abs(payload_bits - estimated_bits) / estimated_bits < 0.05


def test_grayscale_and_alpha():
    from PIL import Image

    codec = tiny_codec()
    gray = Image.fromarray(smooth_image(30, 40)[..., 0], "L")
    res = codec.compress(gray)
    dec = codec.decompress(res.data)
    assert dec.image.ndim == 2 and dec.image.shape == (30, 40)
    rgba = Image.fromarray(np.dstack([smooth_image(30, 40), np.full((30, 40), 128, np.uint8)]), "RGBA")
    res = codec.compress(rgba)
    assert any("alpha" in n for n in res.notes)
    assert codec.decompress(res.data).image.shape == (30, 40, 3)


def test_other_weights_are_refused():
    a = tiny_codec(seed=0)
    b = tiny_codec(seed=1)
    res = a.compress(smooth_image(20, 20))
    with pytest.raises(ModelMismatchError):
        b.decompress(res.data)
    with pytest.raises(ModelMismatchError):
        tiny_codec(quantizer="lvq").decompress(res.data)


def test_desync_is_detected_by_symbol_checksum():
    """A decoder that computes different parameters (here: perturbed weights that claim the
    encoder's hash, as another device would) must raise, never return a wrong image."""
    enc = tiny_codec("minnen2018-ckbd", "lvqac")
    res = enc.compress(smooth_image(48, 48))
    model = tiny_model("minnen2018-ckbd", "lvqac")
    with torch.no_grad():
        model.h_s[-1].bias.add_(0.7)
    dec = Codec.from_model(model)
    dec.weights_hash = enc.weights_hash
    with pytest.raises(DesyncError):
        dec.decompress(res.data)


def test_mutated_files_never_decode_silently():
    codec = tiny_codec("minnen2018-mean", "lvqac")
    res = codec.compress(smooth_image(32, 40))
    rng = np.random.default_rng(0)
    data = bytearray(res.data)
    for _ in range(200):
        mutated = bytearray(data)
        for _ in range(rng.integers(1, 4)):
            op = rng.integers(3)
            pos = int(rng.integers(len(mutated)))
            if op == 0:
                mutated[pos] ^= 1 << int(rng.integers(8))
            elif op == 1:
                del mutated[pos]
            else:
                mutated.insert(pos, int(rng.integers(256)))
        if bytes(mutated) == bytes(data):
            continue
        with pytest.raises((LvqFormatError, ModelMismatchError)):
            codec.decompress(bytes(mutated))
