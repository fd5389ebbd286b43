"""The A/B split view: two results (or the original, another quantizer, JPEG / WebP / AVIF at the
same size) in one image at the same zoom and position, with a draggable divider; each side shows
its numbers above it. The image panels and their linker are in :mod:`lvqac_gui.qt.views`."""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel,
                               QPushButton, QSizePolicy, QSlider, QVBoxLayout, QWidget)

from .views import ColorBar, _emit_click, _make_view


class SplitView(QWidget):
    """A/B comparison at the same zoom and position: each side picks what it shows (original,
    the shown result, the other quantizers, JPEG / WebP / AVIF of this image at the same file
    size); its numbers are shown above it. Space (flicker) swaps the sides; *Error map* shows each
    side's residual on one colour scale."""

    hovered = Signal(int, int)
    clicked = Signal(int, int)  # image pixel clicked
    side_requested = Signal(str)  # a side chose content that is not computed yet (e.g. "webp")
    quality_requested = Signal(str, float)  # (codec, quality) a classical side's own quality, debounced
    match_requested = Signal(str)  # (codec) a classical side back to the other side's size
    choice_changed = Signal()  # a side now shows something else (a classical side may follow it)
    lambda_requested = Signal(str, float)  # ("left" / "right", λ) a learned side's own λ, debounced
    lambda_reset = Signal(str)  # ("left" / "right") a learned side back to the result's λ
    QUALITY_DEBOUNCE_MS = 400

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.gv, self.vb = _make_view()
        self.left_item = pg.ImageItem()
        self.right_item = pg.ImageItem()
        self.vb.addItem(self.left_item)
        self.vb.addItem(self.right_item)
        self.line = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen("#ffd54a", width=2))
        self.vb.addItem(self.line)
        self.line.sigPositionChanged.connect(self._line_moved)
        # a side still being computed (e.g. a matched-size AVIF search): the original, dimmed,
        # with what is happening and how far it is, instead of a black half
        self.pending_text = pg.TextItem("", color="#ffffff", anchor=(0.5, 0.5),
                                        fill=pg.mkBrush(20, 20, 24, 200))
        self.pending_text.setZValue(10)
        self.vb.addItem(self.pending_text)
        self.pending_text.hide()
        self.pending_fraction: Optional[float] = None
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 1000)
        self.slider.setValue(500)
        self.slider.valueChanged.connect(self._slider_moved)
        self.left_box = QComboBox()
        self.right_box = QComboBox()
        for box in (self.left_box, self.right_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(24)
            box.setToolTip("What this side shows. Classical codecs are encoded at the file size of "
                           "the shown result (quality found by bisection on bytes).")
            box.currentIndexChanged.connect(self._choice_changed)
        self.caption_left = QLabel("")
        self.caption_right = QLabel("")
        for cap in (self.caption_left, self.caption_right):
            cap.setObjectName("SideStats")
            # long numbers never widen the window: the label takes the room it is given
            cap.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            cap.setWordWrap(True)
            cap.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption_right.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.note = QLabel("")
        self.note.setObjectName("Placeholder")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error_box = QCheckBox("Error map")
        self.error_box.setToolTip("Show each side's residual (side − original, mean of RGB) on one "
                                  "shared colour scale, clipped at the 99.5th percentile of |r| "
                                  "over both sides")
        self.error_box.toggled.connect(lambda _: self._redraw())
        self.error_bar = ColorBar()
        self.error_bar.hide()
        # a classical side's own quality (re-encodes, debounced) and "match the other side"
        self.quality_boxes: dict[str, QDoubleSpinBox] = {}
        self.match_buttons: dict[str, QPushButton] = {}
        for name in ("left", "right"):
            q = QDoubleSpinBox()
            q.setRange(1.0, 100.0)
            q.setDecimals(1)
            q.setSingleStep(1.0)
            q.setPrefix("quality ")
            q.setKeyboardTracking(False)
            q.setToolTip("This side's own quality: it is encoded again at it (no size matching)")
            q.valueChanged.connect(lambda v, name=name: self._quality_changed(name, v))
            m = QPushButton("Match the other side")
            m.setToolTip("Encode this side at the file size of the other side (bisection on quality)")
            m.clicked.connect(lambda _=False, name=name: self._match_clicked(name))
            q.hide()
            m.hide()
            self.quality_boxes[name], self.match_buttons[name] = q, m
        # a learned side's own λ (side_lambda.py: log slider, debounced, "Result's λ")
        from .side_lambda import SideLambda
        self.lambda_controls: dict[str, SideLambda] = {}
        for name in ("left", "right"):
            c = SideLambda()
            c.chosen.connect(lambda v, name=name: self.lambda_requested.emit(name, v))
            c.reset.connect(lambda name=name: self.lambda_reset.emit(name))
            c.hide()
            self.lambda_controls[name] = c
        self.quality_timer = QTimer(self)
        self.quality_timer.setSingleShot(True)
        self.quality_timer.setInterval(self.QUALITY_DEBOUNCE_MS)
        self.quality_timer.timeout.connect(self._emit_quality)
        self._quality_pending: Optional[tuple[str, float]] = None
        top = QHBoxLayout()
        top.addWidget(QLabel("Left:"))
        top.addWidget(self.left_box)
        top.addStretch(1)
        top.addWidget(QLabel("Right:"))
        top.addWidget(self.right_box)
        self.side_controls = QHBoxLayout()  # under each side's choice (the row stays narrow)
        self.side_controls.setContentsMargins(0, 0, 0, 0)
        self.side_controls.addWidget(self.quality_boxes["left"])
        self.side_controls.addWidget(self.match_buttons["left"])
        self.side_controls.addWidget(self.lambda_controls["left"], 1)
        self.side_controls.addStretch(1)
        self.side_controls.addWidget(self.lambda_controls["right"], 1)
        self.side_controls.addWidget(self.quality_boxes["right"])
        self.side_controls.addWidget(self.match_buttons["right"])
        caps = QHBoxLayout()
        caps.addWidget(self.caption_left, 1)
        caps.addWidget(self.caption_right, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(3, 3, 3, 3)
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addLayout(self.side_controls)
        lay.addLayout(caps)
        self.diff_label = QLabel("")  # the true difference in bytes between the two sides
        self.diff_label.setObjectName("SideDiff")
        self.diff_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.diff_label)
        lay.addWidget(self.note)
        lay.addWidget(self.gv, 1)
        lay.addWidget(self.error_bar)
        row = QHBoxLayout()
        row.addWidget(QLabel("Split"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.error_box)
        row.addWidget(QLabel("Space: swap sides"))
        lay.addLayout(row)
        self.note.hide()
        self.sides: dict[str, dict] = {}  # key -> {"label", "image", "info"}; image None = on request
        self.original: Optional[np.ndarray] = None
        self.a: Optional[np.ndarray] = None
        self.b: Optional[np.ndarray] = None
        self.flipped = False
        self._updating = False
        self._residuals: dict[str, np.ndarray] = {}
        self.gv.scene().sigMouseMoved.connect(self._mouse_moved)
        self.gv.scene().sigMouseClicked.connect(lambda ev: _emit_click(self.vb, ev, self.clicked,
                                                                       self.a is not None))

    # ------------------------------------------------------------------ content
    def set_sides(self, sides: dict[str, dict], original: Optional[np.ndarray],
                  left: Optional[str] = None, right: Optional[str] = None, note: str = "") -> None:
        """``sides``: key -> {"label": str, "image": array | None, "info": str}, in menu order.
        ``left`` / ``right`` choose the sides (else the current choices where still offered)."""
        keep = (self.left_key(), self.right_key())
        self.sides = dict(sides)
        self.original = original
        self._residuals = {}
        self.note.setText(note)
        self.note.setVisible(bool(note))
        for box, want, kept in ((self.left_box, left, keep[0]), (self.right_box, right, keep[1])):
            box.blockSignals(True)
            box.clear()
            for key, side in self.sides.items():
                box.addItem(side["label"], key)
            choice = want if want in self.sides else kept if kept in self.sides else None
            if choice is not None:
                box.setCurrentIndex(box.findData(choice))
            box.blockSignals(False)
        self._redraw()

    def left_key(self) -> Optional[str]:
        return self.left_box.currentData()

    def right_key(self) -> Optional[str]:
        return self.right_box.currentData()

    def choose(self, left: Optional[str] = None, right: Optional[str] = None) -> None:
        for box, key in ((self.left_box, left), (self.right_box, right)):
            if key is not None and key in self.sides:
                box.setCurrentIndex(box.findData(key))

    def _choice_changed(self, _idx: int) -> None:
        for key in (self.left_key(), self.right_key()):
            if key in self.sides and self.sides[key]["image"] is None:
                self.side_requested.emit(key)
        self._redraw()
        self.choice_changed.emit()

    def _image(self, key: Optional[str]) -> Optional[np.ndarray]:
        side = self.sides.get(key) if key is not None else None
        if side is None or side["image"] is None:
            return None
        if not self.error_box.isChecked() or self.original is None:
            return side["image"]
        return self._error_image(key)

    def error_level(self) -> float:
        """The shared residual level of both sides' error maps (99.5th percentile of |r|)."""
        from ..model.maps import residual_level
        levels = []
        for key in (self.left_key(), self.right_key()):
            r = self._residual(key)
            if r is not None:
                levels.append(residual_level(r))
        return max(levels) if levels else 1.0

    def _residual(self, key: Optional[str]) -> Optional[np.ndarray]:
        side = self.sides.get(key) if key is not None else None
        if side is None or side["image"] is None or self.original is None:
            return None
        if key not in self._residuals:
            self._residuals[key] = (side["image"].astype(np.float32)
                                    - self.original.astype(np.float32)).mean(axis=2)
        return self._residuals[key]

    def _error_image(self, key: str) -> Optional[np.ndarray]:
        from ..model.maps import DIVERGING_LUT, apply_lut
        r = self._residual(key)
        if r is None:
            return None
        level = self.error_level()
        return apply_lut(r, -level, level, DIVERGING_LUT)

    # ------------------------------------------------------------------ drawing
    def _mouse_moved(self, pos) -> None:
        if self.a is None or not self.vb.sceneBoundingRect().contains(pos):
            return
        p = self.vb.mapSceneToView(pos)
        self.hovered.emit(int(np.floor(p.x())), int(np.floor(p.y())))

    def split_x(self) -> int:
        ref = self.a if self.a is not None else self.b
        if ref is None:
            return 0
        return int(round(self.slider.value() / 1000 * ref.shape[1]))

    def flip(self) -> None:
        """Flicker: swap the two sides (same zoom, same position)."""
        lk, rk = self.left_key(), self.right_key()
        self.flipped = not self.flipped
        for box, key in ((self.left_box, rk), (self.right_box, lk)):
            box.blockSignals(True)
            box.setCurrentIndex(max(0, box.findData(key)))
            box.blockSignals(False)
        self._redraw()

    def _caption(self, key: Optional[str]) -> str:
        side = self.sides.get(key) if key is not None else None
        if side is None:
            return ""
        if side["image"] is None:
            return side.get("pending", "computing…")
        return side.get("info", "")

    def set_pending_progress(self, fraction: Optional[float]) -> None:
        """How far the computation of a pending side is (0..1; None: unknown)."""
        self.pending_fraction = fraction
        self._redraw()

    def pending_side(self) -> Optional[str]:
        """"left" / "right" when that side is chosen but still being computed."""
        for name, key in (("left", self.left_key()), ("right", self.right_key())):
            side = self.sides.get(key) if key is not None else None
            if side is not None and side["image"] is None and "pending" in side:
                return name
        return None

    def _pending_label(self, key: Optional[str]) -> str:
        side = self.sides.get(key) if key is not None else None
        text = side.get("pending", "computing…") if side else ""
        if self.pending_fraction is not None and 0.0 <= self.pending_fraction < 1.0 and "…" in text:
            text += f" {100 * self.pending_fraction:.0f} %"
        return text

    def _side(self, name: str) -> Optional[dict]:
        key = self.left_key() if name == "left" else self.right_key()
        return self.sides.get(key) if key is not None else None

    def _quality_changed(self, name: str, value: float) -> None:
        side = self._side(name)
        if side is None or not side.get("classical"):
            return
        self._quality_pending = (side["classical"], float(value))
        self.quality_timer.start()  # debounced: one encoding when the value rests

    def _emit_quality(self) -> None:
        if self._quality_pending is not None:
            codec, value = self._quality_pending
            self._quality_pending = None
            self.quality_requested.emit(codec, value)

    def _match_clicked(self, name: str) -> None:
        side = self._side(name)
        if side is not None and side.get("classical"):
            self.quality_timer.stop()
            self._quality_pending = None
            self.match_requested.emit(side["classical"])

    def byte_difference(self) -> str:
        """"right − left: +1,234 B (+5.6 %)" when both sides have a file size, else ""."""
        a, b = self._side("left"), self._side("right")
        if not a or not b or not a.get("bytes") or not b.get("bytes") or a.get("image") is None \
                or b.get("image") is None:
            return ""
        la, lb = int(a["bytes"]), int(b["bytes"])
        if self.left_key() == self.right_key():
            return ""
        return f"right − left: {lb - la:+,} B ({100.0 * (lb - la) / la:+.1f} %)"

    def _sync_side_controls(self) -> None:
        for name in ("left", "right"):
            side = self._side(name)
            on = bool(side and side.get("classical"))
            q, m = self.quality_boxes[name], self.match_buttons[name]
            q.setVisible(on)
            m.setVisible(on)
            if on and side.get("quality"):
                q.blockSignals(True)
                q.setValue(float(side["quality"]))
                q.blockSignals(False)
            lam = self.lambda_controls[name]
            learned = bool(side and side.get("learned") and side.get("lmbda"))
            lam.setVisible(learned)
            if learned:
                lam.set_state(float(side["lmbda"]), side.get("span"), bool(side.get("own_lambda")),
                              side.get("presets"))

    def _redraw(self) -> None:
        self.caption_left.setText(self._caption(self.left_key()))
        self.caption_right.setText(self._caption(self.right_key()))
        self.diff_label.setText(self.byte_difference())
        self.diff_label.setVisible(bool(self.diff_label.text()))
        self._sync_side_controls()
        self.pending_text.hide()
        errors = self.error_box.isChecked() and self.original is not None
        if errors:
            from ..model.maps import DIVERGING_LUT
            self.error_bar.set_scale(DIVERGING_LUT, -self.error_level(), self.error_level(),
                                     center_label=True, caption="both sides, clipped at the "
                                     "99.5th percentile of |r|")
        self.error_bar.setVisible(errors)
        self.a, self.b = self._image(self.left_key()), self._image(self.right_key())
        pending = self.pending_side()
        if pending is not None and self.original is not None and (self.a is None) != (self.b is None):
            dim = (self.original.astype(np.uint16) * 2 // 5).astype(np.uint8)  # the original, dimmed
            if self.a is None:
                self.a = dim
            else:
                self.b = dim
            h, w = self.original.shape[:2]
            x = min(max(self.split_x(), 0), w)
            cx = x / 2 if pending == "left" else (x + w) / 2
            key = self.left_key() if pending == "left" else self.right_key()
            self.pending_text.setText(self._pending_label(key))
            self.pending_text.setPos(cx, h / 2)
            self.pending_text.show()
        self.line.setVisible(self.a is not None and self.b is not None)  # no divider without two sides
        if self.a is None or self.b is None:
            ref = self.a if self.a is not None else self.b
            self.left_item.clear()
            self.right_item.clear()
            if ref is not None:  # one side still computing: show the other in full
                self.left_item.setImage(np.ascontiguousarray(ref), autoLevels=False)
                self.left_item.setRect(QRectF(0, 0, ref.shape[1], ref.shape[0]))
                self.left_item.show()
            return
        left, right = self.a, self.b
        h, w = left.shape[:2]
        x = min(max(self.split_x(), 0), w)
        if x > 0:
            self.left_item.setImage(np.ascontiguousarray(left[:, :x]), autoLevels=False)
            self.left_item.setRect(QRectF(0, 0, x, h))
            self.left_item.show()
        else:
            self.left_item.hide()
        if x < w:
            self.right_item.setImage(np.ascontiguousarray(right[:, x:]), autoLevels=False)
            self.right_item.setRect(QRectF(x, 0, w - x, h))
            self.right_item.show()
        else:
            self.right_item.hide()
        self._updating = True
        self.line.setValue(x)
        self._updating = False

    def _slider_moved(self, value: int) -> None:
        self._redraw()

    def _line_moved(self) -> None:
        if self._updating or self.a is None:
            return
        w = self.a.shape[1]
        v = int(round(min(max(self.line.value() / max(w, 1), 0.0), 1.0) * 1000))
        if v != self.slider.value():
            self.slider.setValue(v)
