"""Tiers (issue 27 §4): one family (quantizer) may have a fast and a wide network; the manifest
records each row's tier, the selection rule takes a tier (default: the default model's, falling back
to any tier for a λ only another covers), and the CLI, the evaluation and scripts/build_zoo.py name it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lvqac_core import bitstream, service, zoo
from lvqac_core.cli import main
from lvqac_core.errors import InputError, ModelNotFoundError
from lvqac_testing import smooth_image
from tier_zoo import WIDE_M, row_id, tier_dir, tiers  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[1]


def test_tier_round_trips_and_tiers_lists_each_once(tiers):
    rows = zoo.list_models()
    assert {e.tier for e in rows} == {"fast", "wide"}
    for e in rows:
        assert zoo.ZooEntry.from_json(e.to_json()) == e
        assert e.to_json()["tier"] == e.tier
    assert zoo.tiers() == [("fast", 8, 8), ("wide", 8, WIDE_M)]
    assert "(wide)" in zoo.get_entry(row_id("scalar", 0.13, "wide")).label()


def test_rows_without_a_tier_still_load(tmp_path, tiers):
    data = json.loads((tiers / "manifest.json").read_text())
    data["models"] = [{k: v for k, v in d.items() if k != "tier"} for d in data["models"] if d["tier"] == "fast"]
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    assert all("tier" not in d for d in zoo.load_manifest(tmp_path)["models"])


@pytest.mark.parametrize("tier", ["Wide", "", 5, "a b", "x" * 40])
def test_a_bad_tier_is_refused(tiers, tmp_path, tier):
    data = json.loads((tiers / "manifest.json").read_text())
    for d in data["models"]:
        if d["network"] == "tiny-wide-scalar-vr":
            d["tier"] = tier
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ModelNotFoundError, match="tier"):
        zoo.load_manifest(tmp_path)


def test_rows_of_one_network_agree_on_the_tier_and_presets_are_unique(tiers, tmp_path):
    data = json.loads((tiers / "manifest.json").read_text())
    data["models"][-1]["tier"] = "fast"  # one row of the wide network says fast
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ModelNotFoundError, match="disagree"):
        zoo.load_manifest(tmp_path)
    data = json.loads((tiers / "manifest.json").read_text())
    for d in data["models"]:
        if d["network"] == "tiny-wide-scalar-vr":
            d["tier"] = "fast"  # two fast scalar networks with the same presets
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ModelNotFoundError, match="two rows are minnen2018-ckbd fast scalar at λ 0.0016"):
        zoo.load_manifest(tmp_path)


def test_selection_keeps_the_default_tier_and_reaches_the_wide_one_above_it(tiers):
    assert service.select_model("scalar", 0.0075).spec == row_id("scalar", 0.0075)
    assert service.select_model("scalar", 0.01).entry.tier == "fast"
    high = service.select_model("scalar", 0.1)  # only the wide network codes there
    assert high.entry.tier == "wide" and high.entry.id == row_id("scalar", 0.13, "wide") and high.code_lambda == 0.1
    wide = service.select_model("scalar", 0.0075, tier="wide")
    assert wide.spec == row_id("scalar", 0.0075, "wide") and wide.code_lambda is None
    assert service.select_model("scalar", 0.02, tier="wide").entry.network == "tiny-wide-scalar-vr"
    assert service.select_model(tier="wide", quantizer="scalar").entry.tier == "wide"
    assert service.rate_range("scalar", tier="wide") == (0.0016, 0.13, "tiny-wide-scalar-vr")
    assert service.rate_range("scalar") == (0.0016, 0.045, "tiny-fast-scalar-vr")


def test_a_tier_without_the_family_or_lambda_says_what_there_is(tiers):
    with pytest.raises(ModelNotFoundError, match="tier wide.*available: none installed"):
        service.select_model("lvqac", 0.0075, tier="wide")
    with pytest.raises(ModelNotFoundError, match=r"tier fast; available: presets 0.0016, 0.0075, 0.045"):
        service.select_model("scalar", 0.1, tier="fast")
    with pytest.raises(InputError, match="tier"):
        service.select_model(model=row_id("scalar", 0.0075), tier="wide")


def test_cli_compress_tier_codes_with_the_wide_network(tiers, tmp_path, capsys):
    img = tmp_path / "a.png"
    Image.fromarray(smooth_image(64, 64)).save(img)
    out = tmp_path / "a.lvq"
    assert main(["compress", str(img), "-o", str(out), "--quantizer", "scalar", "--tier", "wide", "--lambda", "0.1",
                 "--device", "cpu"]) == 0
    header = bitstream.read_header(out.read_bytes())
    assert header.model_id == row_id("scalar", 0.13, "wide") and header.lmbda == pytest.approx(0.1)
    assert main(["decompress", str(out), "-o", str(tmp_path / "a.png.out.png"), "--device", "cpu"]) == 0
    assert np.asarray(Image.open(tmp_path / "a.png.out.png")).shape == (64, 64, 3)
    capsys.readouterr()
    assert main(["compress", str(img), "-o", str(tmp_path / "b.lvq"), "--model", row_id("scalar", 0.0075),
                 "--tier", "wide"]) == 2
    assert "--tier" in capsys.readouterr().err


def test_cli_models_names_the_tiers(tiers, capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert f"tier wide: the N 8 / M {WIDE_M} networks (lvqac compress --tier wide)" in out
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["tier"] for r in rows if r.get("id", "").startswith("tiny-")} == {"fast", "wide"}


def test_the_curve_of_a_wide_network_names_its_tier(tiers):
    from lvqac_core.api import load_model
    from lvqac_core.evaluation.evaluate import curve_name

    codec = load_model(row_id("scalar", 0.0075, "wide"), "cpu")
    assert curve_name(codec, "wide") == "minnen2018-ckbd wide scalar"
    assert curve_name(codec, "fast") == curve_name(codec) == "minnen2018-ckbd scalar"  # zoo v2's names stay


def _build_zoo(*argv, env):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "build_zoo.py"), *argv], env=env,
                          capture_output=True, text=True)


def test_build_zoo_adds_a_wide_network_beside_the_installed_ones(tmp_path):
    from lvqac_core.checkpoint import save_checkpoint
    from lvqac_core.models import ModelConfig, build_model

    runs, out = tmp_path / "runs", tmp_path / "zoo"
    for name, q in (("scalar", "scalar"), ("lvq", "lvq")):
        (runs / "v2" / name).mkdir(parents=True)
        save_checkpoint(build_model(ModelConfig("minnen2018-ckbd", q, N=8, M=8, lmbda=0.0075, lambdas=[0.0016, 0.0075, 0.045])),
                        runs / "v2" / name / "model.pt")
    (runs / "v3" / "wide-scalar").mkdir(parents=True)
    save_checkpoint(build_model(ModelConfig("minnen2018-ckbd", "scalar", N=8, M=12, lmbda=0.0075,
                                            lambdas=[0.0016, 0.045, 0.13])), runs / "v3" / "wide-scalar" / "model.pt")
    out.mkdir()
    env = {**os.environ, "LVQAC_ZOO_DIR": str(out), "PYTHONPATH": str(ROOT)}
    done = _build_zoo("install", "--runs", str(runs / "v2"), "--default-quantizer", "lvq", env=env)
    assert done.returncode == 0, done.stderr
    done = _build_zoo("tier", "fast", "minnen2018-ckbd-scalar-vr", "minnen2018-ckbd-lvq-vr", env=env)
    assert done.returncode == 0, done.stderr
    before = json.loads((out / "manifest.json").read_text())
    done = _build_zoo("install", "--runs", str(runs / "v3"), "--tier", "wide", "--add", env=env)
    assert done.returncode == 0, done.stderr
    after = json.loads((out / "manifest.json").read_text())
    assert after["default"] == before["default"] == "minnen2018-ckbd-lvq-0.0075"
    assert after["models"][:len(before["models"])] == before["models"]  # the installed rows, unchanged and first
    wide = after["models"][len(before["models"]):]
    assert [d["id"] for d in wide] == [f"minnen2018-ckbd-wide-scalar-{lam:g}" for lam in (0.0016, 0.045, 0.13)]
    assert {(d["tier"], d["file"], d["network"], d["M"]) for d in wide} == {
        ("wide", "minnen2018-ckbd-wide-scalar-vr.pt", "minnen2018-ckbd-wide-scalar-vr", 12)}
    assert (out / "minnen2018-ckbd-wide-scalar-vr.pt").is_file() and (out / "minnen2018-ckbd-scalar-vr.pt").is_file()
    done = _build_zoo("tier", "fast", "no-such-network", env=env)
    assert done.returncode != 0 and "no such network" in done.stderr
    done = _build_zoo("default", "minnen2018-ckbd-wide-scalar-0.045", env=env)
    assert done.returncode == 0, done.stderr
    moved = json.loads((out / "manifest.json").read_text())
    assert moved["default"] == "minnen2018-ckbd-wide-scalar-0.045" and moved["models"] == after["models"]
    done = _build_zoo("default", "minnen2018-ckbd-wide-lvqac-0.045", env=env)  # no such row: refused, unchanged
    assert done.returncode != 0 and "no such row" in done.stderr
    assert json.loads((out / "manifest.json").read_text())["default"] == "minnen2018-ckbd-wide-scalar-0.045"
    done = _build_zoo("ids", "wide", env=env)  # what eval_kodak_tier.sh / eval_heldout.sh measure
    assert done.returncode == 0 and done.stdout.split() == [f"minnen2018-ckbd-wide-scalar-{lam:g}" for lam in (0.0016, 0.045, 0.13)]
    done = _build_zoo("ids", "wide", "lvq", env=env)
    assert done.returncode == 2 and "no rows of tier wide for lvq" in done.stderr
