"""Sessions (save / open, a missing image, never overwritten silently), the
clipboard (Edit ▸ Paste) and the theme (Dark / Light / Follow system, remembered)."""
from __future__ import annotations

import json
import shutil

import numpy as np
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication

from lvqac_gui.model import session_file
from lvqac_gui.qt import dialogs, theme
from lvqac_testing import smooth_image, write_image


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
    first = write_image(tmp_path / "first.png", 64, 80, seed=1)
    gone = write_image(tmp_path / "photos" / "gone.png", 64, 80, seed=2)
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
    assert title == "Session image missing" and str(gone.resolve()) in message.splitlines()[0]
    assert "result row(s) were added" in message and "comparison (3 rows) waits" in message
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
    win = make_window()
    assert any(a.shortcut().toString() == "Ctrl+V" for a in win.actions())
    rgb = smooth_image(40, 56, seed=3)
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


# ---------------------------------------------------------------- item 2: each side its own control
def _split(qtbot, helpers, make_window, image_file, left, right):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    win.tabs.setCurrentIndex(1)
    win.split.choose(left=left, right=right)
    helpers.wait_idle(qtbot, win)
    return win


def test_learned_side_has_its_own_lambda_reencoded_live(qtbot, helpers, make_window, image_file):
    from lvqac_gui.model import rate
    win = _split(qtbot, helpers, make_window, image_file, "result", "original")
    sp, s = win.split, win.session
    shown, lmbda = s.display, s.lmbda
    ctl = sp.lambda_controls["left"]
    assert ctl.isVisible() and not sp.lambda_controls["right"].isVisible()  # the original has none
    assert not sp.quality_boxes["left"].isVisible()  # a learned side: λ, not a quality
    assert not ctl.back.isEnabled()  # at the result's λ
    requested = []
    sp.lambda_requested.connect(lambda key, v: requested.append((key, v)))
    for target in (0.003, 0.03, 0.015):  # dragging: one encoding when the value rests
        ctl.slider.setValue(rate.position(target, ctl.lo, ctl.hi))
    assert requested == [] and ctl.timer.isActive()
    ctl.timer.timeout.emit()
    ctl.timer.stop()
    assert requested == [("left", 0.015)]
    qtbot.waitUntil(lambda: s.side_row("lvqac", 0.015) is not None, timeout=60000)
    helpers.wait_idle(qtbot, win)
    row = s.side_row("lvqac", 0.015)
    assert s.display is shown and s.lmbda == lmbda  # the shown result stays
    assert sp.left_key() == "own:lvqac:0.015" and sp.left_box.currentText() == "LVQAC λ=0.015 (own λ)"
    assert sp.sides["result"]["image"] is shown.reconstruction  # still offered, unchanged
    assert np.array_equal(sp.sides[sp.left_key()]["image"], row.reconstruction) and ctl.back.isEnabled()
    assert f"{row.num_bytes:,} B" in sp.caption_left.text()
    assert [e for e in s.history if e.kind == "side" and e.lmbda == 0.015]  # a Results row
    assert any("split side" in it.name() for it in win.rd.side_items)  # and a point
    assert "left · LVQAC λ=0.015" in win.split_probe_text(1, 1)
    # a classical side matches the learned side at its own λ
    sp.choose(right="webp")
    helpers.wait_idle(qtbot, win)
    assert s.classical["webp"].target_bytes == row.num_bytes
    # the session keeps the side's own λ
    saved = win.session_io.split_choices()
    assert saved["left"] == "own:lvqac:0.015" and saved["own"] == [["lvqac", 0.015]]
    ctl.back.click()  # back to the result's λ
    helpers.wait_idle(qtbot, win)
    assert sp.left_key() == "result" and not ctl.back.isEnabled()


def test_classical_side_is_a_results_row_and_an_rd_point(qtbot, helpers, make_window, image_file, tmp_path):
    win = _split(qtbot, helpers, make_window, image_file, "webp", "result")
    s = win.session
    c = s.classical["webp"]
    rows = [e for e in s.history if e.kind == "classical"]
    assert len(rows) == 1 and rows[0].num_bytes == c.num_bytes and rows[0].psnr == c.psnr
    assert rows[0].model == f"WebP q{c.quality:.1f} (A/B split)"
    table = win.history.table
    models = [table.item(r, 2).text() for r in range(table.rowCount())]
    assert rows[0].model in models
    assert [it.name() for it in win.rd.classical_items] == [c.label]
    assert not s.unexported() or all(e.kind == "compressed" for e in s.unexported())
    out = win.export_csv(str(tmp_path / "r.csv"))
    assert f"webp q{c.quality:g},," in out.read_text(encoding="utf-8")
    # restored across restarts with its codec and quality
    from lvqac_gui.model import history_store
    history_store.save(s.history, tmp_path / "h.json")
    again = [e for e in history_store.load(tmp_path / "h.json") if e.kind == "classical"]
    assert again[0].codec == "webp" and again[0].quality == c.quality
    # double-click: the same image is shown, so the split shows it again
    win.tabs.setCurrentIndex(0)
    win.history.reopen_row(rows[0].index)
    assert win.tabs.currentIndex() == 1
