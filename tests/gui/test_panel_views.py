"""The linked panel views: the fitted zoom held across recompresses, 1:1 in device pixels, the
cursor readout following a recompress."""
from __future__ import annotations

import pytest

from lvqac_testing import write_image


def test_fitted_zoom_holds_when_the_quantizer_changes(qtbot, helpers, make_window, tmp_path):
    win = make_window()
    win.session.open_paths([write_image(tmp_path / "big.png", 256, 384)])
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
