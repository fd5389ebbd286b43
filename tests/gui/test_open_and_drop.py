"""Opening pictures and .lvq files: drag and drop (what is refused, what is highlighted), the
open dialog, failed opens and failed decodes, what shows at once while a new picture is coded,
the notes banner."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from lvqac_core import bitstream
from lvqac_gui.qt import dialogs
from lvqac_testing import smooth_image, write_image
from gui_testing import file_mime, settle


_KEEP = []  # mime data outlives its event (a freed QMimeData under an event crashes)


def _drag_enter(win, mime):
    _KEEP.append(mime)
    ev = QDragEnterEvent(QPoint(40, 40), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier)
    ev.setAccepted(False)
    win.dragEnterEvent(ev)
    return ev


def _panel_widths(win):
    return [p.width() for p in win.panels.values()]


def _fits_whole_image(win, key):
    (x0, x1), (y0, y1) = win.panels[key].vb.viewRange()
    w, h = win.linker.size
    return x0 <= 0.5 and y0 <= 0.5 and x1 >= w - 0.5 and y1 >= h - 0.5


def test_real_drop_event_and_drag_enter(qtbot, helpers, make_window, tmp_path):
    win = make_window()
    a = write_image(tmp_path / "a.png", 64, 80)
    mime = file_mime(a)
    enter = QDragEnterEvent(QPoint(40, 40), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    win.dragEnterEvent(enter)
    assert enter.isAccepted()
    text_only = QMimeData()
    text_only.setText("not a file")
    refuse = QDragEnterEvent(QPoint(40, 40), Qt.DropAction.CopyAction, text_only,
                             Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    win.dragEnterEvent(refuse)
    assert not refuse.isAccepted()
    drop = QDropEvent(QPointF(40, 40), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    win.dropEvent(drop)
    assert drop.isAccepted() and win.session.busy and win.windowTitle().endswith("a.png")
    helpers.wait_idle(qtbot, win)
    assert win.session.display.source.name == "a.png"


def test_drag_refuses_non_images_and_highlights_images(qtbot, make_window, tmp_path):
    win = make_window()
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    refused = _drag_enter(win, file_mime(text))
    assert not refused.isAccepted() and not win.drop_overlay.isVisible()
    folder = tmp_path / "folder"
    folder.mkdir()
    assert not _drag_enter(win, file_mime(folder)).isAccepted()
    a, b = write_image(tmp_path / "a.png", 64, 80), write_image(tmp_path / "b.png", 64, 80, seed=1)
    ok = _drag_enter(win, file_mime(a, b, text))
    assert ok.isAccepted() and win.drop_overlay.isVisible() and "2 files" in win.drop_overlay.text()
    assert win.drop_overlay.geometry() == win.centralWidget().rect()
    from PySide6.QtGui import QDragLeaveEvent
    win.dragLeaveEvent(QDragLeaveEvent())
    assert not win.drop_overlay.isVisible()


def test_new_image_shows_at_once_and_clears_the_old_result(qtbot, helpers, make_window, tmp_path,
                                                           slow_backend):
    win = make_window(backend_=slow_backend)
    first = write_image(tmp_path / "first.png", 64, 80, seed=1)
    second = write_image(tmp_path / "second.png", 48, 96, seed=2)
    win.session.open_paths([first])
    helpers.wait_idle(qtbot, win)
    win.session.open_paths([second])
    # at once: the new original, no old result, a true title, the old numbers gone
    assert win.windowTitle() == "LVQAC Studio — second.png"
    layer = win.panels["original"].layer
    assert layer is not None and layer.image.shape[:2] == (48, 96)
    for key in ("reconstruction", "residual", "bits"):
        assert not win.panels[key].has_image()
        assert win.panels[key].placeholder.text() == "compressing…"
    assert win.stats.rowCount() == 0 and win.rd.current is None
    assert win.linker.size == (96, 48)
    helpers.wait_idle(qtbot, win)
    assert win.session.display.source.name == "second.png"


def test_failed_open_keeps_picture_title_and_recent(qtbot, helpers, make_window, tmp_path):
    win = make_window()
    good = write_image(tmp_path / "good.png", 64, 80)
    win.session.open_paths([good])
    helpers.wait_idle(qtbot, win)
    shown = win.session.display
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n nope")
    win.session.open_paths([bad])
    helpers.wait_idle(qtbot, win)
    assert win.windowTitle() == "LVQAC Studio — good.png" and win.session.display is shown
    assert win.shown_errors and "broken.png" in win.shown_errors[-1][1]
    assert all("broken" not in p for p in win.session.recent)
    assert any(p.endswith("good.png") for p in win.session.recent)


def test_error_message_names_the_file_once_in_plain_words(qtbot, make_window, tmp_path):
    win = make_window()
    bad = tmp_path / "broken-photo.png"
    bad.write_bytes(b"not an image")
    win.session.open_paths([bad])
    (title, message), = win.shown_errors
    assert message.count("broken-photo.png") == 1, message
    assert "cannot identify" not in message and str(tmp_path) not in message
    assert message.startswith("broken-photo.png: ")


def test_open_dialog_starts_in_pictures_or_the_last_folder(qtbot, make_window, tmp_path, monkeypatch):
    import os
    from pathlib import Path
    win = make_window()
    asked = []
    monkeypatch.setattr(dialogs, "ask_open_files", lambda parent, directory="": asked.append(directory) or [])
    win.open_dialog()
    start = Path(asked[-1])
    assert start.is_dir() and start.resolve() != Path(os.getcwd()).resolve()
    win.settings.set_value("files/last_dir", str(tmp_path))
    win.open_dialog()
    assert asked[-1] == str(tmp_path)


def test_lvq_then_image_relayout_and_controls(qtbot, helpers, make_window, tmp_path, factory):
    win = make_window()
    # a .lvq written by another model than the one chosen
    codec = factory("lvq", 0.03, "cpu")
    lvq = tmp_path / "cat.lvq"
    lvq.write_bytes(codec.compress(smooth_image(96, 160)).data)
    win.session.open_paths([lvq])
    helpers.wait_idle(qtbot, win)
    box = win.controls
    assert box.quantizer_box.currentData() == "lvq" and box.lmbda_box.currentData() == pytest.approx(0.03)
    assert not box.lmbda_box.isEnabled() and not box.quantizer_box.isEnabled()
    assert "Decoded" in win.split.left_box.currentText() and "original not in file" in win.split.note.text()
    win.linker.zoom_by(4.0)
    img = write_image(tmp_path / "wide.png", 64, 128, seed=5)
    win.session.open_paths([img])
    helpers.wait_idle(qtbot, win)
    settle(qtbot)
    widths = _panel_widths(win)
    assert max(widths) - min(widths) <= 2, widths  # equal columns
    assert win.linker.fitted and all(_fits_whole_image(win, k) for k in ("original", "bits"))
    assert box.lmbda_box.isEnabled() and win.split.left_box.currentText() == "Original"
    # resize: still fitted
    win.resize(1100, 760)
    settle(qtbot)
    assert all(_fits_whole_image(win, k) for k in ("original", "reconstruction"))


def test_a_failed_decode_leaves_no_panel_saying_decoding(qtbot, helpers, make_window, factory, tmp_path):
    """A .lvq that fails in the decode job (here: written with other weights than the model it
    names) must not leave the panels and the split view announcing "decoding…" forever."""
    win = make_window()
    codec = factory("lvqac", 0.0075, "cpu")
    data = codec.compress(smooth_image(96, 128)).data
    header, sections = bitstream.unpack(data)
    foreign = tmp_path / "foreign.lvq"
    foreign.write_bytes(bitstream.pack(replace(header, weights_hash=bytes(len(header.weights_hash))), sections))
    behind_dialog = []  # what the window shows while the (modal) error dialog is up
    win.error_handler = lambda title, message: (
        win.shown_errors.append((title, message)),
        behind_dialog.append((win.panels["reconstruction"].placeholder.text(), win.controls.cancel_btn.isEnabled())))
    win.session.open_paths([foreign])
    helpers.wait_idle(qtbot, win)
    settle(qtbot)
    assert behind_dialog and behind_dialog[-1][0].startswith("failed") and not behind_dialog[-1][1], behind_dialog
    assert win.session.display is None and win.shown_errors
    assert "other weights" in win.shown_errors[-1][1]
    texts = {key: panel.placeholder.text() for key, panel in win.panels.items()}
    assert texts["original"] == "original not in file", texts
    assert all(t.startswith("failed") for k, t in texts.items() if k != "original"), texts
    assert win.split.note.text() == "foreign.lvq: failed" and not win.split.line.isVisible()
    # a good file afterwards: pictures again, nothing left over
    win.session.open_paths([write_image(tmp_path / "good.png", 64, 80)])
    helpers.wait_idle(qtbot, win)
    assert win.session.display is not None and win.panels["reconstruction"].placeholder.isHidden()


def test_notes_banner(qtbot, helpers, make_window, tmp_path):
    win = make_window()
    p = tmp_path / "rgba.png"
    Image.fromarray(np.dstack([smooth_image(64, 80),
                               np.full((64, 80), 200, np.uint8)])).save(p)
    win.session.open_paths([p])
    helpers.wait_idle(qtbot, win)
    assert win.banner.isVisible() and "alpha" in win.banner.text().lower()
