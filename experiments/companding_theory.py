"""What a compander can gain at best, on one coefficient with an ideal entropy coder (issue 27 §3).

A Gaussian (the networks' conditional model) or Laplacian coefficient r of spread 1 is quantized as
the codec does it: u = V·E_A(g·r/V) with the exponential compander E_A (lvqac_core.quantizers.
companding), u rounded to the nearest integer (the 1-D lattice; a gain g sets the step, as the
model's gain units do per channel), and reconstructed at the lattice point, r̂ = V·E_A⁻¹(k/V)/g.
Rate is the entropy of k under the true density (an ideal entropy coder: the best case for every
A alike), distortion the mean squared error, both integrated numerically on a fine grid.

For each A level the gain sweeps a rate range; the table prints, at each target rate, the PSNR-like
gain in dB of the best A (chosen per rate, as an A head that knew the spread could) over A = 1 (the
uniform quantizer, i.e. LVQ's cells at the same rate), and which A that was. By Gish & Pierce
(1968) the uniform quantizer is the optimal entropy-coded quantizer at high rate, so the gain must
vanish there; what is left at low rate is the dead zone's.

    .venv/bin/python -m experiments.companding_theory [--source gaussian|laplacian] [--v 3.7]

V is the compander's span in the gained domain (the wide LVQAC network learned ≈ 3.7).
"""
from __future__ import annotations

import argparse
import math

import numpy as np
import torch

from lvqac_core.quantizers.companding import exp_compress, exp_expand

A_LEVELS = [float(a) for a in np.exp(np.linspace(-math.log(16), math.log(16), 17))]  # the wide network's


def density(source: str, x: np.ndarray) -> np.ndarray:
    if source == "gaussian":
        return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    b = 1 / math.sqrt(2)  # Laplacian of variance 1
    return np.exp(-np.abs(x) / b) / (2 * b)


def rd_point(source: str, gain: float, a: float, v: float, grid: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """(bits, mse) of quantizing r (density on ``grid`` with weights ``w``) at ``gain`` with A = ``a``."""
    r = torch.from_numpy(grid)
    a_t = torch.tensor(a, dtype=torch.float64)
    u = v * exp_compress(gain * r / v, a_t)
    k = torch.round(u)
    r_hat = v * exp_expand(k / v, a_t) / gain
    mse = float(np.sum(w * (grid - r_hat.numpy()) ** 2))
    kk = k.numpy().astype(np.int64)
    p = np.bincount(kk - kk.min(), weights=w)
    p = p[p > 0] / p.sum()
    return float(-(p * np.log2(p)).sum()), mse


def curve(source: str, a: float, v: float, gains: np.ndarray, grid, w) -> tuple[np.ndarray, np.ndarray]:
    pts = [rd_point(source, g, a, v, grid, w) for g in gains]
    bits = np.array([b for b, _ in pts])
    db = np.array([-10 * math.log10(m) for _, m in pts])  # SNR in dB (variance 1)
    return bits, db


def snr_at(bits: np.ndarray, db: np.ndarray, rate: float, hull: bool = False) -> float:
    """SNR at ``rate`` on the curve of one step size per rate (the points sorted by rate, linear
    between neighbours), or with ``hull`` on its upper convex hull with the zero-rate point (0 bits,
    0 dB): time-sharing, a share of the coefficients not coded at all and the rest at a finer
    step, as a network that zeroes what it need not send does. NaN outside the range."""
    order = np.argsort(bits)
    b, d = np.concatenate([[0.0], bits[order]]), np.concatenate([[0.0], db[order]])
    if hull:
        keep: list[int] = []
        for i in range(len(b)):
            while len(keep) >= 2:
                i0, i1 = keep[-2], keep[-1]
                if (d[i1] - d[i0]) * (b[i] - b[i0]) <= (d[i] - d[i0]) * (b[i1] - b[i0]):
                    keep.pop()
                else:
                    break
            keep.append(i)
        b, d = b[keep], d[keep]
    if rate > b[-1]:
        return float("nan")
    return float(np.interp(rate, b, d))


def best_gain(curves: dict, rate: float, hull: bool, below: bool) -> tuple[float, float]:
    """(gain in dB of the best A over A = 1 at ``rate``, that A); only A ≤ 1 with ``below``."""
    base = snr_at(*curves[1.0], rate, hull)
    per_a = [(snr_at(*c, rate, hull), lv) for lv, c in curves.items() if lv <= 1.0 or not below]
    snr, lv = max(p for p in per_a if not math.isnan(p[0]))
    return snr - base, lv


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", default="gaussian", choices=["gaussian", "laplacian"])
    ap.add_argument("--v", type=float, default=3.7, help="the compander's span in the gained domain")
    ap.add_argument("--rates", default="0.1,0.25,0.5,1,1.5,2,3,4", help="bits per coefficient to report")
    a = ap.parse_args()
    grid = np.linspace(-12, 12, 240_001)
    w = density(a.source, grid)
    w = w / w.sum()
    gains = np.exp(np.linspace(math.log(0.05), math.log(40), 160))
    curves = {lv: curve(a.source, lv, a.v, gains, grid, w) for lv in A_LEVELS}
    rates = [float(x) for x in a.rates.split(",")]
    print(f"{a.source} coefficient, span V = {a.v:g}, ideal entropy coder, lattice-point reconstruction")
    print("gain in dB of the best A level over A = 1 (that A in brackets), at each rate:")
    print(f"{'bits':>6} {'A = 1 SNR dB':>13} {'one step':>16} {'one step, A ≤ 1':>16} {'time-sharing':>16}")
    for rate in rates:
        cells = [best_gain(curves, rate, hull, below) for hull, below in ((False, False), (False, True), (True, False))]
        print(f"{rate:>6g} {snr_at(*curves[1.0], rate):>13.3f} "
              + " ".join(f"{g:>+8.3f} ({lv:5.3f})" for g, lv in cells))


if __name__ == "__main__":
    main()
