"""Image views: one panel per layer (image + title + colour bar / legend), linked zoom and pan
(the A/B split view is in split_view.py). Pixels are drawn nearest-neighbour; the y axis points down."""
from __future__ import annotations

import html
from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

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
            x0, x1 = center_slot(w, fm.horizontalAdvance(left), fm.horizontalAdvance(right))
            c = fm.elidedText(c, Qt.TextElideMode.ElideRight, max(int(x1 - x0), 10))
            p.drawText(QPointF(center_x(w, x0, x1, fm.horizontalAdvance(c)), y), c)
        p.end()


def center_slot(width: float, left_w: float, right_w: float, gap: float = 8.0) -> tuple[float, float]:
    """The span a colour bar's middle text may use: between the left and the right label (each 4 px
    in from its edge) with ``gap`` px to spare on either side."""
    return 4.0 + left_w + gap, width - 4.0 - right_w - gap


def center_x(width: float, x0: float, x1: float, text_w: float) -> float:
    """Where the middle text starts: centred on the bar, pushed right or left as far as it must to
    stay inside [x0, x1] (a long left label, "min 0.0884", must not run into it)."""
    return min(max(width / 2.0 - text_w / 2.0, x0), max(x1 - text_w, x0))


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
