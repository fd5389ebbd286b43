"""The Qt-free layer: session protocol, map rendering, reference curves, export planning."""
from __future__ import annotations

import json

import numpy as np
import pytest

from lvqac_core.reference_curves import read_reference_curves
from lvqac_core.results import InspectionMaps
from lvqac_gui.model import backend as bk
from lvqac_gui.model import maps
from lvqac_gui.model.records import Display, Source, Stats
from lvqac_gui.model.state import Session


def _stats(**kw):
    base = dict(width=40, height=24, num_bytes=100, bpp=0.8, bpp_estimated=0.7, psnr=30.0,
                ms_ssim=0.95, encode_seconds=0.1, decode_seconds=0.05, device="cpu", model_id="m",
                quantizer="lvqac", lmbda=0.0075)
    base.update(kw)
    return Stats(**base)


def synthetic_display(h=24, w=40, groups=1) -> Display:
    rng = np.random.default_rng(1)
    orig = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    rec = np.clip(orig.astype(int) + rng.integers(-5, 6, orig.shape), 0, 255).astype(np.uint8)
    res = rec.astype(np.float32) - orig.astype(np.float32)
    lh, lw = -(-h // 16), -(-w // 16)
    m = InspectionMaps(selection=rng.integers(0, 2, (groups, lh, lw)).astype(np.uint8),
                       a_law=rng.uniform(1, 5, (lh, lw)).astype(np.float32),
                       bits=rng.uniform(0, 50, (lh, lw)).astype(np.float32))
    return Display(source=Source("synthetic.png"), kind="compressed", reconstruction=rec, original=orig,
                   residual=res, maps=m, data=b"x", stats=_stats(width=w, height=h),
                   layers=maps.render_layers(orig, rec, res, m))


class Recorder:
    def __init__(self, session: Session):
        self.jobs, self.cancels, self.errors, self.displays = [], [], [], []
        session.job_requested.connect(self.jobs.append)
        session.job_cancel_requested.connect(self.cancels.append)
        session.error.connect(lambda t, m: self.errors.append((t, m)))
        session.display_changed.connect(self.displays.append)
        self.messages, self.sources = [], []
        session.message.connect(self.messages.append)
        session.source_changed.connect(self.sources.append)


def test_open_queue_and_supersede(tmp_path):
    files = []
    for k in range(3):
        p = tmp_path / f"im{k}.png"
        p.write_bytes(b"not really decoded here")
        files.append(p)
    s = Session()
    s.loader = lambda source: np.zeros((4, 4, 3), np.uint8)  # what the window shows at once
    rec = Recorder(s)
    s.open_paths(files)
    assert len(rec.jobs) == 1 and rec.jobs[0].kind == "compress" and s.busy
    assert s.preview is not None and s.display is None
    assert len(s.queue) == 2
    # changing λ while busy supersedes the running job
    s.set_choices(lmbda=0.015)
    assert rec.cancels == [rec.jobs[0].id] and rec.jobs[-1].lmbda == 0.015
    # the stale job's result is ignored
    s.job_finished(rec.jobs[0].id, synthetic_display())
    assert rec.displays == []
    s.job_finished(rec.jobs[-1].id, synthetic_display())
    assert len(rec.displays) == 1
    assert rec.jobs[-1].source.name == "im1.png"  # the queue moved on
    s.job_failed(rec.jobs[-1].id, "Cannot read image", "bad")
    # in a batch a failure blocks nothing: a message naming the file and a history row
    assert rec.errors == [] and "im1.png" in rec.messages[-1]
    assert [e.kind for e in s.history] == ["compressed", "failed"] and "bad" in s.history[1].error
    assert rec.jobs[-1].source.name == "im2.png"
    s.cancel()
    assert not s.busy and not s.queue and rec.cancels[-1] == rec.jobs[-1].id
    s.job_finished(rec.jobs[-1].id, synthetic_display())  # late result after cancel: ignored
    assert len(rec.displays) == 1


def test_rejects_unknown_files(tmp_path):
    s = Session()
    rec = Recorder(s)
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    rejected = s.open_paths([bad, tmp_path / "missing.png"])
    assert len(rejected) == 2 and rec.errors and not s.busy


def test_recent_files(tmp_path):
    s = Session()
    for k in range(12):
        s.add_recent(str(tmp_path / f"{k}.png"))
    assert len(s.recent) == 10 and s.recent[0].endswith("11.png")


def test_probe_and_stats_rows():
    d = synthetic_display(groups=2)
    info = d.probe(17, 3)
    assert info["x"] == 17 and len(info["codebook"]) == 2 and info["a"] >= 1 and "bits" in info
    assert np.allclose(info["residual"], d.residual[3, 17])
    assert d.probe(40, 0) is None and d.probe(-1, 0) is None
    labels = [k for k, _ in d.stats.rows()]
    assert {"PSNR", "MS-SSIM", "Encode time", "Decode time", "Device"} <= set(labels)


def test_maps_rendering():
    d = synthetic_display(h=24, w=40, groups=3)
    L = d.layers
    assert L["residual"].kind == "diverging" and L["residual"].vmin == -L["residual"].vmax
    for key in ("selection", "a_law", "bits"):
        assert L[key].image.shape[:2] == (24, 40), key  # aligned with the image
    assert len(L["selection"].groups) == 3
    share = d.maps.selection.mean()
    assert L["selection"].legend[1][2] == pytest.approx(share)
    assert L["a_law"].vmin == pytest.approx(d.maps.a_law.min())
    # the ×16 upscale repeats each latent position over its 16×16 block
    up = maps.upscale(np.arange(6).reshape(2, 3), 16, 20, 40)
    assert up.shape == (20, 40) and up[15, 15] == 0 and up[16, 16] == 4 and up[0, 39] == 2


def test_maps_missing_parts():
    rec = np.zeros((16, 16, 3), np.uint8)
    m = InspectionMaps(selection=None, a_law=None, bits=np.zeros((1, 1), np.float32))
    L = maps.render_layers(None, rec, None, m)
    assert L["original"].image is None and "original not in file" in L["original"].placeholder
    assert L["residual"].image is None and L["selection"].image is None and L["a_law"].image is None


def test_reference_curves(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(
        {"name": "ref A", "results": {"bpp": [0.5, 0.2], "psnr-rgb": [32.0, 28.0]}}))
    (tmp_path / "b.json").write_text(json.dumps({"bpp": [0.1], "psnr": [25.0]}))
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "mismatch.json").write_text(json.dumps({"bpp": [1, 2], "psnr": [1]}))
    curves = read_reference_curves(tmp_path)
    assert curves == {"ref A": [(0.2, 28.0), (0.5, 32.0)], "b": [(0.1, 25.0)]}
    assert read_reference_curves(tmp_path / "missing") == {}


def test_device_fallback(monkeypatch):
    monkeypatch.setattr("lvqac_core.device.cuda_available", lambda: False)
    c = bk.device_choice("cuda")
    assert c.device == "cpu" and "CUDA" in c.note
    assert bk.device_choice("auto").device == "cpu" and bk.device_choice("auto").note is None


def test_export_planning(tmp_path):
    from lvqac_gui.model import export
    d = synthetic_display(groups=2)
    planned = export.planned_files(d, tmp_path)
    assert {"lvq", "decoded", "residual", "selection_g0", "selection_g1", "a_law", "bits"} == set(planned)
    written = export.export_all(d, tmp_path)
    assert all(p.exists() for p in written)
    from lvqac_core.errors import OutputExistsError
    with pytest.raises(OutputExistsError):
        export.export_all(d, tmp_path)
    export.export_all(d, tmp_path, overwrite=True)


def test_model_package_imports_no_qt():
    import subprocess
    import sys
    code = ("import sys, lvqac_gui.model.state, lvqac_gui.model.backend, lvqac_gui.model.maps, "
            "lvqac_gui.model.export, lvqac_gui.model.classical, lvqac_gui.model.events; "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def _a_display(a_law: np.ndarray) -> Display:
    h, w = 16 * a_law.shape[0], 16 * a_law.shape[1]
    rec = np.zeros((h, w, 3), np.uint8)
    m = InspectionMaps(selection=np.ones((1,) + a_law.shape, np.uint8), a_law=a_law.astype(np.float32),
                       bits=np.zeros(a_law.shape, np.float32))
    return Display(source=Source("a.png"), kind="compressed", reconstruction=rec, original=None, residual=None,
                   maps=m, data=b"x", stats=_stats(width=w, height=h, **m.summary()),
                   layers=maps.render_layers(None, rec, None, m))


def test_a_map_both_sides_of_the_identity():
    a = np.array([[0.25, 1.0, 4.0], [1.0, 2.0, 0.5]])
    d = _a_display(a)
    layer = d.layers["a_law"]
    assert (layer.vmin, layer.vmax) == (pytest.approx(0.25), pytest.approx(4.0))  # the true range
    left, centre, right = maps.scale_labels(layer.vmin, layer.vmax, layer.unit, False, layer.scale_note,
                                            layer.center_text)
    assert left == "min 0.25" and right == "max 4" and "A = 1" in centre
    img = layer.image
    px = {v: tuple(int(c) for c in img[16 * i, 16 * j]) for (i, j), v in np.ndenumerate(a)}
    assert px[1.0] == (247, 247, 247)  # white at the identity
    assert px[4.0][0] > px[4.0][2] and px[0.25][2] > px[0.25][0]  # red above, blue below
    assert px[2.0] != px[4.0] and px[0.5] != px[0.25]
    # symmetric in log A: A = 4 and A = 1/4 are equally far from white
    dist = {v: sum(abs(c - 247) for c in px[v]) for v in (0.25, 4.0)}
    assert abs(dist[0.25] - dist[4.0]) < 60
    rows = dict(d.stats.rows())
    assert rows["A range"] == "0.25 … 4" and rows["A ≠ 1"] == "66.7 % of positions"
    assert rows["Codebook Zⁿ+½"] == "100.0 % of position-groups"


def test_a_map_one_sided_range_keeps_white_for_the_identity():
    a = np.array([[1.0, 8.0], [2.0, 1.0]])  # the paper's A-law: A >= 1
    layer = _a_display(a).layers["a_law"]
    assert tuple(int(c) for c in layer.image[0, 0]) == (247, 247, 247)
    assert tuple(int(c) for c in layer.lut[0]) == (247, 247, 247) and layer.lut[-1][0] > layer.lut[-1][2]


def test_a_map_inactive_companding_says_so():
    d = _a_display(np.ones((2, 3)))
    layer = d.layers["a_law"]
    assert layer.image is None and layer.placeholder == maps.A_INACTIVE
    assert "companding inactive" in layer.placeholder and "A = 1 at every position" in layer.placeholder
    rows = dict(d.stats.rows())
    assert rows["A range"] == "1 … 1" and rows["A ≠ 1"] == "none (companding inactive)"
