"""The second pass: layout, stale content, export during a job, batches with bad files,
.lvq then image, the RD dock at three window sizes, feedback, help, the comparison view."""
from __future__ import annotations

import csv
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from lvqac_core import bitstream
from lvqac_gui.model import classical
from lvqac_gui.qt import dialogs
from lvqac_testing import smooth_image, write_image


def _mime(*paths) -> QMimeData:
    m = QMimeData()
    m.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return m


def _png(tmp_path, name, h=64, w=80, seed=0):
    return write_image(tmp_path / name, h, w, seed=seed)


def _settle(qtbot, ms=80):
    QApplication.processEvents()
    qtbot.wait(ms)


def _panel_widths(win):
    return [p.width() for p in win.panels.values()]


def _fits_whole_image(win, key):
    (x0, x1), (y0, y1) = win.panels[key].vb.viewRange()
    w, h = win.linker.size
    return x0 <= 0.5 and y0 <= 0.5 and x1 >= w - 0.5 and y1 >= h - 0.5


def test_real_drop_event_and_drag_enter(qtbot, helpers, make_window, tmp_path):
    win = make_window()
    a = _png(tmp_path, "a.png")
    mime = _mime(a)
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


def test_new_image_shows_at_once_and_clears_the_old_result(qtbot, helpers, make_window, tmp_path,
                                                           slow_backend):
    win = make_window(backend_=slow_backend)
    first, second = _png(tmp_path, "first.png", seed=1), _png(tmp_path, "second.png", 48, 96, seed=2)
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
    good = _png(tmp_path, "good.png")
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


def test_export_during_a_job_is_refused_and_names_carry_the_model(qtbot, helpers, make_window,
                                                                  tmp_path, slow_backend):
    win = make_window(backend_=slow_backend)
    win.session.open_paths([_png(tmp_path, "one.png")])
    helpers.wait_idle(qtbot, win)
    out = tmp_path / "out"
    out.mkdir()
    win.session.set_choices(quantizer="lvq")  # a new job: the shown result is about to change
    assert win.session.busy
    assert not win.act_export_all.isEnabled() and not win.act_save.isEnabled()
    qtbot.keyClick(win, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert win.export_all(str(out)) == [] and list(out.iterdir()) == []
    helpers.wait_idle(qtbot, win)
    assert win.act_export_all.isEnabled()
    written = win.export_all(str(out))
    assert {p.name for p in written} >= {"one.lvq-0.0075.lvq", "one.lvq-0.0075.decoded.png"}
    # a second variant does not clash with the first
    win.session.set_choices(quantizer="scalar")
    helpers.wait_idle(qtbot, win)
    second = win.export_all(str(out))
    assert second and not set(second) & set(written)
    assert all(".scalar-0.0075." in p.name for p in second)


def test_batch_with_a_bad_file_table_csv_and_reopen(qtbot, helpers, make_window, tmp_path, monkeypatch):
    modal = []
    monkeypatch.setattr(dialogs, "show_error", lambda *a: modal.append(a))
    win = make_window()
    win.error_handler = lambda t, m: dialogs.show_error(win, t, m)
    a, c = _png(tmp_path, "a.png", seed=3), _png(tmp_path, "c.png", seed=4)
    bad = tmp_path / "b-bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert win.handle_drop(_mime(a, bad, c))
    helpers.wait_idle(qtbot, win)
    assert modal == []  # nothing blocks a batch
    t = win.history.table
    assert t.rowCount() == 3
    names = [t.item(r, 1).text() for r in range(3)]
    assert names == ["a.png", "b-bad.png", "c.png"]
    assert "Cannot read image" in t.item(1, 8).text() and t.item(0, 8).text() == "ok"
    assert win.tabs.tabText(2) == "Results (3, 1 failed)"
    csv_path = tmp_path / "results.csv"
    assert win.export_csv(str(csv_path)) == csv_path
    rows = list(csv.reader(csv_path.open()))
    assert rows[0][:4] == ["file", "quantizer", "lambda", "bytes"]
    assert [r[0].rsplit("/", 1)[-1] for r in rows[1:]] == names
    ok = rows[1]
    assert int(ok[3]) == win.session.history[0].num_bytes and float(ok[5]) > 0 and ok[8] == "ok"
    assert rows[2][8].startswith("Cannot read image")
    # reopen the first row: its result is shown again, without recompressing
    win.history.reopen_row(0)
    assert not win.session.busy
    assert win.session.display.source.name == "a.png" and win.windowTitle().endswith("a.png")


def test_lvq_then_image_relayout_and_controls(qtbot, helpers, make_window, tmp_path, factory):
    win = make_window()
    # a .lvq written by another model than the one chosen
    codec = factory("lvq", 0.03, "cpu")
    lvq = tmp_path / "cat.lvq"
    lvq.write_bytes(codec.compress(np.asarray(Image.open(_png(tmp_path, "cat.png", 96, 160)))).data)
    win.session.open_paths([lvq])
    helpers.wait_idle(qtbot, win)
    box = win.controls
    assert box.quantizer_box.currentData() == "lvq" and box.lmbda_box.currentData() == pytest.approx(0.03)
    assert not box.lmbda_box.isEnabled() and not box.quantizer_box.isEnabled()
    assert "Decoded" in win.split.left_box.currentText() and "original not in file" in win.split.note.text()
    win.linker.zoom_by(4.0)
    img = _png(tmp_path, "wide.png", 64, 128, seed=5)
    win.session.open_paths([img])
    helpers.wait_idle(qtbot, win)
    _settle(qtbot)
    widths = _panel_widths(win)
    assert max(widths) - min(widths) <= 2, widths  # equal columns
    assert win.linker.fitted and all(_fits_whole_image(win, k) for k in ("original", "bits"))
    assert box.lmbda_box.isEnabled() and win.split.left_box.currentText() == "Original"
    # resize: still fitted
    win.resize(1100, 760)
    _settle(qtbot)
    assert all(_fits_whole_image(win, k) for k in ("original", "reconstruction"))


@pytest.mark.parametrize("size", [(1024, 700), (1280, 800), (1920, 1080)])
def test_rd_dock_readable(qtbot, helpers, make_window, image_file, size):
    win = make_window()
    helpers.open_with_rd_dock(qtbot, win, image_file, size)
    _settle(qtbot, 150)
    assert win.rd.isVisible() and win.rd.height() >= 200 and win.rd.width() >= 250, win.rd.size()
    from lvqac_gui.qt.rdplot import LEGEND_PT
    assert LEGEND_PT >= 9
    plot_h = win.rd.getPlotItem().vb.height()
    assert plot_h >= 90, plot_h
    win.legend_box.setChecked(False)
    _settle(qtbot)
    assert win.rd.getPlotItem().vb.height() > plot_h  # hiding the legend gives the curves room


def test_notes_banner(qtbot, helpers, make_window, tmp_path):
    win = make_window()
    p = tmp_path / "rgba.png"
    Image.fromarray(np.dstack([np.asarray(Image.open(_png(tmp_path, "x.png"))),
                               np.full((64, 80), 200, np.uint8)])).save(p)
    win.session.open_paths([p])
    helpers.wait_idle(qtbot, win)
    assert win.banner.isVisible() and "alpha" in win.banner.text().lower()


def test_feedback_stages_recent_and_help(qtbot, helpers, make_window, image_file, factory):
    from lvqac_gui.model.backend import Backend
    win = make_window(backend_=Backend(codec_factory=factory))  # nothing loaded yet
    texts = []
    win.session.progress_changed.connect(lambda f, t: texts.append((f, t)))
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    stages = " | ".join(t for _, t in texts)
    for word in ("loading model", "analysing", "coding", "decoding", "drawing maps"):
        assert word in stages, stages
    assert any(f < 0 for f, _ in texts)  # model loading: no fake percentage
    fractions = [f for f, t in texts if f >= 0 and t != "Done"]
    assert fractions == sorted(fractions)
    # the residual colour bar says it is clipped at the 99.5th percentile, not min / max
    left, centre, right = win.panels["residual"].colorbar.labels()
    assert "99.5th-percentile" in centre and left.startswith("≤") and right.startswith("≥")
    assert "99.5th percentile" in win.panels["residual"].colorbar.toolTip()
    # tooltips and the guide explain λ, Zⁿ vs Zⁿ+½, A and bits per position
    assert "λ" in win.controls.lmbda_box.toolTip() and "Zⁿ+½" in win.controls.quantizer_box.toolTip()
    for key in ("selection", "a_law", "bits"):
        assert win.panels[key].title.toolTip()
    guide = win.guide_html()
    assert all(w in guide for w in ("λ", "Zⁿ+½", "A-law", "Bits per position"))
    html = win.shortcuts_html()
    assert html.startswith("<table") and html.count("<tr>") == len(win.shortcut_rows()) >= 15
    assert "F1" in html and "Ctrl+E" in html
    assert "LVQAC Studio" in win.about_html()


def test_matched_size_search_within_two_percent():
    from pathlib import Path
    sample = Path(__file__).resolve().parents[2] / "resources" / "samples" / "chelsea.png"
    with Image.open(sample) as im:  # a photo, at half size to keep the test fast
        rgb = np.asarray(im.convert("RGB").resize((im.width // 2, im.height // 2), Image.LANCZOS))
    pixels = rgb.shape[0] * rgb.shape[1]
    for codec in ("jpeg", "webp"):
        for bpp in (0.4, 0.9):  # the learned models' range
            target = int(bpp * pixels / 8)
            r = classical.at_size(codec, rgb, target)
            assert abs(r.num_bytes - target) <= 0.02 * target, (codec, target, r.num_bytes)
            assert r.reconstruction.shape == rgb.shape and r.psnr > 20
            assert r.bpp == pytest.approx(8 * r.num_bytes / pixels)
    # below the smallest JPEG the search reports the nearest size it reaches, honestly
    tiny = classical.at_size("jpeg", rgb, 200)
    assert tiny.size_error > 0.02 and tiny.quality < 2


def test_split_sides_webp_at_same_size_flicker_and_error_maps(qtbot, helpers, make_window, tmp_path):
    win = make_window()
    win.session.open_paths([_png(tmp_path, "cmp.png", 128, 160, seed=8)])
    helpers.wait_idle(qtbot, win)
    win.tabs.setCurrentIndex(1)
    s = win.split
    assert (s.left_key(), s.right_key()) == ("original", "result")
    s.choose(left="webp")  # not computed yet: the side asks, the worker encodes
    assert win.session.busy and "encoding" in s.caption_left.text()
    helpers.wait_idle(qtbot, win)
    _settle(qtbot)
    target = win.session.display.stats.num_bytes
    webp = win.session.classical["webp"]
    assert webp.target_bytes == target and s.sides["webp"]["image"] is not None
    assert f"{webp.num_bytes:,} B" in s.caption_left.text() and "dB" in s.caption_left.text()
    assert f"{target:,} B" in s.caption_right.text()
    assert np.array_equal(s.a, webp.reconstruction)
    view = win.split.vb.viewRange()
    qtbot.keyClick(win, Qt.Key.Key_Space)  # flicker: sides swap at the same zoom and position
    assert (s.left_key(), s.right_key()) == ("result", "webp") and win.split.vb.viewRange() == view
    s.error_box.setChecked(True)
    assert s.error_bar.isVisible()
    level = s.error_level()
    from lvqac_gui.model.maps import DIVERGING_LUT, apply_lut
    for key, img in (("result", s.a), ("webp", s.b)):
        r = (s.sides[key]["image"].astype(np.float32) - s.original.astype(np.float32)).mean(axis=2)
        assert np.array_equal(img, apply_lut(r, -level, level, DIVERGING_LUT))  # one scale


def test_signal_emits_cannot_exhaust_true():
    """PySide6 6.12 on Python 3.11 drops a reference to True per signal emit (see
    lvqac_gui/pyside_fix.py); 50,000 emits — more than True's references at start — must not
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
    _settle(qtbot)
    assert behind_dialog and behind_dialog[-1][0].startswith("failed") and not behind_dialog[-1][1], behind_dialog
    assert win.session.display is None and win.shown_errors
    assert "other weights" in win.shown_errors[-1][1]
    texts = {key: panel.placeholder.text() for key, panel in win.panels.items()}
    assert texts["original"] == "original not in file", texts
    assert all(t.startswith("failed") for k, t in texts.items() if k != "original"), texts
    assert win.split.note.text() == "foreign.lvq: failed" and not win.split.line.isVisible()
    # a good file afterwards: pictures again, nothing left over
    win.session.open_paths([_png(tmp_path, "good.png")])
    helpers.wait_idle(qtbot, win)
    assert win.session.display is not None and win.panels["reconstruction"].placeholder.isHidden()
