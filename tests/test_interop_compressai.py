"""CompressAI models and checkpoints, built here with CompressAI's own classes and small
random weights (no downloads): recognised in both on-disk forms, coded bit-exactly through the CLI,
the service and the app's backend, listed, evaluated, fine-tuned, and refused in one line when
unrecognised or hostile."""
from __future__ import annotations

import csv
import io
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import lvqac_core.compressai_parts  # noqa: F401  (CompressAI without its heavy package init)
from hostile_common import one_line_error
from lvqac_core import api
from lvqac_core.cli import main
from lvqac_core.errors import ModelNotFoundError
from lvqac_core.interop import inspect_file, load_compressai
from lvqac_testing import smooth_image

N, M = 8, 12
ARCHS = {  # CompressAI name: (class name, constructor args, hub-cache file name, our architecture)
    "mbt2018-mean": ("MeanScaleHyperprior", (N, M), "mbt2018-mean-3-0a1b2c3d.pth.tar", "minnen2018-mean"),
    "bmshj2018-hyperprior": ("ScaleHyperprior", (N, M), "bmshj2018-hyperprior-ms-ssim-2-0a1b2c3d.pth.tar",
                             "bmshj2018-hyperprior"),
    "mbt2018": ("JointAutoregressiveHierarchicalPriors", (N, M), "mbt2018-1-0a1b2c3d.pth.tar", "minnen2018"),
    "cheng2020-anchor": ("Cheng2020Anchor", (N,), "cheng2020_anchor-3-0a1b2c3d.pth.tar", "cheng2020"),
    "cheng2020-attn": ("Cheng2020Attention", (N,), "cheng2020_attn-mse-5-0a1b2c3d.pth.tar", "cheng2020-attn"),
}


def _compressai_model(arch: str, seed: int = 0):
    import compressai.models as cm

    cls, args, _, _ = ARCHS[arch]
    torch.manual_seed(seed)
    model = getattr(cm, cls)(*args)
    model.update(force=True)
    return model


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """{arch: {"hub": path, "train.py": path (DataParallel prefix)}}, plus a legacy-format file."""
    root = tmp_path_factory.mktemp("compressai")
    out = {}
    for arch, (_, _, hub_name, _) in ARCHS.items():
        state = _compressai_model(arch).state_dict()
        (root / arch).mkdir()
        hub = root / arch / hub_name
        torch.save(state, hub)
        dp = root / arch / "checkpoint_best_loss.pth.tar"
        torch.save({"epoch": 7, "loss": 1.5, "state_dict": {f"module.{k}": v for k, v in state.items()}}, dp)
        out[arch] = {"hub": hub, "train.py": dp}
    # CompressAI's 2020 files: the legacy format and the old entropy-bottleneck names
    state = _compressai_model("mbt2018-mean").state_dict()
    old = type(state)((k.replace("entropy_bottleneck.matrices.", "entropy_bottleneck._matrices.")
                       .replace("entropy_bottleneck.biases.", "entropy_bottleneck._biases.")
                       .replace("entropy_bottleneck.factors.", "entropy_bottleneck._factors."), v)
                      for k, v in state.items())
    old._metadata = state._metadata  # as torch.save(model.state_dict()) writes it
    legacy = root / "legacy" / "mbt2018-mean-3-0a1b2c3d.pth.tar"
    legacy.parent.mkdir()
    torch.save(old, legacy, _use_new_zipfile_serialization=False)
    out["legacy"] = legacy
    return out


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "x.png"
    Image.fromarray(smooth_image(64, 80)).save(path)
    return path


@pytest.mark.parametrize("form", ["hub", "train.py"])
@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_recognised_in_both_forms(files, arch, form):
    info = inspect_file(files[arch][form])
    assert (info.architecture, info.ours, info.form) == (arch, ARCHS[arch][3], form)
    assert (info.N, info.M) == ((N, N) if arch.startswith("cheng") else (N, M))
    assert info.data_parallel == (form == "train.py")
    if form == "hub":  # quality (and metric) from the hub-cache name, λ from CompressAI's table
        assert info.quality is not None and info.lmbda > 0
        assert info.model_id.startswith(f"compressai-{arch}-")


def test_legacy_format_and_old_names_load_to_the_same_weights(files):
    legacy, _ = load_compressai(files["legacy"])
    hub, _ = load_compressai(files["mbt2018-mean"]["hub"])
    assert inspect_file(files["legacy"]).legacy_format
    assert legacy.weights_hash() == hub.weights_hash()


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_round_trip_is_bit_exact_across_forms_and_threads(files, arch, image, threads):
    """Encode with the hub file on 1 and 2 threads (same bytes), decode with the train.py file (the
    same weights under another form and prefix), on the other thread count: the encoder's pixels."""
    api._CACHE.clear()
    enc = api.load_model(str(files[arch]["hub"]), device="cpu")
    threads(1)
    one = enc.compress(str(image))
    threads(2)
    two = enc.compress(str(image))
    assert one.data == two.data
    dec = api.load_model(str(files[arch]["train.py"]), device="cpu")
    for n in (1, 2):
        threads(n)
        out = dec.decompress(one.data)
        assert np.array_equal(out.image, one.reconstruction)
    # and it is CompressAI's own model: its decoder's pixels, within a level of rounding
    ref = _compressai_model(arch).eval()
    x = torch.from_numpy(np.array(Image.open(image))).permute(2, 0, 1)[None].float() / 255
    x = torch.nn.functional.pad(x, (0, 128 - 80, 0, 0), mode="replicate")
    with torch.no_grad():
        enc_c = ref.compress(x)
        x_hat = ref.decompress(enc_c["strings"], enc_c["shape"])["x_hat"]
    theirs = (x_hat.clamp(0, 1)[0, :, :64, :80].permute(1, 2, 0).numpy() * 255).round()
    assert np.abs(theirs - one.reconstruction).max() <= 1


@pytest.fixture
def threads():
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


def test_cli_compress_decompress_and_refusals(files, image, tmp_path, capsys):
    api._CACHE.clear()
    lvq, png = tmp_path / "x.lvq", tmp_path / "y.png"
    hub = str(files["mbt2018-mean"]["hub"])
    assert main(["compress", str(image), "--model", hub, "-o", str(lvq)]) == 0
    assert main(["decompress", str(lvq), "--model", str(files["mbt2018-mean"]["train.py"]), "-o", str(png)]) == 0
    capsys.readouterr()
    # another model's weights: the existing mismatch refusal
    assert main(["decompress", str(lvq), "--model", str(files["bmshj2018-hyperprior"]["hub"]),
                 "-o", str(tmp_path / "z.png")]) == 2
    assert "written by minnen2018-mean/scalar" in one_line_error(capsys.readouterr().err)
    # the file names its model, but the decoder never looks it up as a path
    assert main(["decompress", str(lvq), "-o", str(tmp_path / "w.png")]) == 2
    assert "--model FILE" in one_line_error(capsys.readouterr().err)
    assert not (tmp_path / "z.png").exists() and not (tmp_path / "w.png").exists()


def test_backend_round_trip_and_scalar_maps(files, image, tmp_path):
    from lvqac_gui.model.backend import Backend
    from lvqac_gui.model.jobs import Job
    from lvqac_gui.model.records import Source

    bk = Backend()
    spec = str(files["cheng2020-anchor"]["hub"])
    job = Job(id=1, kind="compress", source=Source.from_path(image), lmbda=0.0067, quantizer="scalar",
              device="cpu", model_spec=spec)
    shown = bk.run(job)
    assert shown.stats.model_id.startswith("compressai-cheng2020-anchor")
    assert shown.stats.decode_matches is True
    for name in ("selection", "a_law"):
        assert "scalar model" in shown.layers[name].placeholder
    assert shown.layers["bits"].image is not None and shown.layers["residual"].image is not None
    path = tmp_path / "x.lvq"
    path.write_bytes(shown.data)
    decoded = bk.run(Job(id=2, kind="decompress", source=Source.from_path(path), lmbda=0.0067,
                         quantizer="scalar", device="cpu", model_spec=spec))
    assert np.array_equal(decoded.reconstruction, shown.reconstruction)


def test_models_lists_hub_cache_and_scanned_folders(files, tmp_path, monkeypatch, capsys):
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / files["mbt2018-mean"]["hub"].name).write_bytes(files["mbt2018-mean"]["hub"].read_bytes())
    (hub / "notes.txt").write_text("not weights")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    assert main(["models", "--json", "--scan", str(files["mbt2018"]["hub"].parent)]) == 0
    rows = [r for r in json.loads(capsys.readouterr().out) if r.get("source") == "compressai"]
    assert sorted(r["architecture"] for r in rows) == ["mbt2018", "mbt2018", "mbt2018-mean"]
    assert all(r["supported"] and r["quantizer"] == "scalar" for r in rows)
    assert main(["models"]) == 0
    text = capsys.readouterr().out
    assert "CompressAI models" in text and "mbt2018-mean N=8 M=12 quality 3" in text
    assert main(["models", "--scan", str(tmp_path / "missing")]) == 2
    one_line_error(capsys.readouterr().err)
    # the id a user types for a hub-cache file finds it there (only there)
    img = tmp_path / "x.png"
    Image.fromarray(smooth_image(64, 64)).save(img)
    api._CACHE.clear()
    assert main(["compress", str(img), "--model", "compressai-mbt2018-mean-mse-q3", "-o", str(tmp_path / "x.lvq")]) == 0
    capsys.readouterr()
    assert main(["compress", str(img), "--model", "compressai-mbt2018-mean-mse-q4", "-o", str(tmp_path / "y.lvq")]) == 2
    assert "torch hub's cache" in one_line_error(capsys.readouterr().err)


def test_eval_has_a_row_for_a_compressai_model(files, tmp_path, capsys):
    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.fromarray(smooth_image(64, 64)).save(folder / "a.png")
    api._CACHE.clear()
    assert main(["eval", str(folder), "--model", str(files["bmshj2018-hyperprior"]["hub"]), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    curves = {c["name"]: c for c in report["curves"]}
    assert "CompressAI bmshj2018-hyperprior scalar" in curves
    point = curves["CompressAI bmshj2018-hyperprior scalar"]["points"][0]
    assert point["label"].startswith("compressai-bmshj2018-hyperprior-ms-ssim-q2")


def test_train_init_from_compressai_lowers_the_loss(files, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        Image.fromarray(smooth_image(64, 64, seed=i)).save(data / f"im{i}.png")
    out = tmp_path / "run"
    assert main(["train", "--data", str(data), "--out", str(out), "--init", str(files["mbt2018-mean"]["hub"]),
                 "--quantizer", "lvqac", "--steps", "20", "--batch-size", "2", "--crop", "64", "--lr", "3e-3",
                 "--log-every", "1", "--no-progress", "--checkpoint-minutes", "0", "--threads", "1"]) == 0
    with open(out / "log.csv") as f:
        losses = [float(r["loss"]) for r in csv.DictReader(f)]
    assert len(losses) == 20 and np.mean(losses[-5:]) < np.mean(losses[:5])
    model = api.load_model(str(out / "model.pt"), device="cpu").model  # our checkpoint, the file's transforms
    assert (model.config.architecture, model.config.quantizer, model.config.N, model.config.M) == (
        "minnen2018-mean", "lvqac", N, M)
    capsys.readouterr()
    # an architecture other than the file's: one line that says which to use
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "r2"), "--init",
                 str(files["mbt2018-mean"]["hub"]), "--architecture", "minnen2018-ckbd", "--steps", "1"]) == 2
    assert "--architecture minnen2018-mean -N 8 -M 12" in one_line_error(capsys.readouterr().err)


def test_lvq_swap_at_inference_round_trips(files, image):
    for quantizer in ("lvq", "lvqac"):
        model, info = load_compressai(files["mbt2018-mean"]["hub"], quantizer=quantizer,
                                      quantizer_options={"compander": "exp"} if quantizer == "lvqac" else None)
        codec = api.Codec(model, info.model_id + f"-{quantizer}", "cpu")
        res = codec.compress(str(image))
        assert np.array_equal(codec.decompress(res.data).image, res.reconstruction)
        if quantizer == "lvqac":
            assert np.allclose(res.maps.a_law, 1.0)  # A = 1: the exp head starts at the identity


# ---------------------------------------------------------------- refusals ----------------
class _Marker:
    pass


def _legacy_bomb(path: Path) -> None:
    """A legacy-format file of a few hundred bytes whose one storage claims 4 TB."""
    marker = _Marker()

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", torch.FloatStorage, "0", "cpu", 1 << 40) if obj is marker else None

    buf = io.BytesIO()
    for item in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
        pickle.dump(item, buf, protocol=2)
    Pickler(buf, protocol=2).dump({"g_a.0.weight": marker})
    pickle.dump(["0"], buf, protocol=2)
    path.write_bytes(buf.getvalue())


def _hostile(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.pth.tar"
    good = _compressai_model("mbt2018-mean").state_dict()
    if name == "factorized":
        import compressai.models as cm
        torch.save(cm.FactorizedPrior(N, M).state_dict(), path)
    elif name == "nan":
        torch.save({**good, "g_s.0.weight": torch.full_like(good["g_s.0.weight"], float("nan"))}, path)
    elif name == "quantiles":
        q = good["entropy_bottleneck.quantiles"].clone()
        q[:, 0, 0], q[:, 0, 2] = -3e4, 3e4
        torch.save({**good, "entropy_bottleneck.quantiles": q}, path)
    elif name == "wrong-shape":
        torch.save({**good, "h_s.2.weight": torch.zeros(3, 3)}, path)
    elif name == "unknown-net":
        torch.save({"encoder.weight": torch.zeros(4, 3, 3, 3)}, path)
    elif name == "not-a-dict":
        torch.save([torch.zeros(3)], path)
    elif name == "named-like-compressai":
        path = tmp_path / "mbt2018-mean-3-0a1b2c3d.pth.tar"
        torch.save({"encoder.weight": torch.zeros(4, 3, 3, 3)}, path)
    elif name == "legacy-bomb":
        _legacy_bomb(path)
    elif name == "text":
        path.write_text("hello")
    return path


@pytest.mark.parametrize("name, words", [
    ("factorized", "cannot code yet"), ("nan", "NaN"),
    ("quantiles", "quantiles span"), ("wrong-shape", "do not fit"), ("unknown-net", "not one of CompressAI"),
    ("not-a-dict", "no state_dict"), ("named-like-compressai", "its name says mbt2018-mean"),
    ("legacy-bomb", "claim"), ("text", "not a PyTorch checkpoint"),
])
def test_unrecognised_or_hostile_files_are_one_line_exit_2(tmp_path, capsys, image, name, words):
    path = _hostile(tmp_path, name)
    with pytest.raises(ModelNotFoundError):
        api._CACHE.clear()
        api.load_model(str(path), device="cpu")
    out = tmp_path / "o.lvq"
    assert main(["compress", str(image), "--model", str(path), "-o", str(out)]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert words in line, line
    assert not out.exists()
    if name == "factorized":  # the refusal names what is supported
        assert "supported: mbt2018-mean, bmshj2018-hyperprior, mbt2018, cheng2020-anchor, cheng2020-attn" in line
