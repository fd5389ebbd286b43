"""LVQAC with a σ-scaled span (``v_scale="sigma"``, issue 27 §3): V = κ·σ_level per coefficient.
The compander, its tables, the coder and training all read the same σ level, files decode
bit-exactly, and the option is checked like every other one."""
from __future__ import annotations

import pytest
import torch

from lvqac_testing import coded_bit_exactly, smooth_image
from lvqac_core.api import Codec
from lvqac_core.checkpoint import load_checkpoint, save_checkpoint
from lvqac_core.checkpoint_validation import _options_problem as options_problem
from lvqac_core.entropy.tables import _table, _tables, scale_levels, scale_table
from lvqac_core.models import ModelConfig, build_model, with_quantizer_options
from lvqac_core.quantizers import CompandedLatticeQuantizer

SIGMA_OPTS = {"compander": "exp", "v_scale": "sigma"}


def _quantizer(kappa: float = 2.0) -> CompandedLatticeQuantizer:
    return CompandedLatticeQuantizer(8, compander="exp", v_scale="sigma", v_init=kappa).double()


def test_the_span_is_kappa_times_each_coefficients_sigma_level():
    q = _quantizer(2.0)
    glob = CompandedLatticeQuantizer(8, compander="exp").double()
    r = torch.linspace(-9, 9, 8, dtype=torch.float64).view(1, 8, 1, 1)
    level = torch.tensor([0.11, 0.5, 1, 2, 4, 8, 16, 40], dtype=torch.float64).view(1, 8, 1, 1)
    a = torch.tensor(0.25, dtype=torch.float64)
    with torch.no_grad():
        u = q.to_u(r, a, level)
        for c in range(8):  # each coefficient as a global-V quantizer with V = 2·σ_level would map it
            glob.log_v.fill_(float(torch.log(2 * level[0, c, 0, 0])))
            assert torch.allclose(u[0, c], glob.to_u(r[0, c], a))
        assert torch.allclose(q.from_u(u, a, level), r)
        assert torch.equal(q.to_u(r, torch.tensor(1.0, dtype=torch.float64), level), r)  # A = 1: plain LVQ
        dom = q.cell_domain()
        assert torch.allclose(dom.to_u(r, a, level), u) and torch.allclose(dom.from_u(u, a, level), r)
    with pytest.raises(ValueError, match="sigma_level"):
        q.to_u(r, a)


def test_scale_levels_are_the_tables_levels_rounded_up():
    sigma = torch.tensor([0.01, 0.11, 0.2, 3.0, 1e4])
    lv = scale_levels(sigma)
    levels = torch.as_tensor(scale_table(), dtype=torch.float32)
    assert float(lv[0]) == float(levels[0]) and float(lv[-1]) == float(levels[-1])
    assert bool((lv[1:4] >= sigma[1:4]).all()) and set(lv.tolist()) <= set(levels.tolist())


def test_cells_sum_to_one_and_the_vectorised_tables_equal_the_reference():
    q = _quantizer(1.5)
    sigma = torch.tensor(3.0, dtype=torch.float64)
    level = scale_levels(sigma)
    for a in q.level_values()[::4]:
        for k in (0.0, 0.5):
            centers = torch.arange(-200, 201, dtype=torch.float64) + k
            with torch.no_grad():
                assert abs(float(q.likelihood(centers, sigma, a, level).sum()) - 1.0) < 1e-6
    dom = q.cell_domain()
    scales = scale_table()
    for a in (dom.a_levels[0], dom.a_levels[-1]):
        a_t = torch.tensor(a, dtype=torch.float64)
        with torch.no_grad():
            fast = _tables(dom, scales, a_t, 1)
            for i in (0, 20, 63):
                assert fast[i] == _table(dom, float(scales[i]), a_t, 1)


def _model(seed: int = 5):
    torch.manual_seed(seed)
    m = build_model(architecture="minnen2018-ckbd", quantizer="lvqac", N=16, M=24, quantizer_options=SIGMA_OPTS)
    torch.nn.init.normal_(m.a_head.net[-1].weight, std=0.3)  # A on both sides of 1
    return m


def test_files_decode_bit_exactly_and_the_span_changes_the_code():
    model = _model()
    img = smooth_image(48, 80, seed=2)
    res = coded_bit_exactly(model, img)
    assert res.maps.a_law.min() < 1.0 < res.maps.a_law.max()
    # the same weights with one global V code other symbols: the option reaches the coder
    glob = with_quantizer_options(model, v_scale=None)
    other = Codec.from_model(glob).compress(img)
    assert other.data != res.data


def test_a_checkpoint_keeps_the_option_and_the_validator_knows_it(tmp_path):
    model = _model()
    save_checkpoint(model, tmp_path / "s.pt", half=False)
    again = load_checkpoint(tmp_path / "s.pt")
    assert again.quantizer.v_scale == "sigma" and again.quantizer.needs_sigma_level
    assert options_problem("lvqac", SIGMA_OPTS) is None
    assert "v_scale" in options_problem("lvqac", {"v_scale": "per-channel"})
    assert "unknown lvq quantizer option" in options_problem("lvq", {"v_scale": "sigma"})


def test_training_reads_the_level_and_kappa_learns():
    model = _model().train()
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    out = model(x, 0.0075)
    loss = sum(v.float() for v in out.bits.values()) / (2 * 64 * 64) + 0.0075 * 255 ** 2 * ((out.x_hat - x) ** 2).mean()
    loss.backward()
    g = model.quantizer.log_v.grad
    assert g is not None and float(g.abs()) > 0


def test_an_init_with_a_global_span_leaves_kappa_at_its_init(tmp_path):
    from lvqac_core.training.trainer import load_init_weights

    torch.manual_seed(8)
    glob = build_model(ModelConfig("minnen2018-ckbd", "lvqac", N=16, M=16, quantizer_options={"compander": "exp"}))
    with torch.no_grad():
        glob.quantizer.log_v.fill_(3.0)  # V ≈ 20 latent units, as the shipped network learned
    save_checkpoint(glob, tmp_path / "g.pt", half=False)
    new = build_model(ModelConfig("minnen2018-ckbd", "lvqac", N=16, M=16, quantizer_options=SIGMA_OPTS))
    info = load_init_weights(new, tmp_path / "g.pt")
    assert "quantizer.log_v" in info["new"] and float(new.quantizer.v) == pytest.approx(2.0)
    assert torch.equal(new.a_head.net[-1].weight, glob.a_head.net[-1].weight)  # the A head carries over


def test_train_cli_takes_the_option_for_lvqac_only(tmp_path):
    import argparse

    from lvqac_core.cli.train_cmd import add_arguments, config_from_args
    from lvqac_core.errors import InputError

    ap = argparse.ArgumentParser()
    add_arguments(ap)
    base = ["--data", str(tmp_path), "--out", str(tmp_path / "o")]
    cfg = config_from_args(ap.parse_args(base + ["--quantizer", "lvqac", "--v-scale", "sigma"]))
    assert build_model(cfg.model_config()).quantizer.v_scale == "sigma"
    cfg = config_from_args(ap.parse_args(base + ["--quantizer", "lvq", "--v-scale", "sigma"]))
    with pytest.raises(InputError, match="v_scale applies to LVQAC only"):
        cfg.validate()
