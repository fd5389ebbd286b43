"""The A/B split: classical sides at the same size (matched, or at a chosen quality), flicker,
error maps, the readout of each side, a side being searched, a classical side saved as a file."""
from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from lvqac_testing import write_image
from gui_testing import settle


def _split_webp_vs_result(qtbot, helpers, make_window, image_file):
    """A window with ``image_file`` coded and the A/B split showing WebP (left) against the result."""
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    win.tabs.setCurrentIndex(1)
    win.split.choose(left="webp", right="result")
    helpers.wait_idle(qtbot, win)
    return win


def test_no_dead_arrow_glyphs_in_the_split(make_window):
    from PySide6.QtWidgets import QLabel
    win = make_window()
    texts = [lbl.text() for lbl in win.split.findChildren(QLabel)]
    assert not any(("◀" in t or "▶" in t) for t in texts), texts


def test_split_sides_webp_at_same_size_flicker_and_error_maps(qtbot, helpers, make_window, tmp_path):
    win = make_window()
    win.session.open_paths([write_image(tmp_path / "cmp.png", 128, 160, seed=8)])
    helpers.wait_idle(qtbot, win)
    win.tabs.setCurrentIndex(1)
    s = win.split
    assert (s.left_key(), s.right_key()) == ("original", "result")
    s.choose(left="webp")  # not computed yet: the side asks, the worker encodes
    assert win.session.busy and "encoding" in s.caption_left.text()
    helpers.wait_idle(qtbot, win)
    settle(qtbot)
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


def test_classical_side_matches_the_other_side_on_screen(qtbot, helpers, make_window, tmp_path):
    win = make_window()
    win.session.open_paths([write_image(tmp_path / "photo.png", 128, 160, seed=4)])
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


def test_classical_side_saved_as_its_own_file(qtbot, helpers, make_window, image_file, tmp_path):
    win = _split_webp_vs_result(qtbot, helpers, make_window, image_file)
    out = win.save_classical_side(str(tmp_path / "side.webp"))
    c = win.session.classical["webp"]
    assert out is not None and out.read_bytes() == c.data
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), c.reconstruction)
