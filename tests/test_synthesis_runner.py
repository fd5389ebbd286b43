"""The in-place GDN path of the synthesis transform gives g_s(y) bit for bit."""
from __future__ import annotations

import pytest
import torch

from lvqac_testing import tiny_model
from lvqac_core.models.synthesis_runner import run_g_s, stock_g_s


@pytest.mark.parametrize("architecture", ["minnen2018-ckbd", "cheng2020-ckbd"])
def test_run_g_s_equals_g_s(architecture) -> None:
    model = tiny_model(architecture, "lvqac", N=16, M=24)
    torch.manual_seed(1)
    for h, w in ((1, 1), (4, 7), (12, 20)):
        y = torch.randn(1, model.config.M, h, w) * 5
        with torch.inference_mode():
            want = model.g_s(y)
            got = run_g_s(model.g_s, y)
            with stock_g_s():
                stock = run_g_s(model.g_s, y)
        assert torch.equal(got, want) and torch.equal(stock, want)


def test_gradients_still_flow_outside_inference() -> None:
    model = tiny_model("minnen2018-ckbd", "scalar", N=16, M=24)
    y = torch.randn(1, 24, 4, 4, requires_grad=True)
    run_g_s(model.g_s, y).sum().backward()  # the in-place path is not taken where grads are recorded
    assert y.grad is not None and torch.isfinite(y.grad).all()
