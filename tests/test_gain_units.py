"""Gain units: one variable-rate network codes at any λ in its range."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lvqac_core import bitstream
from lvqac_core.api import Codec
from lvqac_core.checkpoint import load_checkpoint, save_checkpoint
from lvqac_core.errors import CorruptFile, InputError
from lvqac_core.models import ModelConfig, build_model
from lvqac_core.models.gain import GainUnits, interpolation_weights
from lvqac_core.lambdas import PAPER_LAMBDAS
from lvqac_core.training.trainer import TrainConfig, load_init_weights
from lvqac_testing import noise_image

LAMS = [float(v) for v in PAPER_LAMBDAS]


def vr_model(quantizer: str = "scalar", seed: int = 0):
    torch.manual_seed(seed)
    return build_model(ModelConfig(architecture="minnen2018-ckbd", quantizer=quantizer, N=8, M=8, lmbda=0.0075,
                                   lambdas=LAMS))


def test_interpolation_hits_presets_and_is_geometric():
    gu = GainUnits(LAMS, 4, 0.0075)
    with torch.no_grad():
        gu.log_gain.copy_(torch.randn_like(gu.log_gain))
    for k, lam in enumerate(LAMS):
        g, _ = gu(lam)
        assert torch.allclose(g.flatten(), gu.log_gain[k].exp(), rtol=1e-6)
    mid = math.sqrt(LAMS[1] * LAMS[2])  # halfway in log λ: the geometric mean of the two gains
    g, _ = gu(mid)
    assert torch.allclose(g.flatten(), (0.5 * (gu.log_gain[1] + gu.log_gain[2])).exp(), rtol=1e-6)
    assert interpolation_weights(LAMS, mid)[:2] == (1, 2)


def test_initial_gains_follow_half_log_lambda():
    gu = GainUnits(LAMS, 3, 0.0075)
    g, gi = gu(0.03)
    assert torch.allclose(g, torch.full_like(g, math.sqrt(0.03 / 0.0075)))
    assert torch.allclose(g * gi, torch.ones_like(g))


@pytest.mark.parametrize("bad", [0.001, 0.05, float("nan")])
def test_out_of_range_lambda_is_one_clear_error(bad):
    with pytest.raises(InputError, match="outside this model's range"):
        vr_model().gains(bad)


def test_presets_must_increase():
    with pytest.raises(ValueError):
        GainUnits([0.01, 0.005], 4, 0.0075)
    with pytest.raises(InputError):
        TrainConfig(data=".", out=".", lambdas=[0.01, 0.005]).validate()
    with pytest.raises(InputError, match="within the presets"):
        TrainConfig(data=".", out=".", lmbda=0.1, lambdas=LAMS).validate()


def test_single_rate_model_refuses_another_lambda():
    m = build_model(ModelConfig(architecture="minnen2018-ckbd", quantizer="scalar", N=8, M=8, lmbda=0.0075))
    assert m.gain is None and m.lambda_range is None
    assert m.gains(0.0075) is None
    with pytest.raises(InputError, match="only at"):
        m.gains(0.03)


@pytest.mark.parametrize("quantizer", ["scalar", "lvqac"])
def test_any_lambda_round_trips_and_the_file_records_it(quantizer):
    codec = Codec.from_model(vr_model(quantizer))
    img = noise_image(40, 70, seed=1)
    for lam in (0.0016, 0.0123, 0.045):
        res = codec.compress(img, lmbda=lam)
        assert bitstream.read_header(res.data).lmbda == pytest.approx(lam, rel=1e-6)
        dec = codec.decompress(res.data)
        np.testing.assert_array_equal(dec.image, res.reconstruction)  # the decoder uses the file's λ
    assert codec.lmbda == 0.0075  # compress(lmbda=...) does not change the codec's own rate point


def test_file_lambda_outside_the_network_range_is_corrupt():
    codec = Codec.from_model(vr_model())
    img = np.zeros((64, 64, 3), np.uint8)
    header, sections = bitstream.unpack(codec.compress(img).data)
    from dataclasses import replace
    bad = bitstream.pack(replace(header, lmbda=0.5), sections)
    with pytest.raises(CorruptFile, match="outside the range"):
        codec.decompress(bad)


def test_rate_grows_with_lambda_across_interpolated_points():
    """Eval-mode estimated rate of one image at presets and between them: strictly increasing
    (a shipped single-rate scalar network with its initial gains)."""
    from lvqac_core import zoo
    from lvqac_core.image_files import load_rgb
    from lvqac_core.resources import resources_dir

    entry = zoo.find_model("scalar", 0.0075)
    model = build_model(ModelConfig(architecture=entry.architecture, quantizer="scalar", N=entry.N, M=entry.M,
                                    lmbda=0.0075, lambdas=LAMS))
    load_init_weights(model, entry.path)
    model.eval()
    sample = sorted((resources_dir() / "samples").glob("*.png"))[0]
    x = torch.from_numpy(load_rgb(sample)[:128, :128].copy()).permute(2, 0, 1)[None].float() / 255
    grid = np.exp(np.linspace(math.log(LAMS[0]), math.log(LAMS[-1]), 16))
    with torch.no_grad():
        rates = [float(sum(model(x, lmbda=float(lam)).bits.values())) for lam in grid]
    assert all(b > a for a, b in zip(rates, rates[1:])), rates


def test_checkpoint_keeps_the_presets_and_gains(tmp_path):
    model = vr_model()
    with torch.no_grad():
        model.gain.log_gain.add_(0.25)
    save_checkpoint(model, tmp_path / "vr.pt", half=False)
    back = load_checkpoint(tmp_path / "vr.pt", "cpu")
    assert back.config.lambdas == LAMS and back.lambda_range == (LAMS[0], LAMS[-1])
    assert torch.equal(back.gain.log_gain, model.gain.log_gain)


def test_a_single_rate_checkpoint_initialises_a_variable_rate_network(tmp_path):
    torch.manual_seed(0)
    single = build_model(ModelConfig(architecture="minnen2018-ckbd", quantizer="scalar", N=8, M=8, lmbda=0.0075))
    save_checkpoint(single, tmp_path / "single.pt", half=False)
    vr = vr_model(seed=1)
    info = load_init_weights(vr, tmp_path / "single.pt")
    assert set(info["new"]) == {"gain.log_gain", "gain.log_inv_gain"}
    assert torch.equal(vr.g_a[0].weight, single.g_a[0].weight)
    x = torch.rand(1, 3, 64, 64)
    single.eval(), vr.eval()
    with torch.no_grad():  # at its own λ the gains start at 1: the same network as before
        assert torch.allclose(vr(x, lmbda=0.0075).x_hat, single(x).x_hat)


def test_training_draws_each_preset_deterministically():
    cfg = TrainConfig(data=".", out=".", lambdas=LAMS)
    drawn = [cfg.lambda_at(s) for s in range(200)]
    assert drawn == [cfg.lambda_at(s) for s in range(200)]
    assert set(drawn) == set(LAMS)
    assert TrainConfig(data=".", out=".").lambda_at(5) == 0.0075
