"""`compress --json` / `decompress --json` map figures: selection share, A range and A-active
share, computed once in the core (InspectionMaps.summary) from the maps the codec returns."""
from __future__ import annotations

import json

import numpy as np
import pytest

from lvqac_testing import smooth_image, tiny_model
from lvqac_core.checkpoint import save_checkpoint
from lvqac_core.cli import main
from lvqac_core.results import A_IDENTITY_TOL, MAP_SUMMARY_KEYS, InspectionMaps



def _json(capsys, argv):
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("quantizer", ["scalar", "lvq", "lvqac"])
def test_compress_and_decompress_json_map_figures(tmp_path, capsys, image, quantizer):
    ckpt = tmp_path / f"{quantizer}.pt"
    save_checkpoint(tiny_model("minnen2018-mean", quantizer), ckpt)
    row = _json(capsys, ["compress", str(image), "--model", str(ckpt), "-o", str(tmp_path / "a.lvq")])[0]
    dec = _json(capsys, ["decompress", str(tmp_path / "a.lvq"), "--model", str(ckpt), "-o", str(tmp_path / "a.png")])
    for r in (row, dec):
        assert set(MAP_SUMMARY_KEYS) <= set(r)
        if quantizer == "scalar":
            assert all(r[k] is None for k in MAP_SUMMARY_KEYS)
            continue
        assert 0.0 <= r["selection_share"] <= 1.0
        if quantizer == "lvq":
            assert r["a_active_share"] is None and r["a_min"] is None and r["a_max"] is None
        else:
            assert 0.0 <= r["a_active_share"] <= 1.0
            assert 1.0 <= r["a_min"] <= r["a_max"]  # the A-law: A >= 1
    # the decoder rebuilds the same maps as the encoder
    assert {k: dec[k] for k in MAP_SUMMARY_KEYS} == {k: row[k] for k in MAP_SUMMARY_KEYS}


def test_human_output_names_the_figures_only_for_lattice_models(tmp_path, capsys, image):
    for q in ("scalar", "lvqac"):
        ckpt = tmp_path / f"{q}.pt"
        save_checkpoint(tiny_model("minnen2018-mean", q), ckpt)
        assert main(["compress", str(image), "--model", str(ckpt), "-o", str(tmp_path / f"{q}.lvq")]) == 0
        out = capsys.readouterr().out
        assert ("codebook Zⁿ+½" in out) == (q == "lvqac")
        assert ("A ≠ 1 at" in out) == (q == "lvqac")


def test_figures_match_the_maps_for_an_exp_compander_on_both_sides_of_one():
    model = tiny_model("minnen2018-mean", "lvqac", quantizer_options={"compander": "exp"})
    import torch
    torch.manual_seed(3)
    torch.nn.init.normal_(model.a_head.net[-1].weight, std=1.0)
    torch.nn.init.constant_(model.a_head.net[-1].bias, 0.0)
    from lvqac_core.api import Codec
    res = Codec.from_model(model).compress(smooth_image(96, 128, seed=1), reconstruction=False, ms_ssim=False)
    maps = res.maps
    s = maps.summary()
    a = maps.a_law.astype(np.float64)
    assert s["a_min"] == pytest.approx(a.min()) and s["a_max"] == pytest.approx(a.max())
    assert s["a_min"] < 1.0 < s["a_max"]  # the exponential compander reaches both sides
    # snapped levels: the identity is exactly one of them, counted as inactive
    n_identity = int(np.sum(np.isclose(a, 1.0, rtol=0, atol=1e-6)))
    assert s["a_active_share"] == pytest.approx(1.0 - n_identity / a.size)
    sel = maps.selection
    assert s["selection_share"] == pytest.approx(np.count_nonzero(sel) / sel.size)


def test_summary_of_hand_made_maps():
    bits = np.zeros((2, 3), np.float32)
    m = InspectionMaps(selection=np.array([[[0, 1, 1], [0, 0, 0]], [[1, 1, 1], [1, 0, 0]]], np.uint8),
                       a_law=np.array([[1.0, 1.0 + A_IDENTITY_TOL / 2, 0.25], [4.0, 1.0, 1.0]], np.float32),
                       bits=bits)
    assert m.summary() == {"selection_share": 0.5, "a_active_share": pytest.approx(2 / 6),
                           "a_min": 0.25, "a_max": 4.0}
    assert InspectionMaps(None, None, bits).summary() == dict.fromkeys(MAP_SUMMARY_KEYS)
