"""Entropy coding of the selection bits (lvqac_core.entropy.binary)."""
import numpy as np
import pytest
import torch

from lvqac_core.entropy.binary import (PROB_LEVELS, decode_bits, encode_bits, level_index, level_logits,
                                       selection_bits)
from lvqac_core.errors import CorruptFile


def _skewed(n, p1, seed=0):
    rng = np.random.default_rng(seed)
    bits = (rng.random(n) < p1).astype(np.uint8)
    logit = torch.full((n,), float(np.log(p1 / (1 - p1))), dtype=torch.float64)
    return bits, level_index(logit).numpy()


@pytest.mark.parametrize("seed", range(5))
def test_round_trip_bit_exact(seed):
    rng = np.random.default_rng(seed)
    shape = (3, 17, 23)
    bits = rng.integers(0, 2, size=shape).astype(np.uint8)
    levels = rng.integers(0, PROB_LEVELS, size=shape)
    data = encode_bits(bits, levels)
    assert np.array_equal(decode_bits(data, levels), bits)


def test_size_follows_the_probability():
    bits, levels = _skewed(20000, 0.1)
    entropy = -(0.1 * np.log2(0.1) + 0.9 * np.log2(0.9)) * bits.size
    coded = 8 * len(encode_bits(bits, levels))
    assert coded < 0.55 * bits.size  # raw bits would cost 1 bit each
    assert abs(coded - entropy) < 0.03 * entropy + 64
    # the training estimate under the same probability is the same size
    ideal = float(selection_bits(torch.from_numpy(bits), torch.full((bits.size,), float(np.log(0.1 / 0.9)))))
    assert abs(coded - ideal) < 0.03 * ideal + 64


def test_levels_are_symmetric_and_snap_to_nearest():
    lv = level_logits()
    assert lv.size == PROB_LEVELS and np.allclose(lv, -lv[::-1])
    x = torch.tensor([-100.0, -8.0, 0.0, 0.1, 8.0, 100.0, float("nan")])
    idx = level_index(x).tolist()
    assert idx[0] == idx[1] == 0 and idx[4] == idx[5] == PROB_LEVELS - 1
    assert idx[2] == idx[3] == idx[6] == PROB_LEVELS // 2


def test_gradient_reaches_the_logits():
    logits = torch.zeros(10, requires_grad=True)
    selection_bits(torch.ones(10), logits).backward()
    assert (logits.grad < 0).all()  # raising P(1) shortens the code of ones


def test_truncated_or_foreign_streams_are_errors_not_crashes():
    bits, levels = _skewed(4000, 0.3, seed=1)
    data = encode_bits(bits, levels)
    for cut in (0, 4, 8, len(data) // 2, len(data) - 4):
        with pytest.raises(CorruptFile):
            decode_bits(data[:cut], levels)
    rng = np.random.default_rng(2)
    for _ in range(50):
        junk = rng.integers(0, 256, size=4 * int(rng.integers(2, 40)), dtype=np.uint8).tobytes()
        try:
            out = decode_bits(junk, levels[:200])
        except CorruptFile:
            continue
        assert set(np.unique(out)) <= {0, 1}


def test_empty():
    assert encode_bits(np.zeros(0, np.uint8), np.zeros(0, np.int64)) == b""
    assert decode_bits(b"", np.zeros((0, 4), np.int64)).shape == (0, 4)
    with pytest.raises(CorruptFile):
        decode_bits(b"\0" * 8, np.zeros(0, np.int64))
