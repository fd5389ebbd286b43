"""The bounds-checked rANS decoder: same symbols as CompressAI's coder on valid streams, a
clean refusal (never an out-of-bounds read) on anything else."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from compressai.ans import RansEncoder
from hypothesis import given, settings
from hypothesis import strategies as st

from lvqac_testing import tiny_model
from lvqac_core.entropy.safe_rans import SafeRansDecoder
from lvqac_core.errors import CorruptFile, DesyncError, LvqFormatError

_MODEL = tiny_model("minnen2018-mean", "lvqac")
_MODEL.update(force=True)
BANK = _MODEL.bank

# CompressAI's encoder sizes its buffer by the symbol count and corrupts the heap for fewer than
# 4 symbols (our models always code at least 48): the tests code 4 or more.
symbols_and_tables = st.integers(4, 400).flatmap(lambda n: st.tuples(
    st.lists(st.one_of(st.integers(-4, 4), st.integers(-3000, 3000), st.integers(-2**20, 2**20)),
             min_size=n, max_size=n),
    st.lists(st.integers(0, len(BANK.cdfs) - 1), min_size=n, max_size=n),
))


def _encode(symbols, indexes) -> tuple[bytes, tuple]:
    local, cdfs, lengths, offsets = BANK.subset(np.asarray(indexes))
    data = RansEncoder().encode_with_indexes(list(symbols), local, cdfs, lengths, offsets)
    return data, (local, cdfs, lengths, offsets)


@settings(max_examples=30, deadline=None)
@given(symbols_and_tables, st.integers(0, 400))
def test_same_symbols_as_compressai_on_valid_streams(pair, split) -> None:
    symbols, indexes = pair
    data, (local, cdfs, lengths, offsets) = _encode(symbols, indexes)
    dec = SafeRansDecoder(data)
    split = min(split, len(symbols))
    out = dec.decode(local[:split], cdfs, lengths, offsets) + dec.decode(local[split:], cdfs, lengths, offsets)
    assert out == list(symbols)


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=200), st.integers(0, 2000), st.lists(st.integers(0, len(BANK.cdfs) - 1), min_size=1,
                                                               max_size=8))
def test_arbitrary_streams_decode_or_refuse(stream, count, tables) -> None:
    indexes = [tables[i % len(tables)] for i in range(count)]
    try:
        dec = SafeRansDecoder(stream, "y", overrun=DesyncError)
        out = dec.decode(indexes, BANK.cdfs, BANK.lengths, BANK.offsets)
    except LvqFormatError as e:
        assert str(e) and "\n" not in str(e)
        if len(stream) % 4 or len(stream) < 8:
            assert isinstance(e, CorruptFile)
        return
    assert len(out) == count and all(-2**31 <= v < 2**31 for v in out)
    assert dec.words_left >= 0


def test_every_truncation_of_a_valid_stream_is_refused_or_desyncs() -> None:
    rng = np.random.default_rng(1)
    symbols = rng.integers(-20, 20, 3000).tolist()
    indexes = rng.integers(0, len(BANK.cdfs), 3000).tolist()
    data, (local, cdfs, lengths, offsets) = _encode(symbols, indexes)
    for cut in range(0, len(data), 4):
        try:
            out = SafeRansDecoder(data[:cut]).decode(local, cdfs, lengths, offsets)
        except CorruptFile:
            continue
        assert out != symbols  # a prefix cannot hold all the symbols' information


def test_hyper_latent_decoding_matches_compressai() -> None:
    model = tiny_model("minnen2018-ckbd", "lvqac")
    model.update(force=True)
    z = torch.randn(1, model.config.N, 3, 5) * 4
    string = model.entropy_bottleneck.compress(z)[0]
    want = model.entropy_bottleneck.decompress([string], (3, 5))
    assert torch.equal(model._decode_z(string, (3, 5)), want)
    for bad in (b"", string[:5], string[:4]):
        with pytest.raises(CorruptFile):
            model._decode_z(bad, (30, 50))
