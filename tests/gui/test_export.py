"""Export: refused during a job, names that carry the model, maps with a title strip, a batch
export (unique names, cancel), asking before quitting with unexported results."""
from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from lvqac_gui.qt import dialogs
from lvqac_testing import write_image


def _wait_export(qtbot, win):
    qtbot.waitUntil(lambda: not win.exporter.running and win.last_batch_report is not None, timeout=60000)
    return win.last_batch_report


def test_export_during_a_job_is_refused_and_names_carry_the_model(qtbot, helpers, make_window,
                                                                  tmp_path, slow_backend):
    win = make_window(backend_=slow_backend)
    win.session.open_paths([write_image(tmp_path / "one.png", 64, 80)])
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


def test_export_batch_writes_every_result_with_unique_names(qtbot, helpers, make_window, tmp_path,
                                                            monkeypatch):
    win = make_window()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    files = [write_image(tmp_path / "a" / "photo.png", 64, 80, seed=1),
             write_image(tmp_path / "b" / "photo.png", 64, 80, seed=2), write_image(tmp_path / "other.png", 64, 80, seed=3)]
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
    files = [write_image(tmp_path / f"c{k}.png", 64, 80, seed=k) for k in range(3)]
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
