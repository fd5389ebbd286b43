import math

import numpy as np
import pytest

from lvqac_core.evaluation.bdrate import BDError, bd_psnr, bd_rate

BPP = [0.124, 0.198, 0.307, 0.461, 0.662, 0.914, 1.234, 1.619]
PSNR = [27.70, 29.36, 31.13, 32.95, 34.97, 36.91, 38.84, 40.63]


@pytest.mark.parametrize("method", ["cubic", "pchip"])
def test_rate_scaled_gives_exact_bdrate(method):
    test_bpp = [0.9 * r for r in BPP]
    assert bd_rate(BPP, PSNR, test_bpp, PSNR, method=method) == pytest.approx(-10.0, abs=1e-9)
    assert bd_rate(test_bpp, PSNR, BPP, PSNR, method=method) == pytest.approx(100 / 0.9 - 100, abs=1e-9)


@pytest.mark.parametrize("method", ["cubic", "pchip"])
def test_psnr_shift_gives_exact_bdpsnr(method):
    shifted = [p + 0.5 for p in PSNR]
    assert bd_psnr(BPP, PSNR, BPP, shifted, method=method) == pytest.approx(0.5, abs=1e-9)


def test_identical_curves_zero():
    assert bd_rate(BPP, PSNR, BPP, PSNR) == pytest.approx(0.0, abs=1e-9)
    assert bd_psnr(BPP, PSNR, BPP, PSNR) == pytest.approx(0.0, abs=1e-9)


def test_linear_hand_computed_partial_overlap():
    # anchor: psnr = 30 + 10·ln(r); test: same line shifted up by 1 dB -> rate ×exp(-0.1) everywhere
    r = np.array([0.1, 0.2, 0.4, 0.8])
    a = 30 + 10 * np.log(r)
    t = a + 1.0
    assert bd_rate(r, a, r, t) == pytest.approx((math.exp(-0.1) - 1) * 100, abs=1e-9)
    assert bd_psnr(r, a, r, t) == pytest.approx(1.0, abs=1e-9)


def test_errors():
    with pytest.raises(BDError):
        bd_rate([0.1, 0.2], [20, 21], [0.1, 0.2], [30, 31])  # no overlap in quality
    with pytest.raises(BDError):
        bd_rate([0.1], [20], [0.1, 0.2], [20, 21])
    with pytest.raises(BDError):
        bd_rate([0.0, 0.2], [20, 21], [0.1, 0.2], [20, 21])
