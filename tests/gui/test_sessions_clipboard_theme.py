"""Issue 24, item 10: sessions (save / open, a missing image, never overwritten silently), the
clipboard (Edit ▸ Paste) and the theme (Dark / Light / Follow system, remembered)."""
from __future__ import annotations

import json
import shutil

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication

from lvqac_gui.model import session_file
from lvqac_gui.qt import dialogs, theme


def _coded_window_with_comparison_and_split(qtbot, helpers, make_window, image_file):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    win.session.compare_quantizers()
    helpers.wait_idle(qtbot, win)
    win.tabs.setCurrentIndex(1)
    win.split.choose(left="webp", right="result")
    helpers.wait_idle(qtbot, win)
    win._quality_requested("webp", 60.0)  # the side's own quality (what the debounced box sends)
    helpers.wait_idle(qtbot, win)
    win.split.error_box.setChecked(True)
    win.split.slider.setValue(300)
    return win


def test_session_saved_and_reopened(qtbot, helpers, make_window, image_file, tmp_path, settings):
    win = _coded_window_with_comparison_and_split(qtbot, helpers, make_window, image_file)
    path = tmp_path / "work.lvqsession"
    assert win.session_io.save_session(str(path)) == path
    doc = json.loads(path.read_text(encoding="utf-8"))  # a small JSON file, numbers only
    assert doc["format"] == session_file.FORMAT and doc["image"]["path"] == str(image_file.resolve())
    assert doc["split"]["left"] == "webp" and doc["split"]["quality"] == {"webp": 60.0}
    assert len(doc["comparison"]) == 3 and path.stat().st_size < 20000
    assert [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # atomic: no leftovers
    rows = len(win.session.history)

    from lvqac_gui.qt.settings import AppSettings
    other = make_window(settings_=AppSettings(str(tmp_path / "other.ini")))
    other.session.clear_history()
    opened = other.session_io.open_session(str(path))
    assert opened is not None
    helpers.wait_idle(qtbot, other)
    qtbot.waitUntil(lambda: other.session.compare_rows != [], timeout=5000)
    helpers.wait_idle(qtbot, other)
    s = other.session
    assert s.source.path == str(image_file.resolve()) and s.display is not None
    assert len(s.compare_rows) == 3 and other.compare_table.rowCount() == 3 and other.rd.compare_items
    assert [e for e in s.history if e.earlier] and len(s.history) >= rows
    sp = other.split
    assert (sp.left_key(), sp.right_key()) == ("webp", "result")
    assert sp.error_box.isChecked() and sp.slider.value() == 300
    qtbot.waitUntil(lambda: "webp" in s.classical, timeout=30000)
    assert not s.classical["webp"].matched and s.classical["webp"].quality == 60.0
    assert other.shown_errors == []


def test_session_never_overwritten_without_asking(qtbot, helpers, make_window, image_file, tmp_path,
                                                  monkeypatch):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    path = tmp_path / "kept.lvqsession"
    path.write_text("the user's own file", encoding="utf-8")
    asked = []
    monkeypatch.setattr(dialogs, "confirm_overwrite", lambda parent, paths: asked.append(paths) or False)
    assert win.session_io.save_session(str(path)) is None
    assert asked == [[path]] and path.read_text(encoding="utf-8") == "the user's own file"
    monkeypatch.setattr(dialogs, "confirm_overwrite", lambda parent, paths: True)
    assert win.session_io.save_session(str(path)) == path
    assert session_file.load(path).image_path == str(image_file.resolve())


def test_session_with_a_missing_image_says_so_and_loses_nothing(qtbot, helpers, make_window, tmp_path):
    from conftest import make_image
    first = tmp_path / "first.png"
    Image.fromarray(make_image(64, 80, 1)).save(first)
    gone = tmp_path / "photos" / "gone.png"
    gone.parent.mkdir()
    Image.fromarray(make_image(64, 80, 2)).save(gone)
    win = make_window()
    win.session.open_paths([gone])
    helpers.wait_idle(qtbot, win)
    win.session.compare_quantizers()
    helpers.wait_idle(qtbot, win)
    path = tmp_path / "gone.lvqsession"
    win.session_io.save_session(str(path))
    shutil.move(gone, tmp_path / "gone-moved.png")

    other = make_window()
    other.session.clear_history()
    other.session.open_paths([first])
    helpers.wait_idle(qtbot, other)
    shown, lmbda = other.session.display, other.session.lmbda
    assert other.session_io.open_session(str(path)) is not None
    (title, message), = other.shown_errors
    assert title == "Session image missing" and str(gone.resolve()) in message and "restored" in message
    assert other.session.display is shown and other.session.lmbda == lmbda  # nothing lost
    assert other.session.source.name == "first.png" and not other.session.busy
    assert any(e.earlier and e.source.name == "gone.png" for e in other.session.history)
    assert other.history.table.rowCount() == len(other.session.history)
    assert path.read_bytes()  # the session file itself is untouched
    # the image found again: the session's comparison follows it
    shutil.move(tmp_path / "gone-moved.png", gone)
    other.session.open_paths([gone])
    helpers.wait_idle(qtbot, other)
    qtbot.waitUntil(lambda: len(other.session.compare_rows) == 3, timeout=5000)


def test_session_moved_with_its_image_and_damaged_files(qtbot, make_window, image_file, tmp_path):
    doc = session_file.SessionDoc(image_path=str(image_file.resolve()), image_name=image_file.name)
    moved_dir = tmp_path / "moved"
    moved_dir.mkdir()
    session_file.save(doc, image_file.parent / "s.lvqsession")
    shutil.copy(image_file.parent / "s.lvqsession", moved_dir / "s.lvqsession")
    shutil.copy(image_file, moved_dir / image_file.name)
    image_file.unlink()
    assert session_file.load(moved_dir / "s.lvqsession").image_path == str((moved_dir / image_file.name).resolve())
    win = make_window()
    bad = tmp_path / "bad.lvqsession"
    bad.write_text("{not json", encoding="utf-8")
    assert win.session_io.open_session(str(bad)) is None
    (title, message), = win.shown_errors
    assert title == "Cannot open session" and "not a session file" in message


def test_paste_an_image_a_file_url_or_a_path(qtbot, helpers, make_window, image_file):
    from conftest import make_image
    win = make_window()
    assert any(a.shortcut().toString() == "Ctrl+V" for a in win.actions())
    rgb = make_image(40, 56, 3)
    img = QImage(rgb.tobytes(), 56, 40, 56 * 3, QImage.Format.Format_RGB888).copy()
    QApplication.clipboard().setImage(img)
    assert win.act_paste.isEnabled()
    win.act_paste.trigger()
    helpers.wait_idle(qtbot, win)
    assert win.session.source.name == "pasted image 56×40"
    assert np.array_equal(win.session.display.original, rgb)
    for make in (lambda m: m.setUrls([QUrl.fromLocalFile(str(image_file))]),
                 lambda m: m.setText(QUrl.fromLocalFile(str(image_file)).toString()),
                 lambda m: m.setText(f'"{image_file}"\n')):
        mime = QMimeData()
        make(mime)
        assert win.session_io.paste(mime)
        helpers.wait_idle(qtbot, win)
        assert win.session.source.path == str(image_file)
    mime = QMimeData()
    mime.setText("hello")
    shown = win.session.display
    assert not win.session_io.paste(mime)
    assert "no image" in win.statusBar().currentMessage() and win.session.display is shown


def test_theme_dark_light_follow_system_remembered(qtbot, make_window, settings, monkeypatch):
    app = QApplication.instance()
    win = make_window()
    labels = [a.text() for a in win.session_io.theme_actions.values()]
    assert labels == ["Dark", "Light", "Follow system"]
    assert win.session_io.theme_actions["dark"].isChecked()
    window_colour = lambda: app.palette().color(QPalette.ColorRole.Window).lightness()  # noqa: E731
    assert window_colour() < 100
    win.session_io.theme_actions["light"].trigger()
    assert window_colour() > 200 and settings.value("view/theme") == "light"
    assert win.rd.backgroundBrush().color().lightness() > 150  # views made before follow it
    assert QColor(win.rd.legend.items[0][1].opts["color"]).lightness() < 100  # dark legend text
    other = make_window()  # remembered: a new window starts light
    assert other.session_io.theme_actions["light"].isChecked()
    monkeypatch.setattr(theme, "system_scheme", lambda: "dark")
    win.session_io.set_theme("system")
    assert window_colour() < 100 and theme.current_scheme(app) == "dark"
    monkeypatch.setattr(theme, "system_scheme", lambda: "light")
    win.session_io.system_scheme_changed()  # the system switched: followed
    assert window_colour() > 200 and theme.current_scheme(app) == "light"
    win.session_io.set_theme("dark")
    win.session_io.system_scheme_changed()  # not followed when the choice is Dark
    assert window_colour() < 100
    assert QColor(theme.LIGHT["background"]).lightness() < 220  # images on neutral grey, not white
