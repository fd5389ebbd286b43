"""Dialogs, each behind one small function so tests can monkeypatch them (nothing blocks)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel,
                               QLineEdit, QMessageBox, QPushButton, QVBoxLayout, QWidget)

from lvqac_core.bitstream import LVQ_SUFFIX
from lvqac_core.image_files import IMAGE_SUFFIXES

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


def ask_batch_export(parent: Optional[QWidget], directory: str, count: int,
                     maps: bool = True) -> Optional[tuple[str, bool]]:
    """(folder, with maps) for *Export batch…*, or None."""
    dlg = QDialog(parent)
    dlg.setWindowTitle("Export batch")
    text = QLabel(f"Write {count} result{'s' if count != 1 else ''} to a folder: per image the .lvq "
                  "and the decoded PNG (names carry the model, e.g. photo.lvqac-0.0075.lvq).")
    text.setWordWrap(True)
    folder = QLineEdit(directory)
    browse = QPushButton("Choose…")
    browse.clicked.connect(lambda: folder.setText(
        QFileDialog.getExistingDirectory(dlg, "Export batch to folder", folder.text()) or folder.text()))
    with_maps = QCheckBox("Also every map (residual, codebook, A, bits) as PNG with its colour bar")
    with_maps.setChecked(maps)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dlg.accept)
    buttons.rejected.connect(dlg.reject)
    row = QHBoxLayout()
    row.addWidget(folder, 1)
    row.addWidget(browse)
    lay = QVBoxLayout(dlg)
    lay.addWidget(text)
    lay.addLayout(row)
    lay.addWidget(with_maps)
    lay.addWidget(buttons)
    dlg.resize(560, dlg.sizeHint().height())
    if dlg.exec() != QDialog.DialogCode.Accepted or not folder.text().strip():
        return None
    return folder.text().strip(), with_maps.isChecked()


def ask_replace_or_keep(parent: Optional[QWidget], paths: list[Path]) -> Optional[str]:
    """Files of a batch export exist already: "replace", "keep" (new names) or None (cancel)."""
    names = "\n".join(str(p) for p in paths[:8]) + ("\n…" if len(paths) > 8 else "")
    box = QMessageBox(QMessageBox.Icon.Question, "Files exist already",
                      f"{len(paths)} of these files exist already:\n{names}", parent=parent)
    replace = box.addButton("Replace them", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("Keep both (new names)", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(keep)
    box.exec()
    return {id(replace): "replace", id(keep): "keep"}.get(id(box.clickedButton()))


def confirm_quit_unexported(parent: Optional[QWidget], count: int) -> bool:
    """Quit although ``count`` results were never saved or exported?"""
    answer = QMessageBox.question(
        parent, "Quit LVQAC Studio?",
        f"{count} result{'s were' if count != 1 else ' was'} never saved or exported "
        "(File ▸ Export ▸ Batch writes them all). The Results table is kept for the next start, "
        "the files are not.\n\nQuit anyway?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes
