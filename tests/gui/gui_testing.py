"""Small helpers shared by the GUI tests (importable from any module in tests/gui)."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtWidgets import QApplication


def file_mime(*paths) -> QMimeData:
    """Drag-and-drop data naming local files, as a file manager sends it."""
    m = QMimeData()
    m.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return m


def settle(qtbot, ms: int = 80) -> None:
    """Let queued events run and the window repaint."""
    QApplication.processEvents()
    qtbot.wait(ms)
