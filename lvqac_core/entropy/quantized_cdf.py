"""CompressAI's ``pmf_to_quantized_cdf``, the same integers without its quadratic repair loop.

CompressAI (``rans_interface.cpp``) quantizes a pmf to a 16-bit CDF in three steps:

1. ``f_i = round(float32(p_i) · 2^16)`` (half away from zero), ``total = Σ f_i``;
2. ``g_i = ⌊2^16 · f_i / total⌋``, CDF = running sum of g with its last entry set to 2^16;
3. every symbol left with frequency 0 takes one unit from the symbol with the smallest
   frequency above 1 (the first such index on a tie), scanning the symbols in order.

Step 3 rescans the whole table for each zero: a cell table of the LVQAC models holds about 430
symbols of which about 180 are zeros (the far tails), which made building the 2 176 tables of
the default model take half a second. Which symbol a steal takes depends only on the current
frequencies, and a steal never creates a zero, so the result does not depend on where the zeros
are, only on how many (z): the donors are the symbols with frequency above 1 ordered by
(frequency, index), each drained to 1 before the next gives (after one steal it is the strict
minimum again), until z units are taken. That is computed here in a few vectorised steps;
``tests/test_quantized_cdf.py`` compares it with CompressAI's function.
"""
from __future__ import annotations

import numpy as np

from ..compressai_parts import pmf_to_quantized_cdf

__all__ = ["quantized_cdf", "quantized_cdfs"]


def quantized_cdf(pmf: np.ndarray, precision: int = 16) -> list[int]:
    """``pmf_to_quantized_cdf(list(pmf), precision)``: len(pmf) + 1 integers from 0 to 2^precision."""
    p = np.asarray(pmf, dtype=np.float32)
    if p.ndim != 1 or p.size == 0 or not np.all(np.isfinite(p)) or np.any(p < 0):
        return pmf_to_quantized_cdf(np.asarray(pmf, dtype=np.float64).tolist(), precision)  # raises as CompressAI does
    one = 1 << precision
    f = np.floor(p.astype(np.float64) * one + 0.5).astype(np.int64)  # float32·2^k is exact: round half up
    total = int(f.sum())
    if total == 0:
        return pmf_to_quantized_cdf(p.astype(np.float64).tolist(), precision)
    cdf = np.empty(p.size + 1, dtype=np.int64)
    cdf[0] = 0
    np.cumsum((one * f) // total, out=cdf[1:])
    cdf[-1] = one
    freq = np.diff(cdf)
    zero = freq == 0
    z = int(zero.sum())
    if z:
        donors = np.flatnonzero(freq > 1)
        donors = donors[np.argsort(freq[donors], kind="stable")]  # by (frequency, index)
        taken = np.cumsum(freq[donors] - 1)
        k = int(np.searchsorted(taken, z))  # donors[:k] drained to 1, donors[k] gives the rest
        if k >= donors.size:  # not enough units to repair (cannot happen at 16 bits): CompressAI's path
            return pmf_to_quantized_cdf(p.astype(np.float64).tolist(), precision)
        freq[donors[:k]] = 1
        freq[donors[k]] -= z - (int(taken[k - 1]) if k else 0)
        freq[zero] = 1
        np.cumsum(freq, out=cdf[1:])
    return cdf.tolist()


def quantized_cdfs(pmfs: np.ndarray, lengths: np.ndarray, precision: int = 16) -> list[list[int]]:
    """:func:`quantized_cdf` of many pmfs at once: ``pmfs`` holds them one after another, the i-th
    ``lengths[i]`` long. The same integers, table for table, in a few array passes over all of them
    (the steps above, per segment); a table the fast path cannot take goes through
    :func:`quantized_cdf` alone."""
    lengths = np.asarray(lengths, dtype=np.int64)
    p = np.asarray(pmfs, dtype=np.float32)
    if p.ndim != 1 or lengths.ndim != 1 or np.any(lengths < 1) or int(lengths.sum()) != p.size:
        raise ValueError("pmfs must be the concatenation of len(lengths) non-empty pmfs")
    one = 1 << precision
    n = lengths.size
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    seg = np.repeat(np.arange(n), lengths)
    ok = np.logical_and.reduceat(np.isfinite(p) & (p >= 0), starts)
    p = np.where(ok[seg], p, np.float32(0))  # a table the fast path refuses adds nothing to the others' sums
    f = np.floor(p.astype(np.float64) * one + 0.5).astype(np.int64)  # float32·2^k is exact: round half up
    total = np.add.reduceat(f, starts)
    ok &= total > 0
    freq = (one * f) // np.maximum(total, 1)[seg]
    last = starts + lengths - 1  # the CDF's last entry is 2^precision: the last symbol takes the rest
    freq[last] = one - (np.add.reduceat(freq, starts) - freq[last])
    zero = freq == 0
    z = np.add.reduceat(zero.astype(np.int64), starts)
    donor = np.flatnonzero(freq > 1)
    order = donor[np.lexsort((donor, freq[donor], seg[donor]))]  # by (table, frequency, index)
    spare = freq[order] - 1
    taken = np.cumsum(spare)
    first = np.searchsorted(seg[order], np.arange(n))  # each table's first donor in ``order``
    before = np.concatenate([[0], taken])[first]  # units of the tables before it
    ok &= np.bincount(seg[order], weights=spare, minlength=n) >= z  # else CompressAI's path (not at 16 bits)
    taken_before = taken - spare - before[seg[order]]  # units this table gave before this donor
    freq[order] -= np.clip(z[seg[order]] - taken_before, 0, spare)
    freq[zero] = 1
    cdf = np.empty(p.size + n, dtype=np.int64)  # each table: 0, then the running sum of its frequencies
    out_starts = starts + np.arange(n)
    cdf[out_starts] = 0
    inner = np.ones(cdf.size, dtype=bool)
    inner[out_starts] = False
    run = np.cumsum(freq)
    cdf[inner] = run - np.concatenate([[0], run[last[:-1]]])[seg]
    out = []
    for i in range(n):
        if ok[i]:
            out.append(cdf[out_starts[i]:out_starts[i] + lengths[i] + 1].tolist())
        else:
            out.append(quantized_cdf(np.asarray(pmfs)[starts[i]:starts[i] + lengths[i]], precision))
    return out
