"""Quantizers of the latent residual: scalar rounding, LVQ, and LVQAC (LVQ + A-law companding)."""
from __future__ import annotations

from .base import Quantizer, QuantizedLatent
from .lvq import LatticeQuantizer, closest_point, soft_quantize
from .lvqac import CompandedLatticeQuantizer
from .scalar import ScalarQuantizer

__all__ = [
    "QUANTIZERS",
    "Quantizer",
    "QuantizedLatent",
    "ScalarQuantizer",
    "LatticeQuantizer",
    "CompandedLatticeQuantizer",
    "closest_point",
    "soft_quantize",
    "build_quantizer",
]

QUANTIZERS = ("scalar", "lvq", "lvqac")


def build_quantizer(name: str, channels: int, group_size: int | None = None, **kwargs) -> Quantizer:
    if name == "scalar":  # one value per coordinate: no groups
        return ScalarQuantizer(channels, **kwargs)
    if name == "lvq":
        return LatticeQuantizer(channels, group_size, **kwargs)
    if name == "lvqac":
        return CompandedLatticeQuantizer(channels, group_size, **kwargs)
    raise ValueError(f"unknown quantizer {name!r}; expected one of {QUANTIZERS}")
