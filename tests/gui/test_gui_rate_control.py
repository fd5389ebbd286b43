"""The continuous rate control next to the λ presets: enabled only for a family whose
zoo model is a variable-rate network, it compresses at the λ it shows (the stats panel and the file
say so); for a single-rate family it is disabled and says why. Runs on the tiny zoo of vr_zoo.py."""
from __future__ import annotations

import math

import pytest

from lvqac_core import bitstream
from lvqac_gui.model import rate
from lvqac_gui.model.backend import Backend
from lvqac_gui.model.state import Session
from vr_zoo import LAMS, NETWORK, vr, vr_dir, vr_row_id  # noqa: F401  (vr, vr_dir: fixtures)


def test_slider_positions_are_log_lambda_and_snap_to_presets():
    lo, hi = LAMS[0], LAMS[-1]
    assert rate.position(lo, lo, hi) == 0 and rate.position(hi, lo, hi) == rate.STEPS
    mid = math.sqrt(lo * hi)
    assert rate.position(mid, lo, hi) == rate.STEPS // 2
    for lam in LAMS:  # every preset is reached exactly from its own position
        assert rate.lambda_at(rate.position(lam, lo, hi), lo, hi) == lam
    assert rate.lambda_at(rate.position(0.0076, lo, hi), lo, hi) == 0.0075  # near a preset: snapped
    assert rate.lambda_at(rate.position(0.0105, lo, hi), lo, hi) == pytest.approx(0.0105, rel=0.01)
    assert rate.snap(0.012345, lo, hi) == 0.0123  # three significant digits


def test_stepping_goes_to_the_next_preset_strictly_below_or_above():
    presets = (0.0016, 0.0032, 0.0075, 0.015, 0.03, 0.045)
    assert rate.step_preset(0.0085, -1, presets) == 0.0075  # (was 0.0032: nearest, then one down)
    assert rate.step_preset(0.0085, +1, presets) == 0.015
    assert rate.step_preset(0.0075, -1, presets) == 0.0032 and rate.step_preset(0.0075, +1, presets) == 0.015
    assert rate.step_preset(float(__import__("numpy").float32(0.0075)), -1, presets) == 0.0032  # read back
    assert rate.step_preset(0.0016, -1, presets) == 0.0016 and rate.step_preset(0.045, +1, presets) == 0.045
    assert rate.step_preset(0.001, +1, presets) == 0.0016 and rate.step_preset(0.07, -1, presets) == 0.045
    assert rate.preset_index(0.0085, presets) == 2 and rate.nearest_preset(0.0085, presets) == 0.0075


def test_bracket_keys_step_from_a_lambda_between_presets(make_window, vr):
    win = make_window(backend_=Backend())
    win.session.set_choices(quantizer="lvqac", lmbda=0.0085, recompress=False)
    win._step_lambda(-1)
    assert win.session.lmbda == pytest.approx(0.0075)
    win.session.set_choices(lmbda=0.0085, recompress=False)
    win._step_lambda(+1)
    assert win.session.lmbda == pytest.approx(0.015)


def test_session_keeps_a_codable_lambda():
    s = Session()
    s.rate_ranges = {"lvqac": (LAMS[0], LAMS[-1], NETWORK)}
    s.set_choices(quantizer="lvqac", lmbda=0.0123, recompress=False)
    assert s.lmbda == 0.0123 and s.rate_control().enabled
    s.set_choices(quantizer="scalar", recompress=False)  # single-rate: back to the nearest preset
    assert s.lmbda == 0.015 and not s.rate_control().enabled
    assert "single-rate" in s.rate_control().reason
    s.set_choices(lmbda=0.0123, recompress=False)
    assert s.lmbda == 0.015


def test_rate_control_follows_the_family_and_codes_at_its_lambda(qtbot, helpers, make_window, image_file, vr):
    win = make_window(backend_=Backend())
    c = win.controls
    assert win.session.rate_ranges == {"lvqac": (LAMS[0], LAMS[-1], NETWORK)}
    win.session.set_choices(quantizer="scalar", lmbda=0.0075, recompress=False)
    assert not c.rate_slider.isEnabled() and "single-rate" in c.rate_slider.toolTip()
    win.session.set_choices(quantizer="lvqac", recompress=False)
    assert c.rate_slider.isEnabled() and NETWORK in c.rate_slider.toolTip()
    win.session.open_paths([str(image_file)])
    helpers.wait_idle(qtbot, win)
    assert win.errors == [] and win.session.display.stats.lmbda == pytest.approx(0.0075)
    target = rate.lambda_at(rate.position(0.0105, LAMS[0], LAMS[-1]), LAMS[0], LAMS[-1])
    assert not rate.is_preset(target)
    c.rate_slider.setValue(rate.position(0.0105, LAMS[0], LAMS[-1]))  # as when the handle is let go
    assert win.session.lmbda == target and win.session.busy
    helpers.wait_idle(qtbot, win)
    d = win.session.display
    assert win.errors == [], win.errors
    assert d.stats.lmbda == pytest.approx(target) and d.stats.model_id == vr_row_id(0.0075)
    assert bitstream.read_header(d.data).lmbda == pytest.approx(target)
    assert win.stats.value("λ") == f"{target:g} (between presets)"
    assert c.rate_value.text() == f"λ = {target:.3g}"
    assert c.lmbda_box.currentData() == pytest.approx(target) and "between presets" in c.lmbda_box.currentText()
    c.lmbda_box.setCurrentIndex(LAMS.index(0.03))  # a preset again: the slider follows
    helpers.wait_idle(qtbot, win)
    assert win.session.display.stats.lmbda == pytest.approx(0.03)
    assert c.rate_slider.value() == rate.position(0.03, LAMS[0], LAMS[-1])
    c.quantizer_box.setCurrentIndex(c.quantizer_box.findData("scalar"))  # single-rate family
    helpers.wait_idle(qtbot, win)
    assert not c.rate_slider.isEnabled() and c.rate_value.text() == "—"


def test_an_interpolated_file_opens_and_fixes_the_control(qtbot, helpers, make_window, tmp_path, vr):
    from lvqac_core.api import load_zoo_model
    from lvqac_testing import smooth_image
    path = tmp_path / "between.lvq"
    path.write_bytes(load_zoo_model(vr_row_id(0.03), "cpu").compress(smooth_image(40, 50), lmbda=0.022).data)
    win = make_window(backend_=Backend())
    win.session.open_paths([str(path)])
    helpers.wait_idle(qtbot, win)
    d = win.session.display
    assert win.errors == [] and d.kind == "decoded" and d.stats.lmbda == pytest.approx(0.022)
    assert win.session.lmbda == pytest.approx(0.022)
    assert not win.controls.rate_slider.isEnabled() and ".lvq" in win.controls.rate_slider.toolTip()


def test_demo_models_are_single_rate(make_window):
    win = make_window()
    assert win.session.rate_ranges == {} and not win.controls.rate_slider.isEnabled()


def test_a_lambda_between_presets_is_remembered_where_still_codable(qtbot, make_window, settings, vr):
    win = make_window(backend_=Backend())
    win.session.set_choices(quantizer="lvqac", lmbda=0.0123, recompress=False)
    win.save_settings()
    again = make_window(backend_=Backend())
    assert (again.session.quantizer, again.session.lmbda) == ("lvqac", 0.0123)
    assert again.controls.rate_slider.isEnabled()
    settings.qs.setValue("model/quantizer", "scalar")  # a single-rate family: the saved λ does not apply
    third = make_window(backend_=Backend())
    assert third.session.quantizer == "scalar" and rate.is_preset(third.session.lmbda)
