"""Coded selection bits: the selection head, its training term, the rANS-coded
selection section and the option that turns it on (``quantizer_options["selection_coding"]``)."""
from __future__ import annotations

import argparse

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lvqac_core import bitstream
from lvqac_core.api import Codec
from lvqac_core.checkpoint import config_problem, load_checkpoint, save_checkpoint
from lvqac_core.compressai_parts import LowerBound
from lvqac_core.entropy.binary import level_index
from lvqac_core.errors import CorruptFile, DesyncError, InputError
from lvqac_core.models import build_model
from lvqac_core.models.context import anchor_mask
from lvqac_core.models.latent_codecs import AHead, LatentCodec, SelectionHead
from lvqac_core.quantizers import build_quantizer, closest_point
from lvqac_core.registry import DECODING_ORDER_REGISTRY
from lvqac_core.training.trainer import TrainConfig, load_init_weights
from lvqac_testing import smooth_image

M, G = 8, 2  # 8 latent channels in 2 groups of 4
RANS = {"selection_coding": "rans"}


def _model(architecture: str, quantizer: str, options=None, seed: int = 0, spread: float = 0.5, update: bool = True):
    torch.manual_seed(seed)
    opts = dict(RANS if options is None else options)
    model = build_model(architecture=architecture, quantizer=quantizer, N=8, M=M, group_size=M // G,
                        quantizer_options=opts)
    if model.a_head is not None:
        torch.nn.init.normal_(model.a_head.net[-1].weight, std=0.05)
    if model.selection_head is not None and spread:  # a head that predicts something per position
        torch.nn.init.normal_(model.selection_head.net[-1].weight, std=spread)
    model.eval()
    if update:  # the coding tables (not needed for training passes)
        model.update()
    return model


def _codec(order: str, quantizer: str, bias: float = 0.0, spread: float = 0.0, seed: int = 0) -> LatentCodec:
    """A latent codec with a selection head of the given bias (its logit) and weight spread."""
    torch.manual_seed(seed)
    cls = DECODING_ORDER_REGISTRY.get(order)
    q = build_quantizer(quantizer, M, M // G)
    head = SelectionHead(2 * M, G)
    torch.nn.init.constant_(head.net[-1].bias, bias)
    if spread:
        torch.nn.init.normal_(head.net[-1].weight, std=spread)
    modules = [q, AHead.for_quantizer(2 * M, q), cls.build_context(M), cls.build_entropy_parameters(M), LowerBound(0.11)]
    for m in modules + [head]:
        if m is not None:
            m.eval()
    codec = cls(*modules, selection_head=head)
    codec.update()
    return codec


# ------------------------------------------------------------------------------ coding --------
@pytest.mark.parametrize("quantizer", ["lvq", "lvqac"])
@pytest.mark.parametrize("architecture", ["minnen2018-mean", "minnen2018-ckbd"])  # parallel, checkerboard
def test_rans_selection_round_trips_bit_exactly(architecture, quantizer):
    codec = Codec.from_model(_model(architecture, quantizer))
    img = smooth_image(96, 128, seed=3)
    res = codec.compress(img)
    dec = codec.decompress(res.data)
    assert np.array_equal(dec.image, res.reconstruction)
    assert np.array_equal(dec.maps.selection, res.maps.selection)
    assert np.array_equal(dec.maps.bits, res.maps.bits)
    n = G * (96 // 16) * (128 // 16)
    sel = bitstream.unpack(res.data)[1]["selection"]
    assert sel != np.packbits(res.maps.selection.ravel()).tobytes() or len(sel) != (n + 7) // 8


@pytest.mark.parametrize("quantizer", ["lvq", "lvqac"])
@pytest.mark.parametrize("order", sorted(DECODING_ORDER_REGISTRY))
def test_every_order_codes_the_selection_with_rans(order, quantizer):
    codec = _codec(order, quantizer, spread=1.0)
    y, hyper = torch.randn(1, M, 6, 7) * 4, torch.randn(1, 2 * M, 6, 7)
    with torch.inference_mode():
        enc = codec.compress(y, hyper)
        dec = codec.decompress(enc.sections, hyper)
    assert torch.equal(enc.y_hat, dec.y_hat) and torch.equal(enc.selection, dec.selection)
    assert enc.checksum == dec.checksum and torch.equal(enc.bits, dec.bits)
    levels = level_index(codec.selection_head(hyper))
    assert len(set(levels.ravel().tolist())) > 3  # the probabilities really vary


def _skewed_latent(codec: LatentCodec, ones: bool, h: int = 24, w: int = 24, seed: int = 0):
    """y whose residual to μ (the parallel order's: the hyper's second half) sits near Z^n (or Z^n + ½)."""
    g = torch.Generator().manual_seed(seed)
    hyper = torch.randn(1, 2 * M, h, w, generator=g)
    mu = hyper[:, M:]
    r = torch.randint(-3, 4, (1, M, h, w), generator=g).float() + 0.2 * torch.randn(1, M, h, w, generator=g)
    return mu + r + (0.5 if ones else 0.0), hyper


@pytest.mark.parametrize("ones", [False, True])
def test_a_biased_head_makes_skewed_selections_smaller_than_raw(ones):
    codec = _codec("parallel", "lvq", bias=4.0 if ones else -4.0)
    y, hyper = _skewed_latent(codec, ones)
    with torch.inference_mode():
        enc = codec.compress(y, hyper)
        dec = codec.decompress(enc.sections, hyper)
    share = float(enc.selection.float().mean())
    assert (share > 0.9) if ones else (share < 0.1)
    n = enc.selection.numel()
    raw = (n + 7) // 8
    coded = len(enc.sections["selection"])
    assert coded < 0.5 * raw
    assert torch.equal(dec.selection, enc.selection)
    # the estimate charges the coded cost, not one bit per group: estimate ≈ file
    y_only = _codec("parallel", "lvq", bias=0.0)  # P = ½: exactly one bit per group, as raw
    with torch.inference_mode():
        half = y_only.compress(y, hyper)
    assert torch.equal(half.selection, enc.selection)
    estimated = float(enc.bits.sum() - (half.bits.sum() - n))
    assert abs(8 * coded - estimated) < 0.05 * estimated + 40


def test_an_unbiased_head_costs_what_raw_costs():
    codec = _codec("parallel", "lvq", bias=0.0)
    y, hyper = _skewed_latent(codec, ones=False)
    with torch.inference_mode():
        enc = codec.compress(y, hyper)
    n = enc.selection.numel()
    assert abs(8 * len(enc.sections["selection"]) - n) <= 64  # rANS at P = ½ ≈ packed bits


def test_damaged_rans_selection_sections_are_clear_errors():
    codec = _codec("checkerboard", "lvqac", spread=1.0)
    y, hyper = torch.randn(1, M, 12, 12) * 4, torch.randn(1, 2 * M, 12, 12)
    with torch.inference_mode():
        enc = codec.compress(y, hyper)
        data = enc.sections["selection"]
        for cut in (0, 4, len(data) // 2, len(data) - 4):
            with pytest.raises(CorruptFile, match="selection section"):
                codec.decompress({**enc.sections, "selection": data[:cut]}, hyper)
        rng = np.random.default_rng(0)
        for _ in range(20):  # garbage: an error or a different selection the checksum will catch
            junk = rng.integers(0, 256, size=len(data), dtype=np.uint8).tobytes()
            try:
                out = codec.decompress({**enc.sections, "selection": junk}, hyper)
            except CorruptFile:
                continue
            assert out.checksum != enc.checksum or torch.equal(out.selection, enc.selection)


def test_a_truncated_selection_in_a_file_is_one_clear_error():
    codec = Codec.from_model(_model("minnen2018-ckbd", "lvq"))
    res = codec.compress(smooth_image(64, 64))
    header, sections = bitstream.unpack(res.data)
    bad = bitstream.pack(header, {**sections, "selection": sections["selection"][:-4]})
    with pytest.raises((CorruptFile, DesyncError)):
        codec.decompress(bad)


def test_raw_models_keep_packed_bits_and_no_head():
    model = _model("minnen2018-ckbd", "lvq", options={})
    assert model.selection_head is None and model.latent_codec.selection_head is None
    res = Codec.from_model(model).compress(smooth_image(64, 64))
    sel = bitstream.unpack(res.data)[1]["selection"]
    assert sel == np.packbits(res.maps.selection.ravel()).tobytes()


# ------------------------------------------------------------------------------ training ------
def _bce_bits(sel: torch.Tensor, logits: torch.Tensor) -> float:
    return float(F.binary_cross_entropy_with_logits(logits.detach().double(), sel.double(), reduction="sum") / np.log(2.0))


@pytest.mark.parametrize("quantizer", ["lvq", "lvqac"])
def test_training_charges_the_hard_selection_parallel(quantizer):
    model = _model("minnen2018-mean", quantizer, options={**RANS, "compander": "exp"} if quantizer == "lvqac" else None,
                   update=False)
    codec = model.latent_codec
    model.train()
    torch.manual_seed(1)
    y, hyper = torch.randn(2, M, 5, 6) * 3, torch.randn(2, 2 * M, 5, 6)
    out = codec.forward(y, hyper)
    q = model.quantizer
    a = None
    if model.a_head is not None:
        a = q.snap(model.a_head(hyper))[1]  # training uses the coder's levels (exp compander)
    u = q.to_u(y - codec.split(hyper)[0], a)
    sel = closest_point(u, q.group_size)[1]
    logits = model.selection_head(hyper)
    assert 0 < sel.float().mean() < 1
    assert float(out.selection_bits.detach()) == pytest.approx(_bce_bits(sel, logits), rel=1e-5)
    out.selection_bits.backward()
    grads = [p.grad for p in model.selection_head.parameters()]
    assert all(gr is not None for gr in grads) and any(float(gr.abs().sum()) > 0 for gr in grads)


def test_training_charges_each_checkerboard_pass_its_own_selection():
    model = _model("minnen2018-ckbd", "lvq", update=False)
    codec = model.latent_codec
    model.train()
    torch.manual_seed(2)
    y, hyper = torch.randn(1, M, 6, 6) * 3, torch.randn(1, 2 * M, 6, 6)
    out = codec.forward(y, hyper)
    g = model.quantizer.group_size
    anchors = anchor_mask(6, 6)
    mu_a = codec.split(model.entropy_parameters(torch.cat([hyper, torch.zeros_like(hyper)], 1)))[0]
    point_a, sel_a = closest_point(y - mu_a, g)
    ctx = model.context((mu_a + point_a) * anchors)
    mu_n = codec.split(model.entropy_parameters(torch.cat([hyper, ctx], 1)))[0]
    sel_n = closest_point(y - mu_n, g)[1]
    sel = torch.where(anchors, sel_a, sel_n)
    assert not torch.equal(sel_a, sel_n)  # the two passes' μ differ: using one for all would be wrong
    assert float(out.selection_bits.detach()) == pytest.approx(_bce_bits(sel, model.selection_head(hyper)), rel=1e-5)


def test_the_selection_term_trains_the_head_and_reaches_the_hyperprior():
    model = _model("minnen2018-mean", "lvq", spread=0.0, update=False)
    model.train()
    x = torch.from_numpy(smooth_image(64, 64)).permute(2, 0, 1)[None].float() / 255
    # a fresh head predicts P = ½ everywhere: exactly the raw one bit per group
    out = model(x)
    assert float(out.bits["selection"].detach()) == pytest.approx(G * 4 * 4, rel=1e-6)
    out.bits["selection"].backward()
    assert float(model.selection_head.net[-1].bias.grad.abs().sum()) > 0
    with torch.no_grad():  # once the last layer is not zero the term reaches h_s through hyper
        torch.nn.init.normal_(model.selection_head.net[-1].weight, std=0.5)
    model.zero_grad()
    model(x).bits["selection"].backward()
    assert float(model.h_s[0].weight.grad.abs().sum()) > 0


def test_raw_training_keeps_one_bit_per_group():
    model = _model("minnen2018-mean", "lvq", options={}, update=False)
    model.train()
    x = torch.rand(1, 3, 64, 64)
    assert float(model(x).bits["selection"].detach()) == G * 4 * 4


# ------------------------------------------------------------------------------ configuration --
def test_state_dict_adds_only_the_selection_head():
    raw = set(_model("minnen2018-ckbd", "lvqac", options={}, update=False).state_dict())
    coded = set(_model("minnen2018-ckbd", "lvqac", update=False).state_dict())
    assert coded - raw == {"selection_head.net.0.weight", "selection_head.net.0.bias",
                           "selection_head.net.2.weight", "selection_head.net.2.bias"}
    assert raw <= coded


def test_the_option_is_checked():
    with pytest.raises(ValueError, match="selection_coding"):
        build_model(architecture="minnen2018-mean", quantizer="lvq", N=8, M=M,
                    quantizer_options={"selection_coding": "zip"})
    with pytest.raises(ValueError, match="lattice"):
        build_model(architecture="minnen2018-mean", quantizer="scalar", N=8, M=M, quantizer_options=RANS)
    cfg = {"architecture": "minnen2018-mean", "quantizer": "scalar", "N": 8, "M": M, "quantizer_options": RANS}
    assert "selection_coding" in config_problem(cfg)
    assert "selection_coding" in config_problem({**cfg, "quantizer": "lvq", "quantizer_options": {"selection_coding": "x"}})
    assert config_problem({**cfg, "quantizer": "lvq"}) is None


def test_train_config_and_cli_flag(tmp_path):
    from lvqac_core.cli.train_cmd import add_arguments, config_from_args

    p = argparse.ArgumentParser()
    add_arguments(p)
    args = p.parse_args(["--data", str(tmp_path), "--out", str(tmp_path / "o"), "--quantizer", "lvq",
                         "--selection-coding", "rans"])
    cfg = config_from_args(args)
    cfg.validate()
    assert cfg.quantizer_settings()["selection_coding"] == "rans"
    raw = config_from_args(p.parse_args(["--data", str(tmp_path), "--out", str(tmp_path / "o"), "--quantizer", "lvq"]))
    assert "selection_coding" not in raw.quantizer_settings()  # raw configs stay as they were
    with pytest.raises(InputError, match="lattice"):
        TrainConfig(data=str(tmp_path), out=str(tmp_path / "o"), quantizer="scalar", selection_coding="rans").validate()
    with pytest.raises(InputError, match="selection coding"):
        TrainConfig(data=str(tmp_path), out=str(tmp_path / "o"), quantizer="lvq", selection_coding="zip").validate()


def test_checkpoint_round_trips_the_head(tmp_path):
    model = _model("minnen2018-ckbd", "lvq")
    save_checkpoint(model, tmp_path / "m.pt", half=False)
    loaded = load_checkpoint(tmp_path / "m.pt")
    assert loaded.config.quantizer_options["selection_coding"] == "rans"
    for k, v in model.selection_head.state_dict().items():
        assert torch.equal(loaded.selection_head.state_dict()[k], v)
    a, b = Codec.from_model(model), Codec.from_model(loaded)
    res = a.compress(smooth_image(64, 64))
    assert np.array_equal(b.decompress(res.data).image, res.reconstruction)


def test_a_raw_checkpoint_initialises_a_new_head(tmp_path):
    save_checkpoint(_model("minnen2018-ckbd", "lvq", options={}, update=False), tmp_path / "raw.pt", half=False)
    model = build_model(architecture="minnen2018-ckbd", quantizer="lvq", N=8, M=M, group_size=M // G,
                        quantizer_options=RANS)
    info = load_init_weights(model, tmp_path / "raw.pt")
    assert sorted(info["new"]) == ["selection_head.net.0.bias", "selection_head.net.0.weight",
                                   "selection_head.net.2.bias", "selection_head.net.2.weight"]
    assert float(model.selection_head.net[-1].weight.detach().abs().sum()) == 0  # still P = ½
