"""Lattice vector quantization on the union of two integer cosets (design note §1–2).

    Λ = Z^n ∪ (Z^n + ½·1),  n = channel-group size g (g = M: the paper's one bit per position)

    c0 = round(u)            codebook 0
    c1 = round(u − ½) + ½    codebook 1
    k  = argmin_k ||u − c_k||²  (one selection bit per group, ties go to codebook 0)

Vectors are the channels of one latent position: tensors are (B, C, H, W) and groups split C.
Training (``train_mode``): the relaxation replaces the argmin with w = softmax(−d/τ) over the two
squared distances, with a straight-through estimator inside each codebook; τ is given per group
size 1 and scaled by sqrt(g), since d0 − d1 has standard deviation ≈ sqrt(g/48).
- ``"hard-ste"`` (default): forward value = the exact closest point, gradient = identity
  (straight-through): Q(u) + (u − u.detach()).
- ``"hard-relax"``: forward value = the exact closest point, gradient of the relaxation:
  Q(u) + (soft − soft.detach()).
- ``"relaxed"``: forward value = the relaxation w0·c̃0 + w1·c̃1 (the first zoo's training; not a
  lattice point while the weights are mixed, so training sees a finer quantizer than inference).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from ..registry import QUANTIZER_REGISTRY
from .base import Quantizer, QuantizedLatent

LATTICE_TRAIN_MODES = ("hard-ste", "hard-relax", "relaxed")

__all__ = ["LATTICE_TRAIN_MODES", "codebook_points", "closest_point", "soft_quantize", "group_distances", "LatticeQuantizer"]


def codebook_points(u: Tensor) -> tuple[Tensor, Tensor]:
    """The nearest point of each codebook, coordinatewise: (c0, c1)."""
    c0 = torch.round(u)
    c1 = torch.round(u - 0.5) + 0.5
    return c0, c1


def group_distances(u: Tensor, c: Tensor, g: int) -> Tensor:
    """Squared distance per channel group: (B, C, H, W) → (B, C/g, H, W)."""
    b, ch, h, w = u.shape
    d = (u - c).pow(2).reshape(b, ch // g, g, h, w)
    return d.sum(dim=2)


def expand_groups(sel: Tensor, g: int) -> Tensor:
    """(B, G, H, W) per-group values → (B, G·g, H, W) per channel."""
    return sel.repeat_interleave(g, dim=1)


def closest_point(u: Tensor, g: int) -> tuple[Tensor, Tensor]:
    """Exact closest point of Λ to each g-channel group of ``u``.

    Returns (point, selection) with selection (B, C/g, H, W) uint8, 1 where codebook 1 won.
    """
    _check_groups(u, g)
    c0, c1 = codebook_points(u)
    sel = group_distances(u, c1, g) < group_distances(u, c0, g)
    point = torch.where(expand_groups(sel, g), c1, c0)
    return point, sel.to(torch.uint8)


def soft_quantize(u: Tensor, g: int, tau: float) -> Tensor:
    """Training relaxation: w0·c̃0 + w1·c̃1 with w = softmax(−d/τ), τ scaled by sqrt(g)."""
    _check_groups(u, g)
    c0, c1 = codebook_points(u)
    t0 = u + (c0 - u).detach()
    t1 = u + (c1 - u).detach()
    d = torch.stack([group_distances(u, c0, g), group_distances(u, c1, g)], dim=0)
    w = torch.softmax(-d / (tau * math.sqrt(g)), dim=0)
    return expand_groups(w[0], g) * t0 + expand_groups(w[1], g) * t1


def _check_groups(u: Tensor, g: int) -> None:
    if g < 1 or u.shape[1] % g:
        raise ValueError(f"group size {g} must divide the {u.shape[1]} channels")


@QUANTIZER_REGISTRY.register("lvq")
class LatticeQuantizer(Quantizer):
    """LVQ on Λ = Z^n ∪ (Z^n + ½) with n = ``group_size`` channels (None: all M channels)."""

    uses_selection = True

    def __init__(self, channels: int, group_size: int | None = None, tau: float = 0.5,
                 train_mode: str = "hard-ste", rate_proxy: str = "noise"):
        super().__init__(channels, rate_proxy=rate_proxy)
        if train_mode not in LATTICE_TRAIN_MODES:
            raise ValueError(f"train_mode must be one of {LATTICE_TRAIN_MODES}, got {train_mode!r}")
        self.train_mode = train_mode
        g = channels if group_size in (None, 0) else int(group_size)
        if channels % g:
            raise ValueError(f"group size {g} must divide M = {channels}")
        self.group_size = g
        self.tau = float(tau)

    @classmethod
    def build(cls, channels: int, group_size: int | None = None, **options) -> "LatticeQuantizer":
        return cls(channels, group_size, **options)

    def set_temperature(self, tau: float) -> None:
        self.tau = float(tau)

    def relax(self, u: Tensor) -> Tensor:
        if self.train_mode == "relaxed":
            return soft_quantize(u, self.group_size, self.tau)
        hard = self.nearest(u.detach())
        if self.train_mode == "hard-ste":
            return hard + (u - u.detach())
        soft = soft_quantize(u, self.group_size, self.tau)
        return hard + (soft - soft.detach())

    def nearest(self, u: Tensor) -> Tensor:
        return closest_point(u, self.group_size)[0]

    def quantize_u(self, u: Tensor) -> QuantizedLatent:
        point, sel = closest_point(u, self.group_size)
        offset = expand_groups(sel, self.group_size).to(u.dtype) * 0.5
        symbols = torch.round(point - offset).to(torch.int32)
        return QuantizedLatent(symbols=symbols, selection=sel)

    def lattice_values(self, q: QuantizedLatent) -> Tensor:
        assert q.selection is not None
        return q.symbols.to(torch.float32) + 0.5 * expand_groups(q.selection, self.group_size).float()
