"""Image-quality metrics on 8-bit RGB, as the field reports them (mean over images of per-image values),
and the one MS-SSIM → dB formula. Imports without torch (PSNR and the dB formula need none; MS-SSIM
imports torch and pytorch_msssim when first computed), so the results and reports can use it."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["psnr", "ms_ssim", "ms_ssim_db"]


def ms_ssim_db(value: float) -> float:
    """MS-SSIM in dB, −10·log10(1 − MS-SSIM) (the convention of CompressAI's plots)."""
    return float(-10.0 * math.log10(max(1.0 - float(value), 1e-12)))


#: images above this many pixels get MS-SSIM in bands of rows (the same value, bounded memory:
#: the library's whole-image computation peaked at 4.5 GB for 4096×4096)
BANDED_MS_SSIM_PIXELS = 4 << 20
_BAND_ELEMENTS = 1 << 21  # floats per band and map (rows × width × channels)
_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
_WIN = 11


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB between two uint8 images of the same shape (inf when identical).

    The squared error is summed exactly in integers, a block of rows at a time (no float copy
    of the image)."""
    if a.shape != b.shape:
        raise ValueError(f"psnr of images of different shapes {a.shape} and {b.shape}")
    rows = max(1, _BAND_ELEMENTS // max(1, a[0].size))
    sse = 0
    for r in range(0, a.shape[0], rows):
        d = a[r:r + rows].astype(np.int64) - b[r:r + rows].astype(np.int64)
        sse += int((d * d).sum())
    if sse == 0:
        return float("inf")
    return float(10.0 * math.log10(255.0 ** 2 * a.size / sse))


def ms_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """MS-SSIM (data range 255) of two uint8 RGB (H, W, 3) or gray (H, W) images.

    Images smaller than the 5-scale pyramid needs (161 px on the short side) are reflect-padded
    to that size; a 1×1 image gets MS-SSIM 1.0 when identical. Reported as is, never faked.
    """
    import torch
    from pytorch_msssim import ms_ssim as _ms_ssim

    if a.shape[0] * a.shape[1] > BANDED_MS_SSIM_PIXELS:
        return _banded_ms_ssim(a, b)
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


def _banded_ms_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """pytorch_msssim's MS-SSIM (same window, weights, constants, pooling), each scale's SSIM and
    contrast maps computed in bands of rows and averaged exactly as the whole map would be; the
    scales below the first are built band by band too (tests/test_metrics_banded.py: equal to
    the library within 1e-6). The float image of the first scale never exists whole."""
    import torch
    from pytorch_msssim.ssim import _fspecial_gauss_1d, _ssim

    x, y = _as_hwc(a), _as_hwc(b)
    channels = x.shape[2]
    win = _fspecial_gauss_1d(_WIN, 1.5).repeat([channels, 1, 1, 1])

    def rows_of(img):  # img: uint8 (H, W, C) numpy, or a float32 (1, C, H, W) tensor
        if isinstance(img, np.ndarray):
            return lambda r0, r1: _to_tensor(img[r0:r1])
        return lambda r0, r1: img[:, :, r0:r1]

    scale_means = []
    for level in range(len(_WEIGHTS)):
        h, w = (x.shape[0], x.shape[1]) if isinstance(x, np.ndarray) else tuple(x.shape[-2:])
        if min(h, w) < _WIN:
            raise ValueError("image too small for MS-SSIM's five scales")
        get_x, get_y = rows_of(x), rows_of(y)
        band = max(1, _BAND_ELEMENTS // (w * channels))
        sums = torch.zeros(2, channels, dtype=torch.float64)
        for r0 in range(0, h - _WIN + 1, band):
            r1 = min(h - _WIN + 1, r0 + band)  # map rows [r0, r1) need image rows [r0, r1 + 10)
            ssim_c, cs_c = _ssim(get_x(r0, r1 + _WIN - 1), get_y(r0, r1 + _WIN - 1), data_range=255.0, win=win,
                                 size_average=False, K=(0.01, 0.03))
            n = (r1 - r0) * (w - _WIN + 1)
            sums[0] += ssim_c[0].double() * n
            sums[1] += cs_c[0].double() * n
        scale_means.append(sums / ((h - _WIN + 1) * (w - _WIN + 1)))
        if level < len(_WEIGHTS) - 1:
            x, y = _pooled(get_x, h, w, channels), _pooled(get_y, h, w, channels)
    mcs = [torch.relu(m[1]) for m in scale_means[:-1]] + [torch.relu(scale_means[-1][0])]
    stacked = torch.stack(mcs).float()  # (levels, channels), as the library multiplies in float32
    value = torch.prod(stacked ** torch.tensor(_WEIGHTS).view(-1, 1), dim=0)
    return float(value.mean())


def _pooled(get_rows, h: int, w: int, channels: int) -> torch.Tensor:
    """``avg_pool2d(X, 2, padding=(h % 2, w % 2))`` of the whole (1, C, h, w) image X, computed
    from bands of its rows (``get_rows(r0, r1)``): the zero row above an odd height is added here,
    the zero column of an odd width by the pooling."""
    import torch
    import torch.nn.functional as F

    ph, pw = h % 2, w % 2
    out_h = (h + 2 * ph - 2) // 2 + 1
    out = torch.empty(1, channels, out_h, (w + 2 * pw - 2) // 2 + 1)
    band = max(1, _BAND_ELEMENTS // (2 * w * channels))
    for o0 in range(0, out_h, band):
        o1 = min(out_h, o0 + band)
        r0, r1 = 2 * o0 - ph, min(h, 2 * o1 - ph)
        rows = get_rows(max(0, r0), r1)
        if r0 < 0:
            rows = F.pad(rows, (0, 0, 1, 0))
        if rows.shape[-2] % 2:  # the last row pairs with nothing (floor), as in the pooling
            rows = rows[:, :, :-1]
        out[:, :, o0:o1] = F.avg_pool2d(rows, kernel_size=2, padding=[0, pw])
    return out


def _as_hwc(a: np.ndarray) -> np.ndarray:
    return a[:, :, None] if a.ndim == 2 else a


def _to_tensor(a: np.ndarray) -> torch.Tensor:
    import torch

    t = torch.from_numpy(np.array(a, dtype=np.float32, copy=True))
    if t.ndim == 2:
        t = t.unsqueeze(-1)
    return t.permute(2, 0, 1).unsqueeze(0)
