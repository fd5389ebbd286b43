"""The per-position inspector's state (Qt-free): which latent position is selected, what the core's
:mod:`lvqac_core.position_probe` says about it, and the what-if results.

Protocol (the Qt layer in :mod:`lvqac_gui.qt.inspector_panel`): the window calls
:meth:`PositionInspector.set_display` when a result is shown and :meth:`select_pixel` when an image
or map is clicked; the inspector emits ``request`` with a :class:`ProbeRequest`, which the Qt layer
runs on the backend's worker thread by calling :meth:`PositionInspector.compute` there and hands
back to :meth:`finished` (or :meth:`failed`) on the UI thread. Request ids make a stale answer
harmless. The probe of a result (analysis transforms and one coding pass) is built once and kept
for the next clicks on the same result.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from lvqac_core.geometry import LATENT_STRIDE

from .events import Signal

__all__ = ["ProbeRequest", "ProbeOutcome", "PositionInspector", "WHAT_IF_LABELS", "report_rows", "what_if_text"]

WHAT_IF_LABELS = {"flip": "other codebook", "a1": "A = 1"}


@dataclass(frozen=True)
class ProbeRequest:
    """One unit of work for the worker thread: inspect (row, col), and a what-if when asked."""

    id: int
    display: Any = field(compare=False, repr=False)  # state.Display (the coded result)
    row: int = 0
    col: int = 0
    what_if: Optional[str] = None  # "flip" | "a1" | None


@dataclass(frozen=True)
class ProbeOutcome:
    request_id: int
    row: int
    col: int
    report: Any  # lvqac_core.position_probe.PositionReport
    what_if: Any = None  # lvqac_core.position_probe.WhatIf
    seconds: float = 0.0  # wall time of the work on the worker thread


class PositionInspector:
    """See the module docstring. ``codec_for(display)`` returns the codec that coded ``display``
    (the backend's loaded model), or None."""

    def __init__(self, codec_for: Callable[[Any], Any]) -> None:
        self.codec_for = codec_for
        self.display: Any = None
        self.position: Optional[tuple[int, int]] = None
        self.report: Any = None
        self.what_ifs: dict[str, Any] = {}  # kind -> WhatIf at the selected position
        self.pending: Optional[ProbeRequest] = None
        self.message = "Click a position in any panel to inspect it."
        self.last_seconds: Optional[float] = None
        self._next_id = 1
        self._probe_lock = threading.Lock()
        self._probe: Optional[tuple[Any, Any]] = None  # (the display it probes, PositionProbe)
        self.request = Signal("request")  # (ProbeRequest)
        self.changed = Signal("changed")  # ()

    # ------------------------------------------------------------------ UI thread
    @property
    def busy(self) -> bool:
        return self.pending is not None

    def unavailable_reason(self, display: Any = None) -> Optional[str]:
        """Why the shown result cannot be inspected (None: it can)."""
        d = self.display if display is None else display
        if d is None:
            return "No result yet."
        if getattr(d, "original", None) is None:
            return "A decoded .lvq file has no original image: open the image to inspect positions."
        if self.codec_for(d) is None:
            return "The model that coded this result is not loaded (code the image again)."
        return None

    def set_display(self, display: Any) -> None:
        """A new result is shown: forget the selection (positions belong to their result)."""
        if display is self.display:
            return
        self.display = display
        self.position, self.report, self.what_ifs, self.pending = None, None, {}, None
        self.message = self.unavailable_reason() or "Click a position in any panel to inspect it."
        self.changed.emit()

    def select_pixel(self, x: int, y: int) -> bool:
        """Select the latent position under image pixel (x, y); False when nothing is selected."""
        d = self.display
        if d is None or not (0 <= x < d.width and 0 <= y < d.height):
            return False
        return self.select(y // LATENT_STRIDE, x // LATENT_STRIDE)

    def select(self, row: int, col: int) -> bool:
        reason = self.unavailable_reason()
        if reason is not None:
            self.message = reason
            self.changed.emit()
            return False
        self.position, self.report, self.what_ifs = (int(row), int(col)), None, {}
        self._submit(None)
        return True

    def run_what_if(self, kind: str) -> bool:
        """Ask for the what-if ``kind`` at the selected position."""
        if self.position is None or self.report is None or kind not in self.report.what_ifs:
            return False
        self._submit(kind)
        return True

    def _submit(self, what_if: Optional[str]) -> None:
        assert self.position is not None
        req = ProbeRequest(self._next_id, self.display, self.position[0], self.position[1], what_if)
        self._next_id += 1
        self.pending = req
        self.message = ("computing what if " + WHAT_IF_LABELS[what_if] + "…") if what_if else "inspecting…"
        self.changed.emit()
        self.request.emit(req)

    def finished(self, outcome: ProbeOutcome) -> None:
        if self.pending is None or outcome.request_id != self.pending.id:
            return  # superseded
        self.pending = None
        self.report = outcome.report
        if outcome.what_if is not None:
            self.what_ifs[outcome.what_if.kind] = outcome.what_if
        self.last_seconds = outcome.seconds
        self.message = ""
        self.changed.emit()

    def failed(self, request_id: int, message: str) -> None:
        if self.pending is None or request_id != self.pending.id:
            return
        self.pending = None
        self.message = message
        self.changed.emit()

    # ------------------------------------------------------------------ worker thread
    def compute(self, req: ProbeRequest) -> ProbeOutcome:
        """Run the core's probe for ``req`` (worker thread): build it for the result once, then
        inspect the position and run the what-if asked for."""
        import time
        t0 = time.perf_counter()
        probe = self.probe_for(req.display)
        report = probe.inspect(req.row, req.col)
        wi = probe.what_if(req.row, req.col, req.what_if) if req.what_if else None
        return ProbeOutcome(req.id, req.row, req.col, report, wi, time.perf_counter() - t0)

    def probe_for(self, display: Any):
        from lvqac_core.position_probe import PositionProbe
        with self._probe_lock:
            # the display itself, not its id(): an id may be reused once an old result is freed
            if self._probe is not None and self._probe[0] is display:
                return self._probe[1]
            codec = self.codec_for(display)
            if codec is None:
                from lvqac_core.errors import InputError
                raise InputError("the model that coded this result is not loaded")
            probe = PositionProbe(codec.model, display.original, lmbda=display.stats.lmbda)
            self._probe = (display, probe)
            return probe

    # ------------------------------------------------------------------ what the panel shows
    def marker(self) -> Optional[tuple[int, int, int, int]]:
        """(x, y, w, h) of the selected position's pixel block, for the views; None: none."""
        if self.position is None or self.display is None:
            return None
        S = LATENT_STRIDE
        r, c = self.position
        return c * S, r * S, min(S, self.display.width - c * S), min(S, self.display.height - r * S)

    def plot_data(self) -> Optional[dict[str, np.ndarray]]:
        """Per-channel series for the plot: y − μ, ±σ and each codebook's point (in y − μ)."""
        rep = self.report
        if rep is None:
            return None
        out = {"channel": np.arange(len(rep.residual)), "residual": rep.residual, "sigma": rep.sigma,
               "r_hat": rep.r_hat}
        for k, book in enumerate(rep.codebooks):
            out[f"codebook{k}"] = book.r_point
        return out


def _fmt_bits(v: float) -> str:
    return f"{v:.2f} bits"


def report_rows(rep: Any) -> list[tuple[str, str]]:
    """(label, value) rows describing a :class:`~lvqac_core.position_probe.PositionReport`."""
    x0, y0, x1, y1 = rep.block
    where = f"row {rep.row}, col {rep.col} · px {x0}–{x1 - 1} × {y0}–{y1 - 1}"
    if rep.anchor is not None:
        where += " · anchor (1st pass)" if rep.anchor else " · 2nd pass"
    rows = [("Position", where),
            ("|y − μ|, mean σ", f"{np.linalg.norm(rep.residual):.3f}, {rep.sigma.mean():.3f} "
                                f"({len(rep.residual)} ch.)")]
    if rep.chosen is not None:
        for k, book in enumerate(rep.codebooks):
            mark = " ← chosen" if k in rep.chosen else ""
            rows.append((f"Codebook {book.name}", f"‖u − point‖² {book.distortion:.4f}{mark}"))
        probs = ", ".join(f"{100 * p:.1f} %" if 0.001 < p < 0.999 else f"{100 * p:.2f} %"
                          for p in rep.chosen_probability)
        how = "raw bit" if rep.selection_coding == "raw" else "selection head"
        rows.append(("P(chosen)", f"{probs} ({how}; {rep.selection_bits:.2f} bits)"))
    else:
        book = rep.codebooks[0]
        rows.append(("Integer point", f"‖u − round(u)‖² = {book.distortion:.4f} (scalar: one grid, no selection)"))
    if rep.a is not None:
        effect = ("identity, cells 1 wide" if abs(rep.a - 1.0) < 1e-6 else
                  ("finer near 0" if rep.zero_cell_width < 1 else "dead zone")
                  + f": zero cell {rep.zero_cell_width:.3f} wide")
        rows.append(("A", f"{rep.a:.3g} ({rep.compander}), {effect}"))
        rows.append(("Cell widths", f"{rep.cell_widths.min():.3f} … {rep.cell_widths.max():.3f} "
                                    "(y − μ; 1 at A = 1)"))
    rows.append(("Bits", f"{_fmt_bits(rep.bits)} = y {rep.latent_bits:.2f} + selection "
                         f"{rep.selection_bits:.2f} (+ z {rep.z_bits:.2f})"))
    return rows


def what_if_text(wi: Any) -> str:
    """One line for a :class:`~lvqac_core.position_probe.WhatIf`."""
    x0, y0, x1, y1 = wi.block
    if wi.note:
        return f"{WHAT_IF_LABELS[wi.kind]}: {wi.note}"
    return (f"{WHAT_IF_LABELS[wi.kind]}: ΔR {wi.delta_bits:+.2f} bits, ΔD {wi.delta_psnr:+.3f} dB "
            f"(block {x1 - x0}×{y1 - y0} px, {wi.psnr_before:.2f} → {wi.psnr_after:.2f} dB; "
            f"{wi.changed_positions} position{'s' if wi.changed_positions != 1 else ''} re-coded)")
