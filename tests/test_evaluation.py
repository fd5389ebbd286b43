"""Evaluation: Pillow baselines, learned codecs through the API, BD tables, RD plot, ``lvqac eval``."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lvqac_core.evaluation.baselines import available, encode, run_baseline
from lvqac_core.evaluation.common import RDCurve, RDPoint, ImageScore, environment
from lvqac_core.evaluation.evaluate import bd_table
from lvqac_core.reference_curves import published_anchor
from lvqac_core.evaluation.rdplot import plot_rd
from lvqac_testing import write_image


def _images(folder: Path, n: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):  # n different images
        write_image(folder / f"img{i}.png", 48, 64, seed=i + 1)
    return folder


@pytest.mark.parametrize("name", ["jpeg", "webp", "avif", "jpeg2000"])
def test_baselines_on_two_tiny_images(tmp_path, name):
    ok, note = available(name)
    if not ok:
        pytest.skip(note)  # the missing-codec path is tested below, whatever this Pillow has
    folder = _images(tmp_path / "imgs")
    settings = [20, 80] if name != "jpeg2000" else [40, 10]
    fmt = {"jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF", "jpeg2000": "JPEG2000"}[name]
    with Image.open(io.BytesIO(encode(name, np.asarray(Image.open(folder / "img0.png")), settings[0]))) as im:
        assert im.format == fmt  # really this codec's file, not a fallback
    curve = run_baseline(name, folder, settings=settings)
    assert curve.notes == [] and len(curve.points) == 2
    lo, hi = curve.points  # sorted by rate
    assert lo.mean("bpp") < hi.mean("bpp")
    assert lo.mean("psnr") < hi.mean("psnr")
    for p in curve.points:
        assert len(p.images) == 2
        s = p.images[0]
        assert s.bytes and s.bpp == pytest.approx(8 * s.bytes / (48 * 64))
        assert 0 < s.ms_ssim <= 1


def test_baseline_without_codec_is_an_empty_curve_with_a_note(tmp_path, monkeypatch):
    from lvqac_core.evaluation import baselines
    monkeypatch.setattr(baselines.features, "check", lambda feature: False)
    assert available("avif") == (False, "avif: this Pillow build has no avif support; skipped")
    curve = run_baseline("avif", _images(tmp_path / "imgs"), settings=[20, 80])
    assert curve.points == [] and curve.notes == ["avif: this Pillow build has no avif support; skipped"]


def test_bd_table_and_plot(tmp_path):
    ref = published_anchor()
    assert ref and len(ref.bpp) == len(ref.psnr) == 8 and ref.source

    def curve(name, scale):
        c = RDCurve(name)
        for b, p in zip(ref.bpp, ref.psnr):
            c.points.append(RDPoint(f"{b}", [ImageScore("x", b * scale, p, 0.9)]))
        return c

    rows = bd_table([curve("a", 1.0), curve("b", 0.9)])
    assert rows[0]["test"] == "b" and rows[0]["bd_rate_percent"] == pytest.approx(-10.0, abs=1e-9)
    out = plot_rd([curve("a", 1.0), ("tuple curve", [0.2, 0.5], [28.0, 32.0])], tmp_path / "rd.png")
    assert out.is_file() and out.read_bytes()[:4] == b"\x89PNG"


def test_environment_fields():
    env = environment()
    for k in ("torch", "compressai", "numpy", "pillow", "git_commit"):
        assert isinstance(env[k], str) and env[k]


def test_eval_tiny_random_model_and_cli(tmp_path, capsys):
    from lvqac_core.checkpoint import save_checkpoint
    from lvqac_core.evaluation.evaluate import evaluate_models
    from lvqac_core.models import ModelConfig, build_model

    torch.manual_seed(0)
    folder = _images(tmp_path / "imgs")
    paths = []
    for q in ("scalar", "lvqac"):
        m = build_model(ModelConfig("minnen2018-ckbd", q, N=16, M=16))
        m.update(force=True)
        p = tmp_path / f"{q}_tiny" / "model.pt"
        save_checkpoint(m, p, half=True)
        paths.append(str(p))
    curves = evaluate_models(paths, folder, device="cpu")
    assert {c.name for c in curves} == {"minnen2018-ckbd scalar", "minnen2018-ckbd lvqac"}
    pt = curves[0].points[0]
    assert pt.label.endswith("_tiny") and len(pt.images) == 2
    s = pt.summary()
    assert s["bpp"] > 0 and s["bpp_estimated"] > 0 and np.isfinite(s["psnr"]) and s["device"] == "cpu"
    assert pt.extra["decode_mismatches"] == 0

    from lvqac_core.cli import main

    out_json = tmp_path / "res.json"
    rc = main(["eval", str(folder), "--model", *paths, "--baselines", "jpeg,webp", "--bdrate",
               "--plot", str(tmp_path / "rd.png"), "-o", str(out_json), "--device", "cpu", "--quiet"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "jpeg" in text and "BD against" in text
    rep = json.loads(out_json.read_text())
    assert rep["num_images"] == 2 and rep["environment"]["torch"]
    assert {c["name"] for c in rep["curves"]} >= {"jpeg", "webp", "minnen2018-ckbd scalar"}
    assert (tmp_path / "rd.png").is_file()
    assert main(["eval", str(tmp_path / "missing")]) == 2


def test_eval_refuses_existing_outputs_before_evaluating(tmp_path, capsys):
    from lvqac_core.cli import main

    folder = _images(tmp_path / "imgs")
    out_json = tmp_path / "res.json"
    out_json.write_text("precious")
    rc = main(["eval", str(folder), "--baselines", "jpeg", "-o", str(out_json), "--quiet"])
    assert rc == 2 and out_json.read_text() == "precious"
    err = capsys.readouterr().err.strip()
    assert "exists" in err and "--force" in err and "\n" not in err
    assert main(["eval", str(folder), "--baselines", "jpeg", "-o", str(out_json), "--quiet", "--force"]) == 0
    assert json.loads(out_json.read_text())["num_images"] == 2


def test_eval_variable_rate_checkpoint_gives_one_point_per_preset(tmp_path):
    from lvqac_core.checkpoint import save_checkpoint
    from lvqac_core.evaluation.evaluate import evaluate_models
    from lvqac_core.models import ModelConfig, build_model

    torch.manual_seed(0)
    folder = _images(tmp_path / "imgs")
    lams = [0.0016, 0.0075, 0.045]
    m = build_model(ModelConfig("minnen2018-ckbd", "scalar", N=8, M=8, lmbda=0.0075, lambdas=lams))
    p = tmp_path / "vr" / "model.pt"
    save_checkpoint(m, p, half=False)
    (curve,) = evaluate_models([str(p)], folder, device="cpu")
    assert [pt.extra["lambda"] for pt in sorted(curve.points, key=lambda q: q.extra["lambda"])] == pytest.approx(lams)
    assert all(pt.label.startswith("vr λ=") and pt.extra["decode_mismatches"] == 0 for pt in curve.points)


def test_noise_trained_checkpoint_is_its_own_curve(tmp_path):
    from lvqac_core.checkpoint import save_checkpoint
    from lvqac_core.evaluation.evaluate import evaluate_models
    from lvqac_core.models import ModelConfig, build_model

    torch.manual_seed(0)
    folder = _images(tmp_path / "imgs")
    paths = []
    for mode in ("ste", "noise"):
        m = build_model(ModelConfig("minnen2018-ckbd", "scalar", N=8, M=8, lmbda=0.0075,
                                    quantizer_options={"train_mode": mode}))
        paths.append(tmp_path / mode / "model.pt")
        save_checkpoint(m, paths[-1], half=False)
    curves = evaluate_models([str(p) for p in paths], folder, device="cpu")
    assert [c.name for c in curves] == ["minnen2018-ckbd scalar", "minnen2018-ckbd scalar (noise-trained)"]


def test_a_sigma_scaled_lvqac_network_is_its_own_curve(tmp_path):
    from lvqac_core.checkpoint import save_checkpoint
    from lvqac_core.evaluation.evaluate import evaluate_models
    from lvqac_core.models import ModelConfig, build_model

    torch.manual_seed(0)
    folder = _images(tmp_path / "imgs")
    paths = []
    for span in ("global", "sigma"):
        m = build_model(ModelConfig("minnen2018-ckbd", "lvqac", N=8, M=8, lmbda=0.0075,
                                    quantizer_options={"compander": "exp", "v_scale": span}))
        paths.append(tmp_path / span / "model.pt")
        save_checkpoint(m, paths[-1], half=False)
    curves = evaluate_models([str(p) for p in paths], folder, device="cpu", checkpoint_tier="wide")
    assert [c.name for c in curves] == ["minnen2018-ckbd wide lvqac", "minnen2018-ckbd wide lvqac (σ-scaled span)"]


def test_checkpoint_tier_names_a_runs_curve_beside_a_tiers(tmp_path, capsys):
    """A run of the wide tier's shape, measured beside the wide networks, needs its own curve name
    ('… wide scalar (noise-trained)'), else its report clashes with zoo v2's noise-trained curve."""
    from lvqac_core.checkpoint import save_checkpoint
    from lvqac_core.cli import main
    from lvqac_core.evaluation.evaluate import evaluate_models
    from lvqac_core.models import ModelConfig, build_model

    torch.manual_seed(0)
    folder = _images(tmp_path / "imgs")
    m = build_model(ModelConfig("minnen2018-ckbd", "scalar", N=8, M=8, lmbda=0.0075,
                                quantizer_options={"train_mode": "noise"}))
    p = tmp_path / "noise" / "model.pt"
    save_checkpoint(m, p, half=False)
    (curve,) = evaluate_models([str(p)], folder, device="cpu", checkpoint_tier="wide")
    assert curve.name == "minnen2018-ckbd wide scalar (noise-trained)"
    assert main(["eval", str(folder), "--model", str(p), "--checkpoint-tier", "Wide tier", "--quiet"]) == 2
    assert "not a tier name" in capsys.readouterr().err
