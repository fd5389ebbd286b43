"""Image views: one panel per layer (image + title + colour bar / legend), linked zoom and pan,
and the A/B split view. Pixels are drawn nearest-neighbour; the y axis points down."""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QSizePolicy, QSlider,
                               QVBoxLayout, QWidget)

from .maps import Layer
from .theme import BACKGROUND


def _make_view() -> tuple[pg.GraphicsView, pg.ViewBox]:
    gv = pg.GraphicsView(background=BACKGROUND)
    vb = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False, defaultPadding=0.0)
    gv.setCentralItem(vb)
    vb.disableAutoRange()
    gv.setMinimumSize(120, 90)
    gv.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    return gv, vb


class ColorBar(QWidget):
    """Horizontal colour bar: gradient of a LUT with min / (0) / max labels."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.lut: Optional[np.ndarray] = None
        self.vmin = 0.0
        self.vmax = 1.0
        self.unit = ""
        self.center_label = False
        self.setFixedHeight(30)

    def set_scale(self, lut: np.ndarray, vmin: float, vmax: float, unit: str = "",
                  center_label: bool = False) -> None:
        self.lut, self.vmin, self.vmax, self.unit, self.center_label = lut, vmin, vmax, unit, center_label
        self.update()

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
        p.drawText(QPointF(4, y), f"min {self._fmt(self.vmin)}{self.unit}")
        right = f"max {self._fmt(self.vmax)}{self.unit}"
        fm = p.fontMetrics()
        p.drawText(QPointF(w - 4 - fm.horizontalAdvance(right), y), right)
        if self.center_label:
            c = "0"
            p.drawText(QPointF(w / 2 - fm.horizontalAdvance(c) / 2, y), c)
        p.end()


class ImagePanel(QFrame):
    """A titled image view showing one :class:`~lvqac_gui.maps.Layer`."""

    hovered = Signal(int, int)  # image pixel under the cursor
    left = Signal()

    def __init__(self, key: str, title: str, parent=None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName("ImagePanel")
        self.layer: Optional[Layer] = None
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

        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title, 1)
        head.addWidget(self.group_box)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(3, 3, 3, 3)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.gv, 1)
        lay.addWidget(self.placeholder, 1)
        lay.addWidget(self.colorbar)
        lay.addWidget(self.legend)
        self.placeholder.hide()
        self.colorbar.hide()
        self.legend.hide()
        self.gv.scene().sigMouseMoved.connect(self._mouse_moved)
        self.set_layer(None)

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
        if layer is None or layer.image is None:
            self.item.clear()
            self.item.hide()
            text = "no result yet" if layer is None else (layer.placeholder or "not available")
            self.placeholder.setText(text)
            self.placeholder.show()
            self.gv.hide()
            if layer is not None:
                self.title.setText(layer.title)
            return
        self.title.setText(layer.title)
        self.placeholder.hide()
        self.gv.show()
        self.item.show()
        self.item.setImage(layer.image, autoLevels=False, levels=None)
        if layer.kind in ("diverging", "sequential") and layer.lut is not None:
            self.colorbar.set_scale(layer.lut, layer.vmin, layer.vmax, layer.unit,
                                    center_label=layer.kind == "diverging")
            self.colorbar.show()
        elif layer.kind == "categorical":
            if len(layer.groups) > 1:
                self.group_box.blockSignals(True)
                for g, share in enumerate(layer.group_shares):
                    self.group_box.addItem(f"group {g} ({100 * share:.0f}% ½)")
                self.group_box.blockSignals(False)
                self.group_box.setVisible(True)
            self._update_legend(0)
            self.legend.show()

    def _update_legend(self, group: int) -> None:
        layer = self.layer
        if layer is None:
            return
        parts = []
        shares = None
        if len(layer.groups) > 1 and group < len(layer.group_shares):
            s1 = layer.group_shares[group]
            shares = (1.0 - s1, s1)
        for k, (name, rgb, share) in enumerate(layer.legend):
            s = shares[k] if shares else share
            col = "#%02x%02x%02x" % rgb
            parts.append(f'<span style="color:{col}; font-size:14pt">■</span> {name}: '
                         f'<b>{100 * s:.1f}%</b>')
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(parts))

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
        vb.sigResized.connect(lambda *a, vb=vb: self._apply_to(vb))

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

    def one_to_one(self) -> None:
        self.set_zoom(1.0)

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(self.zoom() * factor)


class SplitView(QWidget):
    """A/B comparison: original left of the slider, reconstruction right (Space flips)."""

    hovered = Signal(int, int)

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
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 1000)
        self.slider.setValue(500)
        self.slider.valueChanged.connect(self._slider_moved)
        self.caption_left = QLabel("◀ Original")
        self.caption_right = QLabel("Reconstruction ▶")
        self.caption_right.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.note = QLabel("")
        self.note.setObjectName("Placeholder")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        caps = QHBoxLayout()
        caps.addWidget(self.caption_left)
        caps.addWidget(self.note, 1)
        caps.addWidget(self.caption_right)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(3, 3, 3, 3)
        lay.addLayout(caps)
        lay.addWidget(self.gv, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Split"))
        row.addWidget(self.slider, 1)
        lay.addLayout(row)
        self.a: Optional[np.ndarray] = None
        self.b: Optional[np.ndarray] = None
        self.names = ("Original", "Reconstruction")
        self.flipped = False
        self._updating = False
        self.gv.scene().sigMouseMoved.connect(self._mouse_moved)

    def _mouse_moved(self, pos) -> None:
        if self.a is None or not self.vb.sceneBoundingRect().contains(pos):
            return
        p = self.vb.mapSceneToView(pos)
        self.hovered.emit(int(np.floor(p.x())), int(np.floor(p.y())))

    def set_images(self, original: Optional[np.ndarray], reconstruction: Optional[np.ndarray]) -> None:
        self.a, self.b = original, reconstruction
        if original is None and reconstruction is not None:
            self.a = reconstruction
            self.note.setText("original not in file — both sides show the reconstruction")
        else:
            self.note.setText("")
        self._redraw()

    def split_x(self) -> int:
        ref = self.a if self.a is not None else self.b
        if ref is None:
            return 0
        return int(round(self.slider.value() / 1000 * ref.shape[1]))

    def flip(self) -> None:
        self.flipped = not self.flipped
        self._redraw()

    def _redraw(self) -> None:
        if self.a is None or self.b is None:
            self.left_item.clear()
            self.right_item.clear()
            return
        left, right = (self.b, self.a) if self.flipped else (self.a, self.b)
        ln, rn = (self.names[1], self.names[0]) if self.flipped else self.names
        self.caption_left.setText(f"◀ {ln}")
        self.caption_right.setText(f"{rn} ▶")
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
