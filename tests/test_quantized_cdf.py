"""The vectorised CDF quantizer gives CompressAI's integers, table for table."""
from __future__ import annotations

import numpy as np
import pytest

from lvqac_core.compressai_parts import pmf_to_quantized_cdf
from lvqac_core.entropy.quantized_cdf import quantized_cdf, quantized_cdfs


def _pmfs():
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 7, 40, 400, 3000):
        yield rng.dirichlet(np.ones(n))  # spread out
        x = np.arange(n) - n / 2  # discretised Gaussians: long tails of zeros after rounding
        for s in (0.3, 2.0, n / 8 + 0.1):
            g = np.exp(-0.5 * (x / s) ** 2)
            yield g / g.sum()
        t = rng.random(n) ** 8  # many tiny masses, ties among small frequencies
        yield t / t.sum()
    yield np.array([0.5, 0.5, 0.0, 0.0, 1e-12])
    yield np.array([1.0 - 1e-9, 1e-9])
    yield np.full(200, 1 / 200)  # ties everywhere
    yield np.array([0.49999997 / 65536, 0.5 / 65536, 1.5 / 65536, 1.0])  # half-way roundings


@pytest.mark.parametrize("precision", [16, 12])
def test_same_integers_as_compressai(precision):
    for pmf in _pmfs():
        assert quantized_cdf(pmf, precision) == list(pmf_to_quantized_cdf(pmf.tolist(), precision)), pmf[:8]


def test_bad_pmfs_are_refused_as_compressai_refuses_them():
    for bad in (np.array([0.5, -0.1, 0.6]), np.array([0.5, np.nan]), np.zeros(4)):
        with pytest.raises(Exception) as ours:
            quantized_cdf(bad)
        with pytest.raises(Exception) as theirs:
            pmf_to_quantized_cdf(bad.tolist(), 16)
        assert type(ours.value) is type(theirs.value)


@pytest.mark.parametrize("precision", [16, 12])
def test_many_tables_at_once_give_each_tables_integers(precision):
    """quantized_cdfs over all the pmfs above, one after another in a shuffled order."""
    pmfs = list(_pmfs())
    order = np.random.default_rng(1).permutation(len(pmfs))
    pmfs = [pmfs[i] for i in order]
    got = quantized_cdfs(np.concatenate(pmfs), [len(p) for p in pmfs], precision)
    assert got == [list(pmf_to_quantized_cdf(p.tolist(), precision)) for p in pmfs]


def test_many_tables_refuse_a_bad_table_as_one_table_does():
    good = np.array([0.25, 0.75])
    for bad in (np.array([0.5, -0.1, 0.6]), np.array([0.5, np.nan]), np.array([1e-9, 1e-9, 1e-9])):
        with pytest.raises(Exception) as many:
            quantized_cdfs(np.concatenate([good, bad, good]), [2, len(bad), 2])
        with pytest.raises(Exception) as one:
            quantized_cdf(bad)
        assert type(many.value) is type(one.value)
    with pytest.raises(ValueError, match="concatenation"):
        quantized_cdfs(good, [3])
