"""The decoding orders are latent codecs (parallel, checkerboard, raster scan) behind one
interface; each registered one codes and decodes the same ŷ, and a taken name cannot be reused."""
from __future__ import annotations

import pytest
import torch

from lvqac_core.compressai_parts import LowerBound
from lvqac_core.errors import CorruptFile
from lvqac_core.models import build_model
from lvqac_core.models.latent_codecs import AHead, LatentCodec
from lvqac_core.quantizers import build_quantizer
from lvqac_core.registry import DECODING_ORDER_REGISTRY

M = 8


def _codec(order: str, quantizer: str, seed: int = 0, **options) -> LatentCodec:
    torch.manual_seed(seed)
    cls = DECODING_ORDER_REGISTRY.get(order)
    q = build_quantizer(quantizer, M, 4, **options)
    head = AHead.for_quantizer(2 * M, q)
    if head is not None:  # A varies over the grid, both sides of the identity
        torch.nn.init.normal_(head.net[-1].weight, std=0.5)
    modules = [q, head, cls.build_context(M), cls.build_entropy_parameters(M), LowerBound(0.11)]
    for m in modules:
        if m is not None:
            m.eval()
    codec = cls(*modules)
    codec.update()
    return codec


def test_the_three_orders_are_registered():
    assert {"parallel", "checkerboard", "raster-scan"} <= set(DECODING_ORDER_REGISTRY)
    for name in DECODING_ORDER_REGISTRY:
        assert issubclass(DECODING_ORDER_REGISTRY.get(name), LatentCodec)


@pytest.mark.parametrize("quantizer", ["scalar", "lvq", "lvqac"])
@pytest.mark.parametrize("order", sorted(DECODING_ORDER_REGISTRY))
def test_every_registered_order_round_trips(order, quantizer):
    codec = _codec(order, quantizer)
    y = torch.randn(1, M, 5, 7) * 4
    hyper = torch.randn(1, 2 * M, 5, 7)
    with torch.inference_mode():
        enc = codec.compress(y, hyper)
        dec = codec.decompress(enc.sections, hyper)
    assert set(enc.sections) == ({"y", "selection"} if quantizer != "scalar" else {"y"})
    assert torch.equal(enc.y_hat, dec.y_hat)
    assert enc.checksum == dec.checksum and torch.equal(enc.bits, dec.bits)
    assert (enc.selection is None) == (quantizer == "scalar")
    if enc.selection is not None:
        assert torch.equal(enc.selection, dec.selection)
    assert (enc.a is None) == (quantizer != "lvqac")
    assert (y - enc.y_hat).abs().max() < 4  # ŷ is a quantization of y, not noise
    if order != "raster-scan":  # the serial order's training context is round(y), not ŷ
        with torch.inference_mode():  # the float coding networks (format 1) are the training pass's
            legacy = codec.compress(y, hyper, exact=False)
        with torch.no_grad():
            assert torch.equal(codec.forward(y, hyper).y_hat, legacy.y_hat)


@pytest.mark.parametrize("quantizer,options", [("scalar", {}), ("lvq", {}), ("lvqac", {}),
                                               ("lvqac", {"compander": "exp", "v_scale": "sigma"})])
@pytest.mark.parametrize("chunk", [M, 3 * M, 10 * M])
def test_a_pass_in_chunks_codes_the_same_stream(monkeypatch, quantizer, options, chunk):
    """Large images code each checkerboard pass in chunks of positions (bounded memory): the
    sections, ŷ, bits map and checksum are those of one piece, and each decodes the other's file."""
    from lvqac_core.models.latent_codecs import base

    codec = _codec("checkerboard", quantizer, **options)
    y = torch.randn(1, M, 9, 11) * 4
    hyper = torch.randn(1, 2 * M, 9, 11)
    with torch.inference_mode():
        whole = codec.compress(y, hyper)
        monkeypatch.setattr(base, "CHUNK_ELEMENTS", chunk)  # 1, 3 or 10 positions at a time
        parts = codec.compress(y, hyper)
        decoded = codec.decompress(whole.sections, hyper)
    assert parts.sections == whole.sections and parts.checksum == whole.checksum
    for got in (parts, decoded):
        assert torch.equal(got.y_hat, whole.y_hat) and torch.equal(got.bits, whole.bits)
        assert got.checksum == whole.checksum
        if whole.selection is not None:
            assert torch.equal(got.selection, whole.selection)


def test_a_short_selection_section_is_a_corrupt_file():
    codec = _codec("parallel", "lvq")
    y, hyper = torch.randn(1, M, 4, 4), torch.randn(1, 2 * M, 4, 4)
    with torch.inference_mode():
        enc = codec.compress(y, hyper)
        with pytest.raises(CorruptFile, match="selection section"):
            codec.decompress({**enc.sections, "selection": enc.sections["selection"][:-1]}, hyper)


def test_registering_a_taken_decoding_order_fails():
    class Another(LatentCodec):
        pass

    before = DECODING_ORDER_REGISTRY.get("checkerboard")
    with pytest.raises(ValueError, match="decoding order 'checkerboard' is registered twice"):
        DECODING_ORDER_REGISTRY.register("checkerboard")(Another)
    assert DECODING_ORDER_REGISTRY.get("checkerboard") is before


@pytest.mark.parametrize("architecture,order", [("minnen2018-mean", "parallel"), ("cheng2020-ckbd", "checkerboard"),
                                                ("minnen2018", "raster-scan")])
def test_model_holds_its_order_over_its_own_modules(architecture, order):
    model = build_model(architecture=architecture, quantizer="lvqac", N=8, M=12)
    lc = model.latent_codec
    assert type(lc) is DECODING_ORDER_REGISTRY.get(order)
    assert lc.quantizer is model.quantizer and lc.a_head is model.a_head and lc.context is model.context
    assert lc.entropy_parameters is model.entropy_parameters
    assert not any(name.startswith("latent_codec") for name in model.state_dict())
    model.eval()
    assert not lc.training
    model.train()
    assert lc.training
