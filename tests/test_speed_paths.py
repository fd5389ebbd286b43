"""The fast paths compute less, never something else: same bytes, same decoded pixels."""
from __future__ import annotations

import numpy as np
import pytest

from lvqac_testing import smooth_image, tiny_codec


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
    assert np.array_equal(file_only.maps.bits, full.maps.bits)
    assert file_only.bpp_estimated == full.bpp_estimated
    assert np.array_equal(codec.decompress(file_only.data).image, full.reconstruction)


def test_ms_ssim_needs_the_reconstruction():
    codec = tiny_codec("minnen2018-mean", "scalar")
    with pytest.raises(ValueError):
        codec.compress(smooth_image(8, 8), reconstruction=False, ms_ssim=True)
