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

__all__ = ["quantized_cdf"]


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
