"""The main window with tiny untrained models: open/drop, choices, compress, cancel, export,
.lvq files, errors, responsiveness, settings, screenshot mode."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from lvqac_gui.model import backend as bk
from lvqac_gui.qt import dialogs
from lvqac_testing import write_image
from gui_testing import file_mime



def test_drop_event_compresses(qtbot, helpers, make_window, image_file):
    win = make_window()
    mime = file_mime(image_file)
    ev = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier)
    win.dropEvent(ev)
    assert win.session.busy
    helpers.wait_idle(qtbot, win)
    d = win.session.display
    assert d is not None and d.kind == "compressed" and (d.width, d.height) == (128, 96)
    for key in ("original", "reconstruction", "residual", "selection", "bits"):
        assert win.panels[key].has_image(), key
    assert win.panels["residual"].colorbar.isVisible() and win.panels["bits"].colorbar.isVisible()
    # the untrained demo A-law model snaps A to 1 everywhere: a caption, not a flat block
    assert d.stats.a_active_share == 0.0 and not win.panels["a_law"].has_image()
    assert "companding inactive" in win.panels["a_law"].placeholder.text()
    assert win.panels["selection"].legend.isVisible() and "%" in win.panels["selection"].legend.text()
    assert win.stats.value("PSNR").endswith("dB")
    assert win.stats.value("Decode time").endswith("ms")
    assert win.controls.device_used.text() == "CPU"
    text = win.probe_text(20, 30)
    assert "RGB" in text and "residual" in text and "codebook" in text and "bits" in text
    assert win.rd.current is not None
    assert win.errors == []


def test_batch_of_dropped_files(qtbot, helpers, make_window, tmp_path):
    paths = []
    for k in range(2):
        paths.append(write_image(tmp_path / f"b{k}.png", 64, 64, seed=k))
    win = make_window()
    assert win.handle_drop(file_mime(*paths))
    helpers.wait_idle(qtbot, win)
    assert [name for name, _ in win.session.batch_log] == ["b0.png", "b1.png"]
    assert win.session.display.source.name == "b1.png"
    assert win.batch_label.text() == "batch 2/2 done"


def test_change_lambda_and_quantizer(qtbot, helpers, make_window, image_file):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    box = win.controls.quantizer_box
    box.setCurrentIndex(box.findData("scalar"))
    assert win.session.busy
    helpers.wait_idle(qtbot, win)
    d = win.session.display
    assert d.stats.quantizer == "scalar"
    assert not win.panels["selection"].has_image() and "scalar" in win.panels["selection"].placeholder.text()
    win.controls.lmbda_box.setCurrentIndex(5)
    helpers.wait_idle(qtbot, win)
    assert win.session.display.stats.lmbda == pytest.approx(0.045)
    assert win.controls.lmbda_box.currentData() == pytest.approx(0.045)


def test_cancel(qtbot, helpers, make_window, image_file, slow_backend):
    win = make_window(backend_=slow_backend)
    win.session.open_paths([image_file])
    qtbot.waitUntil(slow_backend.started.is_set, timeout=5000)
    assert win.controls.cancel_btn.isEnabled()
    qtbot.mouseClick(win.controls.cancel_btn, Qt.MouseButton.LeftButton)
    assert not win.session.busy and not win.controls.cancel_btn.isEnabled()
    qtbot.waitUntil(lambda: win.runner.running == 0, timeout=5000)
    assert win.session.display is None and win.errors == []


def test_new_request_supersedes(qtbot, helpers, make_window, image_file, slow_backend):
    win = make_window(backend_=slow_backend)
    win.session.open_paths([image_file])
    qtbot.waitUntil(slow_backend.started.is_set, timeout=5000)
    win.session.set_choices(quantizer="lvq")
    helpers.wait_idle(qtbot, win)
    assert win.session.display.stats.quantizer == "lvq"
    qtbot.waitUntil(lambda: win.runner.running == 0, timeout=5000)


def test_event_loop_stays_responsive(qtbot, helpers, make_window, image_file, slow_backend):
    win = make_window(backend_=slow_backend)
    ticks = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    win.session.open_paths([image_file])
    qtbot.waitUntil(slow_backend.started.is_set, timeout=5000)
    n0 = len(ticks)
    helpers.wait_idle(qtbot, win)
    timer.stop()
    # 1.5 s of (slow) work: a frozen UI would tick (almost) never
    assert len(ticks) - n0 >= 20
    assert win.controls.progress.value() == 1000


def test_export_all_and_reopen_lvq(qtbot, helpers, make_window, image_file, tmp_path, factory):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    encoded_rates = (win.stats.value("Rate (actual)"), win.stats.value("Rate (estimated)"))
    assert encoded_rates[1] != "—"
    out = tmp_path / "out"
    out.mkdir()
    written = win.export_all(str(out))
    names = sorted(p.name for p in written)
    assert len(written) == 5, names  # no A map: the demo model's companding is inactive
    assert all(".lvqac-0.0075." in n for n in names), names  # tagged with the model
    for p in written:
        assert p.stat().st_size > 0
        if p.suffix == ".png":
            with Image.open(p) as im:
                im.load()
                if p.name.endswith(".decoded.png"):
                    assert im.size == (128, 96)
                else:  # each map with its colour bar / legend strip under it
                    assert im.size[0] == 128 and im.size[1] > 96
    lvq = next(p for p in written if p.suffix == ".lvq")
    # the .lvq really decodes, to the reconstruction shown
    codec = factory("lvqac", 0.0075, "cpu")
    dec = codec.decompress(lvq.read_bytes())
    assert np.array_equal(dec.image, win.session.display.reconstruction)
    # opening it in the app decodes it; original / residual say they are not in the file
    win.session.open_paths([lvq])
    helpers.wait_idle(qtbot, win)
    d = win.session.display
    assert d.kind == "decoded" and d.original is None
    assert np.array_equal(d.reconstruction, dec.image)
    assert win.panels["reconstruction"].has_image() and win.panels["selection"].has_image()
    assert "companding inactive" in win.panels["a_law"].placeholder.text()
    for key in ("original", "residual"):
        assert "original not in file" in win.panels[key].placeholder.text()
    assert win.stats.value("PSNR") == "—"
    # the decode view shows the rates the encoder reported for the same file
    assert (win.stats.value("Rate (actual)"), win.stats.value("Rate (estimated)")) == encoded_rates
    # the actual rate of the file is the one the encoder reported
    assert win.stats.value("Rate (actual)") == f"{8 * lvq.stat().st_size / (128 * 96):.4f} bpp"
    assert win.errors == []


def test_save_lvq_asks_before_overwrite(qtbot, helpers, make_window, image_file, tmp_path, monkeypatch):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    target = tmp_path / "x.lvq"
    target.write_bytes(b"old")
    asked = []
    monkeypatch.setattr(dialogs, "confirm_overwrite", lambda parent, paths: asked.append(paths) or False)
    assert win.save_lvq(str(target)) is None and target.read_bytes() == b"old" and asked
    monkeypatch.setattr(dialogs, "confirm_overwrite", lambda parent, paths: True)
    assert win.save_lvq(str(target)) == target
    assert target.read_bytes() == win.session.display.data
    png = tmp_path / "d.png"
    assert win.export_png(str(png)) == png
    with Image.open(png) as im:
        assert np.array_equal(np.asarray(im.convert("RGB")), win.session.display.reconstruction)


def test_error_dialogs_and_recovery(qtbot, helpers, make_window, image_file, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: shown.append((title, text)))
    win = make_window()
    win.error_handler = lambda t, m: dialogs.show_error(win, t, m)
    bad_png = tmp_path / "bad.png"
    bad_png.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    win.session.open_paths([bad_png])
    helpers.wait_idle(qtbot, win)
    assert shown and shown[-1][0] == "Cannot read image"
    from lvqac_core.bitstream import MAGIC
    bad_lvq = tmp_path / "bad.lvq"
    bad_lvq.write_bytes(MAGIC + b"\x01\x02")
    win.session.open_paths([bad_lvq])
    helpers.wait_idle(qtbot, win)
    assert shown[-1][0] == "Not a valid .lvq file"
    # still alive: a good file works afterwards
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    assert win.session.display is not None and len(shown) == 2


def test_missing_model_dialog(qtbot, helpers, make_window, image_file, tmp_path, monkeypatch):
    monkeypatch.setenv("LVQAC_ZOO_DIR", str(tmp_path / "empty-zoo"))
    win = make_window(backend_=bk.Backend())
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    assert win.shown_errors and win.shown_errors[-1][0] == "Model not available"


def test_cuda_fallback_note(qtbot, helpers, make_window, image_file, monkeypatch):
    monkeypatch.setattr("lvqac_core.device.cuda_available", lambda: False)
    win = make_window()
    win.session.set_choices(device="cuda")
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    assert win.controls.device_used.text() == "CPU"
    assert win.controls.device_note.isVisible() and "CUDA" in win.controls.device_note.text()


def test_compare_quantizers(qtbot, helpers, make_window, image_file):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    qtbot.mouseClick(win.controls.compare_btn, Qt.MouseButton.LeftButton)
    helpers.wait_idle(qtbot, win)
    assert win.compare_table.rowCount() == 3
    assert [win.compare_table.item(r, 0).text() for r in range(3)] == ["scalar", "lvq", "lvqac"]
    assert len(win.rd.compare_items) == 3


def test_linked_zoom_and_split(qtbot, helpers, make_window, image_file):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    win.linker.one_to_one()
    zooms = [win.linker._state(p.vb)[0] for p in win.panels.values() if p.has_image()]
    assert zooms and all(abs(z - 1.0) < 1e-6 for z in zooms)
    assert win.zoom_label.text() == "zoom 100%"
    win.linker.fit()
    win.tabs.setCurrentIndex(1)
    s = win.split
    s.slider.setValue(250)
    assert s.split_x() == 32
    assert s.left_item.image.shape[1] == 32 and s.right_item.image.shape[1] == 96
    left_before = s.left_item.image.copy()
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert s.flipped and not np.array_equal(left_before, s.left_item.image)


def test_settings_remembered(qtbot, helpers, make_window, settings):
    win = make_window()
    win.session.set_choices(lmbda=0.03, quantizer="lvq", device="cpu")
    win.save_settings()
    win2 = make_window()
    assert (win2.session.lmbda, win2.session.quantizer, win2.session.device) == (0.03, "lvq", "cpu")
    assert win2.controls.quantizer_box.currentData() == "lvq"


def test_screenshot_mode(qtbot, helpers, image_file, tmp_path):
    from lvqac_gui.app import main
    out = tmp_path / "shot.png"
    rc = main(["--demo-models", "--settings", str(tmp_path / "s.ini"), "--screenshot", str(out),
               "--size", "1024x700", str(image_file)])
    assert rc == 0
    with Image.open(out) as im:
        assert im.size == (1024, 700)


def test_cpu_threads_menu_sets_the_backend_and_is_remembered(make_window, settings, backend):
    win = make_window()
    assert win.thread_actions[None].isChecked() and backend.threads is None
    win.set_threads(1)
    assert backend.threads == 1 and win.thread_actions[1].isChecked()
    assert settings.thread_count() == 1
    win.set_threads(None)
    assert settings.thread_count() is None and win.thread_actions[None].isChecked()
