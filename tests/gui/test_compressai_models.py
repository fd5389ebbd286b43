"""The Model menu: CompressAI files in torch hub's cache under their own heading; picking
one codes the open image with it (scalar maps say so), and the zoo entry goes back."""
from __future__ import annotations

import pytest
import torch

from lvqac_gui.model.backend import Backend
from lvqac_gui.model.model_choices import COMPRESSAI_HEADING, compressai_options


@pytest.fixture
def hub_file(tmp_path, monkeypatch):
    import lvqac_core.compressai_parts  # noqa: F401
    from compressai.models import MeanScaleHyperprior

    hub = tmp_path / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    torch.manual_seed(0)
    model = MeanScaleHyperprior(8, 12)
    model.update(force=True)
    path = hub / "mbt2018-mean-2-0a1b2c3d.pth.tar"
    torch.save(model.state_dict(), path)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return path


def test_model_menu_lists_and_uses_compressai_models(qtbot, helpers, make_window, image_file, hub_file):
    options = compressai_options()
    assert [(o.heading, o.spec, o.problem) for o in options] == [(COMPRESSAI_HEADING, str(hub_file), None)]
    win = make_window(backend_=Backend())
    menu = next(a.menu() for a in win.menuBar().actions() if a.text() == "&Model")
    menu.aboutToShow.emit()
    texts = [a.text() for a in menu.actions()]
    assert COMPRESSAI_HEADING in texts and any("mbt2018-mean q2 N=8 M=12" in t for t in texts)
    win.session.open_paths([str(image_file)])
    helpers.wait_idle(qtbot, win)
    pick = next(a for a in menu.actions() if "mbt2018-mean q2" in a.text())
    pick.trigger()
    helpers.wait_idle(qtbot, win)
    d = win.session.display
    assert win.errors == [], win.errors
    assert win.session.model_spec == str(hub_file)
    assert d.stats.model_id == "compressai-mbt2018-mean-mse-q2" and d.stats.decode_matches
    assert "scalar model" in d.layers["selection"].placeholder and "scalar model" in d.layers["a_law"].placeholder
    # the controls show what the explicit model coded with, not the zoo choice it replaced
    c = win.controls
    assert c.quantizer_box.currentData() == "scalar" and "explicit model" in c.quantizer_box.toolTip()
    # the explicit model's λ: an entry after the tier's presets (the wide default tier has nine)
    assert c.lmbda_box.currentIndex() == c.lmbda_box.count() - 1 and c.lmbda_box.currentData() == d.stats.lmbda
    assert "explicit model" in c.lmbda_box.currentText()
    # Compare quantizers on an explicit scalar model: LVQ and LVQAC (A = 1) swapped onto its networks
    win.session.compare_quantizers()
    helpers.wait_idle(qtbot, win)
    rows = win.session.compare_rows
    assert [r.quantizer for r in rows] == ["scalar", "lvq", "lvqac"] and all(r.error is None for r in rows), rows
    assert rows[0].model_id == "compressai-mbt2018-mean-mse-q2"
    assert [r.model_id for r in rows[1:]] == ["compressai-mbt2018-mean-mse-q2-swap-lvq",
                                               "compressai-mbt2018-mean-mse-q2-swap-lvqac"]
    assert rows[0].num_bytes == d.stats.num_bytes  # the scalar row is the file's own model
    names = [win.compare_table.item(r, 0).text() for r in range(win.compare_table.rowCount())]
    assert names == ["scalar", "lvq (swapped in)", "lvqac (swapped in)"]
    menu.aboutToShow.emit()
    zoo = next(a for a in menu.actions() if a.text().startswith("Zoo model"))
    assert not zoo.isChecked()
    zoo.trigger()
    assert win.session.model_spec is None
