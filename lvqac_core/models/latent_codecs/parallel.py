"""The parallel order (minnen2018-mean): (μ, σ) from the hyperprior alone, every position in one pass."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ...registry import DECODING_ORDER_REGISTRY
from ...progress import ProgressCallback
from .base import CodingState, CodingStep, LatentCodec, positions

__all__ = ["ParallelLatentCodec"]


@DECODING_ORDER_REGISTRY.register("parallel")
class ParallelLatentCodec(LatentCodec):
    def forward_params(self, y: Tensor, hyper: Tensor,
                       a: Optional[Tensor]) -> tuple[Tensor, Tensor, Optional[Tensor]]:
        mu, sigma = self.split(hyper)
        return self.relaxed(y, mu, sigma, a)

    def code_pass(self, st: CodingState, hyper: Tensor, step: CodingStep, progress: ProgressCallback) -> None:
        h, w = hyper.shape[-2:]
        step(hyper, *positions(torch.ones(h, w, dtype=torch.bool)))
