"""LVQAC: lattice vector quantization coupled with per-position companding.

    u = V·F_A((y − μ)/V),  û = Q_Λ(u),  ŷ = μ + V·F_A⁻¹(û/V)

A is one value per latent position, predicted on the decoder side from the hyperprior by the
model's A head (nothing is transmitted). V > 0 sets the span the compander reshapes (|r| < V;
beyond it the tails are the identity). Two ways (``v_scale`` option; checkpoints without it are
``"global"``), both keeping the entropy-coding tables two-dimensional (scale level × A level; a
per-channel V would multiply them by M):
- ``"global"``: one learned V per model.
- ``"sigma"`` (issue 27 §3: a dead zone scaled by each coefficient's σ): V = κ·σ_level per
  element, κ learned (stored as ``log_v``), σ_level the element's σ rounded up to its table's
  scale level, which encoder and decoder compute alike. The compander then acts on r/σ, the
  same shape for every channel and position whatever its spread: a dead zone of A < 1 zeroes
  the same share of each coefficient's distribution, not a fixed width that swallows small-σ
  channels whole and leaves large-σ ones alone.

Two companders (``compander`` option; checkpoints without it are ``"alaw"``):
- ``"alaw"`` (the paper): F_A is the A-law, A ≥ 1. A is snapped to ``a_levels`` (16) log-spaced
  values in [1, a_max] (64). A = 1 is a stationary point of the loss (∂F_A/∂A = 0 there).
- ``"exp"`` (ours): the exponential compander of :mod:`.companding`, A = e^t > 0 (slope
  ratio centre/edge, as for the A-law), A < 1 a dead zone, A > 1 finer near zero. Snapped to
  ``a_levels`` (17, odd: the identity is a level) values exp(linspace(−ln a_max, ln a_max)),
  a_max 16, symmetric around the identity in log A.
``a_side="below"`` (exp only; issue 27 §3: leave the refining to the gain units) keeps the levels
at or below the identity, A ∈ [1/a_max, 1] (9 levels, the same spacing): the compander can widen
the zero cell, never make cells finer. The head is the same; its A > 1 snaps to the top level
A = 1, and in training the straight-through snap passes the head its gradient as before.
The same snapped A defines the cells, the tables and the estimated rate, so file size and
estimate agree.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor, nn

from ..registry import QUANTIZER_REGISTRY
from .base import CellDomain
from .companding import COMPANDERS, compand, expand
from .lvq import LatticeQuantizer

__all__ = ["CompandedLatticeQuantizer", "CompandedDomain", "STE_DOMAINS", "V_SCALES", "A_SIDES"]

STE_DOMAINS = ("u", "r")  # where the hard training modes pass r's gradient straight through
A_SIDES = ("both", "below")  # the A levels: both sides of the identity, or A ≤ 1 only (dead zones)
V_SCALES = ("global", "sigma")  # V one learned value, or κ·σ_level per element (module docstring)


class CompandedDomain(CellDomain):
    """u = V·F_A(r/V) and its inverse with V (``v_scale="global"``) or κ (``"sigma"``: V = κ·σ_level)
    a Python float (float64 arithmetic on CPU tensors)."""

    def __init__(self, v: float, compander: str, tail: str, a_levels: tuple[float, ...], v_scale: str = "global"):
        self.v, self.compander, self.tail = v, compander, tail
        self.a_levels = a_levels
        self.v_scale = v_scale

    def _span(self, sigma_level: Optional[Tensor], like: Tensor):
        return self.v if self.v_scale == "global" else self.v * _level(sigma_level, like)

    def to_u(self, r: Tensor, a: Optional[Tensor] = None, sigma_level: Optional[Tensor] = None) -> Tensor:
        v = self._span(sigma_level, r)
        return v * compand(r / v, _a(a, r), self.compander, self.tail)

    def from_u(self, u: Tensor, a: Optional[Tensor] = None, sigma_level: Optional[Tensor] = None) -> Tensor:
        v = self._span(sigma_level, u)
        return v * expand(u / v, _a(a, u), self.compander, self.tail)


@QUANTIZER_REGISTRY.register("lvqac")
class CompandedLatticeQuantizer(LatticeQuantizer):
    companded = True
    compander: str

    def __init__(
        self,
        channels: int,
        group_size: int | None = None,
        tau: float = 0.5,
        v_init: float | None = None,
        tail: str = "linear",
        a_max: float | None = None,
        a_levels: int | None = None,
        compander: str = "alaw",
        a_grad_alpha: float = 16.0,
        a_grad_scale: float = 1.0,
        ste_domain: str = "u",
        v_scale: str = "global",
        a_side: str = "both",
        **train_options,
    ):
        super().__init__(channels, group_size, tau, **train_options)
        if compander not in COMPANDERS:
            raise ValueError(f"unknown compander {compander!r}; expected one of {COMPANDERS}")
        if v_scale not in V_SCALES:
            raise ValueError(f"unknown v_scale {v_scale!r}; expected one of {V_SCALES}")
        self.v_scale = v_scale
        self.needs_sigma_level = v_scale == "sigma"
        if v_init is None:  # V ≈ 4 latent units; κ = 2: the compander reshapes |r| < 2 σ_level
            v_init = 4.0 if v_scale == "global" else 2.0
        self.log_v = nn.Parameter(torch.tensor(math.log(v_init)))
        self.tail = tail
        self.compander = compander
        self.a_grad_alpha = float(a_grad_alpha)
        self.a_grad_scale = float(a_grad_scale)  # multiplies the surrogate's distortion gradient to A, V
        if ste_domain not in STE_DOMAINS:
            raise ValueError(f"unknown ste_domain {ste_domain!r}; expected one of {STE_DOMAINS}")
        self.ste_domain = ste_domain  # "u": straight-through in the companded domain; "r": on r itself
        if a_side not in A_SIDES:
            raise ValueError(f"unknown a_side {a_side!r}; expected one of {A_SIDES}")
        if a_side == "below" and compander != "exp":
            raise ValueError("a_side='below' (dead zones only) needs the exponential compander: the A-law has A ≥ 1")
        self.a_side = a_side
        self.a_max = float(a_max if a_max is not None else (64.0 if compander == "alaw" else 16.0))
        default_levels = 16 if compander == "alaw" else 17 if a_side == "both" else 9  # 9: the same spacing as 17
        self.a_levels = int(a_levels if a_levels is not None else default_levels)
        if self.a_max <= 1.0 or self.a_levels < 2:
            raise ValueError("a_max must exceed 1 and a_levels be at least 2")

    @property
    def a_min(self) -> float:
        """Smallest A: 1 for the A-law, 1/a_max for the exponential compander."""
        return 1.0 if self.compander == "alaw" else 1.0 / self.a_max

    @property
    def a_top(self) -> float:
        """Largest A level: a_max, or 1 (the identity) where ``a_side="below"`` allows dead zones only."""
        return self.a_max if self.a_side == "both" else 1.0

    def compress(self, x: Tensor, a: Tensor) -> Tensor:
        """F_A(x) of the configured compander (any dtype)."""
        return compand(x, a, self.compander, self.tail)

    def expand(self, v: Tensor, a: Tensor) -> Tensor:
        """F_A⁻¹(v) of the configured compander (any dtype)."""
        return expand(v, a, self.compander, self.tail)

    def cell_domain(self) -> CompandedDomain:
        """T, T⁻¹ with V = exp(log V) as this quantizer computes it (float32), cast to float64."""
        v = float(self.v.detach().double())
        return CompandedDomain(v, self.compander, self.tail, tuple(float(a) for a in self.level_values()), self.v_scale)

    @property
    def v(self) -> Tensor:
        return self.log_v.exp()

    def level_values(self) -> Tensor:
        """The A values the coder uses: exp(linspace(ln a_min, ln a_top, a_levels)), float64."""
        return torch.exp(torch.linspace(math.log(self.a_min), math.log(self.a_top), self.a_levels, dtype=torch.float64))

    def snap_level(self, a: Tensor) -> Tensor:
        """Index of the nearest level (in log A) for each A, int64 (A above the top level takes the top:
        with ``a_side="below"`` the head's A > 1 codes as the identity)."""
        lo, hi = math.log(self.a_min), math.log(self.a_top)
        t = (torch.log(a.clamp(self.a_min, self.a_top)) - lo) / (hi - lo) * (self.a_levels - 1)
        return torch.round(t).long().clamp(0, self.a_levels - 1)

    def snap(self, a: Tensor) -> tuple[Tensor, Tensor]:
        idx = self.snap_level(a)
        return idx, self.level_values().to(a.device)[idx].to(a.dtype)

    def train_forward(self, r: Tensor, a: Optional[Tensor],
                      sigma_level: Optional[Tensor] = None) -> tuple[Tensor, Tensor]:
        """Hard training modes: r̂'s value is the exact reconstruction T⁻¹(Q(T(r))) and r gets the
        quantizer's gradient (straight-through or relaxation), as in the base class. The companding
        parameters (A, V) get theirs from a soft-rounding surrogate T⁻¹(s_α(T(r))) (Agustsson &
        Theis 2020, α = ``a_grad_alpha``, per coordinate), which sees the cell boundaries move: a
        wider zero cell sends more latents to 0 and costs distortion. Measured in the issue-8 pilot
        at the λ 0.0075 scalar model: the exact path with the lattice point held fixed, the
        straight-through identity through T(r), and the additive-noise surrogate T⁻¹(T(r) + n)
        (Bennett) all underestimate ∂D/∂A by 10–50× against finite differences and drove A to the
        largest dead zone while the loss rose. The rate proxy sees u = T(r) with all dependencies.
        """
        if self.train_mode == "relaxed":
            return super().train_forward(r, a, sigma_level)
        a = _a(a, r)
        v_d, a_d = self._span(sigma_level, r).detach(), a.detach()
        u_fixed = v_d * self.compress(r / v_d, a_d)  # u's value, gradient to r only
        r_exact = v_d * self.expand(self.relax(u_fixed) / v_d, a_d)
        if self.ste_domain == "r":  # dr̂/dr = 1, not T⁻¹'(û)·T'(r), which rescales each coordinate's gradient
            r_exact = r_exact.detach() + (r - r.detach())
        soft = soft_round(self.to_u(r.detach(), a, sigma_level), self.a_grad_alpha)
        r_soft = self.from_u(soft, a, sigma_level)  # to A, V only
        r_hat = r_exact + self.a_grad_scale * (r_soft - r_soft.detach())
        u = self.to_u(r, a, sigma_level)
        if self.rate_proxy == "hard":
            return r_hat, self.nearest(u.detach()) + (u - u.detach())
        return r_hat, u + torch.empty_like(u).uniform_(-0.5, 0.5)

    def _span(self, sigma_level: Optional[Tensor], like: Tensor) -> Tensor:
        """V in ``like``'s dtype: the learned V, or κ·σ_level (σ_level carries no gradient)."""
        v = self.v.to(like.dtype)
        return v if self.v_scale == "global" else v * _level(sigma_level, like).detach()

    def to_u(self, r: Tensor, a: Optional[Tensor] = None, sigma_level: Optional[Tensor] = None) -> Tensor:
        v = self._span(sigma_level, r)
        return v * self.compress(r / v, _a(a, r))

    def from_u(self, u: Tensor, a: Optional[Tensor] = None, sigma_level: Optional[Tensor] = None) -> Tensor:
        v = self._span(sigma_level, u)
        return v * self.expand(u / v, _a(a, u))


def soft_round(u: Tensor, alpha: float) -> Tensor:
    """s_α(u) = m + tanh(α(u − m))/(2·tanh(α/2)), m = ⌊u⌋ + ½: continuous, → round(u) as α → ∞."""
    m = torch.floor(u.detach()) + 0.5
    return m + torch.tanh(alpha * (u - m)) / (2.0 * math.tanh(alpha / 2.0))


def _level(sigma_level: Optional[Tensor], like: Tensor) -> Tensor:
    if sigma_level is None:
        raise ValueError("a σ-scaled compander (v_scale='sigma') needs each element's sigma_level")
    return sigma_level.to(like.dtype)


def _a(a: Optional[Tensor], like: Tensor) -> Tensor:
    return torch.ones((), dtype=like.dtype, device=like.device) if a is None else a.to(like.dtype)
