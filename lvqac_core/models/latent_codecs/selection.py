"""Coded selection bits (issue 8 §3): a probability per channel group and position from the hyperprior.

A lattice quantizer picks one of two codebooks per channel group and position (the selection bit).
Stored raw (``selection_coding = "raw"``, every model before issue 8) each bit costs one bit. With
``"rans"`` the :class:`SelectionHead` predicts a logit for P(bit = 1) from the hyperprior features
``hyper`` = h_s(ẑ), which the decoder has before any symbol of y, and the bits are coded with
:mod:`lvqac_core.entropy.binary` (rANS, the logit snapped to one of its levels). Training charges
the ideal code length of the hard selection under sigmoid(logit) (:func:`~lvqac_core.entropy.binary.selection_bits`).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch
from torch import Tensor, nn

from ...entropy.binary import level_index, level_logits

__all__ = ["HEAD_HIDDEN", "SELECTION_CODINGS", "SelectionHead", "selection_levels", "level_cost_bits"]

HEAD_HIDDEN = 64
"""Hidden width of the A head and the selection head unless a model's ``head_hidden`` option says
otherwise (every checkpoint before that option has this width)."""

#: the ``quantizer_options["selection_coding"]`` values; "raw" (packed bits) is the default
SELECTION_CODINGS = ("raw", "rans")


class SelectionHead(nn.Module):
    """One logit of P(codebook 1) per channel group and position, from the 2M hyper channels.

    The last layer starts at zero (weights and bias), so a new head predicts P = ½ everywhere:
    exactly the raw coding's one bit per group until training moves it.
    """

    def __init__(self, in_channels: int, groups: int, hidden: int = HEAD_HIDDEN):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, hidden, 3, padding=1), nn.LeakyReLU(inplace=True),
            nn.Conv2d(hidden, groups, 3, padding=1),
        )
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    @classmethod
    def for_options(cls, in_channels: int, groups: int, selection_coding: str,
                    hidden: int = HEAD_HIDDEN) -> Optional["SelectionHead"]:
        """The head when the quantizer's selection bits are rANS-coded (``groups`` > 0), else None."""
        if selection_coding not in SELECTION_CODINGS:
            raise ValueError(f"selection_coding must be one of {SELECTION_CODINGS}, got {selection_coding!r}")
        if selection_coding == "raw":
            return None
        if groups <= 0:
            raise ValueError("selection_coding 'rans' needs a lattice quantizer (lvq, lvqac): scalar has no selection bits")
        return cls(in_channels, groups, hidden)

    def forward(self, hyper: Tensor) -> Tensor:
        return self.net(hyper)


def selection_levels(head: SelectionHead, hyper: Tensor) -> Tensor:
    """The coder's probability level (int64, (1, G, h, w)) of each selection bit; same on both sides."""
    return level_index(head(hyper.float()))


def level_cost_bits(levels: Tensor, selection: Tensor) -> Tensor:
    """−log2 P(bit) of each selection bit at its snapped level, summed over the groups: float64 (h, w)."""
    logits = torch.from_numpy(level_logits()).to(levels.device)[levels]
    bit = selection.to(torch.float64)
    # −log2 σ(±l) = softplus(∓l) / ln 2
    cost = torch.nn.functional.softplus(torch.where(bit > 0, -logits, logits)) / np.log(2.0)
    return cost.sum(dim=1)[0].cpu()
