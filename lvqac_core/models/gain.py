"""Gain units: one network for a continuous range of rates (Cui et al., CVPR 2021, "Asymmetric gained
deep image compression with continuous rate adaptation").

A variable-rate model keeps, for each of K preset λ (the paper's six rate points by default), a
gain vector g_k and an inverse gain vector g'_k over the M latent channels. At λ the encoder scales
the latent before quantization and the decoder scales the quantized latent back::

    y_g = g(λ) ⊙ g_a(x)        (the hyperprior, the context and the quantizer all see y_g)
    ŷ   = g'(λ) ⊙ Q(y_g)       → g_s

A larger gain makes the quantizer relatively finer (more rate, less distortion); for the lattice
quantizers it scales the latent before LVQ, so both codebooks and the companding act on y_g.
Between two presets λ_k ≤ λ ≤ λ_{k+1} the vectors are interpolated exponentially in log λ::

    t = (ln λ − ln λ_k) / (ln λ_{k+1} − ln λ_k),   ln g(λ) = (1 − t)·ln g_k + t·ln g_{k+1}

so any λ in [λ_1, λ_K] is a valid rate (``lvqac compress --lambda``). Gains are stored as logs
(always positive), initialised at ln g_k = ½·ln(λ_k / λ_base): the step of a uniform quantizer
that minimises D + λR at high rate scales as λ^(−½), and λ_base (the λ of the single-rate network
training starts from) keeps that network's behaviour at its own λ.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor, nn

from ..errors import InputError
from ..lambdas import lambda_in_range

__all__ = ["GainUnits", "interpolation_weights"]


def interpolation_weights(lambdas: Sequence[float], lmbda: float) -> tuple[int, int, float]:
    """(k, k + 1, t): the presets around ``lmbda`` and its position t ∈ [0, 1] between them in log λ.

    ``lmbda`` outside [min, max] of the presets is an :class:`InputError` (one line naming the range).
    """
    lams = [float(v) for v in lambdas]
    lo, hi = lams[0], lams[-1]
    lmbda = float(lmbda)
    if not lambda_in_range(lmbda, lo, hi):
        raise InputError(f"λ = {lmbda:g} is outside this model's range {lo:g} … {hi:g}")
    lmbda = min(max(lmbda, lo), hi)
    for k in range(len(lams) - 1):
        if lmbda <= lams[k + 1]:
            t = (math.log(lmbda) - math.log(lams[k])) / (math.log(lams[k + 1]) - math.log(lams[k]))
            return k, k + 1, min(max(t, 0.0), 1.0)
    return len(lams) - 1, len(lams) - 1, 0.0  # a single preset


class GainUnits(nn.Module):
    """Per-preset log-gains (K, M) and log-inverse-gains (K, M) with exponential interpolation."""

    def __init__(self, lambdas: Sequence[float], channels: int, base_lambda: float):
        super().__init__()
        lams = [float(v) for v in lambdas]
        if not lams or any(not (v > 0 and math.isfinite(v)) for v in lams) or lams != sorted(set(lams)):
            raise ValueError(f"gain-unit λ presets must be positive, distinct and increasing, got {lams}")
        self.lambdas = tuple(lams)
        init = torch.tensor([0.5 * math.log(v / float(base_lambda)) for v in lams], dtype=torch.float32)
        self.log_gain = nn.Parameter(init[:, None].repeat(1, channels))
        self.log_inv_gain = nn.Parameter(-init[:, None].repeat(1, channels))

    @property
    def lambda_range(self) -> tuple[float, float]:
        return self.lambdas[0], self.lambdas[-1]

    @torch.no_grad()
    def log_rows_at(self, lambdas: Sequence[float], inverse: bool = False) -> Tensor:
        """(len(lambdas), M) fp32 log-gains (``inverse``: log-inverse-gains) for new presets: inside
        the range what the network does at that λ (the interpolated row), beyond it the nearest end
        moved by the high-rate rule ln g ∝ ½ ln λ (ln g' ∝ −½ ln λ) that the presets start from.
        What a network widened or given more presets starts with (``lvqac_core.training``)."""
        table = self.log_inv_gain if inverse else self.log_gain
        lo, hi = self.lambda_range
        sign = -1.0 if inverse else 1.0
        rows = []
        for lam in lambdas:
            end = min(max(float(lam), lo), hi)
            k0, k1, t = interpolation_weights(self.lambdas, end)
            row = (1.0 - t) * table[k0].detach().float() + t * table[k1].detach().float()
            rows.append(row + sign * 0.5 * math.log(float(lam) / end))  # + 0 inside the range
        return torch.stack(rows)

    def forward(self, lmbda: float) -> tuple[Tensor, Tensor]:
        """(g, g') at ``lmbda``, each (1, M, 1, 1) fp32, differentiable w.r.t. both presets used."""
        k0, k1, t = interpolation_weights(self.lambdas, lmbda)
        log_g = (1.0 - t) * self.log_gain[k0] + t * self.log_gain[k1]
        log_gi = (1.0 - t) * self.log_inv_gain[k0] + t * self.log_inv_gain[k1]
        return log_g.float().exp().view(1, -1, 1, 1), log_gi.float().exp().view(1, -1, 1, 1)
