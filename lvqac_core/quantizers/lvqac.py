"""LVQAC: lattice vector quantization coupled with per-position A-law companding.

    u = V·F_A((y − μ)/V),  û = Q_Λ(u),  ŷ = μ + V·F_A⁻¹(û/V)

A ≥ 1 is one value per latent position, predicted on the decoder side from the hyperprior by the
model's A head (nothing is transmitted). V > 0 is one learned scale per model (ours: a single
scalar, so the entropy-coding tables stay two-dimensional: scale level × A level).
At inference A is snapped to ``a_levels`` log-spaced values in [1, a_max]; the same snapped A
defines the cells, the tables and the estimated rate, so file size and estimate agree.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor, nn

from .companding import alaw_compress, alaw_expand
from .lvq import LatticeQuantizer

__all__ = ["CompandedLatticeQuantizer"]


class CompandedLatticeQuantizer(LatticeQuantizer):
    name = "lvqac"
    companded = True

    def __init__(
        self,
        channels: int,
        group_size: int | None = None,
        tau: float = 0.5,
        v_init: float = 4.0,
        tail: str = "linear",
        a_max: float = 64.0,
        a_levels: int = 16,
    ):
        super().__init__(channels, group_size, tau)
        self.log_v = nn.Parameter(torch.tensor(math.log(v_init)))
        self.tail = tail
        self.a_max = float(a_max)
        self.a_levels = int(a_levels)

    @property
    def v(self) -> Tensor:
        return self.log_v.exp()

    def level_values(self) -> Tensor:
        """The A values the coder uses: exp(linspace(0, ln a_max, a_levels)), float64."""
        return torch.exp(torch.linspace(0.0, math.log(self.a_max), self.a_levels, dtype=torch.float64))

    def snap_level(self, a: Tensor) -> Tensor:
        """Index of the nearest level (in log A) for each A, int64."""
        t = torch.log(a.clamp(1.0, self.a_max)) / math.log(self.a_max) * (self.a_levels - 1)
        return torch.round(t).long().clamp(0, self.a_levels - 1)

    def snap(self, a: Tensor) -> tuple[Tensor, Tensor]:
        idx = self.snap_level(a)
        return idx, self.level_values().to(a.device)[idx].to(a.dtype)

    def to_u(self, r: Tensor, a: Optional[Tensor] = None) -> Tensor:
        v = self.v.to(r.dtype)
        return v * alaw_compress(r / v, _a(a, r), self.tail)

    def from_u(self, u: Tensor, a: Optional[Tensor] = None) -> Tensor:
        v = self.v.to(u.dtype)
        return v * alaw_expand(u / v, _a(a, u), self.tail)


def _a(a: Optional[Tensor], like: Tensor) -> Tensor:
    return torch.ones((), dtype=like.dtype, device=like.device) if a is None else a.to(like.dtype)
