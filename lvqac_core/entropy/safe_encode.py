"""rANS encoding that gives CompressAI's native encoder only inputs proven in its range.

CompressAI 1.2.8's ``RansEncoder.encode_with_indexes`` (``rans_interface.cpp``) trusts its
input, and its asserts are compiled out. Two of its paths misbehave on values a hostile
checkpoint can produce:

- **Escapes.** A value v = symbol − offset outside [0, max_value) is escape-coded as
  raw = −2v − 1 (v < 0) or 2(v − max_value), computed in int32, then split into 4-bit groups
  with ``while ((raw >> (4 · n)) != 0) ++n``. For raw ≥ 2^28 that shifts a 32-bit value by 32
  (undefined; on x86 a no-op, so the loop never ends and ignores Ctrl-C), and −2v overflows
  int32 for |v| ≥ 2^30. :func:`range_problem` therefore requires raw < 2^28 for every symbol,
  computed in int64 (|v| below about 2^27), before the encoder is called.
- **Short streams.** ``flush()`` writes into a buffer of one 32-bit word per coded entry (each
  symbol, plus each escape group), backwards from its end: every renormalisation word and the
  two words of the final state. Each entry adds at most 16 bits of information to the state
  (a frequency ≥ 1 in 2^16; an escape group 4 bits), the state stays in [2^31, 2^64) and each
  word takes 32 bits out, so n entries write at most ⌊n/2⌋ + 2 words: within the buffer for
  n ≥ 4, past its start for fewer (1 symbol: 2 words into a 1-word buffer, "double free or
  corruption"). Streams of fewer than :data:`MIN_NATIVE_SYMBOLS` symbols are encoded by
  :func:`python_encode`, which writes the same bytes.

Table indexes are checked against the number of tables and the tables themselves (``cdf[0]``
= 0, strictly increasing, ``cdf[length − 1]`` = 2^16, 2 ≤ length ≤ len(cdf)) by
:class:`~lvqac_core.entropy.safe_rans.DecodeTables`' checks, so the encoder's table reads
stay inside them too.
"""
from __future__ import annotations

import array
from typing import Sequence

import numpy as np

from ..compressai_parts import RansEncoder
from ..errors import SymbolRangeError

__all__ = ["encode_checked", "python_encode", "range_problem", "MIN_NATIVE_SYMBOLS", "MAX_RAW"]

MIN_NATIVE_SYMBOLS = 4
MAX_RAW = 1 << 28  # escape values must stay below this: at most seven 4-bit groups
_CHUNK = 1 << 20  # symbols checked at a time (bounds range_problem's memory on large images)
_PRECISION = 16
_BYPASS_BITS = 4
_RANS_L = 1 << 31
_U64 = (1 << 64) - 1


def range_problem(symbols: np.ndarray, indexes: np.ndarray, lengths: Sequence[int],
                  offsets: Sequence[int]) -> str | None:
    """Why CompressAI's encoder cannot code ``symbols`` with these tables, or None."""
    s = np.asarray(symbols).ravel()
    idx = np.asarray(indexes).ravel()
    if s.shape != idx.shape:
        return f"{s.size} symbols but {idx.size} table indexes"
    if s.size == 0:
        return None
    if not np.issubdtype(s.dtype, np.integer) or not np.issubdtype(idx.dtype, np.integer):
        return "symbols and table indexes must be integers"
    if int(idx.min()) < 0 or int(idx.max()) >= len(lengths):
        return "a table index lies outside the tables"
    if int(s.min()) < -(1 << 31) or int(s.max()) >= 1 << 31:
        return "a symbol lies outside int32"
    offsets64 = np.asarray(offsets, dtype=np.int64)
    max_values = np.asarray(lengths, dtype=np.int64) - 2
    worst = 0
    for a in range(0, s.size, _CHUNK):  # int64 temporaries of one chunk at a time (8 bytes per symbol each)
        ci = idx[a:a + _CHUNK]
        value = s[a:a + _CHUNK].astype(np.int64) - offsets64[ci]
        max_value = max_values[ci]
        raw = np.where(value < 0, -2 * value - 1, np.where(value >= max_value, 2 * (value - max_value), 0))
        worst = max(worst, int(raw.max()))
    if worst >= MAX_RAW:
        return f"a symbol lies {worst // 2} steps outside its table (the coder's limit is {MAX_RAW // 2})"
    return None


def encode_checked(symbols: np.ndarray, indexes: np.ndarray, cdfs: Sequence[Sequence[int]],
                   lengths: Sequence[int], offsets: Sequence[int], what: str) -> bytes:
    """One rANS string of ``symbols`` (symbol i with table ``indexes[i]``), CompressAI's format.

    Symbols the coder cannot represent raise :class:`~lvqac_core.errors.SymbolRangeError`
    (``what`` names them) before any native code runs; fewer than :data:`MIN_NATIVE_SYMBOLS`
    symbols are encoded in Python. The tables must already be checked (the callers build them
    from :class:`~lvqac_core.entropy.safe_rans.DecodeTables`-checked banks or constants).
    """
    problem = range_problem(symbols, indexes, lengths, offsets)
    if problem:
        raise SymbolRangeError(f"the model's {what} fall outside what the entropy coder can represent "
                               f"({problem}): its weights are damaged or hostile, or the image drives "
                               f"them far outside their training range")
    s = np.asarray(symbols).ravel().astype(np.int32, copy=False)  # no copy of int32 input
    idx = np.asarray(indexes).ravel().astype(np.int32, copy=False)
    if s.size == 0:
        return b""
    if s.size < MIN_NATIVE_SYMBOLS:
        return python_encode(s.tolist(), idx.tolist(), cdfs, lengths, offsets)
    # array.array: a sequence of the same ints without a Python list of them (4 bytes per symbol
    # instead of 8 or more; the native encoder copies them into its own vectors either way)
    return RansEncoder().encode_with_indexes(_int_sequence(s), _int_sequence(idx), [list(c) for c in cdfs],
                                             list(lengths), list(offsets))


def _int_sequence(values: np.ndarray) -> Sequence[int]:
    """int32 ``values`` as an ``array.array`` of C ints (a list where a C int is not 4 bytes)."""
    if array.array("i").itemsize != 4:
        return values.tolist()
    out = array.array("i")
    out.frombytes(memoryview(np.ascontiguousarray(values)).cast("B"))  # one copy (tobytes would make two)
    return out


def python_encode(symbols: Sequence[int], indexes: Sequence[int], cdfs: Sequence[Sequence[int]],
                  lengths: Sequence[int], offsets: Sequence[int]) -> bytes:
    """The bytes CompressAI's ``RansEncoder.encode_with_indexes`` writes, in Python (any count;
    symbols must pass :func:`range_problem`). Used for streams too short for the native one."""
    entries: list[tuple[int, int, bool]] = []  # (start, freq, bypass), in coding order
    for symbol, t in zip(symbols, indexes):
        cdf, max_value = cdfs[t], lengths[t] - 2
        value = symbol - offsets[t]
        raw = 0
        if value < 0:
            raw, value = -2 * value - 1, max_value
        elif value >= max_value:
            raw, value = 2 * (value - max_value), max_value
        entries.append((cdf[value], cdf[value + 1] - cdf[value], False))
        if value == max_value:
            n = 0
            while raw >> (n * _BYPASS_BITS):
                n += 1
            count = n
            while count >= 15:
                entries.append((15, 0, True))
                count -= 15
            entries.append((count, 0, True))
            entries.extend(((raw >> (j * _BYPASS_BITS)) & 15, 0, True) for j in range(n))
    x = _RANS_L
    words: list[int] = []  # emitted last word first
    for start, freq, bypass in reversed(entries):
        if bypass:
            x_max = ((_RANS_L >> _PRECISION) << 32) * (1 << (_PRECISION - _BYPASS_BITS))
            if x >= x_max:
                words.append(x & 0xFFFFFFFF)
                x >>= 32
            x = ((x << _BYPASS_BITS) | start) & _U64
        else:
            x_max = ((_RANS_L >> _PRECISION) << 32) * freq
            if x >= x_max:
                words.append(x & 0xFFFFFFFF)
                x >>= 32
            x = (((x // freq) << _PRECISION) + (x % freq) + start) & _U64
    words.append(x >> 32)
    words.append(x & 0xFFFFFFFF)
    return np.asarray(words[::-1], dtype="<u4").tobytes()
