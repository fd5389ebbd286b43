"""Broken, foreign and unsafe checkpoints given with --model: one line, exit 2, nothing run,
nothing huge allocated; corrupt manifests: one line."""
from __future__ import annotations

import io
import json
import os

import pytest
import torch

from hostile_common import make_zoo, one_line_error
from lvqac_testing import tiny_model
from lvqac_core import api
from lvqac_core.checkpoint import FORMAT, checkpoint_bytes, config_problem, load_checkpoint
from lvqac_core.cli import main
from lvqac_core.errors import ModelNotFoundError

MARKER = "lvqac-hostile-pickle-ran"


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


def _payload() -> dict:
    return torch.load(io.BytesIO(checkpoint_bytes(tiny_model("minnen2018-mean", "scalar"))), weights_only=True)


def _variants() -> dict:
    good = _payload()
    out = {}

    def variant(name, **changes):
        p = {**good, **changes}
        out[name] = p

    cfg = good["config"]
    variant("missing config", config=None)
    variant("unknown architecture", config={**cfg, "architecture": "resnet50"})
    variant("string N", config={**cfg, "N": "48"})
    variant("huge N", config={**cfg, "N": 10 ** 6})
    variant("huge M", config={**cfg, "M": 2 ** 40})
    variant("float M", config={**cfg, "M": 24.0})
    variant("bad group", config={**cfg, "group_size": 7})
    variant("bad lambda", config={**cfg, "lmbda": float("nan")})
    variant("unknown option", config={**cfg, "quantizer_options": {"bogus": 1}})
    variant("unknown train mode", config={**cfg, "quantizer_options": {"train_mode": "hard-ste"}})
    variant("unknown rate proxy", config={**cfg, "quantizer_options": {"rate_proxy": "oracle"}})
    variant("not a state dict", state_dict=[1, 2, 3])
    variant("non-tensor entry", state_dict={**good["state_dict"], "g_a.0.weight": 3})
    first = next(iter(good["state_dict"]))
    variant("wrong shape", state_dict={**good["state_dict"], first: torch.zeros(2, 2)})
    variant("missing weight", state_dict={k: v for k, v in good["state_dict"].items() if k != first})
    variant("extra weight", state_dict={**good["state_dict"], "extra.weight": torch.zeros(1)})
    variant("nan weight", state_dict={**good["state_dict"], first: torch.full_like(good["state_dict"][first],
                                                                                   float("nan"))})
    variant("foreign format", format="something-else/1")
    return out


VARIANTS = _variants()


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_broken_checkpoints_are_one_line_refusals(tmp_path, capsys, name) -> None:
    path = tmp_path / "broken.pt"
    torch.save(VARIANTS[name], path)
    with pytest.raises(ModelNotFoundError) as info:
        load_checkpoint(path)
    assert "\n" not in str(info.value)
    img = tmp_path / "x.png"
    from PIL import Image
    Image.new("RGB", (8, 8)).save(img)
    api._CACHE.clear()
    assert main(["compress", str(img), "--model", str(path)]) == 2
    one_line_error(capsys.readouterr().err)
    assert not (tmp_path / "x.lvq").exists()


def test_unsafe_pickle_is_refused_without_torch_advice(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    torch.save({"format": FORMAT, "config": {"architecture": "minnen2018-mean"}, "state_dict": _Evil()}, path)
    (tmp_path / MARKER).unlink(missing_ok=True)
    api._CACHE.clear()
    assert main(["decompress", str(tmp_path / "nothing.lvq"), "--model", str(path)]) == 2  # input first
    capsys.readouterr()
    (tmp_path / "a.lvq").write_bytes(b"\x8bLVQ\r\n\x1a\n")
    for argv in (["compress", str(path.with_name("a.png")), "--model", str(path)],
                 ["decompress", str(tmp_path / "a.lvq"), "--model", str(path)]):
        from PIL import Image
        Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
        assert main(argv) == 2
    with pytest.raises(ModelNotFoundError) as info:
        load_checkpoint(path)
    msg = str(info.value)
    assert "weights_only" not in msg and "\n" not in msg and "refused" in msg
    assert not (tmp_path / MARKER).exists()


@pytest.mark.parametrize("content", [b"", b"garbage" * 100, b"PK\x03\x04" + b"\x00" * 50])
def test_non_checkpoints(tmp_path, content) -> None:
    path = tmp_path / "junk.pt"
    path.write_bytes(content)
    with pytest.raises(ModelNotFoundError) as info:
        load_checkpoint(path)
    assert "\n" not in str(info.value)
    for special in (tmp_path, "/dev/null"):
        with pytest.raises(ModelNotFoundError, match="not a regular file"):
            load_checkpoint(special)


MANIFESTS = {
    "not json": "{",
    "a list": "[]",
    "no models list": json.dumps({"format": "lvqac-zoo/1", "models": {"a": 1}}),
    "entry not an object": json.dumps({"format": "lvqac-zoo/1", "models": [3]}),
    "missing sha256": None,
    "N a string": None,
    "file outside": None,
    "bad default": None,
}


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_corrupt_manifests_are_one_line_errors(tmp_path, capsys, monkeypatch, name) -> None:
    zoo = tmp_path / "zoo"
    manifest = make_zoo(zoo, tiny_model("minnen2018-mean", "scalar"), "tiny")
    entry = manifest["models"][0]
    text = MANIFESTS[name]
    if text is None:
        if name == "missing sha256":
            del entry["sha256"]
        elif name == "N a string":
            entry["N"] = "16"
        elif name == "file outside":
            entry["file"] = "../../etc/passwd"
        else:
            manifest["default"] = 7
        text = json.dumps(manifest)
    (zoo / "manifest.json").write_text(text)
    monkeypatch.setenv("LVQAC_ZOO_DIR", str(zoo))
    api._CACHE.clear()
    for argv in (["models"], ["compress", str(tmp_path / "missing.png")]):
        assert main(argv) == 2
        line = one_line_error(capsys.readouterr().err)
        assert "manifest" in line or "missing.png" in line


def test_every_option_the_trainer_records_is_accepted(tmp_path) -> None:
    """The loader's option check and the quantizers' own options must not drift apart."""
    model = tiny_model("minnen2018-ckbd", "lvqac")
    model.config.quantizer_options.update(train_mode="hard-relax", rate_proxy="hard", compander="alaw",
                                          a_grad_alpha=8.0)
    assert config_problem(model.config.to_dict()) is None
    bad = {**model.config.to_dict(), "quantizer_options": {"compander": "mu-law"}}
    assert "compander" in config_problem(bad)


# ---------------------------------------------------------------- a checkpoint is untrusted
def _shared_bomb(depth: int = 40) -> list:
    """A list whose str()/repr() walks 2^depth elements (pickled in a few hundred bytes)."""
    x: list = [0]
    for _ in range(depth):
        x = [x, x]
    return x


def _round_two() -> dict:
    good = _payload()
    cfg, state = good["config"], good["state_dict"]
    first = next(k for k in state if k.startswith("g_a") and k.endswith("weight"))
    quantiles = state["entropy_bottleneck.quantiles"].clone()
    quantiles[:, 0, 0], quantiles[:, 0, 2] = -3e4, 3e4
    louder = dict(state, **{first: state[first].float() * 1e9})  # fp32: finite, one layer × 1e9
    sparse = dict(state, **{first: state[first].float().to_sparse()})
    overlapping = dict(state, **{first: torch.zeros(1).expand(2 ** 26)})
    return {  # name: (payload, what the one line says)
        "N = 1": ({**good, "config": {**cfg, "N": 1}}, "N must be an integer in 4..512, not 1"),
        "huge weights": ({**good, "state_dict": louder, "precision": "fp32"}, "beyond ±100000"),
        "bomb in precision": ({**good, "precision": _shared_bomb()}, "precision is neither"),
        "bomb in architecture": ({**good, "config": {**cfg, "architecture": _shared_bomb()}}, "nested more than"),
        "bomb in N": ({**good, "config": {**cfg, "N": _shared_bomb()}}, "nested more than"),
        "wide bomb in provenance": ({**good, "config": {**cfg, "provenance": {"a": [[list(range(400))] * 400]}}},
                                    "more than 100000 values"),
        "bomb in extra": ({**good, "extra": {"x": _shared_bomb()}}, "extra record"),
        "huge quantiles": ({**good, "state_dict": dict(state, **{"entropy_bottleneck.quantiles": quantiles})},
                           "quantiles span"),
        "quantizer as a list": ({**good, "config": {**cfg, "quantizer": ["scalar"]}}, "unknown quantizer a list"),
        "sparse weight": ({**good, "state_dict": sparse}, "not a dense tensor (sparse_coo)"),
        "overlapping view": ({**good, "state_dict": overlapping}, "more elements than its storage"),
        "huge integer": ({**good, "config": {**cfg, "M": 2 ** 100}}, "integer of 101 bits"),
        "tuple key": ({**good, "config": {**cfg, "quantizer_options": {(1, 2): 3}}}, "not a string"),
        "lambdas a dict": ({**good, "config": {**cfg, "lambdas": {"a": 1}}}, "lambdas must be a list"),
        "tensor as N": ({**good, "config": {**cfg, "N": torch.tensor(16)}}, "not plain data"),
    }


ROUND_TWO = _round_two()


@pytest.mark.parametrize("name", sorted(ROUND_TWO))
def test_crafted_checkpoints_are_one_line_refusals_in_bounded_time(tmp_path, capsys, name) -> None:
    import time

    payload, says = ROUND_TWO[name]
    path = tmp_path / "crafted.pt"
    torch.save(payload, path)
    start = time.process_time()  # this process's CPU time: a busy machine does not inflate it
    with pytest.raises(ModelNotFoundError) as info:
        load_checkpoint(path)
    assert time.process_time() - start < 5
    message = str(info.value)
    assert says in message and "\n" not in message and len(message) < 400, message
    from PIL import Image

    Image.new("RGB", (64, 64)).save(tmp_path / "x.png")
    api._CACHE.clear()
    assert main(["compress", str(tmp_path / "x.png"), "--model", str(path)]) == 2
    assert says in one_line_error(capsys.readouterr().err)
    assert not (tmp_path / "x.lvq").exists()


def test_a_deflated_checkpoint_is_refused_before_it_inflates(tmp_path) -> None:
    """torch.save stores its entries; a deflated one may inflate a few MB into a GB before any
    check (a 3.2 MB file became a 1 GiB storage): refused from the archive's directory."""
    import zipfile

    plain = tmp_path / "plain.pt"
    torch.save(_payload(), plain)
    deflated = tmp_path / "deflated.pt"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    with pytest.raises(ModelNotFoundError, match="compressed entries"):
        load_checkpoint(deflated)
    load_checkpoint(plain)  # the same payload stored, as torch.save writes it, loads


def test_legacy_and_oversized_archives_are_refused(tmp_path, monkeypatch) -> None:
    from lvqac_core import checkpoint_validation

    legacy = tmp_path / "legacy.pt"
    torch.save(_payload(), legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(ModelNotFoundError, match="not a zip archive"):
        load_checkpoint(legacy)
    plain = tmp_path / "plain.pt"
    torch.save(_payload(), plain)
    monkeypatch.setattr(checkpoint_validation, "MAX_CHECKPOINT_BYTES", 1000)
    with pytest.raises(ModelNotFoundError, match="over the limit"):
        load_checkpoint(plain)


def test_the_zoos_files_pass_unchanged() -> None:
    """The shipped checkpoints (sha256 checked against the manifest) pass every check."""
    from lvqac_core import zoo

    files = {entry.path: entry.sha256 for entry in zoo.list_models()}
    assert len(files) >= 3  # zoo v2's three networks, and the wide tier's
    for path, sha256 in files.items():
        load_checkpoint(path, expected_sha256=sha256)


def test_coding_table_sizes_are_bounded_exactly_before_they_are_built(monkeypatch) -> None:
    from lvqac_core import checkpoint_validation
    from lvqac_core.checkpoint_validation import table_size_problem

    model = tiny_model("minnen2018-ckbd", "lvqac")
    model.update(force=True)
    total = sum(model.bank.lengths)
    assert table_size_problem(model) is None
    monkeypatch.setattr(checkpoint_validation, "MAX_CELL_ENTRIES", total)
    assert table_size_problem(model) is None
    monkeypatch.setattr(checkpoint_validation, "MAX_CELL_ENTRIES", total - 1)
    assert "coding tables would hold more than" in table_size_problem(model)
    monkeypatch.undo()
    with torch.no_grad():
        model.quantizer.log_v.fill_(800.0)  # finite, but V = e^800 overflows
    assert "non-finite" in table_size_problem(model)
