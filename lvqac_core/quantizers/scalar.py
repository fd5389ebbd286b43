"""Uniform scalar quantization (the baseline): û = round(u).

Training (``train_mode``): ``"ste"`` (default): the distortion path sees round(u) exactly, with
straight-through gradients; the rate uses ``rate_proxy`` (default the additive-noise proxy).
``"noise"``: the classic baseline (Ballé et al.): u + U(−½, ½) for both the distortion and the
rate term (one shared noise draw).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..registry import QUANTIZER_REGISTRY
from .base import Quantizer, QuantizedLatent

__all__ = ["ScalarQuantizer"]

TRAIN_MODES = ("ste", "noise")


@QUANTIZER_REGISTRY.register("scalar")
class ScalarQuantizer(Quantizer):
    uses_selection = False

    @classmethod
    def build(cls, channels: int, group_size: int | None = None, **options) -> "ScalarQuantizer":
        return cls(channels, **options)  # one value per coordinate: no groups

    def __init__(self, channels: int, train_mode: str = "ste", rate_proxy: str = "noise"):
        super().__init__(channels, rate_proxy=rate_proxy)
        if train_mode not in TRAIN_MODES:
            raise ValueError(f"train_mode must be one of {TRAIN_MODES}")
        self.train_mode = train_mode
        self.group_size = 0

    def relax(self, u: Tensor) -> Tensor:
        if self.train_mode == "noise":
            return u + torch.empty_like(u).uniform_(-0.5, 0.5)
        return torch.round(u.detach()) + (u - u.detach())  # exactly round(u) forward

    def nearest(self, u: Tensor) -> Tensor:
        return torch.round(u)

    def quantize_u(self, u: Tensor) -> QuantizedLatent:
        return QuantizedLatent(symbols=torch.round(u).to(torch.int32), selection=None)

    def lattice_values(self, q: QuantizedLatent) -> Tensor:
        return q.symbols.to(torch.float32)
