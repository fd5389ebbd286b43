"""Variable-rate networks in the zoo, the service and the CLI: six preset rows name one
network file, loaded once; any λ in its range is coded by the nearest preset's row and recorded in
the file; single-rate rows behave as before."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lvqac_core import api, bitstream, service, zoo
from lvqac_core.cli import main
from lvqac_core.errors import InputError, ModelNotFoundError
from lvqac_testing import smooth_image
from vr_zoo import LAMS, NETWORK, VR_FILE, use_zoo, vr, vr_dir, vr_row_id  # noqa: F401  (fixtures)



def _json(capsys, argv):
    code = main(argv + ["--json"])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else None), out.err


# ------------------------------------------------------------------ manifest


def test_network_and_range_round_trip(vr):
    rows = zoo.list_models()
    vr_rows = [e for e in rows if e.network == NETWORK]
    assert [e.lmbda for e in vr_rows] == LAMS and {e.file for e in vr_rows} == {VR_FILE}
    assert all(e.lambda_range == (LAMS[0], LAMS[-1]) and e.variable_rate for e in vr_rows)
    single = [e for e in rows if e.quantizer == "scalar"]
    assert single and all(e.network is None and e.lambda_range is None and not e.variable_rate for e in single)
    for e in rows:
        assert zoo.ZooEntry.from_json(e.to_json()) == e
        assert ("network" in e.to_json()) == (e.network is not None)


@pytest.mark.parametrize("change, message", [
    ({"lambda_range": [0.01, 0.005]}, "positive increasing"),
    ({"lambda_range": [0.0, 0.05]}, "positive increasing"),
    ({"lambda_range": [0.01]}, "two numbers"),
    ({"lambda_range": [0.01, "x"]}, "two numbers"),
    ({"lambda_range": [0.01, 0.02]}, "outside its lambda_range"),
    ({"network": None}, "without a network"),
    ({"lambda_range": None}, "without a lambda_range"),
    ({"network": ""}, "empty"),
])
def test_bad_network_fields_are_refused(vr, change, message, tmp_path):
    data = json.loads((vr / "manifest.json").read_text())
    d = data["models"][2]  # λ = 0.0075
    for k, v in change.items():
        if v is None:
            d.pop(k)
        else:
            d[k] = v
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ModelNotFoundError, match=message):
        zoo.load_manifest(tmp_path)


def test_rows_of_one_network_must_agree(vr, tmp_path):
    data = json.loads((vr / "manifest.json").read_text())
    data["models"][1]["lambda_range"] = [0.0016, 0.03]
    data["models"][1]["lambda"] = 0.0032
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ModelNotFoundError, match="disagree"):
        zoo.load_manifest(tmp_path)
    entries = zoo.list_models()
    with pytest.raises(ValueError, match="disagree on its network"):  # a network file named by a single-rate row
        zoo.write_manifest(entries + [zoo.ZooEntry(**{**vars(entries[0]), "id": "x", "network": None,
                                                      "lambda_range": None})], None, tmp_path)


# ------------------------------------------------------------------ selection and loading


def test_select_model_exact_and_interpolated(vr):
    exact = service.select_model("lvqac", 0.015)
    assert exact.spec == vr_row_id(0.015) and exact.code_lambda is None and exact.lmbda == 0.015
    between = service.select_model("lvqac", 0.01)  # nearest preset in log λ: 0.0075
    assert between.spec == vr_row_id(0.0075) and between.code_lambda == 0.01 and between.lmbda == 0.01
    assert service.select_model("lvqac", 0.04).spec == vr_row_id(0.045)
    assert service.select_model(lmbda=0.002).spec == vr_row_id(0.0016)  # the default's quantizer
    assert service.select_model("scalar", 0.0075).spec == "tiny-scalar-0.0075"  # single-rate as before
    with pytest.raises(ModelNotFoundError, match=r"available: presets 0\.0016, 0\.0075$"):
        service.select_model("scalar", 0.01)
    with pytest.raises(ModelNotFoundError, match=r"any λ in 0\.0016 … 0\.045 \(tiny-vr-lvqac\)"):
        service.select_model("lvqac", 0.1)
    # a zoo id with a λ: a network row in range, never a single-rate row
    assert service.select_model(model=vr_row_id(0.03), lmbda=0.02).code_lambda == 0.02
    with pytest.raises(InputError, match="single-rate"):
        service.select_model(model="tiny-scalar-0.0075", lmbda=0.01)
    with pytest.raises(InputError, match="outside the range"):
        service.select_model(model=vr_row_id(0.03), lmbda=0.5)
    assert service.rate_range("lvqac") == (LAMS[0], LAMS[-1], NETWORK)
    assert service.rate_range("scalar") is None and service.rate_range("lvq") is None


def test_the_network_file_loads_once_and_each_row_codes_at_its_lambda(vr, monkeypatch):
    loads = []
    real = api.load_checkpoint
    monkeypatch.setattr(api, "load_checkpoint", lambda *a, **k: loads.append(a[0]) or real(*a, **k))
    codecs = [api.load_zoo_model(vr_row_id(lam), "cpu") for lam in LAMS]
    assert len(loads) == 1 and len({id(c.model) for c in codecs}) == 1
    assert [c.lmbda for c in codecs] == LAMS and all(c.variable_rate for c in codecs)
    assert [c.model_id for c in codecs] == [vr_row_id(lam) for lam in LAMS]
    api.load_zoo_model("tiny-scalar-0.0075", "cpu")
    assert len(loads) == 2


def test_a_network_file_that_is_single_rate_is_refused(vr, tmp_path, monkeypatch):
    import shutil
    data = json.loads((vr / "manifest.json").read_text())
    shutil.copy(vr / "tiny-scalar-0.0075.pt", tmp_path / VR_FILE)
    sha = zoo.ZooEntry.from_json(data["models"][-1]).sha256
    for d in data["models"][:6]:
        d["sha256"], d["quantizer"] = sha, "scalar"
    data["models"] = data["models"][:6]
    data["default"] = None
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    use_zoo(monkeypatch, tmp_path)
    with pytest.raises(ModelNotFoundError, match="is a single-rate model"):
        api.load_zoo_model(vr_row_id(0.0075), "cpu")


def test_service_encode_codes_at_the_chosen_lambda_and_the_zoo_decodes_it(vr):
    choice = service.select_model("lvqac", 0.0123)
    codec = api.load_model(choice.spec, "cpu")
    enc = service.encode(codec, smooth_image(40, 56), lmbda=choice.code_lambda, decode_check=True)
    assert enc.report.lmbda == pytest.approx(0.0123) and enc.report.decode_matches
    header = bitstream.read_header(enc.result.data)
    assert header.model_id == vr_row_id(0.015) and header.lmbda == pytest.approx(0.0123)
    dec = api.decompress(enc.result.data, device="cpu")  # through the zoo, at the file's λ
    np.testing.assert_array_equal(dec.image, enc.result.reconstruction)
    rates = [len(service.encode(codec, smooth_image(64, 96), lmbda=lam, ms_ssim=False).result.data)
             for lam in (0.0016, 0.045)]
    assert rates[0] < rates[1]


# ------------------------------------------------------------------ CLI


def test_cli_any_lambda_round_trips_and_info_names_the_network(vr, image, tmp_path, capsys):
    out = tmp_path / "a.lvq"
    code, rows, _ = _json(capsys, ["compress", str(image), "--lambda", "0.01", "-o", str(out)])
    assert code == 0 and rows[0]["lambda"] == pytest.approx(0.01) and rows[0]["model"] == vr_row_id(0.0075)
    code, info, _ = _json(capsys, ["info", str(out)])
    assert info["lambda"] == pytest.approx(0.01) and info["variable_rate"] is True and info["network"] == NETWORK
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "λ = 0.01, coded by the variable-rate network tiny-vr-lvqac" in text and "between presets" in text
    png = tmp_path / "a.png"
    code, row, _ = _json(capsys, ["decompress", str(out), "-o", str(png)])
    assert code == 0 and row["lambda"] == pytest.approx(0.01)
    codec = api.load_zoo_model(vr_row_id(0.0075), "cpu")
    again = codec.compress(str(image), lmbda=0.01)
    np.testing.assert_array_equal(np.asarray(Image.open(png).convert("RGB")), again.reconstruction)
    assert again.data == out.read_bytes()


def test_cli_single_rate_file_info_says_so(vr, image, tmp_path, capsys):
    out = tmp_path / "s.lvq"
    assert main(["compress", str(image), "--quantizer", "scalar", "--lambda", "0.0016", "-o", str(out)]) == 0
    capsys.readouterr()
    code, info, _ = _json(capsys, ["info", str(out)])
    assert info["variable_rate"] is False and info["network"] is None


@pytest.mark.parametrize("argv, words", [
    (["--lambda", "0.1"], "available: presets"),
    (["--quantizer", "scalar", "--lambda", "0.01"], "available: presets 0.0016, 0.0075"),
    (["--model", "tiny-scalar-0.0075", "--lambda", "0.01"], "single-rate model"),
    (["--model", "tiny-lvqac-0.03", "--lambda", "0.2"], "outside the range"),
    (["--model", "tiny-lvqac-0.03", "--quantizer", "lvq"], "cannot be combined"),
])
def test_cli_refuses_a_lambda_no_model_codes_at_in_one_line(vr, image, tmp_path, capsys, argv, words):
    assert main(["compress", str(image), "-o", str(tmp_path / "x.lvq")] + argv) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "x.lvq").exists()


def test_cli_checkpoint_path_with_a_lambda(vr, image, tmp_path, capsys):
    out = tmp_path / "c.lvq"
    code, rows, _ = _json(capsys, ["compress", str(image), "--model", str(vr / VR_FILE), "--lambda", "0.02",
                                   "-o", str(out)])
    assert code == 0 and rows[0]["lambda"] == pytest.approx(0.02)
    assert bitstream.read_header(out.read_bytes()).lmbda == pytest.approx(0.02)
    code = main(["compress", str(image), "--model", str(vr / "tiny-scalar-0.0075.pt"), "--lambda", "0.02",
                 "-o", str(tmp_path / "d.lvq")])
    err = capsys.readouterr().err
    assert code == 2 and "single-rate model" in err and len(err.strip().splitlines()) == 1


def test_cli_models_lists_each_row_and_its_network(vr, capsys):
    code, rows, _ = _json(capsys, ["models"])
    assert code == 0 and len(rows) == 8
    assert [r["network"] for r in rows] == [NETWORK] * 6 + [None, None]
    assert rows[0]["lambda_range"] == [LAMS[0], LAMS[-1]] and rows[-1]["lambda_range"] is None
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "network" in lines[0]
    assert sum(1 for line in lines if line.startswith("tiny-lvqac-") and line.rstrip(" *").endswith(NETWORK)) == 6
    assert sum(1 for line in lines if line.startswith("tiny-scalar-") and line.rstrip(" *").endswith("-")) == 2
    assert any("0.0016 … 0.045" in line for line in lines)


def test_compress_help_says_any_lambda_in_range(capsys):
    with pytest.raises(SystemExit):
        main(["compress", "--help"])
    assert "variable-rate network" in " ".join(capsys.readouterr().out.split())


def test_build_zoo_installs_a_network_as_one_file_and_one_row_per_preset(tmp_path):
    """scripts/build_zoo.py install: a variable-rate run becomes <arch>-<q>-vr.pt + a row per preset
    (ids as the single-rate models of those λ); --prune removes weights the manifest no longer names."""
    import subprocess
    import sys

    from lvqac_core.checkpoint import save_checkpoint
    from lvqac_core.models import ModelConfig, build_model

    runs, out = tmp_path / "runs", tmp_path / "zoo"
    (runs / "lvq-decay").mkdir(parents=True)
    out.mkdir()
    (out / "stale.pt").write_bytes(b"old")
    lams = [0.0016, 0.0075, 0.045]
    save_checkpoint(build_model(ModelConfig("minnen2018-ckbd", "lvq", N=8, M=8, lmbda=0.0075, lambdas=lams)),
                    runs / "lvq-decay" / "model.pt")
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "LVQAC_ZOO_DIR": str(out), "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, str(root / "scripts" / "build_zoo.py"), "install", "--runs", str(runs),
                           "--prune", "--default-quantizer", "lvq"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "minnen2018-ckbd-lvq-vr.pt"]
    rows = json.loads((out / "manifest.json").read_text())["models"]
    assert [r["id"] for r in rows] == [f"minnen2018-ckbd-lvq-{lam:g}" for lam in lams]
    assert {r["network"] for r in rows} == {"minnen2018-ckbd-lvq-vr"}
    assert all(r["lambda_range"] == [0.0016, 0.045] and r["file"] == "minnen2018-ckbd-lvq-vr.pt" for r in rows)
