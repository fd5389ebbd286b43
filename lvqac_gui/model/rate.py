"""The continuous rate control (Qt-free): where a λ sits on a slider in log λ, the λ a slider
position means (snapped to a preset when near one, else rounded to three significant digits), and
whether the control applies to the chosen model (only a variable-rate network codes between its
presets; :func:`lvqac_core.service.rate_range` says which families have one)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

from lvqac_core.lambdas import PAPER_LAMBDAS, lambda_in_range, nearest_index, same_lambda

STEPS = 1000  # slider positions from the lowest to the highest λ
SNAP = 0.02  # a position within this share of the slider from a preset snaps to it

__all__ = ["STEPS", "SNAP", "RateControl", "position", "lambda_at", "snap", "is_preset", "nearest_preset", "preset_index",
           "step_preset"]


@dataclass(frozen=True)
class RateControl:
    """What the rate control shows: enabled or not (and why not), its range, the network's name."""

    enabled: bool
    lo: float
    hi: float
    network: Optional[str] = None
    reason: str = ""


def position(lmbda: float, lo: float, hi: float) -> int:
    """The slider position (0 … STEPS) of ``lmbda`` on a log scale from ``lo`` to ``hi``."""
    t = (math.log(lmbda) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return int(round(min(max(t, 0.0), 1.0) * STEPS))


def lambda_at(pos: int, lo: float, hi: float, presets: Sequence[float] = PAPER_LAMBDAS) -> float:
    """The λ at slider position ``pos``: a preset within :data:`SNAP` of it, else the exact point
    rounded to three significant digits (a λ a person can read and type again)."""
    t = min(max(pos / STEPS, 0.0), 1.0)
    return snap(math.exp(math.log(lo) + t * (math.log(hi) - math.log(lo))), lo, hi, presets)


def snap(lmbda: float, lo: float, hi: float, presets: Sequence[float] = PAPER_LAMBDAS) -> float:
    """``lmbda`` snapped to a preset in [lo, hi] when near one, else rounded to 3 significant digits
    and kept within [lo, hi]."""
    span = math.log(hi) - math.log(lo)
    near = [p for p in presets if lambda_in_range(p, lo, hi)
            and abs(math.log(p) - math.log(lmbda)) <= SNAP * span]
    if near:
        return float(near[nearest_index(lmbda, near)])
    rounded = float(f"{lmbda:.3g}")
    return min(max(rounded, lo), hi)


def is_preset(lmbda: float, presets: Sequence[float] = PAPER_LAMBDAS) -> bool:
    return any(same_lambda(lmbda, p) for p in presets)


def nearest_preset(lmbda: float, presets: Sequence[float] = PAPER_LAMBDAS) -> float:
    """The preset nearest to ``lmbda`` in log λ."""
    return float(presets[preset_index(lmbda, presets)])


def preset_index(lmbda: float, presets: Sequence[float] = PAPER_LAMBDAS) -> int:
    """The index of the preset nearest to ``lmbda`` in log λ."""
    return nearest_index(lmbda, presets)


def step_preset(lmbda: float, step: int, presets: Sequence[float] = PAPER_LAMBDAS) -> float:
    """The next preset strictly below (``step`` < 0) or above (``step`` > 0) ``lmbda`` (a preset
    itself counts as where it is); at either end, the end preset."""
    ordered = sorted(float(p) for p in presets)
    if step < 0:
        below = [p for p in ordered if p < lmbda and not same_lambda(p, lmbda)]
        return below[-1] if below else ordered[0]
    above = [p for p in ordered if p > lmbda and not same_lambda(p, lmbda)]
    return above[0] if above else ordered[-1]
