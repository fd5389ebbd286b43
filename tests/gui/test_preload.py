"""The launch-time background model load: it starts once the window is built, says so, and a job
issued while it runs waits for it instead of loading the model a second time. The window itself
never waits for torch."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from lvqac_gui.model.backend import Backend


class CountingFactory:
    """A slow model loader that counts its calls per (quantizer, λ, device).

    With a ``gate`` (a ``threading.Event``) the load lasts until the test opens it, instead of
    ``seconds``: a test can then state what happens *while* a load runs without guessing how long
    a busy machine takes (a gate that never opens fails the load after 30 s)."""

    def __init__(self, factory, seconds: float = 1.0, gate: threading.Event | None = None) -> None:
        self.factory, self.seconds, self.gate = factory, seconds, gate
        self.calls: dict[tuple, int] = {}
        self.concurrent = 0
        self.max_concurrent = 0
        self.started = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, quantizer, lmbda, device):
        key = (quantizer, round(lmbda, 6), device)
        with self._lock:
            self.calls[key] = self.calls.get(key, 0) + 1
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
        self.started.set()
        try:
            if self.gate is None:
                time.sleep(self.seconds)
            elif not self.gate.wait(30):
                raise TimeoutError("the test's gate never opened (was the UI thread blocked?)")
            return self.factory(quantizer, lmbda, device)
        finally:
            with self._lock:
                self.concurrent -= 1


def test_job_during_preload_waits_instead_of_loading_again(qtbot, helpers, make_window, image_file,
                                                             factory):
    gate = threading.Event()
    loader = CountingFactory(factory, gate=gate)
    win = make_window(backend_=Backend(codec_factory=loader))
    stages = []
    win.session.progress_changed.connect(lambda f, text: stages.append(text))
    name = win.preload_model()
    q, lm = win.session.quantizer, win.session.lmbda
    assert name == f"demo-untrained-{q}-{lm:g}"
    assert win.statusBar().currentMessage() == f"loading model {name} in the background…"
    assert loader.started.wait(5)  # the load runs on a worker thread: the UI thread is free
    assert win.model_state == "loading"
    win.session.open_paths([str(image_file)])  # a job for the same model while it loads
    # the load ends only when the UI thread shows that the job waits for it: had the job waited
    # on the UI thread, that signal could not be handled, the gate would never open and the load fail
    win.session.progress_changed.connect(lambda f, text: gate.set() if "waiting for model" in text else None)
    helpers.wait_idle(qtbot, win)
    assert win.session.display is not None and win.session.display.kind == "compressed"
    assert sum(loader.calls.values()) == 1 and loader.max_concurrent == 1
    assert any("waiting for model" in s for s in stages), stages
    # its first word, before anything that needs torch (which the preload may be importing)
    first = next(s for s in stages if s.startswith("Compressing") and ":" in s)
    assert first.endswith("waiting for the model loading in the background"), stages
    assert not any("(first use)" in s for s in stages), stages
    assert gate.is_set()
    qtbot.waitUntil(lambda: win.model_state == "ready", timeout=5000)
    assert win.statusBar().currentMessage() == f"model {name} ready"
    win.session.compress()  # later jobs reuse the preloaded model
    helpers.wait_idle(qtbot, win)
    assert sum(loader.calls.values()) == 1


def test_failed_preload_is_reported_and_the_job_retries(qtbot, helpers, make_window, image_file, factory):
    calls = []

    def broken_then_fine(q, lm, dev):
        calls.append(q)
        if len(calls) == 1:
            raise OSError("disk hiccup")
        return factory(q, lm, dev)

    win = make_window(backend_=Backend(codec_factory=broken_then_fine))
    win.preload_model()
    qtbot.waitUntil(lambda: win.model_state == "failed", timeout=5000)
    assert "not loaded" in win.statusBar().currentMessage()
    win.session.open_paths([str(image_file)])
    helpers.wait_idle(qtbot, win)
    assert win.session.display is not None and len(calls) == 2


def test_launch_starts_the_preload(qtbot, tmp_path, image_file, factory, monkeypatch):
    """``lvqac-gui`` (here in --screenshot mode) starts the background load once the window is
    built, before it shows, and its first job does not load the model a second time."""
    import lvqac_gui.model.backend as bk
    from lvqac_gui.app import main
    from lvqac_gui.qt.main_window import MainWindow
    loader = CountingFactory(factory, seconds=1.0)
    monkeypatch.setattr(bk, "demo_codec_factory", lambda: loader)
    started = []
    original = MainWindow.preload_model

    def spy(self):
        started.append(self.isVisible())
        return original(self)
    monkeypatch.setattr(MainWindow, "preload_model", spy)
    rc = main(["--demo-models", "--settings", str(tmp_path / "s.ini"), "--screenshot",
               str(tmp_path / "shot.png"), str(image_file)])
    assert rc == 0
    assert started == [False]  # once, before the window shows: the load overlaps its first paint
    assert sum(loader.calls.values()) == 1 and loader.max_concurrent == 1


def test_cancel_while_a_job_loads_its_model_is_immediate(qtbot, helpers, make_window, image_file, factory):
    """A checkpoint's load cannot be interrupted, but the job waiting for it can: Cancel ends the
    job at once (the job thread is free for the next job); the load finishes in the background and
    the next job uses it."""
    gate = threading.Event()
    loader = CountingFactory(factory, gate=gate)
    win = make_window(backend_=Backend(codec_factory=loader))
    stages = []
    win.session.progress_changed.connect(lambda f, text: stages.append(text))
    win.session.open_paths([str(image_file)])
    assert loader.started.wait(5)
    qtbot.waitUntil(lambda: any("(first use)" in s for s in stages), timeout=5000)
    win.session.cancel()
    # the load cannot end before the gate opens, so an idle session here proves Cancel did not wait for it
    qtbot.waitUntil(lambda: not win.session.busy and win.runner.running == 0, timeout=10000)
    assert loader.concurrent == 1  # the worker is free while the load still runs
    gate.set()
    qtbot.waitUntil(lambda: loader.concurrent == 0, timeout=10000)
    win.session.compress()
    helpers.wait_idle(qtbot, win)
    assert win.session.display is not None and win.session.display.kind == "compressed"
    assert sum(loader.calls.values()) == 1


def test_the_window_is_built_and_shown_without_torch(tmp_path):
    """torch takes seconds to import: the window (its Model menu included, which looks for
    CompressAI files only when it opens) must be built and shown before anything imports it."""
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from lvqac_gui.model.backend import Backend\n"
        "from lvqac_gui.model.state import Session\n"
        "from lvqac_gui.qt.main_window import MainWindow\n"
        "from lvqac_gui.qt.settings import AppSettings\n"
        f"win = MainWindow(Session(), Backend(), AppSettings({str(tmp_path / 's.ini')!r}), restore=False)\n"
        "win.show(); app.processEvents()\n"
        "print('torch' in sys.modules)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LVQAC_GUI_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"


def test_a_preload_that_ends_after_its_window_is_gone_reports_nothing_and_raises_nothing(qtbot):
    """A shot whose file failed to open exits while the launch-time load still imports torch:
    the load's signal object may be deleted by then (it printed "Signal source has been deleted")."""
    from PySide6 import QtCore
    from lvqac_gui.qt.workers import _Preload, _PreloadSignals

    class Backend:
        def preload(self, *args):
            raise RuntimeError("interpreter shutting down")

    signals = _PreloadSignals()
    heard = []
    signals.done.connect(lambda *a: heard.append(a))
    task = _Preload(Backend(), "lvq", 0.0075, "cpu", None, None, "m", signals)
    task.setAutoDelete(False)
    task.run()  # the window alive: the failure reaches it
    assert heard and heard[0][0] == "m" and heard[0][1]
    import shiboken6
    shiboken6.delete(signals)  # the window gone: its C++ object deleted under the worker
    task.run()  # must not raise
    assert len(heard) == 1
    QtCore.QCoreApplication.processEvents()
