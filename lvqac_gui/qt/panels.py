"""Side panels: model choice + actions, the numbers of the current result, the quantizer
comparison table. Each widget only reads the session and calls its methods."""
from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QProgressBar, QPushButton, QSlider, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from lvqac_core.lambdas import PAPER_LAMBDAS

from ..model import rate
from ..model.records import CompareRow, Display
from ..model.state import DEVICE_LABELS, DEVICES, QUANTIZER_LABELS, QUANTIZERS, Session


COMPARE_TIP = "Scalar vs LVQ vs LVQAC on this image at this λ (Ctrl+K)"


class ControlPanel(QWidget):
    """λ / quantizer / device, Compress, Cancel, Compare quantizers, progress. The λ presets, the
    families offered and the rate control's range are the chosen tier's (``session.catalog``)."""

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.lmbda_box = QComboBox()
        # the continuous rate control: log λ, enabled for a variable-rate network only
        self.rate_slider = QSlider(Qt.Orientation.Horizontal)
        self.rate_slider.setRange(0, rate.STEPS)
        self.rate_slider.setTracking(False)  # one compression when the slider is let go
        self.rate_slider.setPageStep(rate.STEPS // 20)
        self.rate_slider.setSingleStep(rate.STEPS // 200)
        pal = self.rate_slider.palette()  # disabled: a grey groove, not the accent colour
        pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor("#5a5a5a"))
        self.rate_slider.setPalette(pal)
        self.rate_value = QLabel("")
        self.rate_value.setMinimumWidth(self.rate_value.fontMetrics().horizontalAdvance("λ = 0.00000"))
        self.rate_control = rate.RateControl(False, PAPER_LAMBDAS[0], PAPER_LAMBDAS[-1])
        self.quantizer_box = QComboBox()
        for q in QUANTIZERS:
            self.quantizer_box.addItem(QUANTIZER_LABELS[q], q)
        # the tier of the zoo networks in use ("wide network N 128 / M 192"), small, under the quantizer
        self.tier_label = QLabel("")
        self.tier_label.setObjectName("Placeholder")
        self.tier_label.setToolTip(TIER_TIP)
        self.device_box = QComboBox()
        for d in DEVICES:
            self.device_box.addItem(DEVICE_LABELS[d], d)
        self.device_used = QLabel("—")
        self.device_note = QLabel("")
        self.device_note.setObjectName("Note")
        self.device_note.setWordWrap(True)
        self.device_note.hide()
        self.model_label = QLabel("")
        self.model_label.setWordWrap(True)
        self.model_label.setObjectName("Placeholder")

        self.compress_btn = QPushButton("Compress")
        self.compress_btn.setToolTip("Compress the current image again (F5)")
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setToolTip("Cancel the running job (Esc)")
        self.cancel_btn.setEnabled(False)
        self.compare_btn = QPushButton("Compare quantizers")
        self.compare_btn.setToolTip(COMPARE_TIP)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.progress.setTextVisible(False)  # the stage line says "idle" / "Done": said once
        self.stage = QLabel("idle")  # what is happening, also while the bar cannot measure it
        self.stage.setObjectName("Placeholder")
        self.stage.setWordWrap(True)
        self.lmbda_box.setToolTip(GUIDE_TIPS["lambda"])
        self.quantizer_box.setToolTip(GUIDE_TIPS["quantizer"])
        self.device_box.setToolTip("Where the networks run. Auto = CUDA when present, else CPU.")

        for box in (self.lmbda_box, self.quantizer_box, self.device_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(10)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Quantizer", self.quantizer_box)
        form.addRow("Network", self.tier_label)
        form.addRow("λ preset", self.lmbda_box)
        rate_row = QHBoxLayout()
        rate_row.setContentsMargins(0, 0, 0, 0)
        rate_row.addWidget(self.rate_slider, 1)
        rate_row.addWidget(self.rate_value)
        self.rate_label = QLabel("λ (any)")
        form.addRow(self.rate_label, rate_row)
        form.addRow("Device", self.device_box)
        form.addRow("Used", self.device_used)
        self.form = form
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(form)
        lay.addWidget(self.device_note)
        lay.addWidget(self.model_label)
        row = QHBoxLayout()
        row.addWidget(self.compress_btn)
        row.addWidget(self.cancel_btn)
        lay.addLayout(row)
        lay.addWidget(self.compare_btn)
        lay.addWidget(self.progress)
        lay.addWidget(self.stage)

        self._fill_lambdas()
        self.sync_from_session()
        self.lmbda_box.currentIndexChanged.connect(self._lmbda_chosen)
        self.rate_slider.sliderMoved.connect(self._rate_moving)
        self.rate_slider.valueChanged.connect(self._rate_chosen)
        self.quantizer_box.currentIndexChanged.connect(self._quantizer_chosen)
        self.device_box.currentIndexChanged.connect(self._device_chosen)
        self.compress_btn.clicked.connect(session.compress)
        self.cancel_btn.clicked.connect(session.cancel)
        self.compare_btn.clicked.connect(session.compare_quantizers)
        session.choices_changed.connect(self.sync_from_session)
        session.display_changed.connect(lambda _d: self.sync_from_session() if session.model_spec else None)
        session.busy_changed.connect(self._busy)
        session.progress_changed.connect(self._progress)

    def _fill_lambdas(self, explicit: Optional[float] = None) -> None:
        """The chosen tier's presets of the chosen family (with the zoo's figures), then the
        session's λ when it lies between them, or ``explicit``: the λ an explicit model coded at
        (always its own item)."""
        self.lmbda_box.blockSignals(True)
        self.lmbda_box.clear()
        s = self.session
        presets = s.presets()
        for l in presets:
            extra = s.catalog.label(s.quantizer, l, s.tier)
            text = f"λ = {l:g}" + (f"  ({extra})" if extra else "  (not installed)" if s.catalog.rows else "")
            self.lmbda_box.addItem(text, l)
        if explicit is not None:
            self.lmbda_box.addItem(f"λ = {explicit:g}  (explicit model)", float(explicit))
        elif not rate.is_preset(s.lmbda, presets):  # a λ between presets (the rate control's)
            self.lmbda_box.addItem(f"λ = {s.lmbda:g}  (between presets)", float(s.lmbda))
        self.lmbda_box.blockSignals(False)

    def sync_from_session(self) -> None:
        s = self.session
        # An explicit model (--model, the Model menu) shows its own quantizer and λ once it has
        # coded, not the zoo choice it replaced; picking either box returns to the zoo.
        stats = s.display.stats if s.model_spec and s.display is not None else None
        self._fill_lambdas(None if stats is None else float(stats.lmbda))
        for box, value in ((self.quantizer_box, s.quantizer), (self.device_box, s.device)):
            box.blockSignals(True)
            box.setCurrentIndex(max(0, box.findData(value)))
            box.blockSignals(False)
        if stats is not None:
            self.quantizer_box.blockSignals(True)
            self.quantizer_box.setCurrentIndex(max(0, self.quantizer_box.findData(stats.quantizer)))
            self.quantizer_box.blockSignals(False)
        self.lmbda_box.blockSignals(True)
        presets = s.presets()
        if stats is None and rate.is_preset(s.lmbda, presets):
            idx = rate.preset_index(s.lmbda, presets)
        else:
            idx = len(presets)  # the "between presets" or "explicit model" item
        self.lmbda_box.setCurrentIndex(idx)
        self.lmbda_box.blockSignals(False)
        self.model_label.setText(f"explicit model: {s.model_spec}" if s.model_spec else "")
        self.model_label.setVisible(bool(s.model_spec))
        self._sync_tier()
        self.set_file_model(s.source is not None and s.source.is_lvq)

    def _sync_tier(self) -> None:
        """The tier line (only for a zoo with tiers and no explicit model) and the families the
        chosen tier has: the others are greyed out in the quantizer box, their tooltip says why."""
        s = self.session
        tier = s.catalog.effective(s.quantizer, s.tier)
        self.tier_label.setText(tier.short if tier is not None else "")
        self.form.setRowVisible(self.tier_label, tier is not None and not s.model_spec)
        have = s.families()
        items = self.quantizer_box.model()
        for i in range(self.quantizer_box.count()):
            q = self.quantizer_box.itemData(i)
            items.item(i).setEnabled(q in have)
            self.quantizer_box.setItemData(i, None if q in have else s.lacks(q), Qt.ItemDataRole.ToolTipRole)

    def _sync_rate(self) -> None:
        """The rate control follows the session: its range, its λ, enabled or why not."""
        s = self.session
        ctl = self.rate_control = s.rate_control()
        self.rate_slider.blockSignals(True)
        self.rate_slider.setValue(rate.position(s.lmbda, ctl.lo, ctl.hi))
        self.rate_slider.blockSignals(False)
        self.rate_slider.setEnabled(ctl.enabled)
        self.rate_value.setEnabled(ctl.enabled)
        self.rate_label.setEnabled(ctl.enabled)
        self._show_rate(s.lmbda)
        if ctl.enabled:
            tip = (f"Any λ from {ctl.lo:g} to {ctl.hi:g}: the {QUANTIZER_LABELS[s.quantizer]} model is one "
                   f"variable-rate network ({ctl.network}) that interpolates between its presets.\n"
                   "Drag and let go to compress at that λ; it snaps to a preset when near one.")
        else:
            tip = ctl.reason
        for w in (self.rate_slider, self.rate_value, self.rate_label):
            w.setToolTip(tip)

    def _show_rate(self, lmbda: float) -> None:
        self.rate_value.setText(f"λ = {lmbda:.3g}" if self.rate_control.enabled else "—")

    def _rate_moving(self, pos: int) -> None:
        ctl = self.rate_control
        self._show_rate(rate.lambda_at(pos, ctl.lo, ctl.hi, self.session.presets()))

    def _rate_chosen(self, pos: int) -> None:
        ctl = self.rate_control
        if not ctl.enabled:
            return
        lmbda = rate.lambda_at(pos, ctl.lo, ctl.hi, self.session.presets())
        self._show_rate(lmbda)
        self.session.set_choices(lmbda=lmbda)
        self._sync_rate()  # a snapped λ moves the handle onto its preset

    def set_file_model(self, fixed: bool) -> None:
        """A decoded .lvq fixes the model: λ and quantizer show the file's and cannot change."""
        missing = [q for q in QUANTIZERS if q not in self.session.families()]
        families_tip = GUIDE_TIPS["quantizer"] + "".join(f"\n\n{self.session.lacks(q)}." for q in missing)
        for box, tip in ((self.lmbda_box, GUIDE_TIPS["lambda"]),
                         (self.quantizer_box, families_tip)):
            box.setEnabled(not fixed)
            box.setToolTip("The model that wrote this .lvq file (open an image to choose)" if fixed
                           else "What the explicit model codes with; choosing here returns to the zoo's models"
                           if self.session.model_spec else tip)
        self.compare_btn.setEnabled(not fixed)  # a .lvq has no original to code again
        self.compare_btn.setToolTip("Comparing quantizers needs an image (a .lvq file has no original)"
                                    if fixed else COMPARE_TIP)
        self._sync_rate()

    def _lmbda_chosen(self, idx: int) -> None:
        self.session.set_choices(lmbda=self.lmbda_box.itemData(idx))

    def _quantizer_chosen(self, idx: int) -> None:
        self.session.set_choices(quantizer=self.quantizer_box.itemData(idx))

    def _device_chosen(self, idx: int) -> None:
        self.session.set_choices(device=self.device_box.itemData(idx))

    def _busy(self, busy: bool) -> None:
        self.cancel_btn.setEnabled(busy)
        if not busy:
            self.progress.setRange(0, 1000)
            self.progress.setTextVisible(False)
            if self.stage.text() not in ("Done", "Failed"):
                self.progress.setValue(0)
                self.stage.setText("idle")

    def _progress(self, fraction: float, text: str) -> None:
        if fraction < 0:  # no measurable progress (a model is loading): a busy bar and the words
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(round(fraction * 1000)))
        done = text in ("Done", "Failed", "")
        self.progress.setTextVisible(not done and fraction >= 0)  # a percentage only while working
        self.stage.setText(text or "idle")

    def show_device(self, display: Optional[Display]) -> None:
        if display is None:
            self.device_used.setText("—")
            self.device_note.hide()
            return
        self.device_used.setText(display.stats.device.upper())
        self.device_note.setText(display.device_note or "")
        self.device_note.setVisible(bool(display.device_note))


TIER_TIP = ("The zoo's networks in use: a tier is one of each family's networks, of one width (N channels "
            "in the transforms, M latent channels); a wider tier codes more slowly. The Model menu chooses "
            "the tier.")

GUIDE_TIPS = {
    "lambda": "λ weighs distortion against rate when a model is trained (loss = rate + λ·255²·MSE):\n"
              "a larger λ spends more bits for a better picture. A single-rate model is trained for one λ;\n"
              "a variable-rate network covers a range of λ (the slider below picks any λ in it).",
    "quantizer": "Scalar: round each latent to an integer (the usual learned codec).\n"
                 "LVQ: quantize groups of latents to the nearest point of two shifted lattices,\n"
                 "Zⁿ or Zⁿ+½ (an entropy-coded flag per group and position says which).\n"
                 "LVQAC: LVQ after adaptive A-law companding of the latents (A is predicted per "
                 "position).",
    "selection": "Per latent position (16×16 pixels), which lattice coded it: Zⁿ (integers) or "
                 "Zⁿ+½ (integers + ½). The codec picks the closer one; the choice costs bits.",
    "a_law": "LVQAC's companding parameter A per position (A = 1: no companding). A > 1: finer "
             "steps for small values, coarser for large ones; A < 1 (exponential compander only): a "
             "dead zone, coarser near zero. Colours are log A, white at A = 1, red above, blue "
             "below; the bar's ends are the map's min / max A.",
    "bits": "Estimated bits spent on each 16×16 block (latents + codebook choice), from the "
            "entropy model; brighter = more bits.",
    "residual": "Reconstruction − original, mean of R, G, B. The colour bar's ends are not the "
                "min / max: colours are clipped at the 99.5th percentile of |r| (≤ / ≥ mark the "
                "clip) so that a few outliers do not wash the map out.",
}


class StatsPanel(QTableWidget):
    """Two-column table of the current result's numbers."""

    def __init__(self, parent=None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["", "value"])
        self.horizontalHeader().setVisible(False)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setDefaultSectionSize(20)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def show_display(self, display: Optional[Display]) -> None:
        rows = [] if display is None else display.stats.rows()
        if display is not None:
            rows = [("Source", display.source.name)] + rows
            # the device is in the Model dock; notes are the banner over the images
            rows = [r for r in rows if r[0] != "Device"]
        self.setRowCount(len(rows))
        for r, (k, v) in enumerate(rows):
            self.setItem(r, 0, QTableWidgetItem(k))
            item = QTableWidgetItem(v)
            item.setToolTip(v)
            self.setItem(r, 1, item)

    def value(self, label: str) -> Optional[str]:
        for r in range(self.rowCount()):
            if self.item(r, 0).text() == label:
                return self.item(r, 1).text()
        return None


class CompareTable(QTableWidget):
    HEADERS = ["quantizer", "λ", "bpp", "PSNR", "MS-SSIM", "bytes", "ms"]

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setDefaultSectionSize(20)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setMaximumHeight(24 + 3 * 21 + 20)
        self.setToolTip("Scalar vs LVQ vs LVQAC on the named image at the named λ")

    def show_rows(self, rows: list[CompareRow]) -> None:
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            lam = "—" if row.lmbda is None else f"{row.lmbda:g}"
            name = row.quantizer + (" (swapped in)" if "-swap-" in row.model_id else "")
            if row.error:
                vals = [name, row.error, "", "", "", "", ""]
            else:
                vals = [name, lam, f"{row.bpp:.4f}", f"{row.psnr:.2f}", f"{row.ms_ssim:.4f}",
                        f"{row.num_bytes:,}", f"{1e3 * row.encode_seconds:.0f}"]
            for c, v in enumerate(vals):
                item = QTableWidgetItem(v)
                item.setToolTip(v)
                self.setItem(r, c, item)
            if row.error:
                self.setSpan(r, 1, 1, len(self.HEADERS) - 1)


class HistoryTable(QWidget):
    """Every run since the app started (batches included): file, model, bytes, bpp, PSNR,
    MS-SSIM, time or the error. Double-click (or Enter) reopens a row; *Export CSV* saves it."""

    HEADERS = ["#", "file", "model", "bytes", "bpp", "PSNR [dB]", "MS-SSIM", "time [s]", "status"]
    reopened = Signal(int)  # a row was shown again (the window switches to the images)

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        hh = self.table.horizontalHeader()
        for c in range(len(self.HEADERS)):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(len(self.HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(lambda r, c: self.reopen_row(r))
        self.table.activated.connect(lambda idx: self.reopen_row(idx.row()))
        self.summary = QLabel("No runs yet. Open one image or several (a batch); every result "
                              "and every failure is listed here.")
        self.summary.setObjectName("Placeholder")
        self.summary.setWordWrap(True)
        self.reopen_btn = QPushButton("Show again")
        self.reopen_btn.setToolTip("Show the selected run again (double-click a row does the same)")
        self.reopen_btn.clicked.connect(lambda: self.reopen_row(self.table.currentRow()))
        self.export_btn = QPushButton("Export batch…")
        self.export_btn.setToolTip("Write every result to a folder: .lvq, decoded PNG and, optionally, "
                                   "the maps (Ctrl+Shift+E)")
        self.export_btn.setEnabled(False)
        self.clear_btn = QPushButton("Clear history")
        self.clear_btn.setToolTip("Forget every row (the table is otherwise kept across restarts)")
        self.clear_btn.setEnabled(False)
        self.csv_btn = QPushButton("Export CSV…")
        self.csv_btn.setToolTip("Save this table as CSV")
        self.csv_btn.setEnabled(False)
        self.reopen_btn.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.reopen_btn)
        top.addWidget(self.export_btn)
        top.addWidget(self.csv_btn)
        top.addWidget(self.clear_btn)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(3, 3, 3, 3)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        session.history_changed.connect(self.show_entries)

    def show_entries(self, entries) -> None:
        from PySide6.QtGui import QBrush, QColor
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            def f(v, fmt):
                return "—" if v is None else format(v, fmt)
            vals = [str(e.index + 1), e.name, e.model, f(e.num_bytes, ","), f(e.bpp, ".4f"),
                    f(e.psnr, ".2f"), f(e.ms_ssim, ".4f"), f(e.seconds, ".2f"),
                    e.error or self.status_text(e)]
            for c, v in enumerate(vals):
                item = QTableWidgetItem(v)
                item.setToolTip(e.source.path or e.name if c == 1 else v)
                if c >= 3 and c <= 7:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if e.error:
                    item.setForeground(QBrush(QColor("#f08080")))
                self.table.setItem(r, c, item)
        failed = sum(1 for e in entries if e.error)
        earlier = sum(1 for e in entries if e.earlier)
        self.summary.setText(f"{len(entries)} runs" + (f" ({earlier} from earlier sessions)" if earlier else "")
                             + f", {failed} failed" +
                             (" (red rows name the file and the reason)" if failed else "") +
                             ". Double-click a row to show it again.")
        self.summary.setObjectName("" if entries else "Placeholder")
        self.csv_btn.setEnabled(bool(entries))
        self.reopen_btn.setEnabled(bool(entries))
        self.clear_btn.setEnabled(bool(entries))
        self.export_btn.setEnabled(any(e.display is not None and e.error is None for e in entries))
        if entries:
            self.table.scrollToBottom()

    @staticmethod
    def status_text(e) -> str:
        text = "decoded .lvq" if e.kind == "decoded" else "ok"
        if e.exported:
            text += ", exported"
        if e.earlier:
            text += " (earlier session)"
        return text

    def reopen_row(self, row: int) -> None:
        if 0 <= row < len(self.session.history):
            self.session.reopen(row)
            self.reopened.emit(row)
