"""Quantizers of the latent residual: scalar rounding, LVQ, and LVQAC (LVQ + A-law companding).

Each quantizer class registers itself (``@QUANTIZER_REGISTRY.register(name)``) where it is defined;
:func:`build_quantizer` looks the name up there.
"""
from __future__ import annotations

from ..registry import QUANTIZER_REGISTRY
from .base import CellDomain, Quantizer, QuantizedLatent
from .scalar import ScalarQuantizer
from .lvq import LatticeQuantizer, closest_point, soft_quantize
from .lvqac import CompandedLatticeQuantizer

__all__ = [
    "QUANTIZER_REGISTRY",
    "Quantizer",
    "QuantizedLatent",
    "CellDomain",
    "ScalarQuantizer",
    "LatticeQuantizer",
    "CompandedLatticeQuantizer",
    "closest_point",
    "soft_quantize",
    "build_quantizer",
]

def build_quantizer(name: str, channels: int, group_size: int | None = None, **kwargs) -> Quantizer:
    if name not in QUANTIZER_REGISTRY:
        raise ValueError(f"unknown quantizer {name!r}; expected one of {QUANTIZER_REGISTRY.names()}")
    return QUANTIZER_REGISTRY.get(name).build(channels, group_size, **kwargs)
