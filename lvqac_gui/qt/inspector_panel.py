"""The per-position inspector dock: click a position in any panel (or the A/B split) and see its
channel vector, both codebooks, the choice, A and its bits; then *what if* it took the other
codebook or A = 1 (ΔR, ΔD). The state lives in :mod:`lvqac_gui.model.position_inspector`, the
numbers come from :mod:`lvqac_core.position_probe`; the probe runs on the backend's job thread
(the :class:`~lvqac_gui.qt.workers.JobRunner`'s pool, after any running job), never on the UI thread.

:func:`install` adds the dock to a main window and wires the clicks, the shown result and the
marker of the selected position in every view.
"""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, QRunnable, Qt, QTimer, Signal
from PySide6.QtGui import QPen, QColor
from PySide6.QtWidgets import (QCheckBox, QDockWidget, QFrame, QGraphicsRectItem, QHBoxLayout, QLabel,
                               QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget)

from ..model.errors import describe_error
from ..model.position_inspector import WHAT_IF_LABELS, PositionInspector, ProbeRequest, report_rows, what_if_text
from .theme import BACKGROUND

__all__ = ["InspectorPanel", "install"]

MARKER_COLOR = "#ffd54a"
BOOK_COLORS = ("#4c8ed9", "#f08c3a")  # Z^n, Z^n + ½ (the selection map's colours are its own)


class _Signals(QObject):
    finished = Signal(object)  # ProbeOutcome
    failed = Signal(int, str)


class _ProbeTask(QRunnable):
    def __init__(self, inspector: PositionInspector, req: ProbeRequest, backend, signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.inspector, self.req, self.backend, self.signals = inspector, req, backend, signals

    def run(self) -> None:  # worker thread
        from lvqac_core import threads
        try:
            threads.apply(getattr(self.backend, "threads", None))  # per thread, as Backend.run does
            outcome = self.inspector.compute(self.req)
        except BaseException as exc:  # noqa: BLE001 - shown in the panel
            self.signals.failed.emit(self.req.id, describe_error(exc)[1])
            return
        self.signals.finished.emit(outcome)


class InspectorPanel(QWidget):
    """The dock's widget: the position's numbers, a per-channel plot and two what-if buttons."""

    def __init__(self, inspector: PositionInspector, pool, backend=None, parent=None) -> None:
        super().__init__(parent)
        self.inspector, self.pool, self.backend = inspector, pool, backend
        self.signals = _Signals(self)
        self.signals.finished.connect(inspector.finished)
        self.signals.failed.connect(inspector.failed)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setObjectName("Note")
        self.table = QLabel("")
        self.table.setTextFormat(Qt.TextFormat.RichText)
        self.table.setWordWrap(True)
        self.table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plot = pg.PlotWidget(background=BACKGROUND)
        self.plot.setLabel("bottom", "channel")
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        self.sigma_item = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), height=np.zeros(0),
                                          pen=pg.mkPen("#777777", width=1))
        self.plot.addItem(self.sigma_item)
        self.residual_curve = self.plot.plot([], [], pen=None, symbol="o", symbolSize=5, symbolBrush="#e8e8e8",
                                             symbolPen=None)
        self.book_curves = [self.plot.plot([], [], pen=None, symbol=s, symbolSize=7, symbolPen=pg.mkPen(c, width=1.5),
                                           symbolBrush=None)
                            for c, s in zip(BOOK_COLORS, ("s", "t"))]
        self.standardize = QCheckBox("÷ σ")
        self.standardize.setChecked(True)
        self.standardize.setToolTip("Plot (y − μ)/σ, as the entropy model sees it (one wide channel "
                                    "no longer flattens the others); unchecked: y − μ")
        self.standardize.toggled.connect(lambda _on: self.refresh())
        self.caption = QLabel(
            "<span style='color:#e8e8e8'>●</span> y − μ (bars ±σ) &nbsp;"
            f"<span style='color:{BOOK_COLORS[0]}'>□</span> Zⁿ point &nbsp;"
            f"<span style='color:{BOOK_COLORS[1]}'>△</span> Zⁿ + ½ point")
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setWordWrap(True)  # a narrow dock wraps it instead of widening the dock column
        cap = QHBoxLayout()
        cap.addWidget(self.caption, 1)
        cap.addWidget(self.standardize)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        row.addWidget(QLabel("What if:"))
        for kind, tip in (("flip", "Code this position with the other codebook (Zⁿ ↔ Zⁿ + ½)"),
                          ("a1", "Code this position with A = 1 (no companding)")):
            b = QPushButton(WHAT_IF_LABELS[kind])
            b.setToolTip(tip + ": ΔR from the entropy model over all positions, ΔD over the affected block")
            b.clicked.connect(lambda _checked=False, k=kind: self.inspector.run_what_if(k))
            row.addWidget(b)
            self.buttons[kind] = b
        row.addStretch(1)
        self.results = QLabel("")
        self.results.setWordWrap(True)
        self.results.setTextFormat(Qt.TextFormat.RichText)
        # the answers keep room for both what-ifs, so that the buttons never move under the mouse
        self.results.setMinimumHeight(5 * self.results.fontMetrics().lineSpacing())
        self.results.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.plot.setFixedHeight(190)
        self.table.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)  # never squeezed
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.status)
        lay.addWidget(self.table)
        lay.addWidget(self.plot)
        lay.addLayout(cap)
        lay.addLayout(row)
        lay.addWidget(self.results)
        lay.addStretch(1)
        # a short dock scrolls: its minimum height never forces the window taller
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        inspector.request.connect(self._run)
        inspector.changed.connect(self.refresh)
        self.refresh()

    def _run(self, req: ProbeRequest) -> None:
        self.pool.start(_ProbeTask(self.inspector, req, self.backend, self.signals))

    def refresh(self) -> None:
        ins = self.inspector
        rep = ins.report
        text = ins.message
        if not text and ins.last_seconds is not None:
            text = f"computed in {1e3 * ins.last_seconds:.0f} ms"
        self.status.setText(text)
        if rep is None:
            self.table.setText("")
        else:
            cells = "".join(f"<tr><td style='padding-right:8px; color:#9aa4b2'>{html.escape(k)}</td>"
                            f"<td>{html.escape(v)}</td></tr>" for k, v in report_rows(rep))
            self.table.setText(f"<table>{cells}</table>")
        data = ins.plot_data()
        if data is None:
            self.residual_curve.setData([], [])
            for c in self.book_curves:
                c.setData([], [])
            self.sigma_item.setData(x=np.zeros(0), y=np.zeros(0), height=np.zeros(0))
        else:
            x = data["channel"]
            scale = data["sigma"] if self.standardize.isChecked() else np.ones_like(data["sigma"])
            self.plot.setLabel("left", "(y − μ)/σ" if self.standardize.isChecked() else "y − μ")
            self.residual_curve.setData(x, data["residual"] / scale)
            self.sigma_item.setData(x=x, y=data["residual"] / scale, height=2 * data["sigma"] / scale)
            for k, c in enumerate(self.book_curves):
                pts = data.get(f"codebook{k}")
                c.setData([] if pts is None else x, [] if pts is None else pts / scale)
                c.setVisible(pts is not None)
            self.plot.enableAutoRange()
        applies = rep.what_ifs if rep is not None else ()
        for kind, b in self.buttons.items():
            b.setEnabled(kind in applies and not ins.busy)
            b.setVisible(rep is None or kind in applies or kind == "flip")
        lines = [html.escape(what_if_text(ins.what_ifs[k])) for k in ("flip", "a1") if k in ins.what_ifs]
        if lines:
            lines.append("<span style='color:#9aa4b2'>ΔR: the entropy model's estimate (not coded bytes), "
                         "neighbours re-coded; ΔD: PSNR over the block</span>")
        self.results.setText("<br>".join(lines))
        if lines:  # a short dock scrolls to the answer
            QTimer.singleShot(0, lambda: self.scroll.ensureWidgetVisible(self.results, 0, 0))


def _marker_item(vb: pg.ViewBox) -> QGraphicsRectItem:
    item = QGraphicsRectItem()
    pen = QPen(QColor(MARKER_COLOR))
    pen.setWidth(2)
    pen.setCosmetic(True)
    item.setPen(pen)
    item.setZValue(20)
    item.hide()
    vb.addItem(item, ignoreBounds=True)
    return item


def place(window, dock: QDockWidget, tall: bool) -> None:
    """Tab the Position dock (``window.arrange_docks`` calls this last): short windows put it in
    the Numbers / Rate–distortion tab group, tall ones with Rate–distortion, the largest of the
    stacked docks. The tab in front stays the layout's (Numbers short, Rate–distortion tall)
    unless a position is selected; a dock the user closed stays closed."""
    num, rd = window.docks["numbers"], window.docks["rd"]
    closed = dock.isHidden()
    if not tall and not window.tabifiedDockWidgets(num):
        # after the tall layout rd shares a tab group with this dock, and Qt's tabifyDockWidget does
        # not move a tabbed dock into a lone one (arrange_docks' tabify(num, rd)): num joins them
        window.tabifyDockWidget(rd, num)
        window.arrange_docks(window.height())  # its sizes again, for the regrouped docks (once: num is tabbed now)
        return
    if dock not in window.tabifiedDockWidgets(rd if tall else num):
        window.tabifyDockWidget(rd if tall else num, dock)
    dock.setVisible(not closed)
    inspecting = getattr(window, "inspector", None) is not None and window.inspector.position is not None
    (dock if inspecting and not closed else rd if tall else num).raise_()


def install(window) -> QDockWidget:
    """Add the inspector dock to ``window`` (a :class:`~lvqac_gui.qt.main_window.MainWindow`),
    tabbed with its Numbers dock, and wire the clicks and markers. Returns the dock."""
    backend = window.backend
    loaded = getattr(backend, "loaded_codec", None)
    inspector = PositionInspector(
        lambda d: None if loaded is None or d is None else loaded(getattr(d.stats, "model_id", "")))
    panel = InspectorPanel(inspector, window.runner.pool, backend)
    dock = QDockWidget("Position", window)
    dock.setObjectName("dock_inspector")
    dock.setWidget(panel)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)  # arrange_docks tabs it (place)
    window.inspector = inspector
    window.inspector_panel = panel
    views = [p.vb for p in window.panels.values()] + [window.split.vb]
    markers = [_marker_item(vb) for vb in views]

    def clicked(x: int, y: int) -> None:
        if inspector.select_pixel(x, y):
            dock.show()
            dock.raise_()

    def update_markers() -> None:
        m = inspector.marker()
        for item in markers:
            if m is None:
                item.hide()
            else:
                item.setRect(QRectF(*m))
                item.show()

    for p in window.panels.values():
        p.clicked.connect(clicked)
    window.split.clicked.connect(clicked)
    window.session.display_changed.connect(inspector.set_display)
    inspector.changed.connect(update_markers)
    inspector.set_display(window.session.display)
    return dock
