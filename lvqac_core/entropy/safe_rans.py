"""A bounds-checked rANS decoder for streams read from files.

CompressAI's C++ ``RansDecoder`` trusts its input: it reads the stream through a raw pointer
without checking the end, so a crafted string that is shorter than its symbol count lets it
read past the buffer (a crafted 195-byte ``.lvq`` file made ``lvqac decompress`` die with
SIGSEGV). This module decodes exactly the same bit stream (CompressAI's Rans64 layout with
4-bit bypass coding of out-of-range values, 16-bit precision) and raises
:class:`~lvqac_core.errors.CorruptFile` instead of reading past the end; symbols decoded from a
damaged stream are caught later by the symbols CRC32 of the file.

Two implementations decode the same symbols and refuse the same streams with the same errors:
the compiled ``_ransdec`` extension (``_ransdec.c``, built by ``pip install``; every word read
is checked against the end of the stream, tables are checked once when built) and the
pure-Python loop below, used where the extension could not be built. ``NATIVE`` says which.

Encoding (the bytes we write ourselves) still uses CompressAI's C++ coder.
"""
from __future__ import annotations

from bisect import bisect_right
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence

import numpy as np

from ..errors import CorruptFile, LvqFormatError

try:
    from . import _ransdec as _native
except ImportError:  # no compiled extension (no C compiler at install): the Python loop decodes
    _native = None

__all__ = ["SafeRansDecoder", "DecodeTables", "PRECISION", "NATIVE", "python_decoder"]

NATIVE = _native is not None
_prefer_native = True
PRECISION = 16
_MASK = (1 << PRECISION) - 1
_RANS_L = 1 << 31
_BYPASS_BITS = 4
_BYPASS_MAX = (1 << _BYPASS_BITS) - 1
_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
_MAX_BYPASS_GROUPS = 8  # the encoder codes 32-bit values: at most eight 4-bit groups
_OK, _OVERRUN, _ESCAPE, _BAD_INDEX = 0, 1, 2, 3  # status codes of both implementations


@contextmanager
def python_decoder() -> Iterator[None]:
    """Decoders created inside use the pure-Python loop (benchmarks compare the two; not
    thread-safe)."""
    global _prefer_native
    before, _prefer_native = _prefer_native, False
    try:
        yield
    finally:
        _prefer_native = before


class DecodeTables:
    """Decoding tables (CompressAI's ``cdfs, lengths, offsets``), checked once.

    Table t is ``cdfs[t][:lengths[t]]``; symbol s stands for ``s + offsets[t]`` and
    ``s == lengths[t] - 2`` is the escape. The compiled decoder copies the tables and refuses
    (``ValueError``) any that is not a valid 16-bit CDF (starts at 0, strictly increasing, ends
    at 2^16), which the tables the models build always are.
    """

    def __init__(self, cdfs: Sequence[Sequence[int]], lengths: Sequence[int], offsets: Sequence[int]):
        self.cdfs = [list(map(int, c)) for c in cdfs]
        self.lengths = [int(n) for n in lengths]
        self.offsets = [int(o) for o in offsets]
        if _native is not None:
            self.native = _native.Tables(self.cdfs, self.lengths, self.offsets)  # checks them
        else:
            self.native = None
            _check_tables(self.cdfs, self.lengths, self.offsets)
        self._python: Optional[list[tuple[list[int], int, int]]] = None

    def __len__(self) -> int:
        return len(self.cdfs)

    def __reduce__(self):  # copy/pickle by value (the compiled tables are rebuilt)
        return DecodeTables, (self.cdfs, self.lengths, self.offsets)

    def python(self) -> list[tuple[list[int], int, int]]:
        """(cdf, escape symbol, offset) per table, for the pure-Python loop."""
        if self._python is None:
            self._python = [(c, n - 2, o) for c, n, o in zip(self.cdfs, self.lengths, self.offsets)]
        return self._python


def _check_tables(cdfs: list[list[int]], lengths: list[int], offsets: list[int]) -> None:
    """The checks ``_ransdec.Tables`` makes, for the pure-Python path (same ``ValueError``)."""
    if not len(cdfs) == len(lengths) == len(offsets):
        raise ValueError("cdfs, lengths and offsets differ in length")
    for t, (cdf, n, off) in enumerate(zip(cdfs, lengths, offsets)):
        if not 2 <= n <= min(len(cdf), 1 << 20):
            raise ValueError(f"table {t}: length {n} invalid")
        if off < _INT32_MIN or off + n > _INT32_MAX:
            raise ValueError(f"table {t}: offset {off} out of range")
        c = np.asarray(cdf[:n], dtype=np.int64)
        if c[0] != 0 or c[-1] != 1 << PRECISION or (np.diff(c) <= 0).any():
            raise ValueError(f"table {t} is not a valid 16-bit cdf")


class SafeRansDecoder:
    """Decodes one rANS string (as CompressAI's ``RansEncoder`` writes it) in chunks.

    The stream must be a whole number of 32-bit words and hold at least the two words of the
    initial state, else ``CorruptFile`` is raised (``what`` names the section). Decoding that
    would read past the end raises ``overrun`` (``CorruptFile`` unless told otherwise: the
    latent decoder passes ``DesyncError``, as a decoder whose parameters differ from the
    encoder's also runs off its stream). ``native`` = False forces the pure-Python loop (tests
    compare the two); None uses the compiled decoder where it was built.
    """

    def __init__(self, data: bytes, what: str = "rANS stream",
                 overrun: type[LvqFormatError] = CorruptFile, native: Optional[bool] = None):
        self._what = what
        self._overrun_error = overrun
        if len(data) % 4 or len(data) < 8:
            raise CorruptFile(f"corrupt .lvq file: {what} holds {len(data)} bytes, not a whole "
                              f"rANS stream (a multiple of 4 bytes, at least 8)")
        if native and _native is None:
            raise RuntimeError("the compiled rANS decoder (lvqac_core.entropy._ransdec) is not built")
        self._native = None
        if native or (native is None and _native is not None and _prefer_native):
            self._native = _native.Decoder(bytes(data))
        else:
            self._words = np.frombuffer(data, dtype="<u4").tolist()
            self._x = self._words[0] | (self._words[1] << 32)
            self._pos = 2

    @property
    def is_native(self) -> bool:
        return self._native is not None

    @property
    def words_left(self) -> int:
        return self._native.words_left if self._native is not None else len(self._words) - self._pos

    def decode(self, indexes: Sequence[int], cdfs: Sequence[Sequence[int]],
               lengths: Sequence[int], offsets: Sequence[int]) -> list[int]:
        """Decode ``len(indexes)`` symbols, symbol i with table ``indexes[i]``.

        Same arguments as CompressAI's ``decode_with_indexes``; tables must be valid
        (``cdf[0] == 0``, strictly increasing, last entry ``1 << 16``), which holds for the
        tables the models build themselves.
        """
        return self.decode_array(DecodeTables(cdfs, lengths, offsets), np.asarray(indexes, dtype=np.int32)).tolist()

    def decode_array(self, tables: DecodeTables, indexes: np.ndarray) -> np.ndarray:
        """Decode ``indexes.size`` symbols (int32 array) with tables checked once."""
        idx = np.ascontiguousarray(indexes, dtype=np.int32).ravel()
        out = np.empty(idx.size, dtype=np.int32)
        if idx.size == 0:
            return out
        if self._native is not None:
            status = self._native.decode(tables.native, idx, out)
        else:
            status = self._decode_python(tables, idx, out)
        if status == _OVERRUN:
            raise self._overrun_error(
                f"the {self._what} of the .lvq file ends before all its symbols are decoded: the "
                f"file is damaged, or was written on another device or with other weights")
        if status == _ESCAPE:
            raise CorruptFile(f"corrupt .lvq file: invalid escape code in the {self._what}")
        if status == _BAD_INDEX:
            raise IndexError(f"table index outside the {len(tables)} tables")
        return out

    def _decode_python(self, tables: DecodeTables, idx: np.ndarray, out: np.ndarray) -> int:
        """The reference loop; state is only committed when every symbol decoded (as in C)."""
        if int(idx.min()) < 0 or int(idx.max()) >= len(tables):
            return _BAD_INDEX
        words = self._words
        nw = len(words)
        pos = self._pos
        x = self._x
        table = tables.python()
        values = [0] * idx.size
        for i, t in enumerate(idx.tolist()):
            cdf, max_value, offset = table[t]
            cum = x & _MASK
            s = bisect_right(cdf, cum, 0, max_value + 2) - 1
            start = cdf[s]
            x = (cdf[s + 1] - start) * (x >> PRECISION) + cum - start
            if x < _RANS_L:
                if pos >= nw:
                    return _OVERRUN
                x = (x << 32) | words[pos]
                pos += 1
            if s != max_value:
                values[i] = s + offset
                continue
            # bypass: the value follows in 4-bit groups, preceded by their count (unary-ish)
            groups = 0
            while True:
                val = x & _BYPASS_MAX
                x >>= _BYPASS_BITS
                if x < _RANS_L:
                    if pos >= nw:
                        return _OVERRUN
                    x = (x << 32) | words[pos]
                    pos += 1
                groups += val
                if val != _BYPASS_MAX:
                    break
                if groups > _MAX_BYPASS_GROUPS:
                    return _ESCAPE
            if groups > _MAX_BYPASS_GROUPS:
                return _ESCAPE
            raw = 0
            for j in range(groups):
                val = x & _BYPASS_MAX
                x >>= _BYPASS_BITS
                if x < _RANS_L:
                    if pos >= nw:
                        return _OVERRUN
                    x = (x << 32) | words[pos]
                    pos += 1
                raw |= val << (_BYPASS_BITS * j)
            value = raw >> 1
            value = (-value - 1 if raw & 1 else value + max_value) + offset
            if not _INT32_MIN <= value <= _INT32_MAX:
                return _ESCAPE
            values[i] = value
        out[:] = values
        self._pos = pos
        self._x = x
        return _OK
