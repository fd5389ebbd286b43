"""The progress line says how long is left (“Compressing photo.png: analysing — about 6 s left”),
refreshed twice a second, also while a long stage reports nothing. The estimate is
:class:`lvqac_gui.model.time_left.TimeLeft` (Qt-free); this only feeds it and writes the words."""
from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel

from ..model.time_left import TimeLeft

__all__ = ["TimeLeftLine"]


class TimeLeftLine(QObject):
    TICK_MS = 500

    def __init__(self, session, label: QLabel, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.label = label
        self.estimate = TimeLeft()
        self.job_id: Optional[int] = None
        self.base = ""
        self.timer = QTimer(self)
        self.timer.setInterval(self.TICK_MS)
        self.timer.timeout.connect(self._show)
        session.progress_changed.connect(self._progress)
        session.busy_changed.connect(self._busy)

    def _pixels(self, job) -> Optional[int]:
        image = job.pixels_source(self.session)  # the image the job codes (model/jobs.py)
        return None if image is None else int(image.shape[0] * image.shape[1])

    def _progress(self, fraction: float, text: str) -> None:
        job = self.session.active
        if text == "Done" and self.estimate.started is not None:
            self.estimate.finish(ok=True)  # learned for the next job of this kind
        if job is not None and job.id != self.job_id:
            self.job_id = job.id
            self.estimate.begin(job.kind, self._pixels(job))
            self.timer.start()
        if job is not None:
            self.estimate.update(fraction)
        self.base = text
        self._show()

    def _busy(self, busy: bool) -> None:
        if not busy:
            self.timer.stop()
            self.estimate.started = None  # cancelled or failed: nothing learned
            self.job_id = None

    def text(self) -> str:
        """The line as shown: the stage, and the time left once there is something to say."""
        extra = self.estimate.text() if self.session.busy else ""
        return f"{self.base} — {extra}" if extra and self.base else self.base

    def _show(self) -> None:
        if self.session.busy and self.base:
            self.label.setText(self.text())
