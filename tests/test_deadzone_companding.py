"""LVQAC with dead zones only (``a_side="below"``, issue 27 §3): the A levels stop at the identity,
so the compander can widen the zero cell and never makes cells finer. Levels, snapping, the exact
coder's level choice, files, checkpoints, training and the command line all agree."""
from __future__ import annotations

import argparse

import pytest
import torch

from lvqac_testing import coded_bit_exactly, smooth_image
from lvqac_core.api import Codec
from lvqac_core.checkpoint import load_checkpoint, save_checkpoint
from lvqac_core.checkpoint_validation import _options_problem as options_problem
from lvqac_core.models import build_model, with_quantizer_options
from lvqac_core.models.latent_codecs.base import _ExactALevels
from lvqac_core.quantizers import CompandedLatticeQuantizer

BELOW = {"compander": "exp", "a_side": "below"}


def test_the_levels_are_the_lower_half_of_the_two_sided_levels():
    below = CompandedLatticeQuantizer(8, compander="exp", a_side="below")
    both = CompandedLatticeQuantizer(8, compander="exp")
    assert below.a_levels == 9 and below.a_top == 1.0 and both.a_top == 16.0
    assert torch.allclose(below.level_values(), both.level_values()[:9])  # the same spacing
    assert float(below.level_values()[-1]) == 1.0  # the identity is a level, exactly
    a = torch.tensor([0.01, 0.3, 0.9, 1.0, 1.3, 16.0])
    idx, val = below.snap(a)
    assert idx.tolist()[-3:] == [8, 8, 8] and val.tolist()[-3:] == [1.0, 1.0, 1.0]  # A > 1 codes as A = 1
    assert torch.equal(below.snap(a[:3])[1], both.snap(a[:3])[1])  # below the identity: the same levels


def test_the_option_needs_the_exponential_compander():
    with pytest.raises(ValueError, match="exponential compander"):
        CompandedLatticeQuantizer(8, compander="alaw", a_side="below")
    with pytest.raises(ValueError, match="a_side"):
        CompandedLatticeQuantizer(8, compander="exp", a_side="above")
    assert "needs compander 'exp'" in options_problem("lvqac", {"a_side": "below"})
    assert "a_side" in options_problem("lvqac", {"compander": "exp", "a_side": "sideways"})
    assert options_problem("lvqac", BELOW) is None
    assert "unknown lvq quantizer option" in options_problem("lvq", {"a_side": "below"})


def _model(seed: int = 5):
    torch.manual_seed(seed)
    m = build_model(architecture="minnen2018-ckbd", quantizer="lvqac", N=16, M=24, quantizer_options=BELOW)
    torch.nn.init.normal_(m.a_head.net[-1].weight, std=0.3)  # the head's A on both sides of 1
    return m


def test_the_exact_coders_levels_are_the_float_snap_of_the_head():
    model = _model()
    ex = _ExactALevels(model.a_head, model.quantizer)
    h = torch.linspace(-4, 4, 2001, dtype=torch.float64)
    idx, _ = ex.levels(h.view(1, 1, -1, 1))
    a = torch.exp(model.a_head.log_a_max * torch.tanh(h))
    want = model.quantizer.snap_level(a)
    mismatch = (idx.flatten() != want).nonzero().flatten()
    # only where h sits on a threshold to float rounding may the two differ
    assert len(mismatch) <= 2 and int(idx.max()) == 8


def test_files_decode_bit_exactly_with_dead_zones_and_no_finer_cells():
    model = _model()
    img = smooth_image(48, 80, seed=2)
    res = coded_bit_exactly(model, img)
    a_map = res.maps.a_law
    assert a_map.max() == 1.0 and a_map.min() < 1.0  # dead zones where the head asks, identity elsewhere
    # the same weights with both sides code other symbols: the option reaches the coder
    both = with_quantizer_options(model, a_side=None)
    other = Codec.from_model(both).compress(img)
    assert other.data != res.data and other.maps.a_law.max() > 1.0


def test_a_checkpoint_keeps_the_option(tmp_path):
    save_checkpoint(_model(), tmp_path / "b.pt", half=False)
    again = load_checkpoint(tmp_path / "b.pt")
    assert again.quantizer.a_side == "below" and again.quantizer.a_levels == 9


def test_training_gives_the_head_a_gradient_through_the_clamped_snap():
    model = _model().train()
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    out = model(x, 0.0075)
    loss = sum(v.float() for v in out.bits.values()) / (2 * 64 * 64) + 0.0075 * 255 ** 2 * ((out.x_hat - x) ** 2).mean()
    loss.backward()
    g = model.a_head.net[-1].weight.grad
    assert g is not None and float(g.abs().sum()) > 0


def test_train_cli_takes_the_option_for_lvqac_with_exp_only(tmp_path):
    from lvqac_core.cli.train_cmd import add_arguments, config_from_args
    from lvqac_core.errors import InputError

    ap = argparse.ArgumentParser()
    add_arguments(ap)
    base = ["--data", str(tmp_path), "--out", str(tmp_path / "o")]
    cfg = config_from_args(ap.parse_args(base + ["--quantizer", "lvqac", "--compander", "exp", "--a-side", "below"]))
    assert build_model(cfg.model_config()).quantizer.a_side == "below"
    cfg = config_from_args(ap.parse_args(base + ["--quantizer", "lvq", "--a-side", "below"]))
    with pytest.raises(InputError, match="a_side applies to LVQAC only"):
        cfg.validate()
    cfg = config_from_args(ap.parse_args(base + ["--quantizer", "lvqac", "--compander", "alaw", "--a-side", "below"]))
    with pytest.raises(InputError, match="exponential compander"):
        cfg.validate()


def test_with_quantizer_options_refuses_options_that_change_the_weights():
    torch.manual_seed(1)
    lvq = build_model(architecture="minnen2018-ckbd", quantizer="lvq", N=16, M=24)
    with pytest.raises(ValueError, match="change the network's weights"):
        with_quantizer_options(lvq, selection_coding="rans")  # a selection head it does not have
