"""Uniform scalar quantization (the baseline): û = round(u).

Training: ``"ste"`` (straight-through rounding, default) or ``"noise"`` (additive U(−½, ½))
for the reconstruction path; the rate always uses the additive-noise proxy.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .base import Quantizer, QuantizedLatent

__all__ = ["ScalarQuantizer"]

TRAIN_MODES = ("ste", "noise")


class ScalarQuantizer(Quantizer):
    name = "scalar"
    uses_selection = False

    def __init__(self, channels: int, train_mode: str = "ste"):
        super().__init__(channels)
        if train_mode not in TRAIN_MODES:
            raise ValueError(f"train_mode must be one of {TRAIN_MODES}")
        self.train_mode = train_mode
        self.group_size = 0

    def relax(self, u: Tensor) -> Tensor:
        if self.train_mode == "noise":
            return u + torch.empty_like(u).uniform_(-0.5, 0.5)
        return u + (torch.round(u) - u).detach()

    def quantize_u(self, u: Tensor) -> QuantizedLatent:
        return QuantizedLatent(symbols=torch.round(u).to(torch.int32), selection=None)

    def lattice_values(self, q: QuantizedLatent) -> Tensor:
        return q.symbols.to(torch.float32)
