"""The A panel shows the map's true range on both sides of the identity, and says plainly when
the companding is inactive; the Numbers table shows the core's selection share and A figures."""
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
