"""Function-preserving widening (lvqac_core.training.widen): the wide network reconstructs and
codes what the narrow one did, its new weights still learn, and it serves as ``--init``."""
from __future__ import annotations

import pytest
import torch

from lvqac_core.errors import InputError
from lvqac_core.models import build_model
from lvqac_core.training import widen
from lvqac_core.training.trainer import load_init_weights
from lvqac_core.training.widen import widen_model

LAMBDAS = [0.0016, 0.0075, 0.045]
WIDE_LAMBDAS = [0.0016, 0.0032, 0.0075, 0.045, 0.1]


def _trained_like(architecture: str = "minnen2018-ckbd", quantizer: str = "scalar", lambdas=LAMBDAS):
    """A small network whose weights are not at their initial values (GDN, bottleneck and gains
    moved too), as a trained one's are."""
    torch.manual_seed(1)
    m = build_model(architecture=architecture, quantizer=quantizer, N=8, M=12, lmbda=0.0075, lambdas=lambdas,
                    quantizer_options={"rate_proxy": "noise"} if quantizer == "scalar" else {})
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return m


@pytest.mark.parametrize("architecture", ["minnen2018-ckbd", "minnen2018-mean"])
def test_the_wide_network_computes_what_the_narrow_one_did(architecture):
    narrow = _trained_like(architecture).eval()
    wide = widen_model(narrow, 12, 18, WIDE_LAMBDAS).eval()
    assert (wide.config.N, wide.config.M, wide.config.lambdas) == (12, 18, WIDE_LAMBDAS)
    x = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(2))
    for lam in (0.0016, 0.0075, 0.02, 0.045):  # presets and a λ between them
        with torch.no_grad():
            a, b = narrow(x, lam), wide(x, lam)
        assert float((a.x_hat - b.x_hat).abs().max()) < 1e-6
        assert float(b.bits["y"]) == pytest.approx(float(a.bits["y"]), abs=0.05)  # new y channels ≈ 0 bit
        # new z channels: 4 channels × 4 positions, each a few hundredths of a bit
        assert 0 <= float(b.bits["z"]) - float(a.bits["z"]) < 1.0


def test_gains_beyond_the_old_range_follow_the_high_rate_rule():
    narrow = _trained_like()
    wide = widen_model(narrow, 12, 18, WIDE_LAMBDAS)
    g_old, g_new = narrow.gain.log_gain.detach(), wide.gain.log_gain.detach()
    assert torch.equal(g_new[0, :12], g_old[0]) and torch.equal(g_new[3, :12], g_old[2])
    top = g_old[2] + 0.5 * torch.log(torch.tensor(0.1 / 0.045))
    assert torch.allclose(g_new[4, :12], top)
    inv = narrow.gain.log_inv_gain.detach()[2] - 0.5 * torch.log(torch.tensor(0.1 / 0.045))
    assert torch.allclose(wide.gain.log_inv_gain.detach()[4, :12], inv)
    assert torch.allclose(g_new[1, 12:], g_new[1, :12].mean().expand(6))  # new channels: the preset's mean


def test_every_new_weight_gets_a_gradient_in_training():
    narrow = _trained_like()
    wide = widen_model(narrow, 12, 18, WIDE_LAMBDAS).train()
    torch.manual_seed(3)
    out = wide(torch.rand(2, 3, 128, 128), 0.0075)
    loss = sum(out.bits.values()) / (2 * 128 * 128) + 0.0075 * 255 ** 2 * torch.mean((out.x_hat - 0.5) ** 2)
    loss.backward()
    grads = dict(wide.named_parameters())

    def new_part(name, rows=None, cols=None):
        g = grads[name].grad
        g = g if rows is None else g[rows]
        g = g if cols is None else g[:, cols]
        return float(g.abs().sum())

    # y_new's producer, through g_s's initial weights from y_new and straight through the rounding
    # (those weights themselves learn once y_new moves: their input is still 0)
    assert new_part("g_a.6.weight", rows=slice(12, 18)) > 0
    assert new_part("g_s.2.weight", rows=slice(8, 12)) > 0  # outgoing weights of new hidden units
    assert new_part("h_s.0.weight", rows=slice(8, 12)) > 0  # h_s reading z_new (through the training noise)
    assert new_part("entropy_parameters.4.weight", rows=slice(12, 18)) > 0  # σ of the new channels


def test_live_latents_start_non_zero_at_the_spread_asked_and_leave_the_reconstruction_alone():
    narrow = _trained_like().eval()
    calib = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(5))
    live = widen.LiveLatents(spread=0.4, sigma=0.3, calibration=calib)
    wide = widen_model(narrow, 12, 18, WIDE_LAMBDAS, live=live).eval()
    with torch.no_grad():
        y = wide.g_a(calib) * wide.gains(WIDE_LAMBDAS[-1])[0]
        assert float(y[:, 12:].std()) == pytest.approx(0.4, rel=1e-4)
        assert torch.allclose(y[:, :12], narrow.g_a(calib) * wide.gains(WIDE_LAMBDAS[-1])[0][:, :12], atol=1e-6)
        x = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(2))
        for lam in (0.0016, 0.0075, 0.045):
            a, b = narrow(x, lam), wide(x, lam)
            assert float((a.x_hat - b.x_hat).abs().max()) < 1e-6  # only new units read the new channels
        # the new channels quantize to non-zero values somewhere, and cost bits
        assert float(b.bits["y"]) > float(a.bits["y"]) + 1.0
    sigma = wide.entropy_parameters[len(wide.entropy_parameters) - 1].bias.detach()
    assert torch.allclose(sigma[12:18], torch.tensor(0.3))
    with pytest.raises(InputError, match="spread"):
        widen_model(narrow, 12, 18, WIDE_LAMBDAS, live=widen.LiveLatents(0.0, 0.3, calib))


def test_refusals_say_why():
    with pytest.raises(InputError, match="scalar networks only"):
        widen_model(_trained_like(quantizer="lvq"), 12, 18)
    with pytest.raises(InputError, match="narrower"):
        widen_model(_trained_like(), 4, 12)
    with pytest.raises(InputError, match="Minnen backbones only"):
        widen_model(build_model(architecture="cheng2020-ckbd", quantizer="scalar", N=8, M=12), 12, 18)


def test_the_command_writes_an_init_file_for_training_and_never_overwrites(tmp_path, capsys):
    from lvqac_core.checkpoint import save_checkpoint
    src, out = tmp_path / "narrow.pt", tmp_path / "wide.pt"
    save_checkpoint(_trained_like(), src, half=False)
    assert widen.main([str(src), str(out), "-N", "12", "-M", "18", "--lambdas", ",".join(map(str, WIDE_LAMBDAS))]) == 0
    assert "N 8/M 12 → N 12/M 18" in capsys.readouterr().out
    before = out.read_bytes()
    assert widen.main([str(src), str(out), "-N", "12", "-M", "18"]) == 2
    assert "not overwriting" in capsys.readouterr().err and out.read_bytes() == before
    target = build_model(architecture="minnen2018-ckbd", quantizer="scalar", N=12, M=18, lmbda=0.0075,
                         lambdas=WIDE_LAMBDAS, quantizer_options={"rate_proxy": "noise"})
    info = load_init_weights(target, out)  # what `lvqac train --init` does
    assert info["new"] == []


def test_channel_use_sees_live_latents_cost_bits_before_they_add_anything():
    from scripts.channel_use import channel_use
    narrow = _trained_like().eval()
    calib = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(5))
    wide = widen_model(narrow, 12, 18, WIDE_LAMBDAS, live=widen.LiveLatents(0.6, 0.3, calib)).eval()
    row = channel_use(wide, calib, 0.1, old_m=12)
    assert 0 < row["new_bits_share"] < 1 and row["bpp_new"] > 0
    assert row["psnr"] == pytest.approx(row["psnr_without"], abs=1e-6)  # nothing old reads them yet
    with torch.no_grad():  # once g_s reads them, taking them away changes the picture
        wide.g_s[0].weight[12:].normal_(0, 0.5)
    row = channel_use(wide, calib, 0.1, old_m=12)
    assert abs(row["psnr"] - row["psnr_without"]) > 0.01


def test_direct_live_latents_reach_the_distortion_at_once():
    narrow = _trained_like().eval()
    calib = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(5))
    plain = widen_model(narrow, 12, 18, WIDE_LAMBDAS, live=widen.LiveLatents(0.6, 0.3, calib)).train()
    direct = widen_model(narrow, 12, 18, WIDE_LAMBDAS, live=widen.LiveLatents(0.6, 0.3, calib, direct=True)).train()
    assert float(plain.g_s[0].weight[12:, :8].abs().sum()) == 0  # old g_s units ignore the new channels
    assert float(direct.g_s[0].weight[12:, :8].abs().sum()) > 0  # ... or read them with their initial weights

    def distortion_grad(model):
        torch.manual_seed(3)
        out = model(calib, 0.1)
        torch.mean((out.x_hat - calib) ** 2).backward()
        return float(model.g_a[6].weight.grad[12:].abs().sum())

    assert distortion_grad(plain) == 0 and distortion_grad(direct) > 0
