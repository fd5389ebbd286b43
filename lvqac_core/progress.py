"""The one progress type: how far a job is (a fraction, 0 … 1) and which stage the core is in, named
by the core itself. Callbacks are called as ``progress(step)`` with a :class:`Progress`, a ``float``
that also carries ``.stage``, so a callback written for ``progress(fraction)`` keeps working and one
that shows the stage reads ``step.stage`` instead of guessing it from the fraction. A callback may
raise :class:`~lvqac_core.errors.Cancelled` to stop.

Stages, in order: encoding :data:`READING` → :data:`ANALYSING` → :data:`CODING` → :data:`SYNTHESIS`
(when a reconstruction is asked for) → :data:`MEASURING`; decoding :data:`DECODING_HYPERPRIOR` →
:data:`DECODING_LATENTS` → :data:`SYNTHESIS`.
"""
from __future__ import annotations

from typing import Callable, Optional

from .errors import InputError

__all__ = ["Progress", "ProgressCallback", "READING", "ANALYSING", "CODING", "SYNTHESIS", "MEASURING",
           "DECODING_HYPERPRIOR", "DECODING_LATENTS", "stage_of", "report", "staged", "scaled"]

READING = "reading image"
ANALYSING = "analysing"
CODING = "coding"
SYNTHESIS = "synthesis"
MEASURING = "measuring PSNR / MS-SSIM"
DECODING_HYPERPRIOR = "decoding hyperprior"
DECODING_LATENTS = "decoding latents"


class Progress(float):
    """A fraction of a job done, with the stage the core is in (``.stage``; "" when unnamed)."""

    stage: str

    def __new__(cls, fraction: float, stage: str = "") -> "Progress":
        step = super().__new__(cls, fraction)
        step.stage = stage
        return step

    def __repr__(self) -> str:
        return f"Progress({float(self)!r}, {self.stage!r})"


ProgressCallback = Optional[Callable[[float], None]]
"""What the core's ``progress=`` arguments take: None, or a callable called with a :class:`Progress`."""


def stage_of(fraction: float) -> str:
    """The stage a progress value names ("" for a plain float)."""
    return getattr(fraction, "stage", "")


def report(progress: ProgressCallback, fraction: float, stage: Optional[str] = None) -> None:
    """Call ``progress`` (if any) with ``fraction`` in ``stage`` (default: the stage ``fraction`` names)."""
    if progress is None:
        return
    if not callable(progress):
        raise InputError(f"progress must be a callable or None, not {type(progress).__name__}")
    progress(Progress(fraction, stage_of(fraction) if stage is None else stage))


def staged(progress: ProgressCallback, stage: str) -> ProgressCallback:
    """``progress`` for a part of the work that is all ``stage``: fractions reported without a stage
    name get this one."""
    if progress is None:
        return None
    return lambda f: report(progress, f, stage_of(f) or stage)


def scaled(progress: ProgressCallback, lo: float, hi: float) -> ProgressCallback:
    """``progress`` for a part of the work that spans ``lo`` … ``hi`` of the whole (stage kept)."""
    if progress is None:
        return None
    return lambda f: report(progress, lo + (hi - lo) * float(f), stage_of(f))
