"""A learned side's own λ in the A/B split: a slider in log λ (the arithmetic of the Model dock's
*λ (any)*, :mod:`lvqac_gui.model.rate`), the λ it means, and *Result's λ* to go back. Moving it
re-encodes that side once the value rests (debounced, like a classical side's quality box)."""
from __future__ import annotations

from typing import Optional, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from lvqac_core.lambdas import PAPER_LAMBDAS

from ..model import rate

__all__ = ["SideLambda", "add_own_sides", "own_key", "MAX_OWN"]


MAX_OWN = 6  # the newest "own λ" sides offered in the split's choices


def own_key(quantizer: str, lmbda: float) -> str:
    """The split's key of a learned side at its own λ: ``own:lvqac:0.0032``."""
    return f"own:{quantizer}:{lmbda:g}"


def add_own_sides(session, sides: dict, own: dict, info, running, short_names: dict) -> None:
    """Give each learned side of the split (``side["learned"]``: its quantizer) its λ control's
    range, and add the sides at their own λ (``own``: key -> (quantizer, λ), newest last) with
    that coding (``session``'s side rows) or as pending. ``info(row)`` is a side's caption,
    ``running(q, λ)`` whether that coding runs."""
    for key in list(own)[:-MAX_OWN]:
        own.pop(key)
    for key, (q, lam) in own.items():
        row = session.side_row(q, lam)
        name = short_names.get(q, q)
        side = {"label": f"{name} λ={lam:g} (own λ)", "learned": q, "lmbda": float(lam), "own_lambda": True}
        if row is None or row.reconstruction is None:
            side.update(image=None, pending=f"{name} at λ={lam:g}: encoding…" if running(q, lam)
                        else "choose to compute")
        else:
            side.update(image=row.reconstruction, bytes=row.num_bytes, info=info(row))
        sides[key] = side
    for side in sides.values():
        q = side.get("learned")
        if not q:
            continue
        if session.model_spec:  # an explicit model: the zoo's λ range does not apply to it
            side.pop("learned")
            continue
        found = session.rate_ranges.get(q)
        side["span"] = (float(found[0]), float(found[1])) if found else None
        side["presets"] = session.presets(q)  # the chosen tier's (a single-rate family snaps to them)


class SideLambda(QWidget):
    """``chosen(λ)`` when the slider rests (debounced); ``reset()`` for *Result's λ*."""

    chosen = Signal(float)
    reset = Signal()
    DEBOUNCE_MS = 400

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.lo, self.hi = float(min(PAPER_LAMBDAS)), float(max(PAPER_LAMBDAS))
        self.presets: Sequence[float] = PAPER_LAMBDAS
        self.presets_only = True
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, rate.STEPS)
        self.slider.setMinimumWidth(110)
        self.value = QLabel("")
        self.value.setMinimumWidth(72)
        self.back = QPushButton("Result's λ")
        self.back.setToolTip("This side at the λ of the shown result again")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.value)
        lay.addWidget(self.back)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(self.DEBOUNCE_MS)
        self.timer.timeout.connect(self._emit)
        self.slider.valueChanged.connect(self._moved)
        self.back.clicked.connect(self._back)
        self.lmbda: Optional[float] = None

    def lambda_at(self, pos: int) -> float:
        """The λ at slider position ``pos``: any λ of a variable-rate network (snapped near a
        preset), the nearest preset for a single-rate family."""
        value = rate.lambda_at(pos, self.lo, self.hi, self.presets)
        return rate.nearest_preset(value, self.presets) if self.presets_only else value

    def set_state(self, lmbda: float, span: Optional[tuple[float, float]], own: bool,
                  presets: Optional[Sequence[float]] = None) -> None:
        """Show ``lmbda``; ``span``: the variable-rate network's range (None: presets only);
        ``own``: the side is at a λ of its own (then *Result's λ* applies); ``presets``: the
        family's in the chosen tier (default: the paper's)."""
        if self.timer.isActive() or self.slider.isSliderDown():
            return  # the user is choosing: the shown value is theirs until it rests
        self.presets = list(presets) if presets else PAPER_LAMBDAS
        self.presets_only = span is None
        self.lo, self.hi = span if span is not None else (float(min(self.presets)), float(max(self.presets)))
        self.lmbda = float(lmbda)
        self.slider.blockSignals(True)
        self.slider.setValue(rate.position(lmbda, self.lo, self.hi))
        self.slider.blockSignals(False)
        self.value.setText(f"λ = {lmbda:.3g}")
        self.back.setEnabled(own)
        tip = (f"This side's own λ ({self.lo:g} … {self.hi:g}: a variable-rate network codes any λ); "
               "it is encoded again when the slider rests" if span is not None else
               "This side's own λ: a single-rate family codes only at its presets (the slider "
               "snaps to them); it is encoded again when the slider rests")
        self.slider.setToolTip(tip)

    def _moved(self, pos: int) -> None:
        self.lmbda = self.lambda_at(pos)
        self.value.setText(f"λ = {self.lmbda:.3g}")
        self.timer.start()  # one encoding when the value rests

    def _emit(self) -> None:
        if self.lmbda is not None:
            self.chosen.emit(float(self.lmbda))

    def _back(self) -> None:
        self.timer.stop()
        self.reset.emit()
