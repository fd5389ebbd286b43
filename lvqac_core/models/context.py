"""Spatial context models and their decoding orders.

- ``none``: one pass; (μ, σ) come from the hyperprior alone.
- ``checkerboard`` (He et al., CVPR 2021): anchors ((i + j) even) use the hyperprior only; the
  other positions add a checkerboard-masked 5×5 convolution of the decoded anchors. Two passes.
- ``autoregressive`` (Minnen et al. 2018): raster order; each position sees a causal 5×5 window.

Each position's M-channel vector is one lattice vector, quantized in decoding order (design §5).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn
from ..compressai_parts import CheckerboardMaskedConv2d, MaskedConv2d

__all__ = ["anchor_mask", "build_context", "entropy_parameters_net"]


def anchor_mask(h: int, w: int, device=None) -> Tensor:
    """(1, 1, h, w) bool, True at checkerboard anchors ((i + j) even)."""
    i = torch.arange(h, device=device).view(h, 1)
    j = torch.arange(w, device=device).view(1, w)
    return ((i + j) % 2 == 0).view(1, 1, h, w)


def build_context(kind: str, M: int) -> nn.Module | None:
    if kind == "parallel":
        return None
    if kind == "checkerboard":
        return CheckerboardMaskedConv2d(M, 2 * M, kernel_size=5, padding=2, stride=1)
    if kind == "raster-scan":
        return MaskedConv2d(M, 2 * M, kernel_size=5, padding=2, stride=1)
    raise ValueError(f"unknown context {kind!r}")


def entropy_parameters_net(kind: str, M: int) -> nn.Module:
    """Maps [hyper features (2M), context features (2M)] to (σ, μ) (2M channels), as mbt2018."""
    if kind == "parallel":
        return nn.Identity()
    return nn.Sequential(
        nn.Conv2d(M * 12 // 3, M * 10 // 3, 1), nn.LeakyReLU(inplace=True),
        nn.Conv2d(M * 10 // 3, M * 8 // 3, 1), nn.LeakyReLU(inplace=True),
        nn.Conv2d(M * 8 // 3, M * 2, 1),
    )
