"""PSNR and MS-SSIM of large images run in bands (bounded memory) and give the whole-image values."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from pytorch_msssim import ms_ssim as library_ms_ssim

from lvqac_core import metrics


def _pair(h, w, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 128 + 90 * np.sin(xx / 13.0) * np.cos(yy / 7.0)
    a = np.clip(base[..., None] + rng.normal(0, 20, (h, w, channels)), 0, 255).astype(np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-12, 13, a.shape), 0, 255).astype(np.uint8)
    return (a, b) if channels > 1 else (a[..., 0], b[..., 0])


@pytest.mark.parametrize("h,w,channels", [(200, 240, 3), (201, 243, 3), (257, 190, 1)])
def test_banded_ms_ssim_equals_the_library(h, w, channels, monkeypatch):
    a, b = _pair(h, w, channels)
    ta = torch.from_numpy(a.astype(np.float32)).reshape(h, w, -1).permute(2, 0, 1)[None]
    tb = torch.from_numpy(b.astype(np.float32)).reshape(h, w, -1).permute(2, 0, 1)[None]
    expected = float(library_ms_ssim(ta, tb, data_range=255.0))
    monkeypatch.setattr(metrics, "_BAND_ELEMENTS", 7 * w * channels)  # many small bands, odd sizes
    monkeypatch.setattr(metrics, "BANDED_MS_SSIM_PIXELS", 0)
    assert math.isclose(metrics.ms_ssim(a, b), expected, rel_tol=0, abs_tol=1e-6)


def test_psnr_in_blocks_is_exact(monkeypatch):
    a, b = _pair(123, 77)
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    monkeypatch.setattr(metrics, "_BAND_ELEMENTS", 5)
    assert math.isclose(metrics.psnr(a, b), 10 * math.log10(255 ** 2 / mse), rel_tol=1e-12)
    assert metrics.psnr(a, a) == math.inf
