"""More λ presets for a trained variable-rate network (lvqac_core.training.extend_presets): every
old preset codes what it did, new ones start from the gains the rule gives, and it serves as --init."""
from __future__ import annotations

import math

import pytest
import torch

from lvqac_core.errors import InputError
from lvqac_core.models import build_model
from lvqac_core.training import extend_presets as ext_mod
from lvqac_core.training.extend_presets import extend_presets
from lvqac_core.training.trainer import load_init_weights

LAMBDAS = [0.0016, 0.0075, 0.045]
MORE = [0.0016, 0.0032, 0.0075, 0.045, 0.1]


def _trained_like(quantizer: str, lambdas=LAMBDAS):
    torch.manual_seed(1)
    opts = {"rate_proxy": "noise"} if quantizer == "scalar" else {}
    m = build_model(architecture="minnen2018-ckbd", quantizer=quantizer, N=8, M=12, lmbda=0.0075,
                    lambdas=lambdas, quantizer_options=opts)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return m


@pytest.mark.parametrize("quantizer", ["scalar", "lvq", "lvqac"])
def test_old_presets_code_what_they_did_and_new_ones_follow_the_rule(quantizer):
    old = _trained_like(quantizer).eval()
    new = extend_presets(old, MORE).eval()
    assert new.config.lambdas == MORE and new.config.quantizer == quantizer
    assert new.config.provenance["presets_extended_from"] == [LAMBDAS]
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    for lam in (0.0016, 0.0075, 0.045):
        with torch.no_grad():
            a, b = old(x, lam), new(x, lam)
        assert torch.equal(a.x_hat, b.x_hat)
        assert float(a.bits["y"]) == float(b.bits["y"])
    g_old, g_new = old.gain.log_gain.detach(), new.gain.log_gain.detach()
    assert torch.equal(g_new[[0, 2, 3]], g_old)
    t = math.log(0.0032 / 0.0016) / math.log(0.0075 / 0.0016)
    assert torch.allclose(g_new[1], (1 - t) * g_old[0] + t * g_old[1])  # inside: interpolated
    assert torch.allclose(g_new[4], g_old[2] + 0.5 * math.log(0.1 / 0.045))  # beyond: the high-rate rule
    assert torch.allclose(new.gain.log_inv_gain.detach()[4], old.gain.log_inv_gain.detach()[2] - 0.5 * math.log(0.1 / 0.045))
    with torch.no_grad():  # the new top preset is finer: more bits than the old top
        assert float(new(x, 0.1).bits["y"]) > float(new(x, 0.045).bits["y"])


def test_refusals_say_why():
    with pytest.raises(InputError, match="keep every old one"):
        extend_presets(_trained_like("scalar"), [0.0016, 0.0075, 0.1])
    with pytest.raises(InputError, match="increasing"):
        extend_presets(_trained_like("scalar"), [0.0016, 0.045, 0.0075])
    single = build_model(architecture="minnen2018-ckbd", quantizer="scalar", N=8, M=12, lmbda=0.0075)
    with pytest.raises(InputError, match="single-rate"):
        extend_presets(single, MORE)


def test_the_command_writes_an_init_file_and_never_overwrites(tmp_path, capsys):
    from lvqac_core.checkpoint import read_checkpoint, save_checkpoint
    src, out = tmp_path / "net.pt", tmp_path / "more.pt"
    save_checkpoint(_trained_like("lvq"), src, half=False, extra={"steps": 700})
    assert ext_mod.main([str(src), str(out), "--lambdas", ",".join(map(str, MORE))]) == 0
    assert "3 → 5 presets (added 0.0032, 0.1)" in capsys.readouterr().out
    records = read_checkpoint(out).extra  # the training records stay, with what was added when
    assert records["steps"] == 700 and records["presets_added"] == [{"lambdas": [0.0032, 0.1], "after_steps": 700}]
    before = out.read_bytes()
    assert ext_mod.main([str(src), str(out), "--lambdas", ",".join(map(str, MORE))]) == 2
    assert "not overwriting" in capsys.readouterr().err and out.read_bytes() == before
    target = build_model(architecture="minnen2018-ckbd", quantizer="lvq", N=8, M=12, lmbda=0.0075, lambdas=MORE)
    assert load_init_weights(target, out)["new"] == []  # what `lvqac train --init` does
