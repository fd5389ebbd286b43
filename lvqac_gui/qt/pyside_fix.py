"""Work-around for a reference-count bug of PySide6 6.12 under Python 3.11.

Measured here (PySide6 6.12.0, CPython 3.11.7): every ``Signal.emit()`` made from Python releases
one reference to ``True`` that it never took (``sys.getrefcount(True)`` drops by exactly one per
emit, with or without receivers). ``True`` starts with about 38,000 references, so after that
many emits — a few dozen compressions' worth of progress signals and image updates (pyqtgraph's
``ImageItem.setImage`` emits too) — the interpreter aborts with "Fatal Python error: bool_dealloc".
Python ≥ 3.12 makes ``True`` / ``False`` immortal, which hides the bug there; on older Pythons
:func:`keep_bools_alive` does the same by hand when a quick self-test shows the leak.

The same build also releases one reference to ``None`` on every call of a C++ method that
returns ``void`` (``QWidget.update()``, ``QApplication.processEvents()``, ``setText`` …: measured
−1000 for 1000 calls; ``None`` starts with about 5,000 references), so a long session — or a test
suite that waits in ``processEvents`` loops — aborts with "Fatal Python error: none_dealloc".
:func:`keep_bools_alive` gives ``None`` the same extra references when :func:`leaks_none` says so.
"""
from __future__ import annotations

import ctypes
import sys

_applied = False


def leaks_true(emits: int = 16) -> bool:
    """True when emitting a Qt signal from Python drops references to ``True``."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal(int)

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(emits):
        probe.ping.emit(1)
    return sys.getrefcount(True) <= before - emits // 2


def leaks_none(calls: int = 16) -> bool:
    """True when calling a void C++ method from Python drops references to ``None``."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(calls):
        probe.setObjectName("probe")
    return sys.getrefcount(None) <= before - calls // 2


def keep_bools_alive() -> bool:
    """Give ``True`` and ``False`` 2⁴⁰ extra references (once) if signals leak them; CPython
    < 3.12 only (later versions have immortal bools). Returns whether it was applied."""
    global _applied
    if _applied:
        return True
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    singletons = ((True, False) if leaks_true() else ()) + ((None,) if leaks_none() else ())
    if not singletons:
        return False
    for value in singletons:  # ob_refcnt is the first field of every CPython object
        ctypes.c_ssize_t.from_address(id(value)).value += 1 << 40
    _applied = True
    return True
