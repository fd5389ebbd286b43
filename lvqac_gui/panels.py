"""Side panels: model choice + actions, the numbers of the current result, the quantizer
comparison table. Each widget only reads the session and calls its methods."""
from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QProgressBar, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from .state import (DEVICE_LABELS, DEVICES, LAMBDAS, QUANTIZER_LABELS, QUANTIZERS, CompareRow,
                    Display, Session)


class ControlPanel(QWidget):
    """λ / quantizer / device, Compress, Cancel, Compare quantizers, progress."""

    def __init__(self, session: Session, labels: dict[tuple[str, float], str], parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.labels = labels
        self.lmbda_box = QComboBox()
        self.quantizer_box = QComboBox()
        for q in QUANTIZERS:
            self.quantizer_box.addItem(QUANTIZER_LABELS[q], q)
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
        self.compare_btn.setToolTip("Scalar vs LVQ vs LVQAC on this image at this λ (Ctrl+K)")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("idle")
        self.progress.setTextVisible(True)

        for box in (self.lmbda_box, self.quantizer_box, self.device_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(10)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("λ model", self.lmbda_box)
        form.addRow("Quantizer", self.quantizer_box)
        form.addRow("Device", self.device_box)
        form.addRow("Used", self.device_used)
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

        self._fill_lambdas()
        self.sync_from_session()
        self.lmbda_box.currentIndexChanged.connect(self._lmbda_chosen)
        self.quantizer_box.currentIndexChanged.connect(self._quantizer_chosen)
        self.device_box.currentIndexChanged.connect(self._device_chosen)
        self.compress_btn.clicked.connect(session.compress)
        self.cancel_btn.clicked.connect(session.cancel)
        self.compare_btn.clicked.connect(session.compare_quantizers)
        session.choices_changed.connect(self.sync_from_session)
        session.busy_changed.connect(self._busy)
        session.progress_changed.connect(self._progress)

    def _fill_lambdas(self) -> None:
        self.lmbda_box.blockSignals(True)
        self.lmbda_box.clear()
        q = self.session.quantizer
        for l in LAMBDAS:
            extra = self.labels.get((q, round(l, 6)))
            text = f"λ = {l:g}" + (f"  ({extra})" if extra else "  (not installed)" if self.labels else "")
            self.lmbda_box.addItem(text, l)
        self.lmbda_box.blockSignals(False)

    def sync_from_session(self) -> None:
        s = self.session
        self._fill_lambdas()
        for box, value in ((self.quantizer_box, s.quantizer), (self.device_box, s.device)):
            box.blockSignals(True)
            box.setCurrentIndex(max(0, box.findData(value)))
            box.blockSignals(False)
        self.lmbda_box.blockSignals(True)
        idx = min(range(len(LAMBDAS)), key=lambda k: abs(LAMBDAS[k] - s.lmbda))
        self.lmbda_box.setCurrentIndex(idx)
        self.lmbda_box.blockSignals(False)
        self.model_label.setText(f"explicit model: {s.model_spec}" if s.model_spec else "")
        self.model_label.setVisible(bool(s.model_spec))

    def _lmbda_chosen(self, idx: int) -> None:
        self.session.set_choices(lmbda=self.lmbda_box.itemData(idx))

    def _quantizer_chosen(self, idx: int) -> None:
        self.session.set_choices(quantizer=self.quantizer_box.itemData(idx))

    def _device_chosen(self, idx: int) -> None:
        self.session.set_choices(device=self.device_box.itemData(idx))

    def _busy(self, busy: bool) -> None:
        self.cancel_btn.setEnabled(busy)
        if not busy and self.progress.format() not in ("Done", "Failed"):
            self.progress.setValue(0)
            self.progress.setFormat("idle")

    def _progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        self.progress.setFormat(f"{text} — {100 * fraction:.0f}%" if text and text not in ("Done", "Failed")
                                else (text or "idle"))

    def show_device(self, display: Optional[Display]) -> None:
        if display is None:
            self.device_used.setText("—")
            self.device_note.hide()
            return
        self.device_used.setText(display.stats.device.upper())
        self.device_note.setText(display.device_note or "")
        self.device_note.setVisible(bool(display.device_note))


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
            for n in display.stats.notes:
                rows.append(("Note", n))
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
    HEADERS = ["quantizer", "bpp", "PSNR", "MS-SSIM", "bytes", "ms"]

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setDefaultSectionSize(20)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setMaximumHeight(24 + 3 * 21)

    def show_rows(self, rows: list[CompareRow]) -> None:
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            if row.error:
                vals = [row.quantizer, row.error, "", "", "", ""]
            else:
                vals = [row.quantizer, f"{row.bpp:.4f}", f"{row.psnr:.2f}", f"{row.ms_ssim:.4f}",
                        f"{row.num_bytes:,}", f"{1e3 * row.encode_seconds:.0f}"]
            for c, v in enumerate(vals):
                item = QTableWidgetItem(v)
                item.setToolTip(v)
                self.setItem(r, c, item)
            if row.error:
                self.setSpan(r, 1, 1, len(self.HEADERS) - 1)
