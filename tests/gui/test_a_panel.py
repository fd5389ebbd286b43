"""The A panel shows the map's true range on both sides of the identity, and says plainly when
the companding is inactive; the Numbers table shows the core's selection share and A figures
(shares never rounded to 100 %) and its Model row names the coded λ."""
from __future__ import annotations

import numpy as np
import torch

from lvqac_gui.model.backend import Backend


def _exp_factory(quantizer, lmbda, device):
    from lvqac_core.api import Codec
    from lvqac_core.models import build_model
    torch.manual_seed(0)
    m = build_model(architecture="minnen2018-mean", quantizer="lvqac", N=16, M=24, lmbda=lmbda,
                    quantizer_options={"compander": "exp"})
    torch.manual_seed(3)
    torch.nn.init.normal_(m.a_head.net[-1].weight, std=1.0)  # A on both sides of 1
    torch.nn.init.constant_(m.a_head.net[-1].bias, 0.0)
    return Codec.from_model(m.eval(), model_id="exp-test", device=device)


def test_a_panel_both_sides_of_one(qtbot, helpers, make_window, image_file):
    win = make_window(Backend(codec_factory=_exp_factory))
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    d = win.session.display
    s = d.maps.summary()
    assert s["a_min"] < 1.0 < s["a_max"] and 0.0 < s["a_active_share"] <= 1.0
    panel = win.panels["a_law"]
    assert panel.has_image() and panel.colorbar.isVisible()
    left, centre, right = panel.colorbar.labels()
    assert left == f"min {s['a_min']:.3g}" and right == f"max {s['a_max']:.3g}"
    assert "white: A = 1" in centre
    # the colour bar runs from blue (A < 1) through white (A = 1) to red (A > 1)
    lut = panel.colorbar.lut
    assert lut[0][2] > lut[0][0] and lut[-1][0] > lut[-1][2]
    assert (lut == 247).all(axis=1).any() or np.abs(lut.astype(int) - 247).sum(axis=1).min() < 12
    # the Numbers table shows the core's figures, not a recomputation
    assert win.stats.value("A range") == f"{s['a_min']:.3g} … {s['a_max']:.3g}"
    assert win.stats.value("A ≠ 1") == f"{100 * s['a_active_share']:.1f} % of positions"
    assert win.stats.value("Codebook Zⁿ+½") == f"{100 * s['selection_share']:.1f} % of position-groups"


def test_a_panel_inactive_caption(qtbot, helpers, make_window, image_file):
    win = make_window()  # the untrained demo A-law models: A snaps to 1 everywhere
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    d = win.session.display
    assert d.stats.quantizer == "lvqac" and d.stats.a_active_share == 0.0
    panel = win.panels["a_law"]
    assert not panel.has_image() and not panel.colorbar.isVisible()
    assert panel.placeholder.isVisible()
    assert panel.placeholder.text() == "companding inactive: A = 1 at every position (this model codes like LVQ)"
    assert win.stats.value("A ≠ 1") == "none (companding inactive)"


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


def test_numbers_say_how_many_cpu_threads_ran(qtbot, helpers, make_window, image_file):
    """The encode and decode times come with the thread counts they ran with (the automatic count
    follows the machine's load, so the same image can take different times)."""
    from dataclasses import replace
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    st = win.session.display.stats
    if st.device == "cpu":
        assert "CPU threads" in dict(st.rows())
    assert dict(replace(st, cpu_threads="1–2 (automatic)").rows())["CPU threads"] == "1–2 (automatic)"
    assert "CPU threads" not in dict(replace(st, cpu_threads=None).rows())
