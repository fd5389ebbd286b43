"""The encoder side of a hostile checkpoint: CompressAI's native encoder never sees a
symbol it cannot code (it looped forever on values ≥ 2^27) nor a stream of fewer than 4 symbols
(it wrote before its buffer: SIGABRT), and the bytes we write are still CompressAI's."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from compressai.ans import RansEncoder
from hypothesis import given, settings
from hypothesis import strategies as st

from lvqac_testing import noise_image, tiny_model, write_image
from lvqac_core.entropy.binary import _tables as binary_tables
from lvqac_core.entropy.bottleneck import encode_bottleneck
from lvqac_core.entropy.safe_encode import (MAX_RAW, MIN_NATIVE_SYMBOLS, encode_checked, python_encode,
                                            range_problem)
from lvqac_core.entropy.safe_rans import SafeRansDecoder
from lvqac_core.errors import SymbolRangeError

_MODEL = tiny_model("minnen2018-mean", "lvqac", N=8, M=8)
_MODEL.update(force=True)
BANK = _MODEL.bank


def _tables(indexes):
    return BANK.subset(np.asarray(indexes))


@settings(max_examples=60, deadline=None)
@given(st.integers(MIN_NATIVE_SYMBOLS, 200).flatmap(lambda n: st.tuples(
    st.lists(st.one_of(st.integers(-4, 4), st.integers(-3000, 3000), st.integers(-2**26, 2**26)),
             min_size=n, max_size=n),
    st.lists(st.integers(0, len(BANK.cdfs) - 1), min_size=n, max_size=n))))
def test_python_encoder_writes_compressais_bytes(pair) -> None:
    symbols, indexes = pair
    local, cdfs, lengths, offsets = _tables(indexes)
    assert range_problem(np.asarray(symbols), np.asarray(local), lengths, offsets) is None
    assert python_encode(symbols, local, cdfs, lengths, offsets) == \
        RansEncoder().encode_with_indexes(symbols, local, cdfs, lengths, offsets)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_streams_of_fewer_than_four_symbols_round_trip_without_the_native_encoder(count) -> None:
    rng = np.random.default_rng(count)
    for _ in range(50):
        symbols = rng.integers(-2**20, 2**20, count) * (rng.random(count) < 0.5)
        indexes = rng.integers(0, len(BANK.cdfs), count)
        local, cdfs, lengths, offsets = _tables(indexes)
        data = encode_checked(symbols, np.asarray(local), cdfs, lengths, offsets, "test symbols")
        assert SafeRansDecoder(data).decode(local, cdfs, lengths, offsets) == symbols.tolist()
    cdfs, lengths, offsets = binary_tables()
    data = encode_checked(np.ones(1, np.int32), np.zeros(1, np.int32), cdfs, lengths, offsets, "bits")
    assert SafeRansDecoder(data).decode([0], cdfs, lengths, offsets) == [1]


def test_symbols_beyond_the_coders_range_are_refused_before_native_code() -> None:
    local, cdfs, lengths, offsets = _tables([0] * 8)
    top = lengths[0] - 2 + offsets[0]  # the first escaped value above the table
    limit = MAX_RAW // 2
    ok = np.array([top + limit - 1, offsets[0] - limit] + [0] * 6)
    encode_checked(ok, np.asarray(local), cdfs, lengths, offsets, "latents")  # the largest codable values
    for bad in (top + limit, offsets[0] - limit - 1, 2**31 - 1, -2**31, 2**28, -2**28):
        symbols = np.array([bad] + [0] * 7)
        with pytest.raises(SymbolRangeError, match="outside what the entropy coder can represent") as info:
            encode_checked(symbols, np.asarray(local), cdfs, lengths, offsets, "latents")
        assert "\n" not in str(info.value)


def test_the_range_check_reads_every_chunk(monkeypatch) -> None:
    """range_problem works through large streams a chunk at a time: an out-of-range symbol in the
    last, partial chunk is found as in the first."""
    from lvqac_core.entropy import safe_encode

    monkeypatch.setattr(safe_encode, "_CHUNK", 4)
    local, cdfs, lengths, offsets = _tables([0] * 11)
    top = lengths[0] - 2 + offsets[0]
    for where in (0, 5, 10):
        symbols = np.zeros(11, np.int64)
        symbols[where] = top + MAX_RAW // 2
        assert "outside its table" in range_problem(symbols, np.asarray(local), lengths, offsets)
        symbols[where] = top + MAX_RAW // 2 - 1
        assert range_problem(symbols, np.asarray(local), lengths, offsets) is None


def test_bottleneck_string_is_compressais_and_refuses_huge_or_non_finite_latents() -> None:
    model = tiny_model("minnen2018-ckbd", "lvqac", N=8, M=8)
    model.update(force=True)
    eb = model.entropy_bottleneck
    for shape in ((1, 8, 3, 5), (1, 8, 1, 1)):
        z = torch.randn(*shape) * 40
        if shape[-1] > 1:
            assert encode_bottleneck(eb, z) == eb.compress(z)[0]
        assert torch.equal(model._decode_z(encode_bottleneck(eb, z), shape[-2:]), eb(z, training=False)[0])
    for value in (1e9, -1e12, float("inf"), float("nan")):
        z = torch.zeros(1, 8, 2, 2)
        z[0, 3, 1, 1] = value
        with pytest.raises(SymbolRangeError, match="hyper-latents"):
            encode_bottleneck(eb, z)


def test_a_one_channel_hyper_latent_codes_a_64x64_image() -> None:
    """N = 1 (which the loader now refuses) made CompressAI abort on a one-symbol z stream; the
    encoder alone must survive it too."""
    from lvqac_core.api import Codec

    codec = Codec.from_model(tiny_model("minnen2018-mean", "scalar", N=1, M=8))
    image = noise_image(64, 64)
    data = codec.compress(image).data
    assert codec.decompress(data).image.shape == (64, 64, 3)


def test_huge_weights_are_refused_at_encode_time_with_one_line(tmp_path) -> None:
    """Weights within the loader's bounds can still drive the latents far out of range: the
    encoder refuses (exit 2 in the CLI) instead of looping in CompressAI's escape coder."""
    from lvqac_core import api
    from lvqac_core.checkpoint import save_checkpoint
    from lvqac_core.cli import main

    model = tiny_model("minnen2018-mean", "scalar")
    with torch.no_grad():
        for layer in model.h_a:
            if isinstance(layer, torch.nn.Conv2d):
                layer.weight.mul_(3e3)
                layer.bias.mul_(3e3)
    path = tmp_path / "loud.pt"
    save_checkpoint(model, path, half=False)
    write_image(tmp_path / "x.png", 64, 64, noise=True)
    api._CACHE.clear()
    with pytest.raises(SymbolRangeError):
        api.load_model(str(path), "cpu").compress(noise_image(64, 64))
    assert main(["compress", str(tmp_path / "x.png"), "--model", str(path)]) == 2
    assert not (tmp_path / "x.lvq").exists()
