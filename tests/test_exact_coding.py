"""The coding networks evaluated exactly (lvqac_core.models.exact, format 2): close to the float
modules, the same numbers in bands, at chosen positions and on any thread count, and refused
clearly where exactness cannot hold."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from lvqac_testing import smooth_image, tiny_model
from lvqac_core.compressai_parts import GDN, CheckerboardMaskedConv2d
from lvqac_core.models import exact
from lvqac_core.models.context import entropy_parameters_net
from lvqac_core.models.exact import ExactNet, ExactnessError
from lvqac_core.models.latent_codecs import AHead
from lvqac_core.models.transforms import cheng_transforms, minnen_transforms


@pytest.fixture
def threads():
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


def _nets() -> dict[str, tuple[nn.Module, torch.Tensor]]:
    torch.manual_seed(0)
    N, M = 16, 24
    return {
        "minnen h_s": (minnen_transforms(N, M)[3], torch.randn(1, N, 5, 7) * 3),
        "cheng h_s": (cheng_transforms(N, M)[3], torch.randn(1, N, 5, 7) * 3),
        "entropy parameters": (entropy_parameters_net(M), torch.randn(1, 4 * M, 9, 11)),
        "checkerboard context": (CheckerboardMaskedConv2d(M, 2 * M, kernel_size=5, padding=2), torch.randn(1, M, 9, 11) * 4),
    }


@pytest.mark.parametrize("name", list(_nets()))
def test_exact_net_is_close_to_the_float_module(name):
    module, x = _nets()[name]
    with torch.no_grad():
        ref = module(x)
        out = ExactNet(module)(x)
    assert out.dtype == torch.float32 and out.shape == ref.shape
    assert (out - ref).abs().max() <= 1e-3 * (1 + ref.abs().max())


@pytest.mark.parametrize("name", list(_nets()))
def test_bands_give_the_same_numbers(name, monkeypatch):
    module, x = _nets()[name]
    x = torch.cat([x] * 4, dim=2)  # more rows than the margin, so several bands
    net = ExactNet(module)
    whole = net(x)
    monkeypatch.setattr(exact, "_BAND_BYTES", 1)  # one row per band
    assert torch.equal(net(x), whole)


def test_bands_are_sized_by_what_the_tap_by_tap_products_hold():
    """One image runs tap by tap (no im2col buffer), so a band holds the input's shifted copy, the
    sums and the result: about (in + 2·out) float64 per output position. An N 128 / M 192 h_s
    then runs a 1080p image's hyper-latent (17 × 30) in one band; sized as im2col (C·k²), it ran
    in five overlapping bands that computed 3.4× its rows (5.0 s against 11.7 s per 1080p encode)."""
    _, _, _, h_s = minnen_transforms(128, 192)
    net = ExactNet(h_s)
    # the costliest layer: h_s.4 (3×3, 288 → 384) at 4 × 4 outputs per hyper-latent position
    assert net.columns_per_position == (288 + 2 * 384) * 16
    calls = []
    run = net._run
    net._run = lambda x: calls.append(x.shape[2]) or run(x)
    net(torch.zeros(1, 128, 17, 30))
    assert calls == [17]


@pytest.mark.parametrize("name", list(_nets()))
def test_thread_count_does_not_change_a_bit(name, threads):
    module, x = _nets()[name]
    x = torch.cat([x] * 6, dim=3)
    out = {}
    for n in (1, 2, 4):
        threads(n)
        out[n] = ExactNet(module)(x)
    assert torch.equal(out[1], out[2]) and torch.equal(out[1], out[4])


@pytest.mark.parametrize("band_bytes", [None, 1, 8 * 12 * 8 * 3])
def test_at_equals_the_whole_convolution_at_those_positions(monkeypatch, band_bytes):
    """Also in chunks of positions (large images: one position, or three, at a time here)."""
    module, x = _nets()["checkerboard context"]
    net = ExactNet(module)
    full = net(x)
    if band_bytes is not None:
        monkeypatch.setattr(exact, "_BAND_BYTES", band_bytes)
    ii, jj = torch.nonzero(torch.rand(9, 11) < 0.5, as_tuple=True)
    assert torch.equal(net.at(x, ii, jj)[0, :, :, 0], full[0, :, ii, jj])


def test_weights_too_large_or_layers_unknown_are_refused():
    conv = nn.Conv2d(4, 4, 3, padding=1)
    with torch.no_grad():
        conv.weight.fill_(1e30)
    with pytest.raises(ExactnessError, match="too large"):
        ExactNet(conv)
    with torch.no_grad():
        conv.weight.fill_(math.nan)
    with pytest.raises(ExactnessError, match="non-finite"):
        ExactNet(conv)
    with pytest.raises(ExactnessError, match="GDN"):
        ExactNet(nn.Sequential(nn.Conv2d(4, 4, 1), GDN(4)))


@pytest.mark.parametrize("mode,a_max", [("exp", 16.0), ("alaw", 64.0)])
def test_a_head_pre_activation_inverts_its_activation(mode, a_max):
    head = AHead(8, mode, a_max)
    for log_a in np.linspace(0.05 if mode == "alaw" else -2.5, 2.5, 9):
        h = head.pre_activation(float(log_a))
        a = (1 + math.log1p(math.exp(h))) if mode == "alaw" else math.exp(math.log(a_max) * math.tanh(h))
        assert math.isclose(math.log(a), log_a, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("compander", ["exp", "alaw"])
def test_exact_a_levels_match_snapping_the_float_head(compander):
    model = tiny_model("minnen2018-ckbd", "lvqac", N=8, M=16, quantizer_options={"compander": compander})
    torch.nn.init.normal_(model.a_head.net[-1].weight, std=0.5)
    codec = model.latent_codec
    hyper = torch.randn(1, 32, 16, 16)
    with torch.no_grad():
        idx_f, _ = codec.coding_nets(False).a_levels(hyper)
        idx_e, val_e = codec.coding_nets(True).a_levels(hyper)
    assert (idx_f != idx_e).float().mean() < 0.01  # only positions within the grid's error of a threshold
    assert len(torch.unique(idx_e)) > 3  # A really varies
    assert torch.equal(val_e, model.quantizer.level_values().float()[idx_e])


def test_exact_coding_costs_no_rate():
    from lvqac_core.image_tensors import to_tensor

    model = tiny_model("minnen2018-ckbd", "lvq", N=16, M=24)
    model.update()
    x = to_tensor(smooth_image(128, 192, seed=3), as_float=False)[0]
    size = {}
    for exact_nets in (False, True):
        code = model.compress_tensor(x, reconstruct=False, bits_map=False, exact=exact_nets)
        size[exact_nets] = sum(len(s) for s in code.sections.values())
    assert abs(size[True] - size[False]) <= max(4, 0.005 * size[False])


@pytest.mark.parametrize("layer", [
    nn.ConvTranspose2d(8, 12, 5, 2, 2, 1), nn.ConvTranspose2d(8, 12, 3, 2, 1, 1), nn.ConvTranspose2d(8, 6, 4, 2, 1, 0),
    nn.ConvTranspose2d(5, 7, 5, 3, 1, 2), nn.Conv2d(8, 12, 3, padding=1), nn.Conv2d(8, 12, 1),
    nn.Conv2d(8, 12, 5, padding=2),
    nn.Conv2d(24, 2, 3, padding=1), nn.Conv2d(16, 1, 3, padding=1), nn.Conv2d(16, 3, 3, padding=0),
], ids=lambda m: f"{type(m).__name__}{m.kernel_size[0]}s{m.stride[0]}o{m.out_channels}p{m.padding[0]}")
def test_tap_and_phase_products_equal_torchs_convolution(layer):
    """The per-tap matrix products give exactly torch's own float64 convolution of the integers
    (the narrow layers, like the A and selection heads, take the taps-first product)."""
    import torch.nn.functional as F

    conv = exact._ExactConv(layer)
    xi = torch.randint(-5000, 5000, (1, layer.in_channels, 7, 9)).double()
    if conv.transposed:
        ref = F.conv_transpose2d(xi, conv.weight, conv.bias, conv.stride, conv.padding, conv.output_padding)
        got = conv._transposed_by_phases(xi, conv.weight, conv.bias)
    else:
        ref = F.conv2d(xi, conv.weight, conv.bias, conv.stride, conv.padding)
        got = conv._by_taps(xi, conv.weight, conv.bias, conv.padding)
    assert torch.equal(got, ref)


def test_a_layer_of_zero_weights_gives_its_bias():
    """A head's last layer starts at zero weights (a new selection head): no tap, only the bias."""
    layer = nn.Conv2d(16, 2, 3, padding=1)
    nn.init.zeros_(layer.weight)
    nn.init.constant_(layer.bias, 0.25)
    out = exact.ExactNet(layer)(torch.randn(1, 16, 5, 7))
    assert torch.equal(out, torch.full((1, 2, 5, 7), 0.25))


@pytest.mark.parametrize("scale", [1e-4, 0.05, 3.0, 200.0])
def test_the_weight_shift_is_the_largest_that_keeps_sums_exact(scale):
    """The shift search (from the float estimate) gives what scanning down from 30 gives."""
    torch.manual_seed(1)
    layer = nn.Conv2d(64, 32, 3, padding=1)
    with torch.no_grad():
        layer.weight.mul_(scale)
    conv = exact._ExactConv(layer)
    w = layer.weight.detach().double()
    b = layer.bias.detach().double()
    x_max = exact.ACTIVATION_LIMIT * 2 ** exact.FRACTION_BITS
    for shift in range(30, -1, -1):
        wi, bi = torch.round(w * 2.0 ** shift), torch.round(b * 2.0 ** (shift + exact.FRACTION_BITS))
        if x_max * float(wi.abs().sum(dim=(1, 2, 3)).max()) + float(bi.abs().max()) < 2.0 ** 52:
            break
    assert conv.shift == shift
