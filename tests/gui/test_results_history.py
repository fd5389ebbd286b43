"""The Results tab: a batch with a bad file, its counters, the table and its CSV, reopening a
row, the history kept across restarts and cleared."""
from __future__ import annotations

import csv
import re

from lvqac_gui.qt import dialogs
from lvqac_testing import write_image
from gui_testing import file_mime


def test_batch_with_a_bad_file_table_csv_and_reopen(qtbot, helpers, make_window, tmp_path, monkeypatch):
    modal = []
    monkeypatch.setattr(dialogs, "show_error", lambda *a: modal.append(a))
    win = make_window()
    win.error_handler = lambda t, m: dialogs.show_error(win, t, m)
    a, c = write_image(tmp_path / "a.png", 64, 80, seed=3), write_image(tmp_path / "c.png", 64, 80, seed=4)
    bad = tmp_path / "b-bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert win.handle_drop(file_mime(a, bad, c))
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


def test_done_is_said_once_and_batch_counters_agree(qtbot, helpers, make_window, tmp_path):
    win = make_window()
    files = [write_image(tmp_path / f"b{k}.png", 64, 80, seed=k) for k in range(3)]
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


def test_results_history_kept_across_restarts_and_cleared(qtbot, helpers, make_window, tmp_path,
                                                          gui_data_dir):
    win = make_window()
    win.session.open_paths([write_image(tmp_path / f"h{k}.png", 64, 80, seed=k) for k in range(2)])
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


def test_a_settings_file_of_its_own_keeps_its_own_results_history(tmp_path, monkeypatch):
    """`lvqac-gui --settings NAME.ini` is a profile apart: its Results history lies beside it, not
    in the user's data folder (where another profile's results would show up)."""
    from lvqac_gui.qt.settings import AppSettings
    monkeypatch.delenv("LVQAC_GUI_DATA_DIR", raising=False)
    monkeypatch.delenv("LVQAC_GUI_SETTINGS", raising=False)
    own = AppSettings(str(tmp_path / "profile.ini"))
    assert own.history_file() == str(tmp_path / "profile-results-history.json")
    monkeypatch.setenv("LVQAC_GUI_DATA_DIR", str(tmp_path / "data"))  # the environment still wins
    assert own.history_file() == str(tmp_path / "data" / "results-history.json")
