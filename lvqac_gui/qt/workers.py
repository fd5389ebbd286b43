"""Running jobs off the UI thread (QThreadPool + QRunnable) with cooperative cancellation.

:class:`JobRunner` listens to the session's ``job_requested`` / ``job_cancel_requested`` and
reports back through ``Session.job_progress / job_finished / job_failed / job_cancelled`` on the
UI thread (queued signals). Cancelling sets a flag; the next progress callback raises
``lvqac_core.errors.Cancelled`` inside the core. One job runs at a time; a superseded job is
cancelled and its late results are ignored by the session (job ids).
"""
from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ..model.errors import describe_error
from ..model.jobs import Job
from ..model.state import Session


class _Signals(QObject):
    progress = Signal(int, float, str)
    interim = Signal(int, object)
    finished = Signal(int, object)
    failed = Signal(int, str, str)
    cancelled = Signal(int)


class _Task(QRunnable):
    def __init__(self, job: Job, backend, token: threading.Event, signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.job, self.backend, self.token, self.signals = job, backend, token, signals

    def run(self) -> None:  # worker thread
        from lvqac_core.errors import Cancelled
        job, token, sig = self.job, self.token, self.signals
        last = [-1.0]

        last_stage = [""]

        def progress(fraction: float, stage: str = "") -> None:
            if token.is_set():
                raise Cancelled("cancelled")
            if abs(fraction - last[0]) >= 0.005 or fraction >= 1.0 or stage != last_stage[0]:
                last[0], last_stage[0] = fraction, stage
                sig.progress.emit(job.id, float(fraction), stage)

        def interim(payload) -> None:
            if not token.is_set():
                sig.interim.emit(job.id, payload)

        try:
            if token.is_set():
                raise Cancelled("cancelled")
            payload = self.backend.run(job, progress, interim)
        except Cancelled:
            sig.cancelled.emit(job.id)
            return
        except BaseException as exc:  # noqa: BLE001 - every error becomes a dialog
            title, message = describe_error(exc)
            sig.failed.emit(job.id, title, message)
            return
        if token.is_set():
            sig.cancelled.emit(job.id)
        else:
            sig.finished.emit(job.id, payload)


class JobRunner(QObject):
    """Connects a :class:`Session` to a backend on one worker thread."""

    def __init__(self, session: Session, backend, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.backend = backend
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._tokens: dict[int, threading.Event] = {}
        self._signals: dict[int, _Signals] = {}
        session.job_requested.connect(self.submit)
        session.job_cancel_requested.connect(self.cancel)

    def submit(self, job: Job) -> None:
        for token in self._tokens.values():  # one job at a time: anything older is stale
            token.set()
        token = threading.Event()
        sig = _Signals()
        sig.progress.connect(self.session.job_progress)
        sig.interim.connect(self.session.job_interim)
        sig.finished.connect(self._finished)
        sig.failed.connect(self._failed)
        sig.cancelled.connect(self._cancelled)
        self._tokens[job.id] = token
        self._signals[job.id] = sig
        self.pool.start(_Task(job, self.backend, token, sig))

    def cancel(self, job_id: int) -> None:
        token = self._tokens.get(job_id)
        if token is not None:
            token.set()

    def _forget(self, job_id: int) -> None:
        self._tokens.pop(job_id, None)
        sig = self._signals.pop(job_id, None)
        if sig is not None:
            sig.deleteLater()

    def _finished(self, job_id: int, payload) -> None:
        self._forget(job_id)
        self.session.job_finished(job_id, payload)

    def _failed(self, job_id: int, title: str, message: str) -> None:
        self._forget(job_id)
        self.session.job_failed(job_id, title, message)

    def _cancelled(self, job_id: int) -> None:
        self._forget(job_id)
        self.session.job_cancelled(job_id)

    @property
    def running(self) -> int:
        return len(self._tokens)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        for token in self._tokens.values():
            token.set()
        return self.pool.waitForDone(timeout_ms)


class _PreloadSignals(QObject):
    done = Signal(str, str)  # (model name, error message or "")


class _Preload(QRunnable):
    def __init__(self, backend, quantizer: str, lmbda: float, device: str, spec, tier, name: str,
                 signals: _PreloadSignals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.backend, self.signals, self.name = backend, signals, name
        self.args = (quantizer, lmbda, device, spec, tier)

    def run(self) -> None:  # worker thread
        try:
            self.backend.preload(*self.args)
            error = ""
        except BaseException as exc:  # noqa: BLE001 - the job that needs the model reports it
            error = describe_error(exc)[1]
        try:
            self.signals.done.emit(self.name, error)
        except RuntimeError:  # the window went away meanwhile (app shutdown): nobody to tell
            pass


class ModelPreloader(QObject):
    """Loads the model chosen at launch on its own worker thread (not the job thread, so that a
    job started meanwhile waits for this load inside ``Backend.codec`` and can be cancelled).
    ``started(name)`` and ``finished(name, error)`` arrive on the UI thread."""

    started = Signal(str)
    finished = Signal(str, str)

    def __init__(self, backend, parent=None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = _PreloadSignals()
        self._signals.done.connect(self.finished)
        self.name: str = ""

    def start(self, session: Session) -> str:
        tier = None if session.model_spec else session.tier
        self.name = self.backend.model_name(session.quantizer, session.lmbda, session.model_spec, tier)
        self.started.emit(self.name)
        self.pool.start(_Preload(self.backend, session.quantizer, session.lmbda, session.device,
                                 session.model_spec, tier, self.name, self._signals))
        return self.name


class _ExportSignals(QObject):
    progress = Signal(int, int, str)  # done, total, the result being written
    finished = Signal(object)  # batch.BatchReport


class _ExportTask(QRunnable):
    def __init__(self, items, directory, overwrite, token, signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.items, self.directory, self.overwrite = items, directory, overwrite
        self.token, self.signals = token, signals

    def run(self) -> None:  # worker thread
        from ..model import batch
        try:
            report = batch.run(self.items, self.directory, self.overwrite,
                               progress=lambda k, n, name: self.signals.progress.emit(k, n, name),
                               cancelled=self.token.is_set)
        except BaseException as exc:  # noqa: BLE001 - e.g. the folder cannot be made
            report = batch.BatchReport(total=len(self.items))
            report.failed.append((str(self.directory), describe_error(exc)[1]))
        self.signals.finished.emit(report)


class BatchExporter(QObject):
    """Writes a batch export on its own worker thread (the files only: the results are already
    computed); Cancel stops between results, and the report says what was written."""

    progress = Signal(int, int, str)
    finished = Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.token: threading.Event | None = None
        self._signals: _ExportSignals | None = None

    @property
    def running(self) -> bool:
        return self.token is not None

    def start(self, items, directory, overwrite: bool) -> None:
        self.token = threading.Event()
        sig = self._signals = _ExportSignals()
        sig.progress.connect(self.progress)
        sig.finished.connect(self._finished)
        self.pool.start(_ExportTask(items, directory, overwrite, self.token, sig))

    def cancel(self) -> None:
        if self.token is not None:
            self.token.set()

    def _finished(self, report) -> None:
        self.token = None
        if self._signals is not None:
            self._signals.deleteLater()
            self._signals = None
        self.finished.emit(report)
