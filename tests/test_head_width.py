"""The heads' hidden width is a recorded model option (``head_hidden``); old checkpoints keep 64."""
from __future__ import annotations

import numpy as np
import pytest

from lvqac_testing import smooth_image, tiny_model
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
