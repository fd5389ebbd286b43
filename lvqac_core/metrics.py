"""Image-quality metrics on 8-bit RGB, as the field reports them (mean over images of per-image values)."""
from __future__ import annotations

import math

import numpy as np
import torch
from pytorch_msssim import ms_ssim as _ms_ssim

from .registry import ms_ssim_db  # re-exported: the one dB formula lives in the registry

__all__ = ["psnr", "ms_ssim", "ms_ssim_db"]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB between two uint8 images of the same shape (inf when identical)."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10.0 * math.log10(255.0 ** 2 / mse))


def ms_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """MS-SSIM (data range 255) of two uint8 RGB (H, W, 3) or gray (H, W) images.

    Images smaller than the 5-scale pyramid needs (161 px on the short side) are reflect-padded
    to that size; a 1×1 image gets MS-SSIM 1.0 when identical. Reported as is, never faked.
    """
    ta = _to_tensor(a)
    tb = _to_tensor(b)
    h, w = ta.shape[-2:]
    need = 161
    if min(h, w) < need:
        ph, pw = max(0, need - h), max(0, need - w)
        mode = "reflect" if min(h, w) > 1 and ph < h and pw < w else "replicate"
        if mode == "reflect":
            # reflect in several rounds if the pad exceeds the size
            while ta.shape[-2] < need or ta.shape[-1] < need:
                ph = min(need - ta.shape[-2], ta.shape[-2] - 1) if ta.shape[-2] < need else 0
                pw = min(need - ta.shape[-1], ta.shape[-1] - 1) if ta.shape[-1] < need else 0
                ta = torch.nn.functional.pad(ta, (0, pw, 0, ph), mode="reflect")
                tb = torch.nn.functional.pad(tb, (0, pw, 0, ph), mode="reflect")
        else:
            ta = torch.nn.functional.pad(ta, (0, pw, 0, ph), mode="replicate")
            tb = torch.nn.functional.pad(tb, (0, pw, 0, ph), mode="replicate")
    return float(_ms_ssim(ta, tb, data_range=255.0, size_average=True))


def _to_tensor(a: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(np.array(a, dtype=np.float32, copy=True))
    if t.ndim == 2:
        t = t.unsqueeze(-1)
    return t.permute(2, 0, 1).unsqueeze(0)
