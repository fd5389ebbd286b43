"""Pieces the context-model decoding orders share (the orders themselves: :mod:`.latent_codecs`).

- ``checkerboard`` (He et al., CVPR 2021): anchors ((i + j) even) use the hyperprior only; the
  other positions add a checkerboard-masked 5×5 convolution of the decoded anchors. Two passes.
- ``raster-scan`` (Minnen et al. 2018): raster order; each position sees a causal 5×5 window.

Each position's M-channel vector is one lattice vector, quantized in decoding order (design §5).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["anchor_mask", "entropy_parameters_net"]


def anchor_mask(h: int, w: int, device=None) -> Tensor:
    """(1, 1, h, w) bool, True at checkerboard anchors ((i + j) even)."""
    i = torch.arange(h, device=device).view(h, 1)
    j = torch.arange(w, device=device).view(1, w)
    return ((i + j) % 2 == 0).view(1, 1, h, w)


def entropy_parameters_net(M: int) -> nn.Module:
    """Maps [hyper features (2M), context features (2M)] to (σ, μ) (2M channels), as mbt2018."""
    return nn.Sequential(
        nn.Conv2d(M * 12 // 3, M * 10 // 3, 1), nn.LeakyReLU(inplace=True),
        nn.Conv2d(M * 10 // 3, M * 8 // 3, 1), nn.LeakyReLU(inplace=True),
        nn.Conv2d(M * 8 // 3, M * 2, 1),
    )
