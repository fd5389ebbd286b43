"""The heads' hidden width is a recorded model option (``head_hidden``); old checkpoints keep 64."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lvqac_testing import load_repo_file, smooth_image, tiny_model
from lvqac_core.api import Codec
from lvqac_core.checkpoint import config_problem, load_checkpoint, save_checkpoint
from lvqac_core.models.latent_codecs import HEAD_HIDDEN


def _widths(model) -> tuple:
    a = model.a_head.net[0].out_channels if model.a_head is not None else None
    s = model.selection_head.net[0].out_channels if model.selection_head is not None else None
    return a, s


def test_default_width_is_the_shipped_one() -> None:
    model = tiny_model("minnen2018-ckbd", "lvqac", quantizer_options={"selection_coding": "rans"})
    assert HEAD_HIDDEN == 64 and _widths(model) == (64, 64)


@pytest.mark.parametrize("quantizer,expected", [("lvqac", (8, 8)), ("lvq", (None, 8))])
def test_narrow_heads_round_trip_through_a_checkpoint_and_code_exactly(tmp_path, quantizer, expected) -> None:
    options = {"selection_coding": "rans", "head_hidden": 8}
    model = tiny_model("minnen2018-ckbd", quantizer, quantizer_options=options)
    assert _widths(model) == expected
    path = tmp_path / "narrow.pt"
    save_checkpoint(model, path, half=False)
    loaded = load_checkpoint(path)
    assert _widths(loaded) == expected and loaded.config.quantizer_options["head_hidden"] == 8
    codec = Codec.from_model(loaded)
    image = smooth_image(40, 56, seed=3)
    res = codec.compress(image)
    assert np.array_equal(codec.decompress(res.data).image, res.reconstruction)


@pytest.mark.parametrize("value", [0, -1, True, "16", 4.0, 10 ** 6])
def test_config_refuses_a_bad_head_width(value) -> None:
    cfg = {"architecture": "minnen2018-ckbd", "quantizer": "lvqac", "N": 16, "M": 24,
           "quantizer_options": {"head_hidden": value}}
    assert "head_hidden" in (config_problem(cfg) or "")


def test_scalar_has_no_heads_to_size() -> None:
    cfg = {"architecture": "minnen2018-ckbd", "quantizer": "scalar", "N": 16, "M": 24,
           "quantizer_options": {"head_hidden": 16}}
    assert "unknown scalar quantizer option" in (config_problem(cfg) or "")


def _head_width_script():
    return load_repo_file("scripts/head_width.py", "head_width_script")


def test_head_width_writes_narrow_heads_with_their_provenance_and_the_training_record(tmp_path) -> None:
    """scripts/head_width.py --write: the shipped LVQAC network is made this way, so its file must
    load with the narrow heads, code exactly, and keep the source's training record plus the
    distillation (the zoo's manifest shows both)."""
    import math

    from lvqac_core.checkpoint import read_checkpoint
    from lvqac_core.models.latent_codecs.base import AHead
    from lvqac_core.models.latent_codecs.selection import SelectionHead

    script = _head_width_script()
    model = tiny_model("minnen2018-ckbd", "lvqac", quantizer_options={"selection_coding": "rans"})
    lc = model.latent_codec
    hyper_ch = lc.a_head.net[0].in_channels
    heads = (AHead(hyper_ch, lc.a_head.mode, math.exp(lc.a_head.log_a_max), hidden=8),
             SelectionHead(hyper_ch, lc.selection_head.net[-1].out_channels, hidden=8))
    provenance = {"from": "source.pt", "hidden": 8, "script": "scripts/head_width.py"}
    path = tmp_path / "narrow.pt"
    script.write_network(model, heads, 8, path, provenance, {"steps": 5000, "lambda": 0.0075})
    payload = read_checkpoint(path)
    assert payload.extra == {"steps": 5000, "lambda": 0.0075, "heads_distilled": provenance}
    assert payload.config["provenance"]["heads_distilled"] == provenance
    loaded = load_checkpoint(path)
    assert _widths(loaded) == (8, 8)
    for name, head in (("a_head", heads[0]), ("selection_head", heads[1])):
        for key, value in head.state_dict().items():  # fp16 file: the heads' weights as rounded
            assert torch.equal(getattr(loaded.latent_codec, name).state_dict()[key], value.half().float())
    codec = Codec.from_model(loaded)
    res = codec.compress(smooth_image(40, 56, seed=4))
    assert np.array_equal(codec.decompress(res.data).image, res.reconstruction)


def test_the_zoo_lvqac_network_ships_width_16_heads_and_says_so() -> None:
    """Zoo v2's LVQAC network has its heads distilled to 16 channels (decode ≈1.03×
    scalar instead of 1.06×), and its manifest rows carry the distillation's record."""
    from lvqac_core import zoo
    from lvqac_core.api import load_model

    # zoo v2's (fast) LVQAC network; the wide tier's keeps its 64-wide heads (its LVQAC decode is
    # 1.05x its scalar one's, README "Speed")
    rows = [e for e in zoo.list_models() if e.quantizer == "lvqac" and e.tier in (None, zoo.LEGACY_TIER)]
    assert rows and {e.file for e in rows} == {"minnen2018-ckbd-lvqac-vr.pt"}
    model = load_model(rows[0].id, "cpu").model
    assert _widths(model) == (16, 16) and model.config.quantizer_options["head_hidden"] == 16
    for entry in rows:
        record = entry.training["heads_distilled"]
        assert record["hidden"] == 16 and record["script"] == "scripts/head_width.py"
