"""Rate-distortion plot (pyqtgraph): zoo curves (Kodak means), reference curves from
resources/rd/, the current result and the quantizer comparison points."""
from __future__ import annotations

from typing import Optional, Union

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont

from ..model.records import CompareRow

QUANTIZER_COLORS = {"scalar": "#9e9e9e", "lvq": "#4c8ed9", "lvqac": "#f0a030"}
REFERENCE_COLORS = ["#7fbf7f", "#c77fd6", "#d6c27f", "#7fd6d0", "#d67f7f"]
CLASSICAL_COLORS = {"jpeg": "#e0e070", "webp": "#70e0a0", "avif": "#e070c0"}
QUANTIZER_SYMBOLS = {"scalar": "s", "lvq": "t", "lvqac": "o"}
TIER_SHADE = 135  # another tier's curve: its family's colour this much lighter (QColor.lighter)
LEGEND_PT = 9
AXIS_PT = 9


def short_name(name: str) -> str:
    """A reference curve's legend entry: every curve is a Kodak mean (the dock's tooltip says so),
    so "(Kodak)" is left out; short entries keep the legend in two columns in a narrow dock."""
    return name.replace(" (Kodak)", "").replace(" (CompressAI)", "").strip()


class RDPlot(pg.PlotWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setLabel("bottom", "rate [bpp]")
        self.setLabel("left", "PSNR [dB]")
        self.showGrid(x=True, y=True, alpha=0.25)
        # The legend sits below the axes (in the plot item's layout), so it never hides a curve.
        item = self.getPlotItem()
        self.legend = pg.LegendItem(labelTextSize=f"{LEGEND_PT}pt", colCount=2, verSpacing=-4,
                                    horSpacing=8)
        item.layout.addItem(self.legend, 4, 0, 1, 2)  # under the axis too: the dock may be narrow
        item.legend = self.legend  # plot(..., name=...) entries land in it
        self.setMinimumHeight(200)
        self.setToolTip("PSNR over bpp. Curves: Kodak means (zoo models per quantizer, a tier other than the "
                        "default's dash-dotted with hollow markers; dashed: reference "
                        "codecs; mbt2018-mean: CompressAI's published results). Star and markers (quantizer λ, classical "
                        "codecs from the A/B split): this image.")
        font = QFont()
        font.setPointSize(AXIS_PT)
        for ax in ("bottom", "left"):
            self.getAxis(ax).setTickFont(font)
            self.getAxis(ax).label.setFont(font)
        self.current: Optional[pg.ScatterPlotItem] = None
        self.compare_items: list = []  # Compare quantizers' points
        self.classical_items: list = []  # the split's JPEG / WebP / AVIF sides
        self.side_items: list = []  # the split's learned sides at their own λ
        self.curve_count = 0
        self.zoo_points: list[tuple[float, float]] = []
        # room right of the axes: the last tick label is centred on the axis' right end
        item.layout.setContentsMargins(2, 4, 16, 2)
        item.setMenuEnabled(False)
        for ax in ("bottom", "left"):
            self.getAxis(ax).enableAutoSIPrefix(False)
        self.setLimits(xMin=0.0)

    def set_curves(self, zoo: dict[Union[str, tuple[str, Optional[str]]], list[tuple[float, float, float, str]]],
                   references: dict[str, list[tuple[float, float]]]) -> None:
        """The zoo's Kodak curves, keyed by quantizer or (quantizer, tier): the default tier's
        (tier None) solid, each other tier's in a lighter shade of its family's colour, dash-dotted,
        with hollow markers and named after it ("wide scalar"); then the reference curves."""
        self.curve_count = 0
        self.zoo_points = [(p[0], p[1]) for pts in zoo.values() for p in pts]
        for key, pts in zoo.items():
            q, tier = (key, None) if isinstance(key, str) else key
            if not pts:
                continue
            color = QUANTIZER_COLORS.get(q, "#cccccc")
            symbol = QUANTIZER_SYMBOLS.get(q, "o")
            if tier is None:
                self.plot([p[0] for p in pts], [p[1] for p in pts], pen=pg.mkPen(color, width=2),
                          symbol=symbol, symbolSize=6, symbolBrush=color, name=f"zoo {q}")
            else:
                shade = QColor(color).lighter(TIER_SHADE).name()
                self.plot([p[0] for p in pts], [p[1] for p in pts],
                          pen=pg.mkPen(shade, width=2, style=Qt.PenStyle.DashDotLine), symbol=symbol,
                          symbolSize=7, symbolBrush=pg.mkBrush(None), symbolPen=pg.mkPen(shade, width=1.5),
                          name=f"{tier} {q}")  # short: the legend keeps two columns in a narrow dock
            self.curve_count += 1
        for k, (name, pts) in enumerate(references.items()):
            color = REFERENCE_COLORS[k % len(REFERENCE_COLORS)]
            self.plot([p[0] for p in pts], [p[1] for p in pts],
                      pen=pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine), name=short_name(name))
            self.curve_count += 1
        self.fit_legend()

    def fit_legend(self) -> None:
        """As many legend columns as the plot's width holds (one at least), so that no entry
        runs off the right edge."""
        entries = self.legend.items if getattr(self, "legend", None) is not None else []
        if not entries:
            return
        # the text's own width (a label item is stretched to its column once laid out)
        widest = max(20 + getattr(label, "item", label).boundingRect().width() for _sample, label in entries)
        room = self.viewport().width() - 24
        cols = int(max(1, min(2, room // max(widest + 12, 1))))
        if cols != self.legend.columnCount:
            self.legend.setColumnCount(cols)
            self.getPlotItem().layout.invalidate()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.fit_legend()

    def set_current(self, bpp: Optional[float], psnr: Optional[float], label: str = "this image") -> None:
        if self.current is not None:
            self.removeItem(self.current)
            self.current = None
        if bpp is None or psnr is None:
            return
        self.current = pg.ScatterPlotItem([bpp], [psnr], symbol="star", size=18,
                                          brush=pg.mkBrush("#ff4060"), pen=pg.mkPen("w"), name=label)
        self.current.setZValue(10)  # over every curve
        self.addItem(self.current)
        self._autorange()

    def _autorange(self) -> None:
        """Frame the zoo curves and our own points (reference curves may run off to high rates)."""
        xs = [p[0] for p in self.zoo_points]
        ys = [p[1] for p in self.zoo_points]
        for it in (([self.current] if self.current is not None else []) + self.compare_items
                   + self.classical_items + self.side_items):
            x, y = it.getData()
            xs += list(x)
            ys += list(y)
        if xs:
            self.setXRange(0.0, max(xs) * 1.6 + 1e-3, padding=0)
            self.setYRange(min(ys) - 2.5, max(ys) + 2.0, padding=0)
        elif self.curve_count:
            self.enableAutoRange()

    def _replace_points(self, group: str, points: list[dict], autorange: bool = True) -> None:
        """Replace the scatter points of ``group`` (an attribute holding a list of items) by
        ``points`` (each: bpp, psnr and ScatterPlotItem keywords)."""
        for it in getattr(self, group):
            self.removeItem(it)
        items = []
        for p in points:
            it = pg.ScatterPlotItem([p.pop("bpp")], [p.pop("psnr")], **p)
            self.addItem(it)
            items.append(it)
        setattr(self, group, items)
        if items or autorange:
            self._autorange()

    def set_compare(self, rows: list[CompareRow]) -> None:
        self._replace_points("compare_items", [
            dict(bpp=r.bpp, psnr=r.psnr, symbol=QUANTIZER_SYMBOLS.get(r.quantizer, "o"), size=13,
                 brush=pg.mkBrush(QUANTIZER_COLORS.get(r.quantizer, "#ccc")), pen=pg.mkPen("w"), name=r.label)
            for r in rows if r.bpp is not None and r.psnr is not None])

    def set_classical(self, encodings) -> None:
        """The split view's JPEG / WebP / AVIF encodings of this image, as points."""
        self._replace_points("classical_items", [
            dict(bpp=c.bpp, psnr=c.psnr, symbol="d", size=12, brush=pg.mkBrush(CLASSICAL_COLORS.get(c.codec, "#cccccc")),
                 pen=pg.mkPen("w"), name=c.label)
            for c in encodings], autorange=False)

    def set_side_points(self, rows: list[CompareRow]) -> None:
        """The split's learned sides at their own λ (this image), as hollow points."""
        self._replace_points("side_items", [
            dict(bpp=r.bpp, psnr=r.psnr, symbol=QUANTIZER_SYMBOLS.get(r.quantizer, "o"), size=11,
                 brush=pg.mkBrush(None), pen=pg.mkPen(QUANTIZER_COLORS.get(r.quantizer, "#cccccc"), width=2),
                 name=f"{r.label} (split side)")
            for r in rows if r.bpp is not None and r.psnr is not None], autorange=False)

    def set_legend_visible(self, on: bool) -> None:
        """The legend sits under the axes; hiding it gives the curves the whole height (the
        legend stays in the layout with a zero height: removing graphics layout items from Python
        is fragile under PySide)."""
        self.legend.setVisible(on)
        self.legend.setMinimumHeight(-1 if on else 0)  # -1: back to the legend's own size
        self.legend.setMaximumHeight(-1 if on else 0)
        self.getPlotItem().layout.invalidate()
