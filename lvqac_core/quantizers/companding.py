"""Spatially adaptive A-law companding (LVQAC, Zhang & Wu, CVPR 2023, Sec. 3; design note §3).

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

__all__ = ["TAILS", "alaw_compress", "alaw_expand"]

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
