"""lvqac_gui.qt.pyside_fix: signal emits and void calls cannot use up True or None."""
from __future__ import annotations


def test_signal_emits_cannot_exhaust_true():
    """PySide6 6.12 on Python 3.11 drops a reference to True per signal emit (see
    lvqac_gui/qt/pyside_fix.py); 50,000 emits — more than True's references at start — must not
    abort the interpreter."""
    import sys

    from PySide6.QtCore import QObject, Signal

    from lvqac_gui.qt import main_window  # noqa: F401 - importing the window applies the fix
    from lvqac_gui.qt.pyside_fix import keep_bools_alive, leaks_true

    class Emitter(QObject):
        ping = Signal(int)

    e = Emitter()
    for _ in range(50_000):
        e.ping.emit(1)
    if leaks_true():
        assert keep_bools_alive() and sys.getrefcount(True) > 1 << 39


def test_void_calls_do_not_use_up_none():
    """PySide6 6.12 on Python 3.11 drops a reference to None per void C++ call; the fix keeps
    None alive (the suite's processEvents loops used to abort it with "none_dealloc")."""
    import sys
    from PySide6.QtCore import QObject
    from lvqac_gui.qt.pyside_fix import keep_bools_alive, leaks_none
    keep_bools_alive()
    if leaks_none():
        assert sys.getrefcount(None) > 1 << 39
    probe = QObject()
    for _ in range(20000):  # more than None's own references
        probe.setObjectName("x")
