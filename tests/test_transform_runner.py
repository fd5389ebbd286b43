"""The in-place GDN path of the transforms gives g_a(x) and g_s(y) bit for bit."""
from __future__ import annotations

import pytest
import torch

from lvqac_testing import tiny_model
from lvqac_core.models.transform_runner import run_transform, stock_transforms


@pytest.mark.parametrize("architecture", ["minnen2018-ckbd", "cheng2020-ckbd"])
def test_run_transform_equals_g_s(architecture) -> None:
    model = tiny_model(architecture, "lvqac", N=16, M=24)
    torch.manual_seed(1)
    for h, w in ((1, 1), (4, 7), (12, 20)):
        y = torch.randn(1, model.config.M, h, w) * 5
        with torch.inference_mode():
            want = model.g_s(y)
            got = run_transform(model.g_s, y)
            with stock_transforms():
                stock = run_transform(model.g_s, y)
        assert torch.equal(got, want) and torch.equal(stock, want)


@pytest.mark.parametrize("architecture", ["minnen2018-ckbd", "cheng2020-ckbd"])
def test_run_transform_equals_g_a(architecture) -> None:
    model = tiny_model(architecture, "scalar", N=16, M=24)
    torch.manual_seed(2)
    for h, w in ((16, 16), (64, 48), (128, 192)):
        x = torch.rand(1, 3, h, w)
        with torch.inference_mode():
            want = model.g_a(x)
            got = run_transform(model.g_a, x)
        assert torch.equal(got, want)


def test_gradients_still_flow_outside_inference() -> None:
    model = tiny_model("minnen2018-ckbd", "scalar", N=16, M=24)
    y = torch.randn(1, 24, 4, 4, requires_grad=True)
    run_transform(model.g_s, y).sum().backward()  # the in-place path is not taken where grads are recorded
    assert y.grad is not None and torch.isfinite(y.grad).all()
