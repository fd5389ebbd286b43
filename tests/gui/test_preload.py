"""The launch-time background model load: it starts when the window shows, says so, and a job
issued while it runs waits for it instead of loading the model a second time."""
from __future__ import annotations

import threading
import time

from lvqac_gui.model.backend import Backend


class CountingFactory:
    """A slow model loader that counts its calls per (quantizer, λ, device)."""

    def __init__(self, factory, seconds: float = 1.0) -> None:
        self.factory, self.seconds = factory, seconds
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
            time.sleep(self.seconds)
            return self.factory(quantizer, lmbda, device)
        finally:
            with self._lock:
                self.concurrent -= 1


def test_job_during_preload_waits_instead_of_loading_again(qtbot, helpers, make_window, image_file,
                                                             factory):
    loader = CountingFactory(factory, seconds=1.5)
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
    t0 = time.monotonic()
    ticks = []  # the event loop keeps running while the job waits
    timer = qtbot_timer(win, ticks)
    helpers.wait_idle(qtbot, win)
    timer.stop()
    assert win.session.display is not None and win.session.display.kind == "compressed"
    assert sum(loader.calls.values()) == 1 and loader.max_concurrent == 1
    assert any("waiting for model" in s for s in stages), stages
    assert not any("(first use)" in s for s in stages), stages
    assert len(ticks) >= 0.5 * (time.monotonic() - t0) / 0.05  # no freeze: ~every tick ran
    qtbot.waitUntil(lambda: win.model_state == "ready", timeout=5000)
    assert win.statusBar().currentMessage() == f"model {name} ready"
    win.session.compress()  # later jobs reuse the preloaded model
    helpers.wait_idle(qtbot, win)
    assert sum(loader.calls.values()) == 1


def qtbot_timer(win, ticks):
    from PySide6.QtCore import QTimer
    t = QTimer(win)
    t.setInterval(50)
    t.timeout.connect(lambda: ticks.append(time.monotonic()))
    t.start()
    return t


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
    """``lvqac-gui`` (here in --screenshot mode) starts the background load when the window
    shows, and its first job does not load the model a second time."""
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
    assert started == [True]  # once, with the window shown
    assert sum(loader.calls.values()) == 1 and loader.max_concurrent == 1


def test_cancel_while_a_job_loads_its_model_is_immediate(qtbot, helpers, make_window, image_file, factory):
    """A checkpoint's load cannot be interrupted, but the job waiting for it can: Cancel ends the
    job at once (the job thread is free for the next job); the load finishes in the background and
    the next job uses it."""
    loader = CountingFactory(factory, seconds=3.0)
    win = make_window(backend_=Backend(codec_factory=loader))
    stages = []
    win.session.progress_changed.connect(lambda f, text: stages.append(text))
    win.session.open_paths([str(image_file)])
    assert loader.started.wait(5)
    qtbot.waitUntil(lambda: any("(first use)" in s for s in stages), timeout=5000)
    t0 = time.monotonic()
    win.session.cancel()
    qtbot.waitUntil(lambda: not win.session.busy and win.runner.running == 0, timeout=1000)
    assert time.monotonic() - t0 < 1.0 and loader.concurrent == 1  # the worker is free while the load runs
    qtbot.waitUntil(lambda: loader.concurrent == 0, timeout=10000)
    win.session.compress()
    helpers.wait_idle(qtbot, win)
    assert win.session.display is not None and win.session.display.kind == "compressed"
    assert sum(loader.calls.values()) == 1
