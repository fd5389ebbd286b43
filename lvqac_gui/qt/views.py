"""Image views: one panel per layer (image + title + colour bar / legend), linked zoom and pan,
and the A/B split view. Pixels are drawn nearest-neighbour; the y axis points down."""
from __future__ import annotations

import html
from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFrame, QHBoxLayout, QLabel,
                               QPushButton, QSizePolicy, QSlider, QVBoxLayout, QWidget)

from ..model.maps import Layer, percent
from .theme import BACKGROUND


def _make_view() -> tuple[pg.GraphicsView, pg.ViewBox]:
    gv = pg.GraphicsView(background=BACKGROUND)
    vb = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False, defaultPadding=0.0)
    gv.setCentralItem(vb)
    vb.disableAutoRange()
    gv.setMinimumSize(120, 90)
    gv.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    return gv, vb


def _emit_click(vb: pg.ViewBox, ev, signal, shown: bool) -> None:
    """Emit ``signal(x, y)`` with the image pixel of a left click inside ``vb``."""
    if not shown or ev.button() != Qt.MouseButton.LeftButton or ev.double():
        return
    pos = ev.scenePos()
    if vb.sceneBoundingRect().contains(pos):
        p = vb.mapSceneToView(pos)
        signal.emit(int(np.floor(p.x())), int(np.floor(p.y())))


class ColorBar(QWidget):
    """Horizontal colour bar: gradient of a LUT with min / (0) / max labels."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.lut: Optional[np.ndarray] = None
        self.vmin = 0.0
        self.vmax = 1.0
        self.unit = ""
        self.center_label = False
        self.caption = ""  # e.g. "clipped at the 99.5th percentile of |r|"
        self.center_text = ""  # a min / max scale's middle text (e.g. where A = 1 lies)
        self.setFixedHeight(30)

    def set_scale(self, lut: np.ndarray, vmin: float, vmax: float, unit: str = "",
                  center_label: bool = False, caption: str = "", center_text: str = "") -> None:
        self.lut, self.vmin, self.vmax, self.unit, self.center_label = lut, vmin, vmax, unit, center_label
        self.caption, self.center_text = caption, center_text
        self.update()

    def labels(self) -> tuple[str, str, str]:
        """(left, centre, right) texts under the bar."""
        from ..model.maps import scale_labels
        return scale_labels(self.vmin, self.vmax, self.unit, self.center_label, self.caption,
                            self.center_text)

    @staticmethod
    def _fmt(v: float) -> str:
        a = abs(v)
        if a != 0 and (a < 0.01 or a >= 1e4):
            return f"{v:.2e}"
        return f"{v:.3g}" if a < 100 else f"{v:.0f}"

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.lut is None:
            return
        p = QPainter(self)
        w = self.width()
        bar = QRectF(4, 2, w - 8, 10)
        grad = QLinearGradient(bar.topLeft(), bar.topRight())
        n = len(self.lut)
        for k in range(0, n, max(1, n // 32)):
            r, g, b = (int(v) for v in self.lut[k])
            grad.setColorAt(k / (n - 1), QColor(r, g, b))
        r, g, b = (int(v) for v in self.lut[-1])
        grad.setColorAt(1.0, QColor(r, g, b))
        p.fillRect(bar, grad)
        p.setPen(QPen(QColor("#888")))
        p.drawRect(bar)
        p.setPen(QPen(self.palette().windowText().color()))
        y = 27
        left, c, right = self.labels()
        fm = p.fontMetrics()
        p.drawText(QPointF(4, y), left)
        p.drawText(QPointF(w - 4 - fm.horizontalAdvance(right), y), right)
        if c:
            room = w - 16 - fm.horizontalAdvance(left) - fm.horizontalAdvance(right)
            c = fm.elidedText(c, Qt.TextElideMode.ElideRight, max(int(room), 10))
            p.drawText(QPointF(w / 2 - fm.horizontalAdvance(c) / 2, y), c)
        p.end()


class ImagePanel(QFrame):
    """A titled image view showing one :class:`~lvqac_gui.maps.Layer`."""

    hovered = Signal(int, int)  # image pixel under the cursor
    clicked = Signal(int, int)  # image pixel clicked (a click, not a drag: drags pan)
    left = Signal()

    def __init__(self, key: str, title: str, parent=None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName("ImagePanel")
        # every panel gets the same share of the grid, whatever it shows (image or placeholder)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.layer: Optional[Layer] = None
        self.waiting = "no result yet"  # placeholder while there is no layer
        self.title = QLabel(title)
        self.title.setObjectName("PanelTitle")
        self.group_box = QComboBox()
        self.group_box.setVisible(False)
        self.group_box.currentIndexChanged.connect(self._show_group)
        self.gv, self.vb = _make_view()
        self.item = pg.ImageItem()
        self.vb.addItem(self.item)
        self.placeholder = QLabel("")
        self.placeholder.setObjectName("Placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.colorbar = ColorBar()
        self.legend = QLabel("")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setFixedHeight(30)
        # every panel keeps the same footer height (colour bar, legend or this gap), so that all
        # six views have one size and a fitted zoom never moves when a panel's content changes
        self.footer_gap = QWidget()
        self.footer_gap.setFixedHeight(30)

        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title, 1)
        head.addWidget(self.group_box)
        # one title-row height, with or without the group selector
        self.title.setFixedHeight(max(self.group_box.sizeHint().height(), self.title.sizeHint().height()))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(3, 3, 3, 3)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.gv, 1)
        lay.addWidget(self.placeholder, 1)
        lay.addWidget(self.colorbar)
        lay.addWidget(self.legend)
        lay.addWidget(self.footer_gap)
        self.placeholder.hide()
        self.colorbar.hide()
        self.legend.hide()
        self.gv.scene().sigMouseMoved.connect(self._mouse_moved)
        self.gv.scene().sigMouseClicked.connect(lambda ev: _emit_click(self.vb, ev, self.clicked,
                                                                       self.has_image()))
        self.set_layer(None)

    def set_title(self, text: str) -> None:
        """The panel title, fitted to the panel's width: the full title, else its short form
        (before the parenthesis), else elided."""
        self.full_title = text
        self._fit_title()

    def _fit_title(self) -> None:
        text = getattr(self, "full_title", self.title.text())
        # the room the panel gives the title (its own width may not be laid out yet)
        room = self.contentsRect().width() - 6 - 8
        if self.group_box.isVisible():
            room -= self.group_box.sizeHint().width() + 6
        room = max(room, 20)
        fm = self.title.fontMetrics()
        if fm.horizontalAdvance(text) > room:
            short = text.split(" (")[0]
            text = short if fm.horizontalAdvance(short) <= room else fm.elidedText(
                short, Qt.TextElideMode.ElideRight, room)
        self.title.setText(text)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit_title()
        if self.legend.isVisible():
            self._update_legend(max(self.group_box.currentIndex(), 0))

    def _mouse_moved(self, pos) -> None:
        if self.layer is None or self.layer.image is None:
            return
        if not self.vb.sceneBoundingRect().contains(pos):
            self.left.emit()
            return
        p = self.vb.mapSceneToView(pos)
        self.hovered.emit(int(np.floor(p.x())), int(np.floor(p.y())))

    def leaveEvent(self, event) -> None:  # noqa: N802
        self.left.emit()
        super().leaveEvent(event)

    def set_layer(self, layer: Optional[Layer], size: Optional[tuple[int, int]] = None) -> None:
        """Show ``layer``; ``size`` (w, h) keeps the view extent when the layer has no image."""
        self.layer = layer
        self.group_box.blockSignals(True)
        self.group_box.clear()
        self.group_box.setVisible(False)
        self.group_box.blockSignals(False)
        self.colorbar.hide()
        self.legend.hide()
        self.footer_gap.show()
        if layer is None or layer.image is None:
            self.item.clear()
            self.item.hide()
            text = self.waiting if layer is None else (layer.placeholder or "not available")
            self.placeholder.setText(text)
            self.gv.hide()  # first: never both at once (the view would shrink, and a fit jump)
            self.placeholder.show()
            if layer is not None:
                self.set_title(layer.title)
            return
        self.set_title(layer.title)
        self.placeholder.hide()
        self.gv.show()
        self.item.show()
        self.item.setImage(layer.image, autoLevels=False, levels=None)
        if layer.kind in ("diverging", "sequential") and layer.lut is not None:
            self.colorbar.set_scale(layer.lut, layer.vmin, layer.vmax, layer.unit,
                                    center_label=layer.kind == "diverging", caption=layer.scale_note,
                                    center_text=layer.center_text)
            self.colorbar.show()
            self.footer_gap.hide()
        elif layer.kind == "categorical":
            if len(layer.groups) > 1:
                self.group_box.blockSignals(True)
                for g, share in enumerate(layer.group_shares):
                    self.group_box.addItem(f"group {g} ({100 * share:.0f}% ½)")
                self.group_box.blockSignals(False)
                self.group_box.setVisible(True)
            self._update_legend(0)
            self.legend.show()
            self.footer_gap.hide()

    def _update_legend(self, group: int) -> None:
        layer = self.layer
        if layer is None or layer.kind != "categorical":
            return
        parts = []
        shares = None
        if len(layer.groups) > 1 and group < len(layer.group_shares):
            s1 = layer.group_shares[group]
            shares = (1.0 - s1, s1)
        for compact in (False, True):  # a narrow panel: smaller swatches, less space
            parts = []
            for k, (name, rgb, share) in enumerate(layer.legend):
                s = shares[k] if shares else share
                col = "#%02x%02x%02x" % rgb
                parts.append(f'<span style="color:{col}; font-size:{10 if compact else 14}pt">■</span>'
                             f'{"" if compact else " "}{name}: <b>{html.escape(percent(s))}</b>')
            self.legend.setText(("&nbsp;" if compact else "&nbsp;&nbsp;&nbsp;").join(parts))
            if self.legend.sizeHint().width() <= self.contentsRect().width() - 6:
                break

    def _show_group(self, g: int) -> None:
        if self.layer is None or not (0 <= g < len(self.layer.groups)):
            return
        self.item.setImage(self.layer.groups[g], autoLevels=False, levels=None)
        self._update_legend(g)

    def has_image(self) -> bool:
        return self.layer is not None and self.layer.image is not None


class ViewLinker:
    """Links the zoom/pan of several view boxes (same centre, same screen pixels per image
    pixel in every view, whatever its size); fit, 1:1 and zoom readout."""

    def __init__(self) -> None:
        self.views: list[pg.ViewBox] = []
        self.size: Optional[tuple[int, int]] = None  # image (w, h)
        self.zoom_changed_callbacks = []
        self._syncing = False
        self._zoom = 1.0
        self._center: Optional[tuple[float, float]] = None
        self.fitted = True  # False once the user zooms or pans: tab switches keep their view

    def add(self, vb: pg.ViewBox) -> None:
        self.views.append(vb)
        vb.sigRangeChangedManually.connect(lambda *a, vb=vb: self._follow(vb))
        vb.sigResized.connect(lambda *a, vb=vb: self._resized(vb))

    @staticmethod
    def _shown(vb: pg.ViewBox) -> bool:
        w = vb.getViewWidget()
        return w is not None and w.isVisible() and vb.width() > 2 and vb.height() > 2

    def master(self) -> Optional[pg.ViewBox]:
        for vb in self.views:
            if self._shown(vb):
                return vb
        return self.views[0] if self.views else None

    @staticmethod
    def _state(vb: pg.ViewBox) -> tuple[float, tuple[float, float]]:
        (x0, x1), (y0, y1) = vb.viewRange()
        return float(vb.width() / max(x1 - x0, 1e-9)), ((x0 + x1) / 2, (y0 + y1) / 2)

    def zoom(self) -> float:
        """Screen pixels per image pixel (the same in every linked view)."""
        vb = self.master()
        if vb is not None and self._shown(vb):
            return self._state(vb)[0]
        return self._zoom

    def _follow(self, source: pg.ViewBox) -> None:
        if self._syncing or source.width() <= 2:
            return
        self._zoom, self._center = self._state(source)
        self.fitted = False
        self._apply_all(exclude=source)

    def _resized(self, vb: pg.ViewBox) -> None:
        if self.fitted and self.size is not None and not self._syncing:
            self.fit()  # a fitted view stays fitted when panels or the window change size
        else:
            self._apply_to(vb)

    def _apply_to(self, vb: pg.ViewBox) -> None:
        if self._center is None or self._syncing or vb.width() <= 2 or vb.height() <= 2:
            return
        self._syncing = True
        try:
            cx, cy = self._center
            hw, hh = vb.width() / self._zoom / 2, vb.height() / self._zoom / 2
            vb.setRange(xRange=(cx - hw, cx + hw), yRange=(cy - hh, cy + hh), padding=0)
        finally:
            self._syncing = False

    def _apply_all(self, exclude: Optional[pg.ViewBox] = None) -> None:
        for vb in self.views:
            if vb is not exclude:
                self._apply_to(vb)
        for cb in self.zoom_changed_callbacks:
            cb(self._zoom)

    def fit(self) -> None:
        """Whole image visible in every panel (the smallest panel decides the zoom)."""
        if self.size is None:
            return
        w, h = self.size
        zooms = [min(vb.width() / w, vb.height() / h) for vb in self.views if self._shown(vb)]
        self._zoom = 0.98 * min(zooms) if zooms else 1.0
        self._center = (w / 2, h / 2)
        self._apply_all()
        self.fitted = True

    def set_zoom(self, zoom: float) -> None:
        vb = self.master()
        if self._center is None and vb is not None:
            self._center = self._state(vb)[1]
        self._zoom = float(min(max(zoom, 1e-3), 256.0))
        self._apply_all()
        self.fitted = False

    def device_pixel_ratio(self) -> float:
        """Device pixels per logical (layout) pixel of the views' screen (1.5, 2 on HiDPI)."""
        vb = self.master()
        w = vb.getViewWidget() if vb is not None else None
        return float(w.devicePixelRatioF()) if w is not None else 1.0

    def device_zoom(self) -> float:
        """Device pixels per image pixel: what "100 %" and 1:1 mean on any screen."""
        return self.zoom() * self.device_pixel_ratio()

    def one_to_one(self) -> None:
        """One image pixel on one *device* pixel (on a 2× screen: half a logical pixel)."""
        self.set_zoom(1.0 / self.device_pixel_ratio())

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(self.zoom() * factor)


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
                lam.set_state(float(side["lmbda"]), side.get("span"), bool(side.get("own_lambda")))

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
