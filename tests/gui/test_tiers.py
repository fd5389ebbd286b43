"""The app's tier choice (issue 27 §4): the Model menu lists the zoo's tiers, choosing the wide one
codes with its networks (the file names the wide row), the λ presets, the families offered and the
rate control follow the tier, the RD plot draws each tier's curves, the choice is remembered and
``lvqac-gui --tier`` sets it. Runs on the two-tier tiny zoo of tests/tier_zoo.py (fast: scalar and
LVQAC, λ up to 0.045; wide: scalar only, M 12, λ up to 0.13)."""
from __future__ import annotations

import json
import shutil

import pytest
from PySide6.QtCore import Qt

from lvqac_core import bitstream
from lvqac_gui.model.backend import Backend
from lvqac_gui.model.jobs import CompressJob
from tier_zoo import FAST_LAMS, WIDE_LAMS, WIDE_M, row_id, tier_dir, tiers  # noqa: F401  (fixtures)
from vr_zoo import use_zoo, vr, vr_dir  # noqa: F401  (fixtures)

WIDE_LABEL = f"Wide networks (N 8 / M {WIDE_M})"
FAST_LABEL = "Fast networks (N 8 / M 8)"


def _box_lambdas(win) -> list[float]:
    box = win.controls.lmbda_box
    return [box.itemData(i) for i in range(box.count())]


def _model_menu(win):
    menu = next(a.menu() for a in win.menuBar().actions() if a.text() == "&Model")
    menu.aboutToShow.emit()
    return menu


def _family_enabled(win, quantizer: str) -> bool:
    box = win.controls.quantizer_box
    return box.model().item(box.findData(quantizer)).isEnabled()


def test_the_wide_tier_codes_with_the_wide_network(qtbot, helpers, make_window, image_file, tiers):
    win = make_window(backend_=Backend())
    s = win.session
    assert s.catalog.names() == ["fast", "wide"] and s.tier is None
    s.set_choices(quantizer="scalar", lmbda=0.0075, recompress=False)
    jobs = []
    s.job_requested.connect(jobs.append)
    s.open_paths([str(image_file)])
    helpers.wait_idle(qtbot, win)
    assert win.errors == [] and s.display.stats.model_id == row_id("scalar", 0.0075)  # the default tier: fast
    s.set_tier("wide")  # compresses again
    helpers.wait_idle(qtbot, win)
    assert win.errors == [], win.errors
    assert isinstance(jobs[-1], CompressJob) and jobs[-1].tier == "wide"
    d = s.display
    assert d.stats.model_id == row_id("scalar", 0.0075, "wide")
    assert bitstream.read_header(d.data).model_id == row_id("scalar", 0.0075, "wide")
    assert win.controls.tier_label.text() == f"wide network N 8 / M {WIDE_M}" and win.controls.tier_label.isVisible()
    s.set_choices(lmbda=0.13)  # the wide network's own preset, not one of the paper's: no "between presets"
    helpers.wait_idle(qtbot, win)
    assert s.display.stats.model_id == row_id("scalar", 0.13, "wide") and win.stats.value("λ") == "0.13"
    s.set_choices(lmbda=0.1)
    helpers.wait_idle(qtbot, win)
    assert win.stats.value("λ") == "0.1 (between presets)"
    # the fast and the wide network are two codecs (the cache is keyed by the zoo row)
    rows = {key[1] for key in win.backend._codecs if key[0] == "zoo"}
    assert {row_id("scalar", 0.0075), row_id("scalar", 0.0075, "wide")} <= rows


def test_the_presets_and_the_rate_control_follow_the_tier(qtbot, make_window, tiers):
    win = make_window(backend_=Backend())
    s, c = win.session, win.controls
    s.set_choices(quantizer="scalar", recompress=False)
    assert _box_lambdas(win) == FAST_LAMS and c.rate_control.hi == pytest.approx(0.045)
    s.set_tier("wide", recompress=False)
    assert _box_lambdas(win) == WIDE_LAMS and "λ = 0.13" in c.lmbda_box.itemText(len(WIDE_LAMS) - 1)
    assert c.rate_slider.isEnabled() and (c.rate_control.lo, c.rate_control.hi) == (0.0016, 0.13)
    c.lmbda_box.setCurrentIndex(WIDE_LAMS.index(0.13))
    assert s.lmbda == pytest.approx(0.13)
    s.set_choices(lmbda=0.1, recompress=False)  # between the wide presets: the wide network codes it
    assert s.lmbda == pytest.approx(0.1) and "between presets" in c.lmbda_box.currentText()
    win._step_lambda(+1)  # ] steps through the tier's presets
    assert s.lmbda == pytest.approx(0.13)
    s.set_tier("fast", recompress=False)  # λ 0.13 is beyond the fast networks: their top preset
    assert s.lmbda == pytest.approx(0.045) and _box_lambdas(win) == FAST_LAMS
    assert c.rate_control.hi == pytest.approx(0.045)


def test_a_family_the_tier_lacks_is_disabled_and_gives_way(qtbot, make_window, tiers):
    win = make_window(backend_=Backend())
    s, c = win.session, win.controls
    messages = []
    s.message.connect(messages.append)
    assert s.quantizer == "lvqac" and _family_enabled(win, "lvqac")  # the default model: fast LVQAC
    s.set_tier("wide", recompress=False)
    assert s.quantizer == "scalar" and c.quantizer_box.currentData() == "scalar"
    assert not _family_enabled(win, "lvqac") and not _family_enabled(win, "lvq") and _family_enabled(win, "scalar")
    tip = c.quantizer_box.itemData(c.quantizer_box.findData("lvqac"), Qt.ItemDataRole.ToolTipRole)
    assert "no LVQAC" in tip and WIDE_LABEL in tip and "no LVQAC" in c.quantizer_box.toolTip()
    assert any("no LVQAC" in m and "Scalar" in m for m in messages), messages
    s.set_choices(quantizer="lvqac", recompress=False)  # e.g. Alt+3: refused, with a message why
    assert s.quantizer == "scalar" and "Model menu" in messages[-1]
    s.set_tier("fast", recompress=False)
    assert _family_enabled(win, "lvqac")
    s.set_choices(quantizer="lvqac", recompress=False)
    assert s.quantizer == "lvqac"


def test_the_model_menu_lists_the_tiers_and_chooses_one(qtbot, make_window, tiers):
    win = make_window(backend_=Backend())
    s = win.session
    menu = _model_menu(win)
    texts = [a.text().strip() for a in menu.actions()]
    zoo_at = next(k for k, t in enumerate(texts) if t.startswith("Zoo model"))
    assert texts[zoo_at + 1:zoo_at + 3] == [FAST_LABEL, WIDE_LABEL]  # under the zoo entry
    items = {a.text().strip(): a for a in menu.actions()}
    assert items[FAST_LABEL].isChecked() and not items[WIDE_LABEL].isChecked()  # no tier chosen: the default's
    s.model_spec = "some-file.pt"  # an explicit model: choosing a tier returns to the zoo
    items[WIDE_LABEL].trigger()
    assert s.tier == "wide" and s.model_spec is None
    menu = _model_menu(win)
    items = {a.text().strip(): a for a in menu.actions()}
    assert items[WIDE_LABEL].isChecked() and not items[FAST_LABEL].isChecked()
    items[FAST_LABEL].trigger()
    assert s.tier == "fast"


def test_the_tier_is_remembered_and_an_unknown_one_ignored(qtbot, make_window, settings, tiers):
    win = make_window(backend_=Backend())
    win.session.set_tier("wide", recompress=False)
    win.session.set_choices(lmbda=0.1, recompress=False)
    win.save_settings()
    again = make_window(backend_=Backend())
    s = again.session
    assert (s.tier, s.quantizer, s.lmbda) == ("wide", "scalar", 0.1)
    assert again.controls.rate_slider.isEnabled() and _box_lambdas(again)[:len(WIDE_LAMS)] == WIDE_LAMS
    settings.qs.setValue("model/tier", "huge")  # a tier the zoo no longer has
    settings.qs.setValue("model/quantizer", "lvqac")
    settings.qs.setValue("model/lambda", 0.0075)
    third = make_window(backend_=Backend())
    assert (third.session.tier, third.session.quantizer) == (None, "lvqac")


def test_a_one_tier_zoo_shows_no_tier_entries(qtbot, make_window, vr):
    win = make_window(backend_=Backend())
    menu = _model_menu(win)
    assert not any("networks (N" in a.text() for a in menu.actions())
    assert win.session.catalog.tiers == () and not win.controls.tier_label.isVisible()
    assert all(_family_enabled(win, q) for q in ("scalar", "lvq", "lvqac"))


def test_the_rd_plot_draws_each_tier(qtbot, helpers, make_window, image_file, tier_dir, tmp_path, monkeypatch):
    measured = tmp_path / "zoo"
    shutil.copytree(tier_dir, measured)
    data = json.loads((measured / "manifest.json").read_text())
    for k, row in enumerate(data["models"]):  # Kodak figures, so that the zoo has curves
        row["kodak"] = {"bpp": 0.1 + 0.1 * k, "psnr": 28.0 + k, "ms_ssim": 0.95}
    (measured / "manifest.json").write_text(json.dumps(data))
    use_zoo(monkeypatch, measured)
    win = make_window(backend_=Backend())
    names = [label.text for _sample, label in win.rd.legend.items]
    assert {"zoo scalar", "zoo lvqac", "wide scalar"} <= set(names)
    curves = {item.name(): item for item in win.rd.getPlotItem().listDataItems()}
    assert curves["wide scalar"].opts["pen"].style() == Qt.PenStyle.DashDotLine
    assert curves["zoo scalar"].opts["pen"].style() == Qt.PenStyle.SolidLine
    box = win.controls.lmbda_box
    assert box.itemText(0) == "λ = 0.0016  (Kodak 0.400 bpp / 31.00 dB)"  # fast LVQAC's first row (the 4th)
    win.session.set_tier("wide", recompress=False)
    assert box.itemText(len(WIDE_LAMS) - 1) == "λ = 0.13  (Kodak 1.000 bpp / 37.00 dB)"  # the last row
    win.session.open_paths([str(image_file)])
    helpers.wait_idle(qtbot, win)
    assert win.errors == [] and win.rd.current is not None  # this image's point, over the curves


def test_a_decoded_wide_file_sets_the_tier(qtbot, helpers, make_window, tmp_path, tiers):
    from lvqac_core.api import load_zoo_model
    from lvqac_testing import smooth_image
    path = tmp_path / "wide.lvq"
    path.write_bytes(load_zoo_model(row_id("scalar", 0.13, "wide"), "cpu").compress(smooth_image(40, 50)).data)
    win = make_window(backend_=Backend())
    win.session.open_paths([str(path)])
    helpers.wait_idle(qtbot, win)
    s = win.session
    assert win.errors == [] and s.display.kind == "decoded"
    assert (s.tier, s.quantizer, s.lmbda) == ("wide", "scalar", pytest.approx(0.13))  # the controls follow the file


def test_a_session_file_keeps_the_tier(tmp_path, tiers):
    from lvqac_gui.model import session_file
    from lvqac_gui.model.state import Session
    from lvqac_gui.model.tiers import ZooTiers
    s = Session()
    s.use_catalog(ZooTiers.from_zoo())
    s.set_tier("wide")
    path = session_file.save(session_file.capture(s), tmp_path / "a.lvqsession")
    assert session_file.load(path).tier == "wide"
    data = json.loads(path.read_text())
    del data["choices"]["tier"]  # a session saved before tiers: the default rule
    path.write_text(json.dumps(data))
    assert session_file.load(path).tier is None


def test_the_command_line_sets_the_tier_and_refuses_an_unknown_one(qtbot, tmp_path, image_file, capsys,
                                                                    monkeypatch, tiers):
    from lvqac_gui.app import main
    from lvqac_gui.qt.main_window import MainWindow
    shot = tmp_path / "shot.png"
    assert main(["--tier", "huge", "--settings", str(tmp_path / "s.ini"), "--screenshot", str(shot)]) == 2
    err = capsys.readouterr().err
    assert "unknown tier 'huge'" in err and "fast, wide" in err and not shot.exists()
    assert main(["--tier", "wide", "--quantizer", "lvqac", "--settings", str(tmp_path / "s.ini"),
                 "--screenshot", str(shot)]) == 2
    assert "has no lvqac network" in capsys.readouterr().err
    seen = []
    original = MainWindow.preload_model

    def spy(self):
        seen.append((self.session.tier, self.session.quantizer))
        return original(self)
    monkeypatch.setattr(MainWindow, "preload_model", spy)
    assert main(["--tier", "wide", "--settings", str(tmp_path / "s.ini"), "--screenshot", str(shot),
                 str(image_file)]) == 0
    assert seen == [("wide", "scalar")] and shot.is_file()


def test_the_first_launch_takes_the_zoo_defaults_family_and_lambda(qtbot, make_window, tier_dir, tmp_path,
                                                                   monkeypatch):
    """issue 27 §4: the zoo's default model is the app's first model (family and λ), and a
    remembered choice still wins over it."""
    from lvqac_gui.qt.settings import AppSettings

    moved = tmp_path / "zoo"
    shutil.copytree(tier_dir, moved)
    data = json.loads((moved / "manifest.json").read_text())
    data["default"] = row_id("scalar", 0.045)
    (moved / "manifest.json").write_text(json.dumps(data))
    use_zoo(monkeypatch, moved)
    fresh = AppSettings(str(tmp_path / "fresh.ini"))
    win = make_window(backend_=Backend(), settings_=fresh)
    assert (win.session.quantizer, win.session.lmbda) == ("scalar", 0.045)
    assert win.controls.quantizer_box.currentData() == "scalar"
    win.session.set_choices(quantizer="lvqac", lmbda=0.0016, recompress=False)
    fresh.save_from(win.session)
    again = make_window(backend_=Backend(), settings_=AppSettings(str(tmp_path / "fresh.ini")))
    assert (again.session.quantizer, again.session.lmbda) == ("lvqac", 0.0016)
