"""The per-position inspector: a click on a position in any panel shows its
channel vector, both codebooks, the choice and its probability, A and its bits; the what-if
buttons show ΔR and ΔD from lvqac_core.position_probe, computed on the job thread."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QPointF, Qt

from lvqac_core.position_probe import PositionProbe
from lvqac_gui.model.backend import Backend


def _ckbd_factory(quantizer, lmbda, device):
    """Small untrained checkerboard models (as the zoo's minnen2018-ckbd), A varied for LVQAC."""
    from lvqac_core.api import Codec
    from lvqac_core.models import build_model
    torch.manual_seed(0)
    options = {} if quantizer == "scalar" else {"selection_coding": "rans"}
    m = build_model(architecture="minnen2018-ckbd", quantizer=quantizer, N=16, M=16, lmbda=lmbda,
                    quantizer_options=options)
    if quantizer == "lvqac":
        with torch.no_grad():
            m.a_head.net[-1].weight.normal_(0, 0.3)
            m.a_head.net[-1].bias.fill_(0.5)
    return Codec.from_model(m, model_id=f"ckbd-test-{quantizer}", device=device)


@pytest.fixture
def ckbd_backend():
    return Backend(codec_factory=_ckbd_factory)


def _click(qtbot, vb, gv, x: float, y: float) -> None:
    """A real left click on image pixel (x, y) of the view box ``vb`` shown in ``gv``."""
    qtbot.mouseClick(gv.viewport(), Qt.MouseButton.LeftButton, pos=gv.mapFromScene(vb.mapViewToScene(QPointF(x, y))))


def _wait_probe(qtbot, win):
    qtbot.waitUntil(lambda: not win.inspector.busy and win.inspector.report is not None, timeout=60000)


def test_click_inspects_and_what_ifs(qtbot, helpers, make_window, image_file, ckbd_backend):
    win = make_window(ckbd_backend)
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    d = win.session.display
    assert d.stats.quantizer == "lvqac"
    dock = win.docks["inspector"]
    ins, panel = win.inspector, win.inspector_panel
    assert ins.report is None and not panel.buttons["flip"].isEnabled()
    threads = []
    compute = ins.compute
    ins.compute = lambda req: (threads.append(threading.get_ident()), compute(req))[1]

    # a real click on the selection map, pixel (37, 21): latent position (1, 2)
    sel = win.panels["selection"]
    win.linker.fit()
    qtbot.wait(300)  # the fit's deferred resizes settle
    _click(qtbot, sel.vb, sel.gv, 37.5, 21.5)
    _wait_probe(qtbot, win)
    assert threads and threads[0] != threading.get_ident()  # computed off the UI thread
    rep = ins.report
    assert (rep.row, rep.col) == (1, 2) and ins.position == (1, 2)
    assert dock.isVisible()
    assert rep.bits == pytest.approx(float(d.maps.bits[1, 2]) - rep.z_bits, abs=1e-3)
    assert rep.chosen == (int(d.maps.selection[0, 1, 2]),)
    assert rep.a == pytest.approx(float(d.maps.a_law[1, 2])) and rep.a != 1.0
    text = panel.table.text()
    for word in ("row 1, col 2", "Codebook Zⁿ", "← chosen", "P(chosen)", "zero cell", "Bits"):
        assert word in text, word
    xs, ys = panel.residual_curve.getData()  # standardized by default: (y − μ)/σ
    np.testing.assert_allclose(ys, rep.residual / rep.sigma)
    assert len(xs) == 16
    panel.standardize.setChecked(False)  # y − μ itself, with both codebooks' points
    np.testing.assert_allclose(panel.residual_curve.getData()[1], rep.residual)
    for k in (0, 1):
        np.testing.assert_allclose(panel.book_curves[k].getData()[1], rep.codebooks[k].r_point)
    assert ins.marker() == (32, 16, 16, 16)

    # what if: the other codebook, then A = 1 (the buttons, clicked)
    probe = PositionProbe(win.backend.loaded_codec(d.stats.model_id).model, d.original, lmbda=d.stats.lmbda)
    for kind in ("flip", "a1"):
        assert panel.buttons[kind].isEnabled()
        qtbot.mouseClick(panel.buttons[kind], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda k=kind: k in ins.what_ifs and not ins.busy, timeout=60000)
        wi, expect = ins.what_ifs[kind], probe.what_if(1, 2, kind)
        assert wi.delta_bits == pytest.approx(expect.delta_bits) and wi.delta_bits != 0
        assert wi.delta_psnr == pytest.approx(expect.delta_psnr)
        assert f"ΔR {wi.delta_bits:+.2f} bits" in panel.results.text()
        assert f"ΔD {wi.delta_psnr:+.3f} dB" in panel.results.text()
    assert len(threads) == 3

    # the A/B split view selects too; a new result forgets the selection
    win.tabs.setCurrentIndex(1)
    qtbot.wait(50)
    win.split.clicked.emit(70, 40)
    _wait_probe(qtbot, win)
    assert (ins.report.row, ins.report.col) == (2, 4) and ins.what_ifs == {}
    win.session.set_choices(quantizer="lvq")
    helpers.wait_idle(qtbot, win)
    assert ins.position is None and ins.report is None and ins.marker() is None


def test_scalar_and_lvq_show_what_applies(qtbot, helpers, make_window, image_file, ckbd_backend):
    win = make_window(ckbd_backend)
    win.session.set_choices(quantizer="scalar", recompress=False)
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    ins, panel = win.inspector, win.inspector_panel
    win.panels["reconstruction"].clicked.emit(5, 5)
    _wait_probe(qtbot, win)
    assert ins.report.chosen is None and ins.report.a is None
    assert not panel.buttons["flip"].isEnabled() and not panel.buttons["a1"].isVisible()
    assert "Integer point" in panel.table.text()
    assert not ins.run_what_if("flip")
    win.session.set_choices(quantizer="lvq")
    helpers.wait_idle(qtbot, win)
    win.panels["bits"].clicked.emit(20, 40)
    _wait_probe(qtbot, win)
    assert ins.report.what_ifs == ("flip",)
    assert panel.buttons["flip"].isEnabled() and not panel.buttons["a1"].isVisible()


def test_decoded_file_says_why(qtbot, helpers, make_window, image_file, tmp_path, ckbd_backend):
    win = make_window(ckbd_backend)
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    lvq = tmp_path / "coded.lvq"
    lvq.write_bytes(win.session.display.data)
    win.session.open_paths([lvq])
    helpers.wait_idle(qtbot, win)
    assert win.session.display.original is None
    assert not win.inspector.select_pixel(3, 3)
    assert "no original image" in win.inspector_panel.status.text()


def test_view_model_is_qt_free_and_ignores_stale_answers(image_file):
    import subprocess
    import sys
    code = ("import sys, lvqac_gui.model.position_inspector, lvqac_core.position_probe; "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"

    from types import SimpleNamespace
    from lvqac_gui.model.position_inspector import PositionInspector
    codec = _ckbd_factory("lvq", 0.0075, "cpu")
    image = np.asarray(Image.open(image_file).convert("RGB"))
    display = SimpleNamespace(original=image, width=image.shape[1], height=image.shape[0],
                              stats=SimpleNamespace(model_id="m", lmbda=0.0075))
    ins = PositionInspector(lambda d: codec)
    asked = []
    ins.request.connect(asked.append)
    ins.set_display(display)
    assert not ins.select_pixel(image.shape[1], 0) and asked == []  # outside the image
    assert ins.select_pixel(40, 20) and ins.busy
    first = asked[-1]
    assert ins.select_pixel(70, 40)  # a second click before the first answer
    ins.finished(ins.compute(first))  # the stale answer is ignored
    assert ins.busy and ins.report is None
    ins.finished(ins.compute(asked[-1]))
    assert not ins.busy and (ins.report.row, ins.report.col) == (2, 4)
    assert ins.probe_for(display) is ins.probe_for(display)  # built once per result
    assert ins.run_what_if("flip") and not ins.run_what_if("a1")  # LVQ: no A
    ins.finished(ins.compute(asked[-1]))
    assert ins.what_ifs["flip"].kind == "flip" and ins.message == ""
