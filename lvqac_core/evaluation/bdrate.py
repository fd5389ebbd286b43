"""Bjøntegaard delta rate and delta PSNR (VCEG-M33) between two rate–distortion curves.

Rates are in bpp (any rate unit works: only ratios matter), quality in dB. ``method="cubic"`` fits a
cubic polynomial (as in VCEG-M33; lower degree when a curve has fewer than 4 points) and integrates
it over the overlapping interval; ``method="pchip"`` integrates a piecewise-cubic Hermite
interpolant (scipy ``PchipInterpolator``), which does not overshoot between points.

BD-rate: mean relative rate difference of ``test`` against ``anchor`` at equal quality, in percent
(negative = ``test`` needs fewer bits). BD-PSNR: mean quality difference at equal rate, in dB.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import InputError

__all__ = ["bd_rate", "bd_psnr", "BDError"]


class BDError(InputError, ValueError):
    """The curves cannot be compared (too few points, no overlap, non-positive rates). An
    ``InputError`` (the CLI prints it as one line, exit code 2); still a ``ValueError`` for callers
    that caught it as one."""


def _prep(rate: Sequence[float], dist: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    r = np.asarray(rate, dtype=np.float64)
    d = np.asarray(dist, dtype=np.float64)
    if r.shape != d.shape or r.ndim != 1:
        raise BDError("rate and quality must be 1-D sequences of the same length")
    ok = np.isfinite(r) & np.isfinite(d)
    r, d = r[ok], d[ok]
    if len(r) < 2:
        raise BDError("each curve needs at least 2 finite points")
    if np.any(r <= 0):
        raise BDError("rates must be positive")
    return np.log(r), d


def _integral(x: np.ndarray, y: np.ndarray, lo: float, hi: float, method: str) -> float:
    """∫_lo^hi f where f interpolates y(x)."""
    order = np.argsort(x)
    x, y = x[order], y[order]
    if method == "cubic":
        deg = min(3, len(x) - 1)
        p = np.polyint(np.polyfit(x, y, deg))
        return float(np.polyval(p, hi) - np.polyval(p, lo))
    if method == "pchip":
        from scipy.interpolate import PchipInterpolator

        if np.any(np.diff(x) <= 0):
            raise BDError("pchip needs strictly monotone curves (distinct x values)")
        return float(PchipInterpolator(x, y).integrate(lo, hi))
    raise BDError(f"unknown method {method!r}: use 'cubic' or 'pchip'")


def _overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    lo, hi = max(a.min(), b.min()), min(a.max(), b.max())
    if not hi > lo:
        raise BDError("the curves do not overlap")
    return float(lo), float(hi)


def bd_rate(anchor_rate, anchor_psnr, test_rate, test_psnr, method: str = "cubic") -> float:
    """BD-rate of ``test`` against ``anchor`` in percent."""
    la, da = _prep(anchor_rate, anchor_psnr)
    lt, dt = _prep(test_rate, test_psnr)
    lo, hi = _overlap(da, dt)
    # log-rate as a function of quality
    avg = (_integral(dt, lt, lo, hi, method) - _integral(da, la, lo, hi, method)) / (hi - lo)
    return float((np.exp(avg) - 1.0) * 100.0)


def bd_psnr(anchor_rate, anchor_psnr, test_rate, test_psnr, method: str = "cubic") -> float:
    """BD-PSNR of ``test`` against ``anchor`` in dB."""
    la, da = _prep(anchor_rate, anchor_psnr)
    lt, dt = _prep(test_rate, test_psnr)
    lo, hi = _overlap(la, lt)
    return float((_integral(lt, dt, lo, hi, method) - _integral(la, da, lo, hi, method)) / (hi - lo))
