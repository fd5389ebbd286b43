"""Dialogs, each behind one small function so tests can monkeypatch them (nothing blocks)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from lvqac_core.registry import IMAGE_SUFFIXES, LVQ_SUFFIX

_IMAGES = " ".join("*" + s for s in IMAGE_SUFFIXES)
IMAGE_FILTER = (f"Images and {LVQ_SUFFIX} files ({_IMAGES} *{LVQ_SUFFIX});;Images ({_IMAGES});;"
                f"LVQAC files (*{LVQ_SUFFIX});;All files (*)")


def show_error(parent: Optional[QWidget], title: str, message: str) -> None:
    """A clear, modal error; the app keeps running afterwards."""
    QMessageBox.critical(parent, title, message)


def confirm_overwrite(parent: Optional[QWidget], paths: list[Path]) -> bool:
    names = "\n".join(str(p) for p in paths[:8]) + ("\n…" if len(paths) > 8 else "")
    answer = QMessageBox.question(
        parent, "Overwrite files?", f"These files exist already:\n{names}\n\nReplace them?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def ask_open_files(parent: Optional[QWidget], directory: str = "") -> list[str]:
    files, _ = QFileDialog.getOpenFileNames(parent, "Open images or .lvq files", directory, IMAGE_FILTER)
    return list(files)


def ask_save_path(parent: Optional[QWidget], title: str, suggested: str, filt: str) -> Optional[str]:
    """Save-as path; the overwrite question is asked by the caller (one place, atomic write)."""
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filt,
                                          options=QFileDialog.Option.DontConfirmOverwrite)
    return path or None


def ask_directory(parent: Optional[QWidget], title: str, directory: str = "") -> Optional[str]:
    path = QFileDialog.getExistingDirectory(parent, title, directory)
    return path or None


def show_info(parent: Optional[QWidget], title: str, message: str) -> None:
    QMessageBox.information(parent, title, message)
