"""Spatially adaptive companding: the paper's A-law and (ours) an exponential compander.

A-law companding (LVQAC, Zhang & Wu, CVPR 2023, Sec. 3; design note §3).

    F_A(x)   = sgn(x)·A|x|/c               |x| < 1/A            c = 1 + ln A
             = sgn(x)·(1 + ln(A|x|))/c     1/A <= |x| <= 1
             = tail for |x| > 1 (ours; the A-law itself is defined on [-1, 1])

Two tails keep F invertible on all of R:
- ``"linear"`` (default): the tangent at |x| = 1, F = sgn(x)·(1 + (|x| - 1)/c). F_1 is then the
  identity on R, so an LVQAC model with A = 1 is exactly plain LVQ.
- ``"log"``: the log segment continues, F = sgn(x)·(1 + ln(A|x|))/c (the design note's wording).
"""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["TAILS", "COMPANDERS", "alaw_compress", "alaw_expand", "exp_compress", "exp_expand", "compand", "expand"]

COMPANDERS = ("alaw", "exp")  # the paper's A-law (A >= 1) and the exponential compander (A > 0)

TAILS = ("linear", "log")


def _check_tail(tail: str) -> None:
    if tail not in TAILS:
        raise ValueError(f"unknown companding tail {tail!r}; expected one of {TAILS}")


def alaw_compress(x: Tensor, a: Tensor, tail: str = "linear") -> Tensor:
    """F_A(x) elementwise; ``a`` (A >= 1) broadcasts against ``x``."""
    _check_tail(tail)
    a = torch.as_tensor(a, dtype=x.dtype, device=x.device).clamp_min(1.0)
    c = 1.0 + torch.log(a)
    ax = x.abs()
    linear = a * ax / c
    logseg = (1.0 + torch.log((a * ax).clamp_min(1.0))) / c
    out = torch.where(a * ax < 1.0, linear, logseg)
    if tail == "linear":
        out = torch.where(ax > 1.0, 1.0 + (ax - 1.0) / c, out)
    return torch.sign(x) * out


def alaw_expand(v: Tensor, a: Tensor, tail: str = "linear") -> Tensor:
    """F_A⁻¹(v) elementwise, the exact inverse of :func:`alaw_compress`."""
    _check_tail(tail)
    a = torch.as_tensor(a, dtype=v.dtype, device=v.device).clamp_min(1.0)
    c = 1.0 + torch.log(a)
    av = v.abs()
    linear = av * c / a
    # Clamp the exponent so the unused branch of torch.where cannot overflow to inf/nan grads.
    logseg = torch.exp((av * c - 1.0).clamp(max=80.0)) / a
    out = torch.where(av < 1.0 / c, linear, logseg)
    if tail == "linear":
        out = torch.where(av > 1.0, 1.0 + (av - 1.0) * c, out)
    return torch.sign(v) * out


# ---- the exponential compander (ours): learnable in both directions -------------------
#
#     E_A(x) = sgn(x)·(1 − e^{−t|x|}) / (1 − e^{−t})    |x| <= 1,   t = ln A ∈ R
#            = x                                       |x| > 1
#
# E_A(±1) = ±1, so the tails are the identity and only [−1, 1] is redistributed. The slope at 0 is
# t/(1 − e^{−t}) and at |x| = 1 it is t·e^{−t}/(1 − e^{−t}): their ratio is exactly A, as for the
# A-law (A-law: (A/c)/(1/c) = A). A = 1 (t = 0) is the identity, A > 1 gives finer cells near zero
# (A-law-like), A < 1 a wider zero cell (dead zone). E_{1/A} is E_A turned by 180°
# about (½, ½): E_{1/A}(x) = 1 − E_A(1 − x) on [0, 1], so levels symmetric in log A are symmetric around the identity.
# ∂E/∂t at t = 0 is x(1 − x)/2 ≠ 0 on (0, 1): the identity is not a stationary point.
# Near t = 0 a second-order series replaces the 0/0 form (error O(t³), below fp64/fp32 rounding).

EXP_SERIES_T = 1e-3


def _safe_t(t: Tensor) -> tuple[Tensor, Tensor]:
    small = t.abs() < EXP_SERIES_T
    return small, torch.where(small, torch.full_like(t, EXP_SERIES_T), t)


def _near_identity(t: Tensor, small: Tensor, inner: Tensor, x: Tensor, sign: float, div: float) -> Tensor:
    """Where |t| is small: inner + sign·t·inner(1 − inner)/2 + t²·inner(1 − inner)(1 − 2·inner)/div.

    When every such t is exactly 0 and nothing needs a gradient, that is ``inner`` bit for bit
    (each t-term is ±0, and ``inner + ±0 == inner``), so the full-size series is not computed.
    This is the coder's case: A is snapped to levels whose only one near 1 is exactly 1 (t = 0),
    and the other levels have |t| ≥ ln(a_max)/8. In training t = 0 still takes the series, whose
    derivative in t is not zero there."""
    needs_grad = torch.is_grad_enabled() and (t.requires_grad or x.requires_grad)
    if not needs_grad and not bool((small & (t != 0)).any()):
        return inner
    return inner + sign * t * inner * (1 - inner) / 2 + t * t * inner * (1 - inner) * (1 - 2 * inner) / div


def exp_compress(x: Tensor, a: Tensor) -> Tensor:
    """E_A(x) elementwise; ``a`` (A > 0) broadcasts against ``x``."""
    t = torch.log(torch.as_tensor(a, dtype=x.dtype, device=x.device))
    small, ts = _safe_t(t)
    ax = x.abs()
    inner = ax.clamp(max=1.0)
    exact = torch.expm1(-ts * inner) / torch.expm1(-ts)
    out = torch.where(small, _near_identity(t, small, inner, x, 1.0, 12.0), exact)
    out = torch.where(ax > 1.0, ax, out)
    return torch.sign(x) * out


def exp_expand(v: Tensor, a: Tensor) -> Tensor:
    """E_A⁻¹(v) elementwise, the exact inverse of :func:`exp_compress`."""
    t = torch.log(torch.as_tensor(a, dtype=v.dtype, device=v.device))
    small, ts = _safe_t(t)
    av = v.abs()
    inner = av.clamp(max=1.0)
    exact = -torch.log1p(torch.expm1(-ts) * inner) / ts
    out = torch.where(small, _near_identity(t, small, inner, v, -1.0, 6.0), exact)
    out = torch.where(av > 1.0, av, out)
    return torch.sign(v) * out


def compand(x: Tensor, a: Tensor, compander: str = "alaw", tail: str = "linear") -> Tensor:
    """F_A(x) of ``compander`` (one of :data:`COMPANDERS`; ``tail`` applies to the A-law)."""
    return alaw_compress(x, a, tail) if compander == "alaw" else exp_compress(x, a)


def expand(v: Tensor, a: Tensor, compander: str = "alaw", tail: str = "linear") -> Tensor:
    """F_A⁻¹(v) of ``compander``, the exact inverse of :func:`compand`."""
    return alaw_expand(v, a, tail) if compander == "alaw" else exp_expand(v, a)
