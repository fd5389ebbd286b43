"""The checkerboard order (He et al., CVPR 2021; the ``-ckbd`` architectures): two passes.

Anchors ((i + j) even) use the hyperprior only; the other positions add a checkerboard-masked 5×5
convolution of the decoded anchors.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from ...compressai_parts import CheckerboardMaskedConv2d
from ...registry import DECODING_ORDER_REGISTRY
from ..context import anchor_mask, entropy_parameters_net
from ... import threads
from ...progress import ProgressCallback, report
from .base import CodingState, CodingStep, LatentCodec, gather, positions

__all__ = ["CheckerboardLatentCodec"]


@DECODING_ORDER_REGISTRY.register("checkerboard")
class CheckerboardLatentCodec(LatentCodec):
    @classmethod
    def build_context(cls, M: int) -> nn.Module:
        return CheckerboardMaskedConv2d(M, 2 * M, kernel_size=5, padding=2, stride=1)

    @classmethod
    def build_entropy_parameters(cls, M: int) -> nn.Module:
        return entropy_parameters_net(M)

    def forward_params(self, y: Tensor, hyper: Tensor,
                       a: Optional[Tensor]) -> tuple[Tensor, Tensor, Optional[Tensor]]:
        assert self.context is not None
        anchors = anchor_mask(*y.shape[-2:], device=y.device)
        mu_a, sig_a = self.split(self.entropy_parameters(torch.cat([hyper, torch.zeros_like(hyper)], 1)))
        y_hat_a, lik_a, sel_a = self.relaxed(y, mu_a, sig_a, a)
        # the context sees the anchors as the distortion path quantized them: exact lattice
        # points with a hard training mode, as at inference
        ctx = self.context(y_hat_a * anchors)
        mu_n, sig_n = self.split(self.entropy_parameters(torch.cat([hyper, ctx], 1)))
        y_hat_n, lik_n, sel_n = self.relaxed(y, mu_n, sig_n, a)
        # each position's selection is the one of the pass that codes it (anchors and the others
        # have different μ)
        sel = None if sel_a is None or sel_n is None else torch.where(anchors, sel_a, sel_n)
        return torch.where(anchors, y_hat_a, y_hat_n), torch.where(anchors, lik_a, lik_n), sel

    def code_pass(self, st: CodingState, hyper: Tensor, step: CodingStep, progress: ProgressCallback) -> None:
        nets = step.nets
        assert nets.context is not None
        h, w = hyper.shape[-2:]
        anchors = anchor_mask(h, w)[0, 0]
        if nets.exact:  # each pass evaluates its own positions only, in chunks (same numbers: exact nets)
            assert nets.context_at is not None

            def anchor_params(ii: Tensor, jj: Tensor) -> Tensor:
                hyp = gather(hyper, ii, jj)
                return nets.entropy_parameters(torch.cat([hyp, torch.zeros_like(hyp)], 1))

            def other_params(ii: Tensor, jj: Tensor) -> Tensor:  # the anchors are all decoded by now
                return nets.entropy_parameters(torch.cat([gather(hyper, ii, jj), nets.context_at(st.y_hat, ii, jj)], 1))

            step.chunked(anchor_params, *positions(anchors))
            report(progress, 0.5)
            threads.recheck()  # the automatic thread count follows the load
            step.chunked(other_params, *positions(~anchors))
            return
        zeros = torch.zeros_like(hyper)
        step(nets.entropy_parameters(torch.cat([hyper, zeros], 1)), *positions(anchors))
        report(progress, 0.5)
        threads.recheck()
        ctx = nets.context(st.y_hat)  # non-anchors are still zero
        step(nets.entropy_parameters(torch.cat([hyper, ctx], 1)), *positions(~anchors))
