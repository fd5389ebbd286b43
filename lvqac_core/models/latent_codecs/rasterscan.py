"""The raster-scan order (Minnen et al. 2018; minnen2018, cheng2020): serial autoregressive.

Each position sees a causal 5×5 window of the positions decoded before it (a masked convolution),
so positions are coded one at a time, row by row.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from ...compressai_parts import MaskedConv2d
from ...registry import DECODING_ORDER_REGISTRY
from ..context import entropy_parameters_net
from ... import threads
from ...progress import ProgressCallback, report
from .base import CodingState, CodingStep, LatentCodec

__all__ = ["RasterScanLatentCodec"]


@DECODING_ORDER_REGISTRY.register("raster-scan")
class RasterScanLatentCodec(LatentCodec):
    padding = 2  # the 5×5 window reads two zero rows/columns beyond the border

    @classmethod
    def build_context(cls, M: int) -> nn.Module:
        return MaskedConv2d(M, 2 * M, kernel_size=5, padding=2, stride=1)

    @classmethod
    def build_entropy_parameters(cls, M: int) -> nn.Module:
        return entropy_parameters_net(M)

    def forward_params(self, y: Tensor, hyper: Tensor,
                       a: Optional[Tensor]) -> tuple[Tensor, Tensor, Optional[Tensor]]:
        assert self.context is not None
        y_ctx = y + torch.empty_like(y).uniform_(-0.5, 0.5) if self.training else torch.round(y)
        mu, sigma = self.split(self.entropy_parameters(torch.cat([hyper, self.context(y_ctx)], 1)))
        return self.relaxed(y, mu, sigma, a)

    def code_pass(self, st: CodingState, hyper: Tensor, step: CodingStep, progress: ProgressCallback) -> None:
        nets = step.nets
        assert isinstance(self.context, MaskedConv2d) and nets.context_window is not None
        h, w = hyper.shape[-2:]
        origin = torch.tensor([0])
        y_hat_pad = st.y_hat_padded
        for i in range(h):
            for j in range(w):
                ctx = nets.context_window(y_hat_pad[:, :, i:i + 5, j:j + 5])
                params = nets.entropy_parameters(torch.cat([hyper[:, :, i:i + 1, j:j + 1], ctx], 1))
                step(params, origin, origin, at=(i, j))
            report(progress, (i + 1) / h)
            threads.recheck()  # the automatic thread count follows the load
