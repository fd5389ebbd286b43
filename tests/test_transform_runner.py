"""The in-place GDN path of the transforms gives g_a(x) and g_s(y) bit for bit."""
from __future__ import annotations

import pytest
import torch

from lvqac_testing import tiny_model
from lvqac_core.models.transform_runner import layout_neutral, run_transform, stock_transforms


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


def _one_thread(fn):
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return fn()
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("N,M", [(16, 24), (48, 64), (64, 96)])
def test_channels_last_synthesis_equals_nchw_on_one_thread(N, M) -> None:
    """The synthesis runs channels-last: same values as NCHW (and as g_s itself) on one thread."""
    model = tiny_model("minnen2018-ckbd", "lvqac", N=N, M=M)
    torch.manual_seed(N)
    with torch.no_grad():
        for p in model.g_s.parameters():  # trained-looking weights, not the init's identity GDN
            p.add_(torch.randn_like(p) * 0.05)
    assert layout_neutral(model.g_s)

    def run():
        for h, w in ((1, 1), (3, 5), (8, 13), (20, 30)):
            for y in (torch.randn(1, M, h, w) * 5, torch.round(torch.randn(1, M, h, w) * 4)):
                with torch.inference_mode():
                    want = model.g_s(y)
                    got = run_transform(model.g_s, y, channels_last=True)
                assert torch.equal(got, want), (h, w)
                if h * w > 1:
                    assert got.is_contiguous(memory_format=torch.channels_last)

    _one_thread(run)


def test_channels_last_only_for_layout_neutral_transforms() -> None:
    """Convolutions change last bits between layouts, so g_a and Cheng's g_s stay NCHW."""
    minnen = tiny_model("minnen2018-ckbd", "scalar", N=16, M=24)
    cheng = tiny_model("cheng2020-ckbd", "scalar", N=16, M=24)
    assert not layout_neutral(minnen.g_a) and not layout_neutral(cheng.g_s) and not layout_neutral(minnen.h_s)
    x = torch.rand(1, 3, 32, 48)
    with torch.inference_mode():
        assert run_transform(minnen.g_a, x, channels_last=True).is_contiguous()
        y = torch.randn(1, 24, 4, 6)
        assert torch.equal(run_transform(cheng.g_s, y, channels_last=True), cheng.g_s(y))


def test_channels_last_synthesis_equals_nchw_with_the_default_model() -> None:
    """The zoo's default weights on a Kodak-sized latent (768x512): same pixels' floats either way."""
    from lvqac_core.api import load_model

    g_s = load_model(None, "cpu").model.g_s
    torch.manual_seed(3)
    y = torch.round(torch.randn(1, g_s[0].in_channels, 32, 48) * 4)

    def run():
        with torch.inference_mode():
            return run_transform(g_s, y), run_transform(g_s, y, channels_last=True)

    nchw, nhwc = _one_thread(run)
    assert torch.equal(nchw, nhwc) and nhwc.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("chunk", [1, 7 * 16 * 13, 1 << 22])
def test_gdn_in_row_chunks_gives_the_same_values(monkeypatch, chunk) -> None:
    """The in-place GDN normalises row chunks where they lie (small chunks force many, of uneven
    heights): g_a and g_s (NCHW and channels-last) give the same floats as g itself."""
    from lvqac_core.models import transform_runner

    monkeypatch.setattr(transform_runner, "GDN_CHUNK_ELEMENTS", chunk)
    monkeypatch.setattr(transform_runner, "GDN_MIN_CHUNK_POSITIONS", 64)
    model = tiny_model("minnen2018-ckbd", "lvqac", N=16, M=24)
    torch.manual_seed(4)
    with torch.no_grad():
        for p in list(model.g_s.parameters()) + list(model.g_a.parameters()):
            p.add_(torch.randn_like(p) * 0.05)

    def run():
        with torch.inference_mode():
            for h, w in ((64, 48), (208, 80)):
                x = torch.rand(1, 3, h, w)
                assert torch.equal(run_transform(model.g_a, x), model.g_a(x)), (h, w)
            for h, w in ((3, 5), (13, 9), (40, 12)):
                y = torch.randn(1, 24, h, w) * 5
                want = model.g_s(y)
                assert torch.equal(run_transform(model.g_s, y), want), (h, w)
                assert torch.equal(run_transform(model.g_s, y, channels_last=True), want), (h, w)

    _one_thread(run)


def test_the_callers_tensor_is_never_normalised_in_place() -> None:
    """A transform that starts with a GDN leaves its input as it was."""
    from lvqac_core.compressai_parts import GDN

    g = torch.nn.Sequential(GDN(8), torch.nn.Conv2d(8, 8, 1))
    x = torch.rand(1, 8, 300, 300)
    before = x.clone()
    with torch.inference_mode():
        got = run_transform(g, x)
        assert torch.equal(x, before) and torch.equal(got, g(x))
