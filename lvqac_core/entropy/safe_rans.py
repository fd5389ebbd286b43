"""A bounds-checked rANS decoder for streams read from files.

CompressAI's C++ ``RansDecoder`` trusts its input: it reads the stream through a raw pointer
without checking the end, so a crafted string that is shorter than its symbol count lets it
read past the buffer (a crafted 195-byte ``.lvq`` file made ``lvqac decompress`` die with
SIGSEGV). This module decodes exactly the same bit stream (CompressAI's Rans64 layout with
4-bit bypass coding of out-of-range values, 16-bit precision) in Python and raises
:class:`~lvqac_core.errors.CorruptFile` instead of reading past the end; symbols decoded from a
damaged stream are caught later by the symbols CRC32 of the file.

Encoding (the bytes we write ourselves) still uses CompressAI's C++ coder.
"""
from __future__ import annotations

from bisect import bisect_right
from typing import Sequence

import numpy as np

from ..errors import CorruptFile, LvqFormatError

__all__ = ["SafeRansDecoder", "PRECISION"]

PRECISION = 16
_MASK = (1 << PRECISION) - 1
_RANS_L = 1 << 31
_BYPASS_BITS = 4
_BYPASS_MAX = (1 << _BYPASS_BITS) - 1
_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
_MAX_BYPASS_GROUPS = 8  # the encoder codes 32-bit values: at most eight 4-bit groups


class SafeRansDecoder:
    """Decodes one rANS string (as CompressAI's ``RansEncoder`` writes it) in chunks.

    The stream must be a whole number of 32-bit words and hold at least the two words of the
    initial state, else ``CorruptFile`` is raised (``what`` names the section). Decoding that
    would read past the end raises ``overrun`` (``CorruptFile`` unless told otherwise: the
    latent decoder passes ``DesyncError``, as a decoder whose parameters differ from the
    encoder's also runs off its stream).
    """

    def __init__(self, data: bytes, what: str = "rANS stream",
                 overrun: type[LvqFormatError] = CorruptFile):
        self._what = what
        self._overrun_error = overrun
        if len(data) % 4 or len(data) < 8:
            raise CorruptFile(f"corrupt .lvq file: {what} holds {len(data)} bytes, not a whole "
                              f"rANS stream (a multiple of 4 bytes, at least 8)")
        self._words = np.frombuffer(data, dtype="<u4").tolist()
        self._x = self._words[0] | (self._words[1] << 32)
        self._pos = 2

    def _overrun(self) -> LvqFormatError:
        return self._overrun_error(
            f"the {self._what} of the .lvq file ends before all its symbols are decoded: the "
            f"file is damaged, or was written on another device or with other weights")

    @property
    def words_left(self) -> int:
        return len(self._words) - self._pos

    def decode(self, indexes: Sequence[int], cdfs: Sequence[Sequence[int]],
               lengths: Sequence[int], offsets: Sequence[int]) -> list[int]:
        """Decode ``len(indexes)`` symbols, symbol i with table ``indexes[i]``.

        Same arguments as CompressAI's ``decode_with_indexes``; tables must be valid
        (``cdf[0] == 0``, strictly increasing, last entry ``1 << 16``), which holds for the
        tables the models build themselves.
        """
        words = self._words
        nw = len(words)
        pos = self._pos
        x = self._x
        out = [0] * len(indexes)
        tables = [(cdfs[t], lengths[t] - 2, offsets[t]) for t in range(len(cdfs))]
        for i, t in enumerate(indexes):
            cdf, max_value, offset = tables[t]
            cum = x & _MASK
            s = bisect_right(cdf, cum, 0, max_value + 2) - 1
            start = cdf[s]
            x = (cdf[s + 1] - start) * (x >> PRECISION) + cum - start
            if x < _RANS_L:
                if pos >= nw:
                    raise self._overrun()
                x = (x << 32) | words[pos]
                pos += 1
            if s != max_value:
                out[i] = s + offset
                continue
            # bypass: the value follows in 4-bit groups, preceded by their count (unary-ish)
            groups = 0
            while True:
                val = x & _BYPASS_MAX
                x >>= _BYPASS_BITS
                if x < _RANS_L:
                    if pos >= nw:
                        raise self._overrun()
                    x = (x << 32) | words[pos]
                    pos += 1
                groups += val
                if val != _BYPASS_MAX:
                    break
                if groups > _MAX_BYPASS_GROUPS:
                    raise CorruptFile(f"corrupt .lvq file: invalid escape code in the "
                                      f"{self._what}")
            if groups > _MAX_BYPASS_GROUPS:
                raise CorruptFile(f"corrupt .lvq file: invalid escape code in the {self._what}")
            raw = 0
            for j in range(groups):
                val = x & _BYPASS_MAX
                x >>= _BYPASS_BITS
                if x < _RANS_L:
                    if pos >= nw:
                        raise self._overrun()
                    x = (x << 32) | words[pos]
                    pos += 1
                raw |= val << (_BYPASS_BITS * j)
            value = raw >> 1
            value = (-value - 1 if raw & 1 else value + max_value) + offset
            if not _INT32_MIN <= value <= _INT32_MAX:
                raise CorruptFile(f"corrupt .lvq file: invalid escape code in the {self._what}")
            out[i] = value
        self._pos = pos
        self._x = x
        return out
