"""Exact nets whose first layers share their geometry can run those layers as one product
(exact.fuse_first_layers, for the A and selection heads: docs/speed.md, "Threads"): the fused
evaluation must give the very numbers of the nets apart."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from lvqac_testing import tiny_model
from lvqac_core.models import exact
from lvqac_core.models.latent_codecs.base import _ExactHeads


def _bits(t: torch.Tensor) -> torch.Tensor:
    """The float64 bit patterns (so that even a zero's sign counts)."""
    return t.double().contiguous().view(torch.int64)


def _heads(seed: int, hidden: int = 16, groups: int = 6, scale: float = 1.0) -> tuple[nn.Sequential, nn.Sequential]:
    """Two head-shaped nets on 128 channels; ``scale`` makes the second's weights larger (another shift)."""
    torch.manual_seed(seed)
    a = nn.Sequential(nn.Conv2d(128, hidden, 3, padding=1), nn.LeakyReLU(), nn.Conv2d(hidden, 1, 3, padding=1))
    s = nn.Sequential(nn.Conv2d(128, hidden, 3, padding=1), nn.LeakyReLU(), nn.Conv2d(hidden, groups, 3, padding=1))
    with torch.no_grad():
        s[0].weight.mul_(scale)
    return a, s


@pytest.mark.parametrize("hidden,scale", [(16, 1.0), (16, 300.0), (64, 1.0), (8, 0.01)])
def test_the_stacked_first_layer_gives_each_layers_values(hidden, scale):
    a, s = _heads(hidden, hidden, scale=scale)
    ea, es = exact.ExactNet(a), exact.ExactNet(s)
    first_a, first_s = ea.steps[0], es.steps[0]
    if scale != 1.0:
        assert first_a.shift != first_s.shift  # each channel keeps its own layer's grid
    stacked = exact._ExactConv.stacked([first_a, first_s])
    gen = torch.Generator().manual_seed(hidden)
    for h, w in ((1, 1), (3, 5), (32, 48), (17, 9)):
        x = torch.randn(1, 128, h, w, generator=gen, dtype=torch.float64) * 3
        both = stacked(x)
        assert torch.equal(_bits(both), _bits(torch.cat([first_a(x), first_s(x)], dim=1)))


@pytest.mark.parametrize("band_bytes", [None, 1 << 16])
def test_fused_net_equals_the_two_nets(monkeypatch, band_bytes):
    """Whole heads (first layer fused, then each head alone), in one piece and in bands."""
    if band_bytes is not None:
        monkeypatch.setattr(exact, "_BAND_BYTES", band_bytes)
    a, s = _heads(3, scale=40.0)
    ea, es = exact.ExactNet(a), exact.ExactNet(s)
    fused = exact.fuse_first_layers([ea, es])
    assert fused is not None
    x = torch.randn(1, 128, 70, 23, generator=torch.Generator().manual_seed(5)) * 2
    assert torch.equal(_bits(fused(x)), _bits(torch.cat([ea(x), es(x)], dim=1)))


@pytest.mark.parametrize("other", [
    nn.Conv2d(128, 16, 3, padding=0), nn.Conv2d(128, 16, 5, padding=2), nn.Conv2d(128, 16, 3, stride=2, padding=1),
    nn.Conv2d(64, 16, 3, padding=1), nn.ConvTranspose2d(128, 16, 3, padding=1),
])
def test_first_layers_of_another_geometry_are_not_fused(other):
    a, _ = _heads(0)
    assert exact.fuse_first_layers([exact.ExactNet(a), exact.ExactNet(nn.Sequential(other, nn.ReLU()))]) is None


def test_first_layers_with_other_nonzero_taps_are_not_fused():
    a, s = _heads(1)
    with torch.no_grad():
        s[0].weight[:, :, 0, 0] = 0  # a masked-like layer: reads fewer positions
    assert exact.fuse_first_layers([exact.ExactNet(a), exact.ExactNet(s)]) is None


@pytest.mark.parametrize("quantizer,selection_coding,fused", [
    ("lvqac", "rans", True), ("lvqac", "raw", False), ("lvq", "rans", False), ("lvq", "raw", False),
    ("scalar", None, False),
])
def test_coding_nets_fuse_only_when_both_heads_exist(quantizer, selection_coding, fused):
    options = {"selection_coding": selection_coding, "head_hidden": 16} if selection_coding else {}
    model = tiny_model("minnen2018-ckbd", quantizer, quantizer_options=options)
    model.update()
    lc = model.latent_codec
    nets = lc.coding_nets(exact=True)
    assert isinstance(nets.heads, _ExactHeads) == fused
    assert (lc.a_head is not None, lc.selection_head is not None) == (quantizer == "lvqac", selection_coding == "rans")
    hyper = torch.randn(1, 2 * model.config.M, 9, 13, generator=torch.Generator().manual_seed(2)) * 2
    a_levels, levels = lc.head_outputs(hyper, nets)
    # the heads apart, as before fusing
    alone_a = nets.a_levels(hyper) if nets.a_levels is not None else None
    alone_levels = lc.selection_levels(hyper, nets)
    assert (a_levels is None) == (alone_a is None) == (quantizer != "lvqac")
    if alone_a is not None:
        assert torch.equal(a_levels[0], alone_a[0]) and torch.equal(_bits(a_levels[1]), _bits(alone_a[1]))
    assert (levels is None) == (alone_levels is None) == (selection_coding != "rans")
    if alone_levels is not None:
        assert torch.equal(levels, alone_levels)
        if fused:
            logits = nets.heads(hyper)[1]
            assert torch.equal(_bits(logits), _bits(nets.selection_logits(hyper)))
