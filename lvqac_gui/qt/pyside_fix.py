"""Work-around for a reference-count bug of PySide6 6.12 under Python 3.11.

Measured here (PySide6 6.12.0, CPython 3.11.7): every ``Signal.emit()`` made from Python releases
one reference to ``True`` that it never took (``sys.getrefcount(True)`` drops by exactly one per
emit, with or without receivers). ``True`` starts with about 38,000 references, so after that
many emits — a few dozen compressions' worth of progress signals and image updates (pyqtgraph's
``ImageItem.setImage`` emits too) — the interpreter aborts with "Fatal Python error: bool_dealloc".
Python ≥ 3.12 makes ``True`` / ``False`` immortal, which hides the bug there; on older Pythons
:func:`keep_bools_alive` does the same by hand when a quick self-test shows the leak.
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


def keep_bools_alive() -> bool:
    """Give ``True`` and ``False`` 2⁴⁰ extra references (once) if signals leak them; CPython
    < 3.12 only (later versions have immortal bools). Returns whether it was applied."""
    global _applied
    if _applied:
        return True
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12) or not leaks_true():
        return False
    for value in (True, False):  # ob_refcnt is the first field of every CPython object
        ctypes.c_ssize_t.from_address(id(value)).value += 1 << 40
    _applied = True
    return True
