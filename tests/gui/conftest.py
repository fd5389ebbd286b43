"""Fixtures for the GUI tests: offscreen Qt, temporary settings, tiny untrained models."""
from __future__ import annotations

import os
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from lvqac_gui.model.backend import Backend, demo_codec_factory
from lvqac_gui.qt.pyside_fix import keep_bools_alive
from lvqac_testing import write_image

keep_bools_alive()  # PySide6 6.12 on Python 3.11 leaks references to True per signal emit


@pytest.fixture(scope="session")
def factory():
    cache = {}
    make = demo_codec_factory()

    def get(quantizer, lmbda, device):
        key = (quantizer, round(lmbda, 6), device)
        if key not in cache:
            cache[key] = make(quantizer, lmbda, device)
        return cache[key]
    return get


@pytest.fixture
def backend(factory):
    return Backend(codec_factory=factory)


class SlowBackend(Backend):
    """Calls progress often and sleeps, so that cancel / responsiveness can be observed."""

    def __init__(self, factory, seconds: float = 1.5):
        super().__init__(codec_factory=factory)
        self.seconds = seconds
        self.started = threading.Event()
        self.runs = 0

    def run(self, job, progress=None, interim=None):
        self.runs += 1
        self.started.set()
        steps = 30
        for k in range(steps):
            progress(0.5 * k / steps)
            time.sleep(self.seconds / steps)
        return super().run(job, lambda f, stage="": progress(0.5 + 0.5 * max(f, 0.0), stage), interim)


@pytest.fixture
def slow_backend(factory):
    return SlowBackend(factory)


@pytest.fixture
def image_file(tmp_path):
    return write_image(tmp_path / "test image.png", 96, 128)


@pytest.fixture(autouse=True)
def gui_data_dir(tmp_path, monkeypatch):
    """The Results history file of every test window lives in the test's own folder."""
    folder = tmp_path / "lvqac-data"
    monkeypatch.setenv("LVQAC_GUI_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def settings(tmp_path):
    from lvqac_gui.qt.settings import AppSettings
    return AppSettings(str(tmp_path / "settings.ini"))


@pytest.fixture
def make_window(qtbot, settings, backend):
    from lvqac_gui.qt.main_window import MainWindow
    from lvqac_gui.model.state import Session
    from lvqac_gui.qt.theme import apply_dark
    from PySide6.QtWidgets import QApplication
    apply_dark(QApplication.instance())
    windows = []

    def make(backend_=None, settings_=None):
        win = MainWindow(Session(), backend_ or backend, settings_ or settings)
        win.shown_errors = []
        win.error_handler = lambda title, msg: win.shown_errors.append((title, msg))
        win.shown_infos = []
        win.info_handler = lambda title, msg: win.shown_infos.append((title, msg))
        qtbot.addWidget(win)
        win.resize(1280, 800)
        win.show()
        windows.append(win)
        return win
    yield make
    for w in windows:
        w.session.cancel()
        w.runner.shutdown(5000)


def wait_idle(qtbot, win, timeout=90000):
    qtbot.waitUntil(lambda: not win.session.busy, timeout=timeout)


def open_with_rd_dock(qtbot, win, image_file, size):
    """``win`` at ``size`` with its docks arranged for it, the RD dock in front, ``image_file`` coded."""
    win.resize(*size)
    win.arrange_docks(size[1])
    win.docks["rd"].raise_()
    win.session.open_paths([image_file])
    wait_idle(qtbot, win)


class _Helpers:
    wait_idle = staticmethod(wait_idle)
    open_with_rd_dock = staticmethod(open_with_rd_dock)


@pytest.fixture
def helpers():
    return _Helpers
