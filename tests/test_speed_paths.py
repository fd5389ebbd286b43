"""The fast paths compute less, never something else: same bytes, same decoded pixels."""
from __future__ import annotations

import numpy as np
import pytest

from lvqac_testing import smooth_image, tiny_codec
from lvqac_core.errors import InputError


@pytest.mark.parametrize("architecture", ["minnen2018-ckbd", "minnen2018-mean"])
def test_compress_options_write_the_same_file(architecture):
    codec = tiny_codec(architecture, "lvqac")
    img = smooth_image(40, 70, seed=5)
    full = codec.compress(img)
    no_ms = codec.compress(img, ms_ssim=False)
    file_only = codec.compress(img, reconstruction=False)
    assert full.data == no_ms.data == file_only.data
    assert 0 < full.ms_ssim <= 1 and full.ms_ssim_db is not None
    assert no_ms.ms_ssim is None and no_ms.ms_ssim_db is None
    assert np.array_equal(no_ms.reconstruction, full.reconstruction) and no_ms.psnr == full.psnr
    assert file_only.ms_ssim is None and file_only.reconstruction is None and file_only.residual is None and file_only.psnr is None
    assert file_only.maps.bits is None and file_only.bpp_estimated is None  # bits_map follows reconstruction
    with_map = codec.compress(img, reconstruction=False, bits_map=True)
    assert with_map.data == full.data
    assert np.array_equal(with_map.maps.bits, full.maps.bits) and with_map.bpp_estimated == full.bpp_estimated
    assert codec.compress(img, bits_map=False).maps.bits is None
    for name in ("selection", "a_law"):  # the other maps come with the coding itself
        assert np.array_equal(getattr(file_only.maps, name), getattr(full.maps, name))
    assert np.array_equal(codec.decompress(file_only.data).image, full.reconstruction)


@pytest.mark.parametrize("architecture, quantizer", [("minnen2018-ckbd", "lvqac"), ("minnen2018-mean", "lvq"),
                                                     ("minnen2018-ckbd", "scalar")])
def test_decode_without_bits_map_gives_the_same_image(architecture, quantizer):
    codec = tiny_codec(architecture, quantizer)
    data = codec.compress(smooth_image(40, 70, seed=6), reconstruction=False).data
    full = codec.decompress(data)
    lean = codec.decompress(data, bits_map=False)
    assert np.array_equal(lean.image, full.image)
    assert full.maps.bits is not None and full.bits_estimated > 0
    assert lean.maps.bits is None and lean.bits_estimated is None and lean.bpp_estimated is None
    for name in ("selection", "a_law"):  # the other maps come with the decoding itself
        a, b = getattr(full.maps, name), getattr(lean.maps, name)
        assert (a is None) == (b is None) == (quantizer == "scalar" or (name == "a_law" and quantizer == "lvq"))
        assert a is None or np.array_equal(a, b)


def test_ms_ssim_needs_the_reconstruction():
    codec = tiny_codec("minnen2018-mean", "scalar")
    with pytest.raises(InputError, match="reconstruction"):
        codec.compress(smooth_image(8, 8), reconstruction=False, ms_ssim=True)


@pytest.fixture
def one_thread():
    """oneDNN splits work by shape when it has several threads, which changes last bits between
    any two shapes (and between thread counts, banded or not); with one thread each output
    element is computed the same way whatever the shape, so equality can be asserted."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("architecture", ["minnen2018-ckbd", "cheng2020-ckbd"])
def test_banded_transforms_equal_whole_image(architecture, one_thread):
    import torch

    from lvqac_core.image_tensors import to_tensor, to_uint8

    codec = tiny_codec(architecture, "lvqac")
    model = codec.model
    img = smooth_image(300, 70, seed=9)  # padded to 320 x 128: 20 latent rows
    x, _ = to_tensor(img)
    whole = codec.compress(img)
    with torch.inference_mode():
        y_whole = model.analysis(x)
        assert torch.equal(model.analysis(to_tensor(img, as_float=False)[0]), y_whole)
        x_whole = model.synthesis(y_whole)
    model.band_pixels = 1  # 8 latent rows per band: bands [0, 8), [8, 16), [16, 20)
    try:
        assert len(model._bands(20, 8)) == 3
        x8, _ = to_tensor(img, as_float=False)  # the API's input: uint8, made float band by band
        with torch.inference_mode():
            y_band = model.analysis(x)
            y_band8 = model.analysis(x8)
            x_band = model.synthesis(y_whole)
            img_band = model.synthesis(y_whole, (300, 70))
        assert torch.equal(y_band, y_whole) and torch.equal(y_band8, y_whole)
        assert torch.equal(x_band, x_whole)
        banded = codec.compress(img)
        assert banded.data == whole.data
        assert np.array_equal(banded.reconstruction, whole.reconstruction)
        assert np.array_equal(img_band, to_uint8(x_whole, 300, 70))
        assert np.array_equal(codec.decompress(banded.data).image, whole.reconstruction)
    finally:
        del model.band_pixels


def test_banded_decoder_reproduces_the_banded_encoder():
    codec = tiny_codec("minnen2018-ckbd", "lvq")
    codec.model.band_pixels = 1
    img = smooth_image(330, 40, seed=2)
    res = codec.compress(img)
    assert np.array_equal(codec.decompress(res.data).image, res.reconstruction)
