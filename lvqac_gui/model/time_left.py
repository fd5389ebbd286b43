"""The time left of a running job, for the progress line (Qt-free).

The core reports progress at stage boundaries, so during a long stage (analysis of a large
photo) the fraction stands still. Two estimates, the better one used:

* from the fraction itself once it moves: ``elapsed × (1 − f) / f``;
* from earlier jobs of the same kind: seconds per megapixel (a running mean), so that a stage
  that reports nothing still counts down.

:meth:`TimeLeft.text` gives the words (“about 6 s left”; “12 s so far” while nothing is known).
Nothing is said for the first second of a job (short jobs stay quiet)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Optional

__all__ = ["TimeLeft", "QUIET_SECONDS"]

QUIET_SECONDS = 1.0  # no estimate during a job's first second
MIN_FRACTION = 0.05  # the fraction-based estimate once the bar has moved this far


@dataclass
class TimeLeft:
    clock: Callable[[], float] = time.monotonic
    seconds_per_mp: dict[str, float] = field(default_factory=dict)  # job kind -> s per megapixel
    kind: Optional[str] = None
    megapixels: float = 1.0
    started: Optional[float] = None
    fraction: float = 0.0
    moved_at: Optional[float] = None  # when the fraction first moved past 0 (model loading excluded)
    moved_from: float = 0.0

    def begin(self, kind: str, pixels: Optional[int]) -> None:
        """A job of ``kind`` on an image of ``pixels`` pixels (None: unknown) starts now."""
        self.kind = kind
        self.megapixels = max((pixels or 1_000_000) / 1e6, 0.01)
        self.started = self.clock()
        self.fraction = 0.0
        self.moved_at = None
        self.moved_from = 0.0

    def update(self, fraction: float) -> None:
        if self.started is None:
            return
        if fraction < 0:  # a model loading: no measurable progress, the clock restarts after it
            self.started = self.clock()
            self.moved_at = None
            return
        if self.moved_at is None and fraction > 0:
            self.moved_at, self.moved_from = self.clock(), float(fraction)
        self.fraction = float(fraction)

    def finish(self, ok: bool = True) -> None:
        """The job ended; a finished job teaches the estimate for the next of its kind."""
        if ok and self.started is not None and self.kind:
            seconds = self.clock() - self.started
            rate = seconds / self.megapixels
            old = self.seconds_per_mp.get(self.kind)
            self.seconds_per_mp[self.kind] = rate if old is None else 0.5 * old + 0.5 * rate
        self.started = None

    def seconds_left(self) -> Optional[float]:
        if self.started is None:
            return None
        now = self.clock()
        elapsed = now - self.started
        estimates = []
        if self.moved_at is not None and self.fraction - self.moved_from >= MIN_FRACTION and now > self.moved_at:
            f = self.fraction
            estimates.append((now - self.moved_at) * (1 - f) / max(f - self.moved_from, 1e-6))
        known = self.seconds_per_mp.get(self.kind or "")
        if known is not None:
            expected = known * self.megapixels
            estimates.append(max(expected - elapsed, expected * 0.05 * (1 - self.fraction)))
        if not estimates:
            return None
        return max(min(estimates) if len(estimates) > 1 and self.fraction > 0.5 else estimates[-1], 0.0)

    def text(self) -> str:
        """“about 6 s left”, “12 s so far” (nothing known yet), or "" (quiet: the first second)."""
        if self.started is None:
            return ""
        elapsed = self.clock() - self.started
        if elapsed < QUIET_SECONDS:
            return ""
        left = self.seconds_left()
        if left is None:
            return f"{elapsed:.0f} s so far"
        if left < 1.0:
            return "almost done"
        if left < 90:
            return f"about {left:.0f} s left"
        return f"about {left / 60:.0f} min left"
