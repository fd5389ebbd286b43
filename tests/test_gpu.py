"""The zoo's default model on each device: the decoder reproduces the encoder's reconstruction
bit-exactly. The CUDA case is marked ``gpu`` (conftest skips it where no CUDA device exists)."""
from __future__ import annotations

import numpy as np
import pytest

from lvqac_testing import smooth_image


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def test_zoo_model_roundtrip_on_device(device):
    from lvqac_core.api import load_model
    from lvqac_core.device import device_name

    assert device_name(device) == device
    codec = load_model(device=device)
    img = smooth_image(96, 130, seed=2)
    res = codec.compress(img)
    assert res.device.startswith(device)
    dec = codec.decompress(res.data)
    assert dec.image.shape == img.shape
    assert np.array_equal(dec.image, res.reconstruction)
    assert res.psnr > 20.0  # a trained model, not noise
