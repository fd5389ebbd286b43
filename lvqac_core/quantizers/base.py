"""The interface every quantizer of the latent residual r = y − μ implements.

A quantizer works in its own coding domain u = T(r) (the identity, or companding for LVQAC),
places u on a lattice and maps back: r̂ = T⁻¹(û). Each coordinate of û sits on a unit grid
(û = symbol + k/2 for codebook k), so its cell is [û − ½, û + ½] in the u-domain and its
probability under r ~ N(0, σ²) is Φ(T⁻¹(û + ½)/σ) − Φ(T⁻¹(û − ½)/σ) (design note §4).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import Tensor, nn

__all__ = ["QuantizedLatent", "Quantizer", "CellDomain", "standard_normal_cdf", "LIKELIHOOD_BOUND"]

LIKELIHOOD_BOUND = 1e-9


def standard_normal_cdf(x: Tensor) -> Tensor:
    return 0.5 * torch.erfc(-x * (2.0 ** -0.5))


@dataclass
class QuantizedLatent:
    """Integer symbols per coordinate (û − k/2) and, for lattices, the selection per group."""

    symbols: Tensor  # int32 (B, C, H, W)
    selection: Optional[Tensor]  # uint8 (B, G, H, W) or None


RATE_PROXIES = ("noise", "hard")


class CellDomain:
    """A quantizer's T and T⁻¹ on CPU float64 tensors, from its parameters as they are now (detached,
    cast to Python floats): what the entropy-coding tables are computed from, so that every device
    builds the same integers. ``a_levels``: the companding parameters A the tables are built for,
    ``(None,)`` without companding. ``sigma_level``: each element's scale level (the σ of its
    table), which a σ-scaled compander reads (see :class:`Quantizer`). This base is the identity
    (scalar quantization, LVQ)."""

    a_levels: tuple[Optional[float], ...] = (None,)

    def to_u(self, r: Tensor, a: Optional[Tensor] = None, sigma_level: Optional[Tensor] = None) -> Tensor:
        return r

    def from_u(self, u: Tensor, a: Optional[Tensor] = None, sigma_level: Optional[Tensor] = None) -> Tensor:
        return u


class Quantizer(nn.Module):
    """Training options (recorded in the checkpoint's ``quantizer_options``):

    - ``train_mode``: how the distortion path quantizes in training (see each subclass).
    - ``rate_proxy``: what the rate term sees in training. ``"noise"``: the unit cell centred at
      u + U(−½, ½) (the additive-noise proxy); ``"hard"``: the cell of the hard quantized value
      (the inference cell mass), with straight-through gradients to u.

    ``sigma_level`` (every method that maps r ↔ u): each element's σ rounded up to the coding
    tables' scale level, as encoder and decoder both compute it
    (:func:`lvqac_core.entropy.tables.scale_levels`). Only a σ-scaled compander reads it
    (LVQAC with ``v_scale="sigma"``); the others ignore it.
    """

    needs_sigma_level: bool = False  # True where to_u / from_u read sigma_level

    uses_selection: bool = False
    companded: bool = False
    compander: Optional[str] = None  # the companding law of companded quantizers ("alaw", "exp")
    group_size: int = 0
    train_mode: str = ""

    def __init__(self, channels: int, rate_proxy: str = "noise"):
        super().__init__()
        if rate_proxy not in RATE_PROXIES:
            raise ValueError(f"rate_proxy must be one of {RATE_PROXIES}, got {rate_proxy!r}")
        self.channels = int(channels)
        self.rate_proxy = rate_proxy

    # ---- domain (identity unless companded) -------------------------------------------
    def to_u(self, r: Tensor, a: Optional[Tensor] = None, sigma_level: Optional[Tensor] = None) -> Tensor:
        return r

    def from_u(self, u: Tensor, a: Optional[Tensor] = None, sigma_level: Optional[Tensor] = None) -> Tensor:
        return u

    @classmethod
    def build(cls, channels: int, group_size: Optional[int] = None, **options) -> "Quantizer":
        """The quantizer for ``channels`` latent channels in groups of ``group_size`` (None or 0: one
        group of all channels), with the checkpoint's ``quantizer_options``."""
        raise NotImplementedError

    def cell_domain(self) -> CellDomain:
        """T, T⁻¹ and the A levels in float64 for the entropy-coding tables (see :class:`CellDomain`)."""
        return CellDomain()

    # ---- to be provided by subclasses --------------------------------------------------
    def relax(self, u: Tensor) -> Tensor:  # training-time differentiable quantization
        raise NotImplementedError

    def nearest(self, u: Tensor) -> Tensor:  # the inference quantizer's value in the u-domain
        raise NotImplementedError

    def quantize_u(self, u: Tensor) -> QuantizedLatent:
        raise NotImplementedError

    def lattice_values(self, q: QuantizedLatent) -> Tensor:
        raise NotImplementedError

    # ---- shared -----------------------------------------------------------------------
    def set_temperature(self, tau: float) -> None:  # only lattices have one
        pass

    def num_groups(self) -> int:
        return self.channels // self.group_size if self.uses_selection else 0

    def train_forward(self, r: Tensor, a: Optional[Tensor],
                      sigma_level: Optional[Tensor] = None) -> tuple[Tensor, Tensor]:
        """(r̂ for the distortion path, the u whose unit cell the rate proxy charges)."""
        u = self.to_u(r, a, sigma_level)
        u_hat = self.relax(u)
        r_hat = self.from_u(u_hat, a, sigma_level)
        if self.train_mode == "noise":  # the classic baseline: one noisy value for both terms
            return r_hat, u_hat
        if self.rate_proxy == "hard":
            return r_hat, self.nearest(u.detach()) + (u - u.detach())
        return r_hat, u + torch.empty_like(u).uniform_(-0.5, 0.5)

    def quantize(self, r: Tensor, a: Optional[Tensor] = None, sigma_level: Optional[Tensor] = None) -> QuantizedLatent:
        return self.quantize_u(self.to_u(r, a, sigma_level))

    def dequantize(self, q: QuantizedLatent, a: Optional[Tensor] = None,
                   sigma_level: Optional[Tensor] = None) -> Tensor:
        return self.from_u(self.lattice_values(q), a, sigma_level)

    def likelihood(self, u_center: Tensor, sigma: Tensor, a: Optional[Tensor] = None,
                   sigma_level: Optional[Tensor] = None) -> Tensor:
        """Probability of the unit cell centred at ``u_center`` (bounded below by 1e-9) under
        N(0, σ²); ``sigma_level`` is the table level T reads (σ-scaled companding), not this σ.

        Uses the odd symmetry of T to evaluate in the upper tail of Φ (no cancellation).
        """
        v = u_center.abs()
        upper = standard_normal_cdf(-self.from_u(v - 0.5, a, sigma_level) / sigma)
        lower = standard_normal_cdf(-self.from_u(v + 0.5, a, sigma_level) / sigma)
        return (upper - lower).clamp_min(LIKELIHOOD_BOUND)
