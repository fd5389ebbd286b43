"""The rate points: the paper's λ presets and the one λ comparison (equal, within a range, nearest in
log λ), shared by the zoo, the models' gains, the checkpoint checks, the service and the app."""
from __future__ import annotations

import math
from typing import Sequence

__all__ = ["PAPER_LAMBDAS", "LAMBDA_RTOL", "same_lambda", "lambda_in_range", "nearest_index"]

#: the paper's six rate points (λ of the MSE loss λ·255²·MSE + bpp)
PAPER_LAMBDAS = (0.0016, 0.0032, 0.0075, 0.015, 0.03, 0.045)

#: relative tolerance of every λ comparison (a λ read back from JSON or typed by a user)
LAMBDA_RTOL = 1e-6


def same_lambda(a: float, b: float) -> bool:
    """True when two λ values name the same rate point."""
    return math.isclose(float(a), float(b), rel_tol=LAMBDA_RTOL, abs_tol=0.0)


def lambda_in_range(lmbda: float, lo: float, hi: float) -> bool:
    """True when ``lmbda`` lies in [lo, hi], each end widened by :data:`LAMBDA_RTOL` (a range's
    ends read back from JSON or a checkpoint still count as inside); False for NaN or ±inf."""
    lmbda = float(lmbda)
    return math.isfinite(lmbda) and float(lo) * (1 - LAMBDA_RTOL) <= lmbda <= float(hi) * (1 + LAMBDA_RTOL)


def nearest_index(lmbda: float, values: Sequence[float]) -> int:
    """The index of the value nearest to ``lmbda`` in log λ (the first of equals): the nearest preset,
    or the zoo row a variable-rate network codes a λ with."""
    target = math.log(float(lmbda))
    return min(range(len(values)), key=lambda k: abs(math.log(float(values[k])) - target))
