"""The third pass: whole guide paragraphs, the smaller items, compare quantizers in view,
the split's readout, batch export and a kept history, the split's honest A/B."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QTextDocument
from PySide6.QtWidgets import QApplication

from lvqac_gui.qt import dialogs
from lvqac_testing import write_image


def _png(tmp_path, name, h=64, w=80, seed=0):
    return write_image(tmp_path / name, h, w, seed=seed)


def _plain(html: str) -> str:
    doc = QTextDocument()
    doc.setHtml(html)
    return " ".join(doc.toPlainText().split())


def _words(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------- 5: the guide, whole
def test_guide_shows_every_paragraph_whole(make_window):
    from lvqac_gui.qt.panels import GUIDE_TIPS
    win = make_window()
    shown = _plain(win.guide_html())
    for key, text in GUIDE_TIPS.items():
        assert _words(text) in shown, key
    assert "A < 1" in shown  # the paragraph that a "<" used to cut
    for heading in ("A/B split", "Position inspector", "Sessions"):  # the features the guide explains
        assert heading in shown, heading
    assert "its own λ" in shown and "What if" in shown and "Save session" in shown


# ---------------------------------------------------------------- 8: the smaller items
def test_error_message_names_the_file_once_in_plain_words(qtbot, make_window, tmp_path):
    win = make_window()
    bad = tmp_path / "broken-photo.png"
    bad.write_bytes(b"not an image")
    win.session.open_paths([bad])
    (title, message), = win.shown_errors
    assert message.count("broken-photo.png") == 1, message
    assert "cannot identify" not in message and str(tmp_path) not in message
    assert message.startswith("broken-photo.png: ")


def test_shares_never_round_to_100_percent():
    from lvqac_gui.model.maps import a_law_layer, percent
    assert percent(0.997) == "99.7 %" and percent(0.99996) == "> 99.9 %" and percent(1.0) == "100.0 %"
    assert percent(0.00002) == "< 0.1 %" and percent(0.0) == "0.0 %"
    a = np.full((4, 4), 2.0)
    a[0, 0] = 1.0
    layer = a_law_layer(a, 16, 64, 64, {"a_min": 1.0, "a_max": 2.0, "a_active_share": 15 / 16})
    assert "93.8 % ≠ 1" in layer.center_text
    layer = a_law_layer(a, 16, 64, 64, {"a_min": 1.0, "a_max": 2.0, "a_active_share": 0.997})
    assert "99.7 %" in layer.center_text and "100" not in layer.center_text


def test_model_row_names_the_coded_lambda(qtbot, helpers, make_window, image_file):
    from dataclasses import replace
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    st = win.session.display.stats
    preset = replace(st, model_id="minnen2018-ckbd-lvqac-0.0075", lmbda=0.0075)
    assert dict(preset.rows())["Model"] == "minnen2018-ckbd-lvqac-0.0075"
    between = replace(st, model_id="minnen2018-ckbd-lvqac-0.0075", lmbda=0.005)
    model = dict(between.rows())["Model"]
    assert "λ = 0.005" in model and not model.startswith("minnen2018-ckbd-lvqac-0.0075")


def test_exported_maps_carry_a_title_strip(qtbot, helpers, make_window, image_file, tmp_path):
    from lvqac_gui.model import export
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    d = win.session.display
    out = tmp_path / "out"
    out.mkdir()
    written = export.export_all(d, out)
    maps = [p for p in written if p.suffix == ".png" and not p.name.endswith(".decoded.png")]
    assert maps
    for p in maps:
        img = np.asarray(Image.open(p).convert("RGB"))
        assert img.shape[0] > d.height + 40  # title strip + colour-bar strip
        top = img[:12]
        assert (top.max(axis=2) > 150).any(), p.name  # text in the title strip
    heading = export.map_heading(d, "Residual")
    assert image_file.name in heading and d.stats.quantizer in heading and f"{d.stats.lmbda:g}" in heading


def _mime(*paths) -> QMimeData:
    m = QMimeData()
    m.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return m


_KEEP = []  # mime data outlives its event (a freed QMimeData under an event crashes)


def _drag_enter(win, mime):
    _KEEP.append(mime)
    ev = QDragEnterEvent(QPoint(40, 40), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier)
    ev.setAccepted(False)
    win.dragEnterEvent(ev)
    return ev


def test_drag_refuses_non_images_and_highlights_images(qtbot, make_window, tmp_path):
    win = make_window()
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    refused = _drag_enter(win, _mime(text))
    assert not refused.isAccepted() and not win.drop_overlay.isVisible()
    folder = tmp_path / "folder"
    folder.mkdir()
    assert not _drag_enter(win, _mime(folder)).isAccepted()
    a, b = _png(tmp_path, "a.png"), _png(tmp_path, "b.png", seed=1)
    ok = _drag_enter(win, _mime(a, b, text))
    assert ok.isAccepted() and win.drop_overlay.isVisible() and "2 files" in win.drop_overlay.text()
    assert win.drop_overlay.geometry() == win.centralWidget().rect()
    from PySide6.QtGui import QDragLeaveEvent
    win.dragLeaveEvent(QDragLeaveEvent())
    assert not win.drop_overlay.isVisible()


def test_compare_quantizers_is_off_for_a_lvq(qtbot, helpers, make_window, image_file, tmp_path):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    assert win.controls.compare_btn.isEnabled() and win.act_compare.isEnabled()
    lvq = win.save_lvq(str(tmp_path / "x.lvq"))
    win.session.open_paths([lvq])
    helpers.wait_idle(qtbot, win)
    assert not win.controls.compare_btn.isEnabled() and not win.act_compare.isEnabled()
    assert "needs an image" in win.controls.compare_btn.toolTip()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    assert win.controls.compare_btn.isEnabled() and win.act_compare.isEnabled()


def test_no_dead_arrow_glyphs_in_the_split(make_window):
    from PySide6.QtWidgets import QLabel
    win = make_window()
    texts = [lbl.text() for lbl in win.split.findChildren(QLabel)]
    assert not any(("◀" in t or "▶" in t) for t in texts), texts


def test_done_is_said_once_and_batch_counters_agree(qtbot, helpers, make_window, tmp_path):
    win = make_window()
    files = [_png(tmp_path, f"b{k}.png", seed=k) for k in range(3)]
    seen = []

    def record(fraction, text):
        m = re.search(r"\[(\d+)/(\d+)\]", text)
        if m:
            seen.append((m.group(0), win.batch_label.text()))
    win.session.progress_changed.connect(record)
    win.session.open_paths(files)
    helpers.wait_idle(qtbot, win)
    assert seen
    for stage, label in seen:
        k, n = stage[1:-1].split("/")
        assert label == f"batch {k}/{n}", (stage, label)
    assert win.batch_label.text() == "batch 3/3 done"
    c = win.controls
    assert c.stage.text() == "Done"
    assert not c.progress.isTextVisible()  # the bar does not repeat it
    c.session.busy_changed.emit(False)
    assert not c.progress.isTextVisible()


def test_double_click_in_results_shows_the_image(qtbot, helpers, make_window, image_file):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    win.tabs.setCurrentIndex(2)
    win.history.table.cellDoubleClicked.emit(0, 1)
    helpers.wait_idle(qtbot, win)
    assert win.tabs.currentIndex() == 0


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


def test_cursor_readout_follows_a_recompress(qtbot, helpers, make_window, image_file):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    win.show_probe(20, 20)
    assert "codebook" in win.probe_label.text()
    win.session.set_choices(quantizer="scalar")
    helpers.wait_idle(qtbot, win)
    assert win.probe_label.text() == win.probe_text(20, 20)
    assert "codebook" not in win.probe_label.text()


def test_long_tooltips_wrap(qtbot, make_window):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip
    win = make_window()
    box = win.controls.quantizer_box
    assert max(len(line) for line in box.toolTip().splitlines()) > 70
    ev = QHelpEvent(QEvent.Type.ToolTip, QPoint(5, 5), box.mapToGlobal(QPoint(5, 5)))
    QApplication.sendEvent(box, ev)
    qtbot.waitUntil(QToolTip.isVisible, timeout=3000)
    assert QToolTip.text().startswith("<qt>")
    tips = [w for w in QApplication.topLevelWidgets() if w.objectName() == "qtooltip_label" and w.isVisible()]
    assert tips and tips[0].width() < 700, tips[0].width() if tips else None
    QToolTip.hideText()


def test_fitted_zoom_holds_when_the_quantizer_changes(qtbot, helpers, make_window, tmp_path):
    win = make_window()
    win.session.open_paths([_png(tmp_path, "big.png", 256, 384)])
    helpers.wait_idle(qtbot, win)
    qtbot.wait(100)
    first = win.linker.zoom()
    zooms = []
    win.linker.zoom_changed_callbacks.append(zooms.append)
    for q in ("scalar", "lvq", "lvqac"):
        win.session.set_choices(quantizer=q)
        helpers.wait_idle(qtbot, win)
        qtbot.wait(100)
    assert win.linker.fitted
    assert {round(z, 4) for z in zooms + [win.linker.zoom()]} == {round(first, 4)}
    heights = {p.gv.height() for p in win.panels.values() if p.gv.isVisible()}
    assert len(heights) == 1, heights  # six views of one size, whatever each shows


@pytest.mark.parametrize("size", [(1024, 700), (1400, 900)])
def test_rd_plot_legend_and_right_edge_fit(qtbot, helpers, make_window, image_file, size):
    win = make_window()
    helpers.open_with_rd_dock(qtbot, win, image_file, size)
    QApplication.processEvents()
    qtbot.wait(100)
    rd = win.rd
    assert rd.isVisible()
    legend = rd.legend.sceneBoundingRect()
    assert legend.left() >= 0 and legend.right() <= rd.viewport().width(), (legend, rd.viewport().width())
    axis = rd.getAxis("bottom").sceneBoundingRect()
    # the last tick label is drawn centred on the right end of the axis: half a label of room
    assert axis.right() + 12 <= rd.viewport().width(), (axis, rd.viewport().width())


def test_a_side_being_searched_shows_a_placeholder_and_progress(qtbot, helpers, make_window, image_file):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    win.tabs.setCurrentIndex(1)
    win.split.choose(left="webp")
    job = win.session.active
    assert job is not None and job.kind == "classical"
    sp = win.split
    assert sp.pending_side() == "left" and sp.pending_text.isVisible()
    assert "WebP" in sp.pending_text.toPlainText()
    assert sp.a is not None and sp.a.max() > 0  # not a black half: the original, dimmed
    assert sp.a.max() < win.session.display.original.max()
    win.session.job_progress(job.id, 0.4, "searching quality")
    assert "40 %" in sp.pending_text.toPlainText()
    helpers.wait_idle(qtbot, win)
    assert not sp.pending_text.isVisible() and sp.pending_side() is None


# ---------------------------------------------------------------- 4: compare quantizers, in view
def _front_dock_tab(win) -> str:
    """The dock in front where Numbers and Rate–distortion share tabs (a hidden tab's widget
    stays "visible", moved off-screen)."""
    from PySide6.QtWidgets import QTabBar
    bars = [b for b in win.findChildren(QTabBar) if b is not win.tabs.tabBar() and b.count() > 1]
    assert len(bars) == 1
    return bars[0].tabText(bars[0].currentIndex())


def test_compare_quantizers_shows_its_result_with_lambda(qtbot, helpers, make_window, image_file):
    win = make_window()
    win.resize(1280, 800)
    win.arrange_docks(800)  # Numbers and Rate–distortion share a tab; Numbers in front
    win.docks["numbers"].raise_()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    QApplication.processEvents()
    assert _front_dock_tab(win) == "Numbers"
    win.session.compare_quantizers()
    helpers.wait_idle(qtbot, win)
    QApplication.processEvents()
    assert _front_dock_tab(win) == "Rate–distortion" and win.compare_table.isVisible()
    lam = f"{win.session.lmbda:g}"
    header = [win.compare_table.horizontalHeaderItem(c).text() for c in range(win.compare_table.columnCount())]
    col = header.index("λ")
    assert all(win.compare_table.item(r, col).text() == lam for r in range(win.compare_table.rowCount()))
    names = [it.name() for it in win.rd.compare_items]
    assert names and all(f"λ={lam}" in n for n in names)
    assert "λ=" in win.statusBar().currentMessage()
    # another quantizer at the same λ: still the same comparison
    win.session.set_choices(quantizer="lvq")
    helpers.wait_idle(qtbot, win)
    assert win.session.compare_rows
    # another λ: the comparison (of the old λ) is gone, not mixed with the new result
    win.session.set_choices(lmbda=0.015)
    helpers.wait_idle(qtbot, win)
    assert win.session.compare_rows == [] and win.rd.compare_items == []
    assert not win.compare_table.isVisible()
    assert not any(k.startswith("q:") for k in win.split.sides)


# ---------------------------------------------------------------- 3: the split's readout
def _split_webp_vs_result(qtbot, helpers, make_window, image_file):
    """A window with ``image_file`` coded and the A/B split showing WebP (left) against the result."""
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    win.tabs.setCurrentIndex(1)
    win.split.choose(left="webp", right="result")
    helpers.wait_idle(qtbot, win)
    return win


def test_split_readout_names_its_side_and_describes_it(qtbot, helpers, make_window, image_file):
    win = _split_webp_vs_result(qtbot, helpers, make_window, image_file)
    sp = win.split
    assert sp.a is not None and sp.b is not None
    x_left, x_right = sp.split_x() // 2, (sp.split_x() + sp.a.shape[1]) // 2
    win.show_split_probe(x_left, 10)
    left = win.probe_label.text()
    assert left.startswith("left · WebP"), left
    assert "RGB" in left and "orig" in left and "residual" in left
    assert "codebook" not in left and " A " not in left and "bits" not in left
    c = win.session.classical["webp"]
    assert "RGB %d,%d,%d" % tuple(c.reconstruction[10, x_left]) in left  # the WebP side's pixel
    win.show_split_probe(x_right, 10)
    right = win.probe_label.text()
    assert right.startswith("right · LVQAC λ=") and "codebook" in right
    win.split.flip()
    win.show_split_probe(x_left, 10)
    assert win.probe_label.text().startswith("left · LVQAC")


# ---------------------------------------------------------------- 1: a batch that writes files
def _wait_export(qtbot, win):
    qtbot.waitUntil(lambda: not win.exporter.running and win.last_batch_report is not None, timeout=60000)
    return win.last_batch_report


def test_export_batch_writes_every_result_with_unique_names(qtbot, helpers, make_window, tmp_path,
                                                            monkeypatch):
    win = make_window()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    files = [_png(tmp_path / "a", "photo.png", seed=1), _png(tmp_path / "b", "photo.png", seed=2),
             _png(tmp_path, "other.png", seed=3)]
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image")
    win.session.open_paths(files + [bad])
    helpers.wait_idle(qtbot, win)
    assert len(win.session.unexported()) == 3
    out = tmp_path / "out"
    assert win.export_batch(str(out), maps=True)
    assert win.batch_dialog is not None  # progress, with Cancel
    report = _wait_export(qtbot, win)
    assert not report.failed and not report.cancelled and len(report.exported) == 3
    names = sorted(p.name for p in out.iterdir())
    tag = f"lvqac-{win.session.lmbda:g}"
    for stem in ("photo", "photo-2", "other"):
        assert f"{stem}.{tag}.lvq" in names and f"{stem}.{tag}.decoded.png" in names
        assert f"{stem}.{tag}.residual.png" in names and f"{stem}.{tag}.bits.png" in names
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")]  # atomic: no leftovers
    (title, summary), = win.shown_infos
    assert "Exported 3 of 3 results" in summary and f"{len(report.written)} files written" in summary
    assert win.session.unexported() == []
    assert "exported" in win.history.table.item(0, 8).text()
    # the decoded PNG is the shown reconstruction
    last = win.session.display
    png = np.asarray(Image.open(out / f"other.{tag}.decoded.png").convert("RGB"))
    assert np.array_equal(png, last.reconstruction)

    # never overwrite without asking: cancel, keep both, replace
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    asked = []
    monkeypatch.setattr(dialogs, "ask_replace_or_keep", lambda parent, paths: asked.append(paths) or None)
    assert not win.export_batch(str(out), maps=False)
    assert asked and {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    monkeypatch.setattr(dialogs, "ask_replace_or_keep", lambda parent, paths: "keep")
    win.last_batch_report = None
    assert win.export_batch(str(out), maps=False)
    _wait_export(qtbot, win)
    new = sorted(set(p.name for p in out.iterdir()) - set(before))
    assert f"photo-3.{tag}.lvq" in new and f"other-2.{tag}.decoded.png" in new and len(new) == 6
    assert {n: (out / n).stat().st_mtime_ns for n in before} == before


def test_export_batch_cancel_keeps_what_is_written(qtbot, helpers, make_window, tmp_path, monkeypatch):
    import threading
    from lvqac_gui.model import export
    win = make_window()
    files = [_png(tmp_path, f"c{k}.png", seed=k) for k in range(3)]
    win.session.open_paths(files)
    helpers.wait_idle(qtbot, win)
    go, entered = threading.Event(), threading.Event()
    real = export.export_all

    def held(*args, **kwargs):
        entered.set()
        go.wait(30)
        return real(*args, **kwargs)
    monkeypatch.setattr(export, "export_all", held)
    assert win.export_batch(str(tmp_path / "out"), maps=False)
    assert entered.wait(30)
    win.batch_dialog.canceled.emit()  # the Cancel button, while the first result is being written
    go.set()
    report = _wait_export(qtbot, win)
    assert report.cancelled and len(report.exported) == 1
    assert "Cancelled after 1 of 3" in win.shown_infos[-1][1]
    assert len(list((tmp_path / "out").iterdir())) == 2  # that result's .lvq and PNG, whole


def test_results_history_kept_across_restarts_and_cleared(qtbot, helpers, make_window, tmp_path,
                                                          gui_data_dir):
    win = make_window()
    win.session.open_paths([_png(tmp_path, "h0.png", seed=0), _png(tmp_path, "h1.png", seed=1)])
    helpers.wait_idle(qtbot, win)
    assert (gui_data_dir / "results-history.json").is_file()
    win.close()
    again = make_window()
    rows = again.session.history
    assert [e.name for e in rows] == ["h0.png", "h1.png"] and all(e.earlier for e in rows)
    assert rows[0].num_bytes == win.session.history[0].num_bytes
    assert "earlier session" in again.history.table.item(0, 8).text()
    assert again.session.unexported() == []  # earlier rows are not this session's to export
    again.history.reopen_row(0)  # an earlier row runs again
    helpers.wait_idle(qtbot, again)
    assert again.session.display.source.name == "h0.png" and len(again.session.history) == 3
    again.history.clear_btn.click()
    assert again.session.history == [] and again.history.table.rowCount() == 0
    third = make_window()
    assert third.session.history == []


def test_quitting_with_unexported_results_asks_first(qtbot, helpers, make_window, image_file,
                                                     tmp_path, monkeypatch):
    win = make_window()
    assert not win.ask_on_quit  # offscreen: nobody could answer, so nothing blocks
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    win.ask_on_quit = True
    answers = []
    monkeypatch.setattr(dialogs, "confirm_quit_unexported", lambda parent, n: answers.append(n) or False)
    assert not win.close() and win.isVisible() and answers == [1]
    win.export_batch(str(tmp_path / "out"), maps=False)
    _wait_export(qtbot, win)
    assert win.close() and answers == [1]  # nothing unexported: no question


# ---------------------------------------------------------------- 2: an honest A/B split
def test_classical_side_matches_the_other_side_on_screen(qtbot, helpers, make_window, tmp_path):
    win = make_window()
    win.session.open_paths([_png(tmp_path, "photo.png", 128, 160, seed=4)])
    helpers.wait_idle(qtbot, win)
    win.session.compare_quantizers()
    helpers.wait_idle(qtbot, win)
    rows = {r.quantizer: r for r in win.session.compare_rows}
    win.tabs.setCurrentIndex(1)
    sp = win.split
    win.split.choose(right="q:scalar")
    win.split.choose(left="webp")
    helpers.wait_idle(qtbot, win)
    c = win.session.classical["webp"]
    assert c.target_bytes == rows["scalar"].num_bytes != win.session.display.stats.num_bytes
    a, b = c.num_bytes, rows["scalar"].num_bytes
    assert sp.byte_difference() == f"right − left: {b - a:+,} B ({100.0 * (b - a) / a:+.1f} %)"
    assert sp.diff_label.isVisible() and sp.diff_label.text() == sp.byte_difference()
    assert [it.name() for it in win.rd.classical_items] == [c.label]
    # the other side changes: the classical side follows it
    win.split.choose(right="result")
    qtbot.waitUntil(lambda: not win.session.busy and win.session.classical.get("webp") is not None
                    and win.session.classical["webp"].target_bytes == win.session.display.stats.num_bytes,
                    timeout=60000)
    assert sp.byte_difference().startswith("right − left: ")


def test_classical_side_quality_control_and_match(qtbot, helpers, make_window, image_file):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    win.tabs.setCurrentIndex(1)
    sp = win.split
    sp.choose(left="webp", right="result")
    helpers.wait_idle(qtbot, win)
    box, match = sp.quality_boxes["left"], sp.match_buttons["left"]
    assert box.isVisible() and match.isVisible()
    assert not sp.quality_boxes["right"].isVisible()  # a learned side has no quality box
    requested = []
    sp.quality_requested.connect(lambda codec, q: requested.append((codec, q)))
    for v in (40.0, 55.0, 70.0):  # typing / spinning: one encoding when the value rests
        box.setValue(v)
    assert requested == [] and sp.quality_timer.isActive()
    sp.quality_timer.timeout.emit()  # the debounce interval ends
    sp.quality_timer.stop()
    assert requested == [("webp", 70.0)]
    helpers.wait_idle(qtbot, win)
    c = win.session.classical["webp"]
    assert not c.matched and c.quality == 70.0
    assert "your quality" in sp.left_box.currentText()
    match.click()
    helpers.wait_idle(qtbot, win)
    c = win.session.classical["webp"]
    assert c.matched and c.target_bytes == win.session.display.stats.num_bytes


# ---------------------------------------------------------------- 6: layout on every resize
def test_layout_follows_every_resize(qtbot, helpers, make_window, image_file):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)

    def settle():
        for _ in range(3):
            QApplication.processEvents()
            qtbot.wait(30)

    def tabbed():
        return bool(win.tabifiedDockWidgets(win.docks["numbers"]))
    win.resize(1400, 900)
    settle()
    win.resize(1024, 700)  # a resize, not a launch
    settle()
    assert tabbed()
    assert win.docks["controls"].width() <= 330  # the docks give the panels room
    for p in win.panels.values():  # no panel title runs past its label, no legend past its panel
        assert p.title.fontMetrics().horizontalAdvance(p.title.text()) <= p.title.width(), p.title.text()
        if p.legend.isVisible():
            assert p.legend.sizeHint().width() <= p.legend.width(), p.key
    assert win.panels["residual"].full_title.startswith("Residual")
    win.resize(1920, 1080)
    settle()
    assert win.height() >= 1000
    assert not tabbed()
    win.resize(1400, 900)
    settle()
    assert tabbed()
    win.resize(1920, 1200)
    settle()
    assert win.panels["residual"].title.text() == win.panels["residual"].full_title


def test_classical_side_saved_as_its_own_file(qtbot, helpers, make_window, image_file, tmp_path):
    win = _split_webp_vs_result(qtbot, helpers, make_window, image_file)
    out = win.save_classical_side(str(tmp_path / "side.webp"))
    c = win.session.classical["webp"]
    assert out is not None and out.read_bytes() == c.data
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), c.reconstruction)


# ---------------------------------------------------------------- 7: 1:1 on HiDPI screens
@pytest.mark.parametrize("ratio", [1.0, 1.5, 2.0])
def test_one_to_one_means_device_pixels(qtbot, helpers, make_window, image_file, monkeypatch, ratio):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    monkeypatch.setattr(win.linker, "device_pixel_ratio", lambda: ratio)  # the screen's ratio
    win.linker.one_to_one()
    vb = win.panels["original"].vb
    (x0, x1), _ = vb.viewRange()
    logical_per_image_px = vb.width() / (x1 - x0)
    assert logical_per_image_px * ratio == pytest.approx(1.0, rel=1e-3)  # one device pixel each
    assert win.zoom_label.text() == "zoom 100%"
    win.linker.zoom_by(2.0)
    assert win.zoom_label.text() == "zoom 200%"


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
