"""Training that matches inference, a compander that can learn, bf16 with an fp32 rate."""
from __future__ import annotations

import math
import numpy as np
import pytest
import torch

from lvqac_testing import smooth_image, write_image
from lvqac_core.api import Codec
from lvqac_core.models import ModelConfig, build_model
from lvqac_core.quantizers import CompandedLatticeQuantizer, LatticeQuantizer, ScalarQuantizer, closest_point
from lvqac_core.quantizers.companding import alaw_compress, exp_compress, exp_expand
from lvqac_core.training.trainer import rd_loss


def _is_lattice_point(p: torch.Tensor, g: int) -> bool:
    """Every g-channel group lies in Z^g or in Z^g + ½ (all coordinates the same coset)."""
    b, c, h, w = p.shape
    frac = (p - torch.floor(p)).reshape(b, c // g, g, h, w)
    first = frac[:, :, :1]
    return bool(((frac == 0) | (frac == 0.5)).all() and (frac == first).all())


@pytest.mark.parametrize("mode", ["hard-ste", "hard-relax"])
@pytest.mark.parametrize("g", [1, 4, 16])
def test_training_forward_value_is_the_closest_lattice_point(mode, g):
    torch.manual_seed(0)
    q = LatticeQuantizer(16, g, train_mode=mode).train()
    q.set_temperature(0.5)  # a temperature at which the relaxation is far from hard
    r = (torch.randn(2, 16, 5, 6) * 3).requires_grad_()
    r_hat, _ = q.train_forward(r, None)
    assert _is_lattice_point(r_hat.detach(), g)
    assert torch.equal(r_hat.detach(), closest_point(r.detach(), g)[0])  # exactly, not approximately
    r_hat.pow(2).sum().backward()
    assert torch.isfinite(r.grad).all() and r.grad.abs().sum() > 0
    # the old relaxation is not a lattice point at this temperature (why this issue exists)
    soft, _ = LatticeQuantizer(16, g, train_mode="relaxed").train_forward(r.detach(), None)
    assert not _is_lattice_point(soft, g)


def test_lvqac_and_scalar_training_values_are_the_inference_values():
    torch.manual_seed(1)
    r = torch.randn(2, 8, 4, 4) * 5
    qa = CompandedLatticeQuantizer(8, compander="exp", train_mode="hard-ste")
    a = qa.snap(torch.exp(torch.randn(2, 1, 4, 4)))[1]
    r_hat, _ = qa.train_forward(r, a)
    u_hat = qa.to_u(r_hat, a)
    assert torch.equal(qa.quantize(r, a).symbols, qa.quantize(r_hat, a).symbols)
    assert torch.allclose(u_hat, closest_point(qa.to_u(r, a), 8)[0], atol=1e-5)  # fp32 round trip of T
    assert torch.equal(r_hat, qa.dequantize(qa.quantize(r, a), a))
    qs = ScalarQuantizer(8, train_mode="ste")
    assert torch.equal(qs.train_forward(r, None)[0], torch.round(r))
    # the classic baseline adds noise and charges the same noisy value
    r_n, u_n = ScalarQuantizer(8, train_mode="noise").train_forward(r, None)
    assert torch.equal(r_n, u_n) and (r_n - r).abs().max() <= 0.5 and not torch.equal(r_n, torch.round(r))


def test_hard_rate_proxy_charges_the_inference_cell():
    torch.manual_seed(2)
    q = LatticeQuantizer(8, rate_proxy="hard")
    r = torch.randn(1, 8, 3, 3) * 4
    _, u_rate = q.train_forward(r, None)
    assert torch.equal(u_rate, q.lattice_values(q.quantize(r)))


@pytest.mark.parametrize("mode", ["hard-ste", "relaxed"])
def test_model_training_pass_feeds_hard_anchors_to_the_context(mode):
    from lvqac_core.models.context import anchor_mask

    torch.manual_seed(3)
    model = build_model(ModelConfig("minnen2018-ckbd", "lvq", N=16, M=16,
                                    quantizer_options={"train_mode": mode})).train()
    seen, params = [], []
    model.context.register_forward_hook(lambda mod, inp, out: seen.append(inp[0].detach()))
    model.entropy_parameters.register_forward_hook(lambda mod, inp, out: params.append(out.detach()))
    model(torch.rand(1, 3, 128, 128))
    mu_anchor = params[0].chunk(2, 1)[1]  # (σ, μ) of the anchor pass
    anchors = anchor_mask(8, 8)[0, 0]
    d = (seen[0] - mu_anchor)[:, :, anchors].unsqueeze(-1)  # the anchors' quantized residuals
    p = closest_point(d, 16)[0]
    on_lattice = torch.allclose(p, d, atol=1e-4)  # μ + r̂ − μ: exact up to fp32 rounding
    assert on_lattice == (mode == "hard-ste")
    assert (seen[0][:, :, ~anchors] == 0).all()


@pytest.mark.parametrize("a", [1 / 16, 0.3, 0.999, 1.0, 1.0005, 2.0, 16.0])
def test_exp_compander_is_invertible_monotone_and_symmetric(a):
    x = torch.linspace(-5, 5, 20001, dtype=torch.float64)
    at = torch.tensor(a, dtype=torch.float64)
    f = exp_compress(x, at)
    assert torch.all(f[1:] > f[:-1])
    assert torch.allclose(exp_expand(f, at), x, atol=1e-12)
    assert torch.equal(f[x.abs() >= 1], x[x.abs() >= 1])  # identity tails
    # E_{1/A} is E_A turned by 180° about (½, ½): E_{1/A}(x) = 1 − E_A(1 − x)
    inner = torch.linspace(0, 1, 101, dtype=torch.float64)
    assert torch.allclose(exp_compress(inner, 1 / at), 1 - exp_compress(1 - inner, at), atol=1e-12)
    # fp32 inverse tolerance (what the coder relies on)
    x32 = x.float()
    assert torch.allclose(exp_expand(exp_compress(x32, at.float()), at.float()), x32, atol=2e-6)


def test_exp_compander_moves_at_the_identity_and_alaw_does_not():
    x = torch.tensor([0.1, 0.3, 0.5, 0.8], dtype=torch.float64)
    t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    exp_compress(x, torch.exp(t)).sum().backward()
    assert torch.allclose(t.grad, (x * (1 - x) / 2).sum())  # ∂E/∂t = x(1 − x)/2 at t = 0
    assert torch.equal(exp_compress(x, torch.tensor(1.0, dtype=torch.float64)), x)
    a = torch.ones((), dtype=torch.float64, requires_grad=True)
    alaw_compress(x, a).sum().backward()
    assert float(a.grad) == 0.0  # the paper's A-law: A = 1 is a stationary point


def test_loss_has_a_gradient_wrt_the_companding_at_the_identity():
    torch.manual_seed(4)
    model = build_model(ModelConfig("minnen2018-ckbd", "lvqac", N=16, M=16,
                                    quantizer_options={"compander": "exp"})).train()
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():  # the head starts at exactly A = 1 everywhere
        assert torch.equal(model.a_head(model.h_s(torch.round(model.h_a(model.g_a(x))))),
                           torch.ones(2, 1, 4, 4))
    terms = rd_loss(model(x), x, 0.0075)
    terms["loss"].backward()
    last = model.a_head.net[-1]
    assert float(last.bias.grad.abs()) > 0 and float(last.weight.grad.abs().sum()) > 0


def test_exp_compander_tables_sum_to_one_and_files_roundtrip():
    q = CompandedLatticeQuantizer(4, compander="exp").double()
    assert q.level_values()[q.a_levels // 2] == 1.0 and q.a_min == pytest.approx(1 / 16)
    sigma = torch.tensor(3.0, dtype=torch.float64)
    for a in q.level_values():
        for k in (0.0, 0.5):
            centers = torch.arange(-200, 201, dtype=torch.float64) + k
            with torch.no_grad():
                assert abs(float(q.likelihood(centers, sigma, a).sum()) - 1.0) < 1e-6
    torch.manual_seed(5)
    model = build_model(architecture="minnen2018-ckbd", quantizer="lvqac", N=16, M=24,
                        quantizer_options={"compander": "exp"})
    torch.nn.init.normal_(model.a_head.net[-1].weight, std=0.3)  # A on both sides of 1
    codec = Codec.from_model(model.eval())
    img = smooth_image(48, 80, seed=2)
    res = codec.compress(img)
    dec = codec.decompress(res.data)
    assert np.array_equal(dec.image, res.reconstruction)
    assert np.array_equal(dec.maps.a_law, res.maps.a_law)
    assert res.maps.a_law.min() < 1.0 < res.maps.a_law.max()


def test_bf16_and_fp32_rate_terms_agree():
    """Same weights, input and noise: the rate under bf16 autocast matches fp32 within 1 %.

    Only the transforms run in bf16 (8-bit mantissa: relative error ≈ 2⁻⁹ per op); y and z move by
    about that much and the rate, computed in fp32 from them, is a smooth function of them under the
    noise proxy, so a deviation of ~0.1–0.5 % is expected. A likelihood computed in bf16 would be off
    far more (its cell masses carry only 2–3 significant digits), which this bound would catch.
    """
    torch.manual_seed(6)
    model = build_model(ModelConfig("minnen2018-ckbd", "lvq", N=16, M=16)).train()
    x = torch.rand(2, 3, 128, 128)
    bits = {}
    for name, enabled in (("fp32", False), ("bf16", True)):
        torch.manual_seed(7)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled):
            out = model(x)
        assert all(v.dtype == torch.float32 for v in out.bits.values())
        bits[name] = {k: float(v.detach()) for k, v in out.bits.items()}
    for k in ("y", "z"):
        assert bits["bf16"][k] == pytest.approx(bits["fp32"][k], rel=0.01), (k, bits)


def _train_cli_data(tmp_path):
    data = tmp_path / "data"
    for i in range(2):
        write_image(data / f"{i}.png", 64, 64, seed=i, noise=True)
    common = ["train", "--data", str(data), "-N", "16", "-M", "16", "--crop", "64", "--batch-size", "1",
              "--steps", "1", "--device", "cpu", "--no-progress", "--json", "--checkpoint-minutes", "0"]
    return data, common


@pytest.mark.slow  # one LVQ training step through the CLI: minutes on a small CPU
def test_train_cli_records_the_choices(tmp_path, capsys):
    import json

    from lvqac_core.cli import main

    data, common = _train_cli_data(tmp_path)
    assert main(common + ["--out", str(tmp_path / "a"), "--quantizer", "lvq", "--train-mode", "hard-relax",
                          "--rate-proxy", "hard", "--precision", "fp32"]) == 0
    ckpt = json.loads(capsys.readouterr().out)["checkpoint"]
    payload = torch.load(ckpt, weights_only=True)
    assert payload["config"]["quantizer_options"] == {"rate_proxy": "hard", "train_mode": "hard-relax"}
    assert payload["extra"]["precision"] == "fp32" and payload["extra"]["train_mode"] == "hard-relax"


def test_train_cli_builds_the_choices_and_refuses_wrong_ones(tmp_path, capsys):
    from lvqac_core.cli import main

    data, common = _train_cli_data(tmp_path)
    # the compander goes into the LVQAC model's config (no training needed to check it)
    import argparse

    from lvqac_core.cli.train_cmd import add_arguments, config_from_args

    ap = argparse.ArgumentParser()
    add_arguments(ap)
    for extra, comp in (([], "exp"), (["--compander", "alaw"], "alaw")):
        cfg = config_from_args(ap.parse_args(["--data", str(data), "--out", str(tmp_path / "c"),
                                              "--quantizer", "lvqac", *extra]))
        assert cfg.model_config().quantizer_options == {"rate_proxy": "noise", "compander": comp}
        assert build_model(cfg.model_config()).quantizer.compander == comp
    assert main(common + ["--out", str(tmp_path / "b"), "--quantizer", "lvq", "--train-mode", "noise"]) == 2
    assert "does not apply to the lvq quantizer" in capsys.readouterr().err
    # the surrogate's sharpness reaches the LVQAC quantizer, and only LVQAC takes it
    cfg = config_from_args(ap.parse_args(["--data", str(data), "--out", str(tmp_path / "c"), "--quantizer", "lvqac",
                                          "--a-grad-alpha", "32", "--a-grad-scale", "2"]))
    q = build_model(cfg.model_config()).quantizer
    assert (q.a_grad_alpha, q.a_grad_scale) == (32.0, 2.0)
    assert main(common + ["--out", str(tmp_path / "d"), "--quantizer", "lvq", "--a-grad-alpha", "32"]) == 2
    assert "applies to LVQAC only" in capsys.readouterr().err


def test_init_from_another_compander_keeps_the_new_head_at_the_identity(tmp_path):
    from lvqac_core.checkpoint import save_checkpoint
    from lvqac_core.training.trainer import load_init_weights

    torch.manual_seed(8)
    old = build_model(ModelConfig("minnen2018-ckbd", "lvqac", N=16, M=16))  # no compander: the A-law
    assert old.quantizer.compander == "alaw"
    save_checkpoint(old, tmp_path / "alaw.pt", half=False)
    new = build_model(ModelConfig("minnen2018-ckbd", "lvqac", N=16, M=16, quantizer_options={"compander": "exp"}))
    info = load_init_weights(new, tmp_path / "alaw.pt")
    assert "a_head.net.2.bias" in info["new"] and float(new.a_head.net[2].bias) == 0.0
    assert torch.equal(new.g_a[0].weight, old.g_a[0].weight)
    same = build_model(ModelConfig("minnen2018-ckbd", "lvqac", N=16, M=16))
    load_init_weights(same, tmp_path / "alaw.pt")
    assert float(same.a_head.net[2].bias) == float(old.a_head.net[2].bias) == -4.0


def test_soft_round_limits():
    from lvqac_core.quantizers.lvqac import soft_round

    u = torch.linspace(-3.2, 3.2, 641, dtype=torch.float64)
    off_half = (u - torch.floor(u) - 0.5).abs() > 0.05
    assert torch.allclose(soft_round(u, 200.0)[off_half], torch.round(u)[off_half], atol=1e-6)
    assert torch.allclose(soft_round(u, 1e-4), u, atol=1e-6)  # α → 0: the identity (straight-through limit)
    s = soft_round(u, 16.0)
    assert torch.all(s[1:] >= s[:-1])  # monotone and continuous across cell edges
    assert float((s[1:] - s[:-1]).max()) < 0.6


def test_a_grad_scale_multiplies_only_the_surrogate_distortion_gradient():
    from lvqac_core.training.trainer import rd_loss

    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    out = {}
    for scale in (1.0, 2.5):
        torch.manual_seed(4)
        m = build_model(ModelConfig("minnen2018-ckbd", "lvqac", N=16, M=16,
                                    quantizer_options={"compander": "exp", "a_grad_scale": scale}))
        m.train()
        torch.manual_seed(5)
        t = rd_loss(m(x), x, 0.0075)
        (t["loss"] - t["bpp"]).backward()
        out[scale] = (float(t["loss"]), float(m.a_head.net[2].bias.grad))
    assert out[1.0][0] == out[2.5][0]  # the forward value is the hard one either way
    assert out[1.0][1] != 0.0 and out[2.5][1] == pytest.approx(2.5 * out[1.0][1], rel=1e-4)


def test_ste_domain_r_passes_the_gradient_of_r_unscaled():
    from lvqac_core.quantizers.lvqac import CompandedLatticeQuantizer

    r = (torch.randn(1, 8, 4, 4, generator=torch.Generator().manual_seed(6)) * 3).requires_grad_(True)
    a = torch.full((1, 1, 4, 4), 0.25)  # a dead zone: the companded domain's slopes differ a lot
    grads = {}
    for dom in ("u", "r"):
        q = CompandedLatticeQuantizer(8, compander="exp", train_mode="hard-ste", ste_domain=dom)
        q.train()
        r_hat, _ = q.train_forward(r, a)
        (g,) = torch.autograd.grad(r_hat.sum(), r)
        grads[dom] = g
        assert torch.equal(r_hat.detach(), q.dequantize(q.quantize(r.detach(), a), a))  # same value either way
    assert torch.equal(grads["r"], torch.ones_like(r))
    assert not torch.allclose(grads["u"], torch.ones_like(r))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_exp_compander_coder_shortcut_is_the_series_bit_for_bit(dtype):
    """Without gradients and with t = 0 as the only small t (the coder's snapped levels), the
    series is skipped: the result must be the series' exactly."""
    from lvqac_core.quantizers import companding

    torch.manual_seed(5)
    levels = torch.exp(torch.linspace(-math.log(16), math.log(16), 17, dtype=torch.float64)).to(dtype)
    assert levels[8] == 1.0
    a = levels[torch.randint(0, 17, (1, 1, 40, 1))]
    x = torch.randn(1, 24, 40, 1, dtype=dtype) * 1.5
    with torch.inference_mode():
        fast_c, fast_e = exp_compress(x, a), exp_expand(x, a)
    xg = x.clone().requires_grad_(True)  # a gradient is needed: the full series is computed
    slow_c, slow_e = exp_compress(xg, a).detach(), exp_expand(xg, a).detach()
    assert torch.equal(fast_c, slow_c) and torch.equal(fast_e, slow_e)
    # a small non-zero t still takes the series (the shortcut would be wrong there)
    t = torch.log(torch.full((1, 1, 40, 1), 1.0005, dtype=dtype))
    inner = x.abs().clamp(max=1.0)
    with torch.inference_mode():
        assert companding._near_identity(t, t.abs() < 1e-3, inner, x, 1.0, 12.0) is not inner
        assert companding._near_identity(t * 0, t.abs() < 1e-3, inner, x, 1.0, 12.0) is inner
