"""Property tests of the quantizers against brute force (hypothesis)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lvqac_core.quantizers import (
    CompandedLatticeQuantizer,
    LatticeQuantizer,
    ScalarQuantizer,
    closest_point,
    soft_quantize,
)
from lvqac_core.quantizers.companding import alaw_compress, alaw_expand

coords = st.floats(min_value=-50, max_value=50, allow_nan=False, allow_infinity=False, width=32)


def brute_force_distance(u: np.ndarray) -> float:
    """Squared distance from u to the nearest point of Z^n ∪ (Z^n + 1/2), by enumeration."""
    best = np.inf
    for shift in (0.0, 0.5):
        lo = np.floor(u - shift) + shift
        for corner in itertools.product((0.0, 1.0), repeat=len(u)):
            p = lo + np.array(corner)
            best = min(best, float(np.sum((u - p) ** 2)))
    return best


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 7).flatmap(lambda n: st.lists(coords, min_size=n, max_size=n)))
def test_closest_point_is_nearest_in_union(values):
    u = torch.tensor(values, dtype=torch.float64).view(1, -1, 1, 1)
    point, sel = closest_point(u, g=len(values))
    p = point.view(-1).numpy()
    # the point is in one codebook, and the selection says which
    frac = p - np.floor(p)
    assert np.all(frac == 0.5 * sel.item())
    d = float(np.sum((u.view(-1).numpy() - p) ** 2))
    assert d <= brute_force_distance(u.view(-1).numpy()) + 1e-9


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8).flatmap(lambda n: st.tuples(
    st.lists(st.integers(-1000, 1000), min_size=n, max_size=n), st.booleans())))
def test_lattice_points_are_fixed(args):
    ints, shifted = args
    p = torch.tensor(ints, dtype=torch.float64) + (0.5 if shifted else 0.0)
    q, sel = closest_point(p.view(1, -1, 1, 1), g=len(ints))
    assert torch.equal(q.view(-1), p)
    assert sel.item() == int(shifted)


def test_group_size_splits_channels():
    torch.manual_seed(0)
    u = torch.randn(2, 12, 3, 4) * 3
    for g in (1, 3, 4, 12):
        point, sel = closest_point(u, g)
        assert sel.shape == (2, 12 // g, 3, 4)
        for k in range(12 // g):
            p, s = closest_point(u[:, k * g:(k + 1) * g], g)
            assert torch.equal(point[:, k * g:(k + 1) * g], p)
            assert torch.equal(sel[:, k:k + 1], s)
    with pytest.raises(ValueError):
        closest_point(u, 5)


@settings(max_examples=300, deadline=None)
@given(st.floats(1.0, 1000.0), st.floats(-1e3, 1e3, allow_nan=False), st.sampled_from(["linear", "log"]))
def test_companding_is_invertible(a, x, tail):
    xa = torch.tensor([x], dtype=torch.float64)
    at = torch.tensor(a, dtype=torch.float64)
    y = alaw_expand(alaw_compress(xa, at, tail), at, tail)
    assert abs(y.item() - x) <= 1e-9 * max(1.0, abs(x))


def test_companding_float32_tolerance_and_identity_at_a1():
    x = torch.linspace(-1000, 1000, 20001)
    for a in (1.0, 3.0, 100.0, 1000.0):
        y = alaw_expand(alaw_compress(x, torch.tensor(a)), torch.tensor(a))
        assert torch.allclose(y, x, rtol=1e-5, atol=1e-5)
    assert torch.equal(alaw_compress(x, torch.tensor(1.0), "linear"), x)


def test_companding_is_monotone():
    x = torch.linspace(-50, 50, 10001, dtype=torch.float64)
    for a in (1.0, 7.0, 300.0):
        for tail in ("linear", "log"):
            f = alaw_compress(x, torch.tensor(a, dtype=torch.float64), tail)
            assert torch.all(f[1:] > f[:-1])


@pytest.mark.parametrize("g", [1, 4, 16])
def test_relaxation_converges_to_hard_choice(g):
    torch.manual_seed(1)
    u = torch.randn(4, 16, 5, 5, dtype=torch.float64) * 4
    hard, _ = closest_point(u, g)
    errs = [float((soft_quantize(u, g, tau) - hard).abs().max()) for tau in (1.0, 0.1, 1e-3, 1e-6)]
    assert errs[-1] < 1e-6
    assert errs[-1] <= errs[0]


def test_relaxation_has_gradients():
    u = (torch.randn(2, 8, 3, 3) * 3).requires_grad_()
    soft_quantize(u, 8, 0.5).sum().backward()
    assert torch.isfinite(u.grad).all() and u.grad.abs().sum() > 0


@pytest.mark.parametrize("cls", [ScalarQuantizer, LatticeQuantizer, CompandedLatticeQuantizer])
def test_quantize_dequantize_roundtrip(cls):
    torch.manual_seed(2)
    q = cls(8)
    r = torch.randn(1, 8, 6, 6) * 5
    a = 1 + torch.rand(1, 1, 6, 6) * 20 if q.companded else None
    if a is not None:
        _, a = q.snap(a)
    qz = q.quantize(r, a)
    r_hat = q.dequantize(qz, a)
    # re-quantizing a reconstruction returns the same symbols (idempotence)
    again = q.quantize(r_hat, a)
    assert torch.equal(again.symbols, qz.symbols)
    if qz.selection is not None:
        assert torch.equal(again.selection, qz.selection)


def test_cell_probabilities_sum_to_one():
    q = CompandedLatticeQuantizer(4)
    sigma = torch.tensor(3.0, dtype=torch.float64)
    for a in (1.0, 10.0, 64.0):
        at = torch.tensor(a, dtype=torch.float64)
        for k in (0.0, 0.5):
            centers = torch.arange(-200, 201, dtype=torch.float64) + k
            with torch.no_grad():
                total = q.double().likelihood(centers, sigma, at).sum()
            assert abs(float(total) - 1.0) < 1e-6
