"""The main window: image panels (linked), A/B split view, side docks, menus, shortcuts,
drag-and-drop, status bar readout. It holds no state of its own beyond widgets: everything
comes from the :class:`~lvqac_gui.state.Session`."""
from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QMimeData, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (QApplication, QCheckBox, QDockWidget, QGridLayout, QLabel,
                               QMainWindow, QProgressDialog, QTabWidget, QVBoxLayout, QWidget)

from lvqac_core import threads
from lvqac_core.reference_curves import read_reference_curves

from .actions import build_menus, shortcut_rows
from .model_menu import build_model_menu
from .session_io import SessionIO
from .side_lambda import add_own_sides, own_key
from .time_left_line import TimeLeftLine
from .. import __version__
from ..model import backend as bk
from ..model import batch, classical, export, history_store, rate
from . import dialogs
from ..model.maps import Layer
from .panels import GUIDE_TIPS, CompareTable, ControlPanel, HistoryTable, StatsPanel
from .rdplot import RDPlot
from .settings import AppSettings
from ..model.jobs import ClassicalJob, SideJob
from ..model.records import Display, write_history_csv
from ..model.state import Session
from ..model.tiers import ZooTiers
from lvqac_core.bitstream import is_lvq_path
from lvqac_core.image_files import IMAGE_SUFFIXES
from .theme import install_tooltip_wrapper
from .split_view import SplitView
from .views import ImagePanel, ViewLinker
from .pyside_fix import keep_bools_alive
from .inspector_panel import install as install_inspector, place as place_inspector
from .workers import BatchExporter, JobRunner, ModelPreloader

keep_bools_alive()  # PySide6 6.12 + Python 3.11: every signal emit drops a reference to True

SHORT_NAMES = {"scalar": "Scalar", "lvq": "LVQ", "lvqac": "LVQAC"}
PANELS = (("original", "Original"), ("reconstruction", "Reconstruction"), ("residual", "Residual"),
          ("selection", "Codebook selection"), ("a_law", "Companding parameter A"),
          ("bits", "Bits per position"))


class MainWindow(QMainWindow):
    def __init__(self, session: Optional[Session] = None, backend=None,
                 settings: Optional[AppSettings] = None, restore: bool = True) -> None:
        super().__init__()
        self.session = session or Session()
        self.backend = backend or bk.Backend()
        self.settings = settings or AppSettings()
        tiers = getattr(self.backend, "zoo_tiers", None)  # the zoo's tiers, presets, variable-rate networks
        self.session.use_catalog(tiers() if callable(tiers) else ZooTiers())
        if restore:  # after the catalogue: a saved tier, family and λ are kept where still codable
            self.settings.load_into(self.session)
        self.runner = JobRunner(self.session, self.backend, self)
        self.preloader = ModelPreloader(self.backend, self)
        self.preloader.finished.connect(self._preloaded)
        self.model_state = ""  # "" | "loading" | "ready" | "failed" (the launch-time preload)
        self.setWindowTitle("LVQAC Studio")
        self.setAcceptDrops(True)
        install_tooltip_wrapper(QApplication.instance())  # long tooltips wrap, never screen-wide
        self._probe_at: Optional[tuple[int, int]] = None  # the image pixel under the cursor
        self._probe_split = False  # ... in the split view (whose readout names its side)
        self.error_handler = lambda title, msg: dialogs.show_error(self, title, msg)
        self.info_handler = lambda title, msg: dialogs.show_info(self, title, msg)  # batch summary
        # quitting with unexported results asks first, never where nobody can answer (offscreen
        # tests and screenshots, or $LVQAC_GUI_NO_QUIT_QUESTION)
        self.ask_on_quit = (QApplication.platformName() not in ("offscreen", "minimal")
                            and not os.environ.get("LVQAC_GUI_NO_QUIT_QUESTION"))
        # the Results history across restarts (a session file in the user's data folder)
        history_file = self.settings.history_file() if restore else None
        self.history_path: Optional[Path] = Path(history_file) if history_file else None
        self.exporter = BatchExporter(self)
        self.exporter.progress.connect(self._batch_progress)
        self.exporter.finished.connect(self._batch_finished)
        self.batch_dialog: Optional[QProgressDialog] = None  # shown while a batch export runs
        self.batch_progress: Optional[QProgressDialog] = None
        self.last_batch_report: Optional[batch.BatchReport] = None
        self.errors: list[tuple[str, str]] = []  # every error shown (for tests / screenshot mode)
        self._shown_size: Optional[tuple[int, int]] = None
        self._fit_on_result = False
        self._split_for: Optional[Display] = None

        self._build_panels()
        self._build_docks()
        self._build_status_bar()
        self.session_io = SessionIO(self)  # sessions, clipboard, theme
        self._build_menus()
        if self.session_io.theme_choice() != "dark":  # the app starts dark
            self.session_io.apply_theme()
        self._connect_session()
        if self.history_path is not None:
            self.session.restore_history(history_store.load(self.history_path))
        self._rebuild_recent()
        self.show_display(None)
        self._update_actions()
        self._restore_geometry(restore)

    # ------------------------------------------------------------------ building the window
    def _build_panels(self) -> None:
        """The central area: the six panels, the A/B split and Results tabs, the banner and the
        drop hint / overlay."""
        self.linker = ViewLinker()
        self.panels: dict[str, ImagePanel] = {}
        grid_w = QWidget()
        grid = QGridLayout(grid_w)
        grid.setContentsMargins(2, 2, 2, 2)
        grid.setSpacing(3)
        for k, (key, title) in enumerate(PANELS):
            p = ImagePanel(key, title)
            if key in GUIDE_TIPS:
                p.title.setToolTip(GUIDE_TIPS[key])
            self.panels[key] = p
            grid.addWidget(p, k // 3, k % 3)
            self.linker.add(p.vb)
            p.hovered.connect(self.show_probe)
            p.left.connect(self._clear_probe)
        self.panels["residual"].colorbar.setToolTip(GUIDE_TIPS["residual"])
        for k in range(3):  # equal shares, whatever each panel shows
            grid.setColumnStretch(k, 1)
        for k in range(2):
            grid.setRowStretch(k, 1)
        self.split = SplitView()
        self.linker.add(self.split.vb)
        self.split.hovered.connect(self.show_split_probe)
        self.split.side_requested.connect(self._side_requested)
        self.split.quality_requested.connect(self._quality_requested)
        self.split.match_requested.connect(self._match_requested)
        # a classical side follows the other side's size (after the combo's own signal returns)
        self.split.choice_changed.connect(lambda: QTimer.singleShot(0, self._update_split))
        self.classical_quality: dict[str, float] = {}  # codec -> the quality chosen for its side
        self.own_sides: dict[str, tuple[str, float]] = {}  # split key -> (quantizer, its own λ)
        self.split.lambda_requested.connect(self._side_lambda_requested)
        self.split.lambda_reset.connect(self._side_lambda_reset)
        self.history = HistoryTable(self.session)
        self.history.csv_btn.clicked.connect(lambda: self.export_csv())
        self.history.export_btn.clicked.connect(lambda: self.export_batch())
        self.history.clear_btn.clicked.connect(self.clear_history)
        self.history.reopened.connect(lambda row: self.tabs.setCurrentIndex(  # show the image
            1 if self.session.history[row].kind in ("classical", "side") else 0))
        self.tabs = QTabWidget()
        self.tabs.addTab(grid_w, "Panels")
        self.tabs.addTab(self.split, "A/B split")
        self.tabs.addTab(self.history, "Results")
        self.tabs.currentChanged.connect(lambda _: QTimer.singleShot(0, self._tab_changed))
        self.drop_hint = QLabel("Drop images or .lvq files here — or File ▸ Open (Ctrl+O)")
        self.drop_hint.setObjectName("Placeholder")
        self.drop_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner = QLabel("")  # notes about the shown result (alpha dropped, CUDA fallback, ...)
        self.banner.setObjectName("Banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(2)
        cl.addWidget(self.banner)
        cl.addWidget(self.tabs, 1)
        cl.addWidget(self.drop_hint)
        self.setCentralWidget(central)
        # shown while a drag with files we can open hovers over the window
        self.drop_overlay = QLabel("Drop to open", central)
        self.drop_overlay.setObjectName("DropOverlay")
        self.drop_overlay.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_overlay.setStyleSheet("QLabel#DropOverlay { background: rgba(76, 142, 217, 60); "
                                        "border: 3px dashed #4c8ed9; color: #ffffff; font-size: 18pt; }")
        self.drop_overlay.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.drop_overlay.hide()

    def _build_docks(self) -> None:
        """The Model, Numbers, Rate–distortion and Position docks."""
        self.controls = ControlPanel(self.session)
        self.stats = StatsPanel()
        self.time_left = TimeLeftLine(self.session, self.controls.stage, self)  # "about 6 s left"
        self.rd = RDPlot()
        self.rd.set_curves(bk.zoo_curves(), read_reference_curves())
        self.compare_table = CompareTable()
        self.compare_table.hide()  # until quantizers are compared
        self.legend_box = QCheckBox("Legend")
        self.legend_box.setChecked(True)
        self.legend_box.setToolTip("Show the legend under the plot (hide it for a taller plot)")
        self.legend_box.toggled.connect(self.rd.set_legend_visible)
        rd_w = QWidget()
        rl = QVBoxLayout(rd_w)
        rl.setContentsMargins(2, 2, 2, 2)
        rl.addWidget(self.legend_box)
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
        self.resizeDocks([self.docks["controls"]], [380], Qt.Orientation.Horizontal)
        self.docks["inspector"] = install_inspector(self)  # the per-position inspector (its own file)

    def _build_status_bar(self) -> None:
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

    def _connect_session(self) -> None:
        """Session signals -> widgets."""
        s = self.session
        s.display_changed.connect(self.show_display)
        s.display_updated.connect(self.show_numbers)
        s.compare_changed.connect(self._compare_changed)
        s.error.connect(self._error)
        s.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        s.recent_changed.connect(lambda _: self._rebuild_recent())
        s.source_changed.connect(self._source_changed)
        s.busy_changed.connect(self._busy_changed)
        s.queue_changed.connect(self._queue_changed)
        s.classical_changed.connect(lambda _: self._update_split())
        s.side_rows_changed.connect(lambda _: self._update_split())
        s.progress_changed.connect(self._progress_changed)
        s.history_changed.connect(self._history_changed)

    def _restore_geometry(self, restore: bool) -> None:
        """The saved window geometry and dock state, else 1400 × 900 (never larger than the screen)."""
        if restore:
            geo = self.settings.bytes_value("window/geometry")
            if geo is not None:
                self.restoreGeometry(geo)
            st = self.settings.bytes_value("window/state")
            if st is not None:
                self.restoreState(st)
        if not restore or self.settings.bytes_value("window/geometry") is None:
            w, h = 1400, 900
            screen = QApplication.primaryScreen()
            if screen is not None:  # never larger than the screen
                avail = screen.availableGeometry()
                w, h = min(w, int(avail.width() * 0.96)), min(h, int(avail.height() * 0.94))
            self.resize(w, h)
            self.arrange_docks(h)
        elif self.settings.bytes_value("window/state") is None:
            self.arrange_docks(self.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        """The dock layout follows the window on every resize (not only at launch): crossing
        1000 px of height switches between tabbed and stacked Numbers / Rate–distortion."""
        super().resizeEvent(event)
        tall = event.size().height() >= 1000
        if getattr(self, "_docks_tall", None) is not None and tall != self._docks_tall:
            QTimer.singleShot(0, lambda: self.arrange_docks(self.height()))
        else:  # narrower: the docks give back room so the six panels keep their titles
            QTimer.singleShot(0, self._limit_dock_width)
        self._docks_tall = tall

    def _limit_dock_width(self) -> None:
        ctl = self.docks["controls"]
        most = max(300, min(380, self.width() * 3 // 10))
        if ctl.isVisible() and not ctl.isFloating() and ctl.width() > most + 20:
            self.resizeDocks([ctl], [most], Qt.Orientation.Horizontal)

    def arrange_docks(self, height: int) -> None:
        """Right docks: below 1000 px of window height, Numbers and Rate–distortion share the
        space under the Model dock as tabs, so that the plot gets room to be read; above, they
        are stacked."""
        ctl, num, rd = self.docks["controls"], self.docks["numbers"], self.docks["rd"]
        self._docks_tall = height >= 1000
        # the docks take at most 30 % of a narrow window, so the six panels keep their titles
        self.resizeDocks([ctl], [max(300, min(380, self.width() * 3 // 10))], Qt.Orientation.Horizontal)
        if height < 1000:
            self.tabifyDockWidget(num, rd)
            num.raise_()
            self.resizeDocks([ctl, num], [250, max(height - 330, 200)], Qt.Orientation.Vertical)
        else:
            if self.tabifiedDockWidgets(num):
                for d in (num, rd):  # back to one column: Model, Numbers, Rate–distortion
                    self.removeDockWidget(d)
                    self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d)
                    d.show()
            self.resizeDocks([ctl, num, rd], [250, 330, max(height - 640, 300)],
                             Qt.Orientation.Vertical)
        if "inspector" in self.docks:  # the Position dock joins a tab group (qt/inspector_panel.py)
            place_inspector(self, self.docks["inspector"], tall=height >= 1000)

    # ------------------------------------------------------------------ menus (qt/actions.py)
    def _build_menus(self) -> None:
        """The menu bar and the shortcuts, from the table :data:`lvqac_gui.qt.actions.MENU`."""
        build_menus(self, self.menuBar())

    def _add_dock_toggles(self, menu) -> None:
        for d in self.docks.values():
            menu.addAction(d.toggleViewAction())

    def _build_model_menu(self, menu) -> None:
        build_model_menu(menu, self)

    def _choose_quantizer(self, quantizer: str) -> None:
        self.session.set_choices(quantizer=quantizer)

    def _build_threads_menu(self, menu) -> None:
        """Run ▸ CPU threads: automatic (lvqac_core.threads.apply: the cores other programs leave,
        checked through each job) or a fixed count;
        remembered. Files and pixels do not depend on it, only the speed."""
        group = QActionGroup(self)
        group.setExclusive(True)
        auto = (f"Automatic ({threads.default_threads()}, from {threads.ENV})" if os.environ.get(threads.ENV)
                else f"Automatic (up to {threads.default_threads()}, fewer while other programs use the CPU)")
        choices = [(None, auto)]
        choices += [(n, f"{n}") for n in range(1, min(threads.usable_cores(), 16) + 1)]
        self.thread_actions: dict[Optional[int], QAction] = {}
        for n, text in choices:
            a = QAction(text, self)
            a.setCheckable(True)
            a.setChecked(n == getattr(self.backend, "threads", None))
            a.setStatusTip("CPU threads for compressing and decoding (the files do not depend on it)")
            a.triggered.connect(lambda checked=False, n=n: self.set_threads(n))
            group.addAction(a)
            menu.addAction(a)
            self.thread_actions[n] = a

    def set_threads(self, n: Optional[int]) -> None:
        """Use ``n`` CPU threads from the next job on (None: automatic), and remember it."""
        self.backend.threads = n
        self.thread_actions[n].setChecked(True)
        self.settings.set_value("cpu/threads", n or 0)

    def _step_lambda(self, step: int) -> None:
        self.session.set_choices(lmbda=rate.step_preset(self.session.lmbda, step, self.session.presets()))

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, action) of every shortcut, from the menu table (qt/actions.py)."""
        return shortcut_rows()

    def shortcuts_html(self) -> str:
        """The shortcuts as a two-column table (keys right-aligned in their own column)."""
        rows = "".join(f"<tr><td align='right' style='padding-right:14px'><b>{k}</b></td>"
                       f"<td>{t}</td></tr>" for k, t in self.shortcut_rows())
        return f"<table cellspacing='2'>{rows}</table>"

    def show_shortcuts(self) -> None:
        dialogs.show_info(self, "Shortcuts", self.shortcuts_html())

    def guide_html(self) -> str:
        items = [("λ (lambda)", GUIDE_TIPS["lambda"]), ("Quantizer", GUIDE_TIPS["quantizer"]),
                 ("Zⁿ vs Zⁿ+½", GUIDE_TIPS["selection"]), ("A (A-law)", GUIDE_TIPS["a_law"]),
                 ("Bits per position", GUIDE_TIPS["bits"]), ("Residual", GUIDE_TIPS["residual"]),
                 ("A/B split", "Each side picks what it shows: the original, this result, the other "
                  "quantizers (after Compare quantizers) or JPEG / WebP / AVIF of this image at the "
                  "file size of the other side. A learned side has its own λ (its slider codes it "
                  "again, any λ in the network's range), a classical side its own quality and "
                  "'Match the other side'; both become Results rows and RD points. Space swaps the "
                  "sides at the same zoom and position (flicker); Error map shows both residuals on "
                  "one colour scale."),
                 ("Position inspector", "Click a position in any panel or in the split: the Position "
                  "dock shows that latent position's channel vector (y − μ against σ), the nearest "
                  "point of each codebook and its distortion, the codebook chosen and its probability, "
                  "A and its cells, and the bits it cost. What if: the other codebook, or A = 1, at "
                  "that one position: ΔR is the entropy model's estimate (neighbours re-coded), ΔD the "
                  "PSNR change over the block the change reaches."),
                 ("Sessions", "File ▸ Save session keeps the image's path, the choices, the Results "
                  "rows, the comparison and the split; File ▸ Open session brings them back. "
                  "Edit ▸ Paste (Ctrl+V) opens an image from the clipboard; View ▸ Theme picks dark, "
                  "light or the system's.")]
        # escaped: "A < 1" is text, not the start of a tag (it cut the A paragraph short)
        body = "".join(f"<p><b>{html.escape(k)}</b><br>{html.escape(v).replace(chr(10), '<br>')}</p>"
                       for k, v in items)
        return f"<div style='max-width:520px'>{body}</div>"

    def show_guide(self) -> None:
        dialogs.show_info(self, "Guide", self.guide_html())

    def about_html(self) -> str:
        import PySide6
        import pyqtgraph
        return (f"<h3>LVQAC Studio {__version__}</h3>"
                "<p>Inspect a learned image codec with lattice vector quantization and adaptive "
                "A-law companding (<code>lvqac_core</code>): reconstruction, residual, codebook "
                "choice, A and bits per position; compare with JPEG / WebP / AVIF at the same "
                "file size.</p>"
                f"<p>PySide6 {PySide6.__version__} · pyqtgraph {pyqtgraph.__version__}<br>"
                f"Settings: {self.settings.path}</p>")

    def show_about(self) -> None:
        dialogs.show_info(self, "About LVQAC Studio", self.about_html())

    # ------------------------------------------------------------------ opening
    def open_dialog(self) -> None:
        files = dialogs.ask_open_files(self, self.start_dir())
        if files:
            self.settings.set_value("files/last_dir", str(Path(files[0]).parent))
            self.session.open_paths(files)

    def open_sample(self) -> None:
        sample = bk.sample_image()
        if sample is None:
            self.session.message.emit(bk.SAMPLE_MISSING)
            return
        name, src = sample
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

    @staticmethod
    def _openable(paths: list[str]) -> list[str]:
        """The paths an open would take: image files (by suffix) and .lvq files."""
        return [p for p in paths if Path(p).is_file()
                and (Path(p).suffix.lower() in IMAGE_SUFFIXES or is_lvq_path(p))]

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        """Accepted (and highlighted) only when the drag holds a file that can be opened."""
        n = len(self._openable(self._local_paths(event.mimeData())))
        if n:
            event.acceptProposedAction()
            self._show_drop_overlay(n)
        else:
            event.ignore()
            self.drop_overlay.hide()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if self.drop_overlay.isVisible():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self.drop_overlay.hide()

    def _show_drop_overlay(self, n: int) -> None:
        self.drop_overlay.setText("Drop to open" if n == 1 else f"Drop to open {n} files (a batch)")
        self.drop_overlay.setGeometry(self.centralWidget().rect())
        self.drop_overlay.raise_()
        self.drop_overlay.show()

    def dropEvent(self, event) -> None:  # noqa: N802
        self.drop_overlay.hide()
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
        """The shown result, or None (a job running: its result is not shown yet, so saving
        waits; nothing stale is ever written)."""
        if self.session.busy:
            self.statusBar().showMessage("Wait for the running job: export saves what is shown", 6000)
            return None
        d = self.session.display
        if d is None:
            self._error("Nothing to export", "Open and compress an image first.")
        return d

    def _write(self, func, *args) -> bool:
        try:
            func(*args)
            return True
        except Exception as exc:  # noqa: BLE001
            from ..model.errors import describe_error
            self._error("Cannot write file", describe_error(exc)[1])
            return False

    def save_lvq(self, path: Optional[str] = None) -> Optional[Path]:
        d = self._need_display()
        if d is None:
            return None
        path = path or dialogs.ask_save_path(self, "Save .lvq", self._suggest(f"{export.base_name(d)}.lvq"),
                                             "LVQAC files (*.lvq)")
        if not path:
            return None
        return self._save_one(export.write_lvq, d, Path(path))

    def export_png(self, path: Optional[str] = None) -> Optional[Path]:
        d = self._need_display()
        if d is None:
            return None
        path = path or dialogs.ask_save_path(self, "Export decoded PNG",
                                             self._suggest(f"{export.base_name(d)}.decoded.png"), "PNG (*.png)")
        if not path:
            return None
        return self._save_one(lambda disp, p, ow: export.write_png(disp.reconstruction, p, ow), d, Path(path))

    def _save_one(self, writer, d: Optional[Display], path: Path) -> Optional[Path]:
        overwrite = False
        if path.exists():
            if not dialogs.confirm_overwrite(self, [path]):
                return None
            overwrite = True
        if self._write(writer, d, path, overwrite):
            self._mark_shown_exported(d)
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
            self._mark_shown_exported(d)
            self.statusBar().showMessage(f"Exported {len(out)} files to {directory}", 6000)
        return out

    CLASSICAL_SUFFIX = {"jpeg": "jpg", "webp": "webp", "avif": "avif"}

    def save_classical_side(self, path: Optional[str] = None, codec: Optional[str] = None) -> Optional[Path]:
        """The split's classical side (its encoded file, exactly the bytes shown) as its own file."""
        sp = self.split
        codec = codec or next((k for k in (sp.left_key(), sp.right_key())
                               if k in classical.CODECS and k in self.session.classical), None)
        c = self.session.classical.get(codec) if codec else None
        d = self.session.display
        if c is None or d is None:
            self._error("Nothing to save", "Choose JPEG, WebP or AVIF for a side of the A/B split first.")
            return None
        name = f"{d.source.stem}.{codec}-q{c.quality:g}.{self.CLASSICAL_SUFFIX[codec]}"
        path = path or dialogs.ask_save_path(self, f"Save the {classical.LABELS[codec]} side",
                                             self._suggest(name), f"{classical.LABELS[codec]} (*.{self.CLASSICAL_SUFFIX[codec]})")
        if not path:
            return None
        from lvqac_core.files import atomic_write_bytes
        return self._save_one(lambda _d, p, ow: atomic_write_bytes(p, c.data, overwrite=ow), None, Path(path))

    def _mark_shown_exported(self, d: Optional[Display]) -> None:
        if d is not None:
            self.session.mark_exported([e.index for e in self.session.history if e.display is d])

    # ------------------------------------------------------------------ batch export
    def export_batch(self, directory: Optional[str] = None, maps: Optional[bool] = None) -> bool:
        """Every result still in memory to a folder (per image: .lvq, decoded PNG, optionally the
        maps), on a worker thread with progress and Cancel; a summary says what was written and
        what failed. Existing files are only replaced after a question (or get new names)."""
        s = self.session
        if s.busy or self.exporter.running:
            self.statusBar().showMessage("Wait for the running job: the batch exports finished results", 6000)
            return False
        entries = batch.exportable(s.history)
        if not entries:
            self._error("Nothing to export", "No result in memory: open and compress images first.")
            return False
        if directory is None:
            answer = dialogs.ask_batch_export(self, self.start_dir(), len(entries),
                                              bool(self.settings.value("export/maps", True) not in (False, "false")))
            if answer is None:
                return False
            directory, maps = answer
        maps = True if maps is None else maps
        self.settings.set_value("export/maps", maps)
        items = batch.plan(s.history, directory, maps)
        overwrite = False
        clash = batch.clashes(items)
        if clash:
            choice = dialogs.ask_replace_or_keep(self, clash)
            if choice is None:
                return False
            if choice == "keep":
                items = batch.plan(s.history, directory, maps, keep_existing=True)
            overwrite = choice == "replace"
        self.settings.set_value("files/last_dir", str(directory))
        self.batch_directory = str(directory)
        if self.batch_progress is None:  # one dialog, reused (never deleted under a queued signal)
            self.batch_progress = QProgressDialog(self)
            self.batch_progress.setWindowTitle("Export batch")
            self.batch_progress.setCancelButtonText("Cancel")
            # not modal: a modal progress dialog runs the event loop inside setValue()
            self.batch_progress.setWindowModality(Qt.WindowModality.NonModal)
            self.batch_progress.setAutoClose(False)
            self.batch_progress.setAutoReset(False)
            self.batch_progress.canceled.connect(self.exporter.cancel)
        self.batch_dialog = self.batch_progress
        self.batch_dialog.setLabelText(f"Exporting {len(items)} results to {directory}…")
        self.batch_dialog.setRange(0, len(items))
        self.batch_dialog.setValue(0)
        self.batch_dialog.show()
        self.exporter.start(items, directory, overwrite)
        self._update_actions()
        return True

    def _batch_progress(self, done: int, total: int, name: str) -> None:
        dlg = self.batch_dialog
        if dlg is None:
            return
        if name:
            dlg.setLabelText(f"Exporting {done + 1}/{total}: {name}")
        dlg.setValue(done)

    def _batch_finished(self, report: batch.BatchReport) -> None:
        self.last_batch_report = report
        if self.batch_dialog is not None:
            self.batch_dialog.hide()
            self.batch_dialog = None
        self.session.mark_exported(report.exported)
        self._update_actions()
        text = report.summary(self.batch_directory)
        self.statusBar().showMessage(text.splitlines()[0] + " " + text.splitlines()[1], 8000)
        self.info_handler("Export batch", text)

    def clear_history(self) -> None:
        self.session.clear_history()

    def export_csv(self, path: Optional[str] = None) -> Optional[Path]:
        """The Results table (every run since start) as CSV."""
        if not self.session.history:
            return None
        path = path or dialogs.ask_save_path(self, "Export results as CSV",
                                             self._suggest("lvqac-results.csv"), "CSV (*.csv)")
        if not path:
            return None
        return self._save_one(lambda _d, p, ow: write_history_csv(self.session.history, p, ow),
                              None, Path(path))

    def start_dir(self) -> str:
        """Where file dialogs start: the last folder used, else the user's Pictures, else home
        (never the program's own folder)."""
        last = str(self.settings.value("files/last_dir", "") or "")
        if last and Path(last).is_dir():
            return last
        pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        if pictures and Path(pictures).is_dir():
            return pictures
        return str(Path.home())

    def _suggest(self, name: str) -> str:
        return str(Path(self.start_dir()) / name)

    # ------------------------------------------------------------------ session -> view
    def show_display(self, d: Optional[Display]) -> None:
        self.drop_hint.setVisible(d is None and self.session.source is None)
        for key, panel in self.panels.items():
            panel.set_layer(None if d is None else d.layers.get(key))
        self.controls.show_device(d)
        self.show_numbers(d)
        if d is None:
            return
        if self._probe_at is not None:  # the readout describes the new result at once
            (self.show_split_probe if self._probe_split else self.show_probe)(*self._probe_at)
        self._show_size((d.width, d.height), force=self._fit_on_result)
        self._fit_on_result = False
        self.setWindowTitle(f"LVQAC Studio — {d.source.name}")

    def show_numbers(self, d: Optional[Display]) -> None:
        """The shown result's numbers, notes, actions, split sides and RD point (alone when its
        numbers changed, after its decode check: the same images stay)."""
        self.stats.show_display(d)
        self._show_banner(d)
        self._update_actions()
        if d is None:
            self.split.set_sides({}, None)
            self.rd.set_current(None, None)
            return
        self._update_split()
        self.rd.set_current(d.stats.bpp, d.stats.psnr, "this image")

    def _show_size(self, size: tuple[int, int], force: bool = False) -> None:
        """A new image: every panel fitted to it (now and once the layout has settled)."""
        self.linker.size = size
        if force or size != self._shown_size:
            self._shown_size = size
            self.linker.fit()
            QTimer.singleShot(0, self.linker.fit)

    def _show_banner(self, d: Optional[Display]) -> None:
        notes = [] if d is None else [n for n in d.stats.notes if n]
        self.banner.setText(("Note: " + "  •  ".join(notes)) if notes else "")
        self.banner.setVisible(bool(notes))

    def _source_changed(self, source) -> None:
        """A new file: its image at once, the old result gone, the view reset, a true title."""
        s = self.session
        self.drop_hint.hide()
        self.setWindowTitle(f"LVQAC Studio — {source.name}")
        waiting = "decoding…" if source.is_lvq else "compressing…"
        for key, panel in self.panels.items():
            panel.waiting = waiting
            if key == "original" and s.preview is not None:
                panel.set_layer(Layer("Original", s.preview))
            elif key == "original" and source.is_lvq:
                panel.set_layer(Layer("Original", None, placeholder="original not in file"))
            else:
                panel.set_layer(None)
        self.stats.show_display(None)
        self.controls.show_device(None)
        self._show_banner(None)
        self.rd.set_current(None, None)
        self.controls.set_file_model(source.is_lvq)
        if s.display is None:
            self._split_without_result(f"{waiting[:-1]} {source.name}…")
        self._update_actions()
        self.linker.fitted = True  # a new image starts fitted, whatever the last one's zoom
        if s.preview is not None:
            self._show_size((s.preview.shape[1], s.preview.shape[0]), force=True)
        else:
            self._fit_on_result = True

    @staticmethod
    def _file_info(source) -> str:
        if source.path and Path(source.path).is_file():
            return f"{Path(source.path).stat().st_size:,} B ({Path(source.path).suffix[1:].upper()} file)"
        return ""

    @staticmethod
    def _info(num_bytes, bpp, psnr, ms_ssim, file_bytes: Optional[int], size_error=None) -> str:
        size = f"{num_bytes:,} B" + ("" if size_error is None else f" ({100 * size_error:+.1f}%)")
        parts = [size, f"{bpp:.3f} bpp"]
        if psnr is not None:
            parts.append(f"{psnr:.2f} dB")
        if ms_ssim is not None:
            parts.append(f"MS-SSIM {ms_ssim:.4f}")
        if file_bytes:
            parts.append(f"{100 * (1 - num_bytes / file_bytes):.0f}% saving")
        return " · ".join(parts)

    def _update_split(self) -> None:
        """The split view's choices for the shown result: original, this result, the other
        quantizers (after Compare), JPEG / WebP / AVIF at this result's file size."""
        d = self.session.display
        if d is None:
            return
        st = d.stats
        label = f"{SHORT_NAMES.get(st.quantizer, st.quantizer)} λ={st.lmbda:g}"
        if d.original is None:
            sides = {"result": {"label": f"Decoded .lvq ({label})", "image": d.reconstruction,
                                "info": self._info(st.num_bytes, st.bpp, None, None, None)}}
            self.split.set_sides(sides, None, "result", "result",
                                 note="original not in file — both sides show the decoded image")
            return
        src = d.source
        fb = Path(src.path).stat().st_size if src.path and Path(src.path).is_file() else None
        sides = {"original": {"label": "Original", "image": d.original, "info": self._file_info(src)},
                 "result": {"label": label, "image": d.reconstruction, "bytes": st.num_bytes,
                            "info": self._info(st.num_bytes, st.bpp, st.psnr, st.ms_ssim, fb),
                            "learned": st.quantizer, "lmbda": float(st.lmbda)}}
        for row in self.session.compare_rows:
            if row.reconstruction is not None and row.quantizer != st.quantizer:
                lam = st.lmbda if row.lmbda is None else row.lmbda
                sides[f"q:{row.quantizer}"] = {
                    "label": f"{SHORT_NAMES[row.quantizer]} λ={lam:g}",
                    "image": row.reconstruction, "bytes": row.num_bytes,
                    "info": self._info(row.num_bytes, row.bpp, row.psnr, row.ms_ssim, fb),
                    "learned": row.quantizer, "lmbda": float(lam)}
        add_own_sides(  # learned sides at their own λ (each learned side's λ control in the split)
            self.session, sides, self.own_sides,
            lambda r: self._info(r.num_bytes, r.bpp, r.psnr, r.ms_ssim, fb), self._side_running, SHORT_NAMES)
        lk, rk = self.split.left_key(), self.split.right_key()
        for codec in classical.CODECS:
            c = self.session.classical.get(codec)
            want = self._classical_want(codec, sides)
            name = f"{classical.LABELS[codec]} at the other side's size"
            if not self.session.classical_fits(codec, **want):
                what = (f"quality {want['quality']:g}" if "quality" in want
                        else f"{want['target_bytes']:,} B (the other side)")
                sides[codec] = {"label": name, "image": None, "classical": codec,
                                "quality": self.classical_quality.get(codec),
                                "pending": f"{classical.LABELS[codec]}: encoding at {what}…"
                                if self._classical_running(codec) else "choose to compute"}
            else:
                how = ("matched" if c.matched else "your quality")
                sides[codec] = {"label": f"{classical.LABELS[codec]} q{c.quality:.1f}, {how}",
                                "image": c.reconstruction, "bytes": c.num_bytes, "classical": codec,
                                "quality": c.quality,
                                "info": self._info(c.num_bytes, c.bpp, c.psnr, c.ms_ssim, fb,
                                                   c.size_error if c.matched else None)
                                + (" · the nearest size it reaches" if c.matched and abs(c.size_error) > 0.02
                                   else "")}
        self.rd.set_classical([c for c in self.session.classical.values() if c is not None])
        self.rd.set_side_points([r for r in self.session.side_rows.values()
                                 if r.source_name == d.source.name])
        new = d is not self._split_for
        self._split_for = d
        if new and (lk is None or lk == rk or lk not in sides or rk not in sides):
            self.split.set_sides(sides, d.original, "original", "result")
        else:
            self.split.set_sides(sides, d.original)
        if not self.session.busy and not self.session.queue:  # a side at its own λ, before a
            for key in (self.split.left_key(), self.split.right_key()):  # classical side matches it
                side = self.split.sides.get(key) or {}
                if side.get("own_lambda") and side.get("image") is None:
                    self.session.request_side(side["learned"], side["lmbda"])
                    return
        if not self.session.busy and not self.session.queue:  # a chosen classical side follows the other side
            for key in (self.split.left_key(), self.split.right_key()):
                if key in classical.CODECS and not self.session.classical_fits(
                        key, **self._classical_want(key, self.split.sides)):
                    self._side_requested(key)
                    break

    def _classical_want(self, codec: str, sides: dict) -> dict:
        """What a classical side is encoded to: the quality the user chose for it, else the
        bytes of the *other side on screen* (the shown result when that side has no size:
        the original, or a side still being computed)."""
        q = self.classical_quality.get(codec)
        if q:
            return {"quality": float(q)}
        lk, rk = self.split.left_key(), self.split.right_key()
        other = rk if lk == codec else lk if rk == codec else "result"
        d = self.session.display
        target = d.stats.num_bytes if d is not None else 0
        side = sides.get(other) if other != codec else None
        if side is not None and side.get("bytes") and not (other in classical.CODECS
                                                           and not self.classical_quality.get(other)):
            target = int(side["bytes"])  # a matched classical other side would chase this one
        return {"target_bytes": target}

    def _progress_changed(self, fraction: float, _text: str) -> None:
        """A matched-size search's progress shows on its (pending) side of the split."""
        job = self.session.active
        if isinstance(job, (ClassicalJob, SideJob)):
            self.split.set_pending_progress(fraction if fraction >= 0 else None)
        elif self.split.pending_fraction is not None:
            self.split.set_pending_progress(None)

    def _classical_running(self, codec: str) -> bool:
        job = self.session.active
        return isinstance(job, ClassicalJob) and job.codec == codec

    def _side_requested(self, key: str) -> None:
        if key in self.own_sides:
            self.session.request_side(*self.own_sides[key])
        elif key in classical.CODECS:
            if self.session.request_classical(key, **self._classical_want(key, self.split.sides)) is not None:
                self._update_split()

    def _side_running(self, quantizer: str, lmbda: float) -> bool:
        job = self.session.active
        return (isinstance(job, SideJob) and job.quantizer == quantizer
                and abs(job.lmbda - lmbda) <= 1e-9 * max(1.0, lmbda))

    def _side_lambda_requested(self, name: str, lmbda: float) -> None:
        """A learned side's own λ (debounced in the split view): that side shows its quantizer at
        that λ (coded now, unless it was already); the shown result stays."""
        sp, d = self.split, self.session.display
        side = sp.sides.get(sp.left_key() if name == "left" else sp.right_key()) or {}
        q = side.get("learned")
        if not q or d is None:
            return
        lmbda = self.session.codable(float(lmbda), q)
        if q == d.stats.quantizer and rate.same_lambda(lmbda, d.stats.lmbda):
            key = "result"
        else:
            key = own_key(q, lmbda)
            self.own_sides.pop(key, None)
            self.own_sides[key] = (q, lmbda)  # newest last
        self._update_split()
        sp.choose(**{name: key})

    def _side_lambda_reset(self, name: str) -> None:
        """"Result's λ": the side shows the result (or its quantizer at the result's λ)."""
        sp, d = self.split, self.session.display
        side = sp.sides.get(sp.left_key() if name == "left" else sp.right_key()) or {}
        q = side.get("learned")
        key = f"q:{q}" if d is not None and q != d.stats.quantizer and f"q:{q}" in sp.sides else "result"
        sp.choose(**{name: key})

    def _quality_requested(self, codec: str, quality: float) -> None:
        """A classical side's own quality (debounced in the split view): encode at it."""
        self.classical_quality[codec] = float(quality)
        self._side_requested(codec)

    def _match_requested(self, codec: str) -> None:
        """"Match the other side": back to the size of the other side on screen."""
        self.classical_quality.pop(codec, None)
        self._side_requested(codec)

    def _compare_changed(self, rows) -> None:
        self.compare_table.show_rows(rows)
        self.compare_table.setVisible(bool(rows))
        self.rd.set_compare(rows)
        self._update_split()
        if rows:
            self.show_comparison(rows)

    def show_comparison(self, rows) -> None:
        """A finished comparison is shown where the user looks: the Rate–distortion dock comes
        to the front (out of its tab, shown if closed) and its title flashes; the status bar says
        what was compared."""
        dock = self.docks["rd"]
        dock.show()
        dock.raise_()
        self.compare_flash = 4  # title highlights left (a few blinks, then normal)
        self._flash_dock()
        r = rows[0]
        self.statusBar().showMessage(
            f"Quantizers compared on {r.source_name or 'this image'} at λ={r.lmbda:g}: "
            "points and table in Rate–distortion" if r.lmbda is not None else
            "Quantizers compared: points and table in Rate–distortion", 8000)

    def _flash_dock(self) -> None:
        dock = self.docks["rd"]
        on = self.compare_flash % 2 == 0 and self.compare_flash > 0
        dock.setStyleSheet("QDockWidget::title { background: #4c8ed9; color: white; }" if on else "")
        if self.compare_flash > 0:
            self.compare_flash -= 1
            QTimer.singleShot(350, self._flash_dock)

    def _history_changed(self, entries) -> None:
        self._update_actions()
        if self.history_path is not None:
            try:
                history_store.save(entries, self.history_path)
            except OSError as exc:  # the table still works; say why it is not kept
                self.statusBar().showMessage(f"Results history not saved: {exc.strerror or exc}", 8000)
        failed = sum(1 for e in entries if e.error)
        self.tabs.setTabText(2, f"Results ({len(entries)}" + (f", {failed} failed)" if failed else ")"))

    def _update_actions(self) -> None:
        """Saving and exporting write what is shown: only with a result and no job running."""
        ok = self.session.display is not None and not self.session.busy
        for a in (self.act_save, self.act_export_png, self.act_export_all):
            a.setEnabled(ok)
        src = self.session.source
        self.act_compare.setEnabled(src is not None and not src.is_lvq)  # a .lvq has no original
        self.act_export_batch.setEnabled(bool(batch.exportable(self.session.history))
                                         and not self.session.busy and not self.exporter.running)

    def _busy_changed(self, busy: bool) -> None:
        self._update_actions()
        self._queue_changed()
        if not busy:
            self._update_split()
            self._settle_waiting()

    def _settle_waiting(self) -> None:
        """Work ended without a result for the file shown (it failed, or was cancelled): no panel
        or split note keeps saying "decoding…" / "compressing…". A no-op while a result is shown."""
        s = self.session
        if s.display is not None or s.source is None:
            return
        last = s.history[-1] if s.history else None
        failed = last is not None and last.error is not None and last.source is s.source
        text = "failed: the reason is in the Results tab" if failed else "no result yet"
        for panel in self.panels.values():
            panel.waiting = text
            if panel.layer is None:
                panel.set_layer(None)
        self._split_without_result(f"{s.source.name}: {'failed' if failed else 'no result yet'}")

    def _split_without_result(self, note: str) -> None:
        """The split view of the shown file while it has no result: its original alone (if it
        has one) and ``note``."""
        s = self.session
        if s.preview is None:
            self.split.set_sides({}, None, note=note)
            return
        self.split.set_sides({"original": {"label": "Original", "image": s.preview,
                                           "info": self._file_info(s.source)}},
                             s.preview, "original", "original", note=note)

    def _queue_changed(self, done: int = 0, total: int = 0) -> None:
        """``batch k/N``: the file being worked on, the same k as the stage line's [k/N]."""
        s = self.session
        total, done = s.batch_total, s.batch_done
        if total <= 1:
            text = ""
        elif done >= total or (not s.busy and not s.queue):
            text = f"batch {done}/{total} done"
        else:
            text = f"batch {done + 1}/{total}"
        self.batch_label.setText(text)

    def _error(self, title: str, message: str) -> None:
        self.errors.append((title, message))
        self.statusBar().showMessage(f"{title}: {message.splitlines()[0] if message else ''}", 8000)
        self.error_handler(title, message)

    def _zoom_changed(self, z: float) -> None:
        """The zoom in device pixels per image pixel (100 % = 1:1 on a HiDPI screen too)."""
        self.zoom_label.setText(f"zoom {100 * z * self.linker.device_pixel_ratio():.0f}%")

    def _tab_changed(self) -> None:
        if self.linker.fitted:
            self.linker.fit()
        self._refresh_zoom()

    def _refresh_zoom(self) -> None:
        if self.linker.size is None:  # no image shown yet: no zoom to speak of
            self.zoom_label.setText("zoom —")
            return
        self._zoom_changed(self.linker.zoom())

    def set_demo_mode(self, on: bool) -> None:
        self.demo_label.setText("DEMO: untrained models" if on else "")
        self.demo_label.setVisible(on)

    def _clear_probe(self) -> None:
        self._probe_at = None
        self.probe_label.setText("")

    def probe_text(self, x: int, y: int) -> str:
        d = self.session.display
        return self.format_probe(None if d is None else d.probe(x, y))

    def split_probe_text(self, x: int, y: int) -> str:
        """The readout in the split: which side the cursor is on, what that side shows, and the
        values of *that side's* image (a classical side: RGB, original, residual; only our own
        result has a codebook, A and bits)."""
        sp = self.split
        ref = sp.a if sp.a is not None else sp.b
        if ref is None:
            return ""
        name = "left" if x < sp.split_x() else "right"
        key = sp.left_key() if name == "left" else sp.right_key()
        side = sp.sides.get(key) if key is not None else None
        if side is None:
            return ""
        head = f"{name} · {side['label']}:   "
        d = self.session.display
        if key == "result" and d is not None and not side.get("own_lambda"):
            info = d.probe(x, y)
        elif side["image"] is None:
            return head + side.get("pending", "computing…")
        else:
            from ..model.records import image_probe
            info = image_probe(side["image"], None if key == "original" else sp.original, x, y)
        text = self.format_probe(info)
        return head + text if text else ""

    def format_probe(self, info) -> str:
        if info is None:
            return ""
        x, y = info["x"], info["y"]
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
        self._probe_at = (x, y)
        self._probe_split = False
        self.probe_label.setText(self.probe_text(x, y))

    def show_split_probe(self, x: int, y: int) -> None:
        self._probe_at = (x, y)
        self._probe_split = True
        self.probe_label.setText(self.split_probe_text(x, y))

    # ------------------------------------------------------------------ model preload
    def preload_model(self) -> str:
        """Start loading the model the controls select, in the background (the app calls it
        once the window is built, before it shows); a job started meanwhile waits for this load
        instead of loading again."""
        name = self.preloader.start(self.session)
        self.model_state = "loading"
        text = f"loading model {name} in the background…"
        self.statusBar().showMessage(text)
        if not self.session.busy:
            self.controls.stage.setText(text)
        return name

    def _preloaded(self, name: str, error: str) -> None:
        self.model_state = "failed" if error else "ready"
        text = f"model {name} ready" if not error else f"model {name} not loaded: {error.splitlines()[0]}"
        self.statusBar().showMessage(text, 6000)
        if not self.session.busy and self.controls.stage.text().startswith("loading model"):
            self.controls.stage.setText(text)

    # ------------------------------------------------------------------ closing
    def save_settings(self) -> None:
        self.settings.save_from(self.session)
        self.settings.set_value("window/geometry", self.saveGeometry())
        self.settings.set_value("window/state", self.saveState())
        self.settings.sync()

    def closeEvent(self, event) -> None:  # noqa: N802
        unexported = self.session.unexported()
        if unexported and self.ask_on_quit and not dialogs.confirm_quit_unexported(self, len(unexported)):
            event.ignore()
            return
        self.exporter.cancel()
        self.exporter.pool.waitForDone(5000)  # a batch export stops between files, whole
        self.save_settings()
        self.session.cancel()
        self.runner.shutdown(3000)
        self.preloader.pool.waitForDone(3000)  # a launch-time load still running: let it end first
        super().closeEvent(event)
