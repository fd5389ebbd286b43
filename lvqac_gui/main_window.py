"""The main window: image panels (linked), A/B split view, side docks, menus, shortcuts,
drag-and-drop, status bar readout. It holds no state of its own beyond widgets: everything
comes from the :class:`~lvqac_gui.state.Session`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import QByteArray, QMimeData, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QGridLayout, QLabel, QMainWindow, QTabWidget,
                               QVBoxLayout, QWidget)

from . import backend as bk
from . import dialogs, export
from .panels import CompareTable, ControlPanel, StatsPanel
from .rdplot import RDPlot
from .settings import AppSettings
from .state import LAMBDAS, QUANTIZERS, Display, Session
from .views import ImagePanel, SplitView, ViewLinker
from .workers import JobRunner

PANELS = (("original", "Original"), ("reconstruction", "Reconstruction"), ("residual", "Residual"),
          ("selection", "Codebook selection"), ("a_law", "A-law parameter A"),
          ("bits", "Bits per position"))


class MainWindow(QMainWindow):
    def __init__(self, session: Optional[Session] = None, backend=None,
                 settings: Optional[AppSettings] = None, restore: bool = True) -> None:
        super().__init__()
        self.session = session or Session()
        self.backend = backend or bk.Backend()
        self.settings = settings or AppSettings()
        if restore:
            self.settings.load_into(self.session)
        self.runner = JobRunner(self.session, self.backend, self)
        self.setWindowTitle("LVQAC Studio")
        self.setAcceptDrops(True)
        self.error_handler = lambda title, msg: dialogs.show_error(self, title, msg)
        self.errors: list[tuple[str, str]] = []  # every error shown (for tests / screenshot mode)
        self._shown_size: Optional[tuple[int, int]] = None

        # ---- central: panels + split view
        self.linker = ViewLinker()
        self.panels: dict[str, ImagePanel] = {}
        grid_w = QWidget()
        grid = QGridLayout(grid_w)
        grid.setContentsMargins(2, 2, 2, 2)
        grid.setSpacing(3)
        for k, (key, title) in enumerate(PANELS):
            p = ImagePanel(key, title)
            self.panels[key] = p
            grid.addWidget(p, k // 3, k % 3)
            self.linker.add(p.vb)
            p.hovered.connect(self.show_probe)
            p.left.connect(self._clear_probe)
        self.split = SplitView()
        self.linker.add(self.split.vb)
        self.split.hovered.connect(self.show_probe)
        self.tabs = QTabWidget()
        self.tabs.addTab(grid_w, "Panels")
        self.tabs.addTab(self.split, "A/B split")
        self.tabs.currentChanged.connect(lambda _: QTimer.singleShot(0, self._tab_changed))
        self.drop_hint = QLabel("Drop images or .lvq files here — or File ▸ Open (Ctrl+O)")
        self.drop_hint.setObjectName("Placeholder")
        self.drop_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.tabs, 1)
        cl.addWidget(self.drop_hint)
        self.setCentralWidget(central)

        # ---- docks
        self.controls = ControlPanel(self.session, bk.model_labels())
        self.stats = StatsPanel()
        self.rd = RDPlot()
        self.rd.set_curves(bk.zoo_curves(), bk.reference_curves())
        self.compare_table = CompareTable()
        rd_w = QWidget()
        rl = QVBoxLayout(rd_w)
        rl.setContentsMargins(2, 2, 2, 2)
        rl.addWidget(self.rd, 1)
        rl.addWidget(self.compare_table)
        self.docks = {}
        for name, title, widget in (("controls", "Model", self.controls),
                                    ("numbers", "Numbers", self.stats),
                                    ("rd", "Rate–distortion", rd_w)):
            d = QDockWidget(title, self)
            d.setObjectName(f"dock_{name}")
            d.setWidget(widget)
            d.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                          | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                          | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d)
            self.docks[name] = d
        self.resizeDocks([self.docks["controls"], self.docks["numbers"], self.docks["rd"]],
                         [190, 300, 300], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["controls"]], [380], Qt.Orientation.Horizontal)

        # ---- status bar
        self.probe_label = QLabel("")
        self.zoom_label = QLabel("zoom —")
        self.batch_label = QLabel("")
        self.demo_label = QLabel("")
        self.demo_label.setObjectName("Note")
        self.demo_label.hide()
        self.statusBar().addPermanentWidget(self.demo_label)
        self.statusBar().addWidget(self.probe_label, 1)
        self.statusBar().addPermanentWidget(self.batch_label)
        self.statusBar().addPermanentWidget(self.zoom_label)
        self.linker.zoom_changed_callbacks.append(self._zoom_changed)

        self._build_actions()

        # ---- session -> widgets
        s = self.session
        s.display_changed.connect(self.show_display)
        s.compare_changed.connect(self._compare_changed)
        s.error.connect(self._error)
        s.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        s.recent_changed.connect(lambda _: self._rebuild_recent())
        s.source_changed.connect(self._source_changed)
        s.busy_changed.connect(self._busy_changed)
        s.queue_changed.connect(self._queue_changed)
        self._rebuild_recent()
        self.show_display(None)

        if restore:
            geo = self.settings.bytes_value("window/geometry")
            if geo is not None:
                self.restoreGeometry(geo)
            st = self.settings.bytes_value("window/state")
            if st is not None:
                self.restoreState(st)
        if not restore or self.settings.bytes_value("window/geometry") is None:
            self.resize(1400, 900)

    # ------------------------------------------------------------------ actions
    def _act(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            a.setStatusTip(tip)
        a.triggered.connect(lambda checked=False: slot())
        menu.addAction(a)
        self.addAction(a)  # shortcuts work even with the menu bar hidden
        return a

    def _build_actions(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        self.act_open = self._act(f, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = f.addMenu("Open &Recent")
        self._act(f, "Open &sample image", self.open_sample)
        f.addSeparator()
        self.act_save = self._act(f, "&Save .lvq…", self.save_lvq, "Ctrl+S")
        ex = f.addMenu("&Export")
        self.act_export_png = self._act(ex, "Decoded image as &PNG…", self.export_png, "Ctrl+Shift+S")
        self.act_export_all = self._act(ex, "&All (.lvq, decoded PNG, every map)…", self.export_all,
                                        "Ctrl+E")
        f.addSeparator()
        self._act(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        v = mb.addMenu("&View")
        self._act(v, "&Fit", self.linker.fit, "F")
        self._act(v, "&1:1 pixels", self.linker.one_to_one, "1")
        self._act(v, "Zoom &in", lambda: self.linker.zoom_by(2.0), "+")
        self._act(v, "Zoom &out", lambda: self.linker.zoom_by(0.5), "-")
        v.addSeparator()
        self._act(v, "&Panels", lambda: self.tabs.setCurrentIndex(0), "Ctrl+1")
        self._act(v, "&A/B split", lambda: self.tabs.setCurrentIndex(1), "Ctrl+2")
        self._act(v, "Flip A/B", self.split.flip, "Space")
        v.addSeparator()
        for d in self.docks.values():
            v.addAction(d.toggleViewAction())

        r = mb.addMenu("&Run")
        self._act(r, "&Compress", self.session.compress, "F5")
        self._act(r, "C&ancel", self.session.cancel, "Esc")
        self._act(r, "Compare &quantizers", self.session.compare_quantizers, "Ctrl+K")
        r.addSeparator()
        self._act(r, "Lower λ (fewer bits)", lambda: self._step_lambda(-1), "[")
        self._act(r, "Higher λ (more bits)", lambda: self._step_lambda(+1), "]")
        for k, q in enumerate(QUANTIZERS):
            self._act(r, f"Quantizer: {q}", lambda q=q: self.session.set_choices(quantizer=q),
                      f"Alt+{k + 1}")

        h = mb.addMenu("&Help")
        self._act(h, "&Shortcuts", self.show_shortcuts, "F1")

    def _step_lambda(self, step: int) -> None:
        idx = min(range(len(LAMBDAS)), key=lambda k: abs(LAMBDAS[k] - self.session.lmbda))
        idx = min(max(idx + step, 0), len(LAMBDAS) - 1)
        self.session.set_choices(lmbda=LAMBDAS[idx])

    def show_shortcuts(self) -> None:
        rows = []
        for a in self.actions():
            if not a.shortcut().isEmpty():
                rows.append(f"{a.shortcut().toString():<14} {a.text().replace('&', '')}")
        dialogs.show_info(self, "Shortcuts", "\n".join(rows))

    # ------------------------------------------------------------------ opening
    def open_dialog(self) -> None:
        files = dialogs.ask_open_files(self, str(self.settings.value("files/last_dir", "")))
        if files:
            self.settings.set_value("files/last_dir", str(Path(files[0]).parent))
            self.session.open_paths(files)

    def open_sample(self) -> None:
        name, src = bk.sample_image()
        if isinstance(src, str):
            self.session.open_paths([src])
        else:
            self.session.open_array(name, src)

    def _rebuild_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.session.recent:
            a = self.recent_menu.addAction(p)
            a.triggered.connect(lambda checked=False, p=p: self.session.open_paths([p]))
        self.recent_menu.setEnabled(bool(self.session.recent))

    # drag and drop
    @staticmethod
    def _local_paths(mime: QMimeData) -> list[str]:
        if not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if self._local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event) -> None:  # noqa: N802
        if self.handle_drop(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def handle_drop(self, mime: QMimeData) -> bool:
        paths = self._local_paths(mime)
        if not paths:
            return False
        self.session.open_paths(paths)
        return True

    # ------------------------------------------------------------------ saving
    def _need_display(self) -> Optional[Display]:
        d = self.session.display
        if d is None:
            self._error("Nothing to export", "Open and compress an image first.")
        return d

    def _write(self, func, *args) -> bool:
        try:
            func(*args)
            return True
        except Exception as exc:  # noqa: BLE001
            from .workers import describe_error
            self._error("Cannot write file", describe_error(exc)[1])
            return False

    def save_lvq(self, path: Optional[str] = None) -> Optional[Path]:
        d = self._need_display()
        if d is None:
            return None
        path = path or dialogs.ask_save_path(self, "Save .lvq", self._suggest(f"{d.source.stem}.lvq"),
                                             "LVQAC files (*.lvq)")
        if not path:
            return None
        return self._save_one(export.write_lvq, d, Path(path))

    def export_png(self, path: Optional[str] = None) -> Optional[Path]:
        d = self._need_display()
        if d is None:
            return None
        path = path or dialogs.ask_save_path(self, "Export decoded PNG",
                                             self._suggest(f"{d.source.stem}.decoded.png"), "PNG (*.png)")
        if not path:
            return None
        return self._save_one(lambda disp, p, ow: export.write_png(disp.reconstruction, p, ow), d, Path(path))

    def _save_one(self, writer, d: Display, path: Path) -> Optional[Path]:
        overwrite = False
        if path.exists():
            if not dialogs.confirm_overwrite(self, [path]):
                return None
            overwrite = True
        if self._write(writer, d, path, overwrite):
            self.settings.set_value("files/last_dir", str(path.parent))
            self.statusBar().showMessage(f"Saved {path}", 6000)
            return path
        return None

    def export_all(self, directory: Optional[str] = None) -> list[Path]:
        d = self._need_display()
        if d is None:
            return []
        directory = directory or dialogs.ask_directory(self, "Export all to folder",
                                                       str(self.settings.value("files/last_dir", "")))
        if not directory:
            return []
        planned = export.planned_files(d, directory)
        clash = export.existing(planned)
        overwrite = False
        if clash:
            if not dialogs.confirm_overwrite(self, clash):
                return []
            overwrite = True
        out: list[Path] = []
        if self._write(lambda: out.extend(export.export_all(d, directory, overwrite=overwrite))):
            self.statusBar().showMessage(f"Exported {len(out)} files to {directory}", 6000)
        return out

    def _suggest(self, name: str) -> str:
        return str(Path(str(self.settings.value("files/last_dir", "") or Path.cwd())) / name)

    # ------------------------------------------------------------------ session -> view
    def show_display(self, d: Optional[Display]) -> None:
        self.drop_hint.setVisible(d is None and self.session.source is None)
        for key, panel in self.panels.items():
            panel.set_layer(None if d is None else d.layers.get(key))
        self.stats.show_display(d)
        self.controls.show_device(d)
        if d is None:
            self.split.set_images(None, None)
            self.rd.set_current(None, None)
            return
        self.split.set_images(d.original, d.reconstruction)
        self.rd.set_current(d.stats.bpp, d.stats.psnr, f"{d.source.name} ({d.stats.quantizer})")
        size = (d.width, d.height)
        self.linker.size = size
        if size != self._shown_size:
            self._shown_size = size
            self.linker.fit()
            QTimer.singleShot(0, self.linker.fit)  # again once the layout has settled
        self.setWindowTitle(f"LVQAC Studio — {d.source.name}")

    def _source_changed(self, source) -> None:
        self.drop_hint.hide()
        self.setWindowTitle(f"LVQAC Studio — {source.name}")

    def _compare_changed(self, rows) -> None:
        self.compare_table.show_rows(rows)
        self.rd.set_compare(rows)

    def _busy_changed(self, busy: bool) -> None:
        self.act_save.setEnabled(not busy or self.session.display is not None)

    def _queue_changed(self, done: int, total: int) -> None:
        self.batch_label.setText(f"batch {done}/{total}" if total > 1 else "")

    def _error(self, title: str, message: str) -> None:
        self.errors.append((title, message))
        self.statusBar().showMessage(f"{title}: {message.splitlines()[0] if message else ''}", 8000)
        self.error_handler(title, message)

    def _zoom_changed(self, z: float) -> None:
        self.zoom_label.setText(f"zoom {100 * z:.0f}%")

    def _tab_changed(self) -> None:
        if self.linker.fitted:
            self.linker.fit()
        self._refresh_zoom()

    def _refresh_zoom(self) -> None:
        self._zoom_changed(self.linker.zoom())

    def set_demo_mode(self, on: bool) -> None:
        self.demo_label.setText("DEMO: untrained models" if on else "")
        self.demo_label.setVisible(on)

    def _clear_probe(self) -> None:
        self.probe_label.setText("")

    def probe_text(self, x: int, y: int) -> str:
        d = self.session.display
        info = None if d is None else d.probe(x, y)
        if info is None:
            return ""
        parts = [f"x {x}, y {y}", "RGB %d,%d,%d" % info["rgb"]]
        if "original" in info:
            parts.append("orig %d,%d,%d" % info["original"])
        if "residual" in info:
            parts.append("residual %+.0f,%+.0f,%+.0f" % info["residual"])
        if "codebook" in info:
            cb = info["codebook"]
            parts.append("codebook " + ("".join("½" if c else "0" for c in cb) if len(cb) > 1
                                        else ("Zⁿ+½" if cb[0] else "Zⁿ")))
        if "a" in info:
            parts.append(f"A {info['a']:.3g}")
        if "bits" in info:
            parts.append(f"{info['bits']:.1f} bits in this 16×16 block")
        return "   ".join(parts)

    def show_probe(self, x: int, y: int) -> None:
        self.probe_label.setText(self.probe_text(x, y))

    # ------------------------------------------------------------------ closing
    def save_settings(self) -> None:
        self.settings.save_from(self.session)
        self.settings.set_value("window/geometry", self.saveGeometry())
        self.settings.set_value("window/state", self.saveState())
        self.settings.sync()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.save_settings()
        self.session.cancel()
        self.runner.shutdown(3000)
        super().closeEvent(event)
