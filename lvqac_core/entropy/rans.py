"""Thin wrappers over CompressAI's rANS coder for symbols coded with a :class:`CellTableBank`."""
from __future__ import annotations

import numpy as np
from ..compressai_parts import RansDecoder, RansEncoder

from .tables import CellTableBank

__all__ = ["encode_symbols", "SymbolStreamDecoder"]


def encode_symbols(symbols: np.ndarray, indexes: np.ndarray, bank: CellTableBank) -> bytes:
    """Encode int symbols, each with the table ``indexes[i]``, into one rANS string."""
    if symbols.size == 0:
        return b""
    local, cdfs, lengths, offsets = bank.subset(indexes.ravel())
    return RansEncoder().encode_with_indexes(
        symbols.ravel().astype(np.int32).tolist(), local, cdfs, lengths, offsets
    )


class SymbolStreamDecoder:
    """Decodes one rANS string in chunks, in the order it was encoded."""

    def __init__(self, data: bytes, bank: CellTableBank):
        self._bank = bank
        self._dec = RansDecoder()
        self._dec.set_stream(data)

    def decode(self, indexes: np.ndarray) -> np.ndarray:
        if indexes.size == 0:
            return np.zeros(0, dtype=np.int32)
        local, cdfs, lengths, offsets = self._bank.subset(indexes.ravel())
        out = self._dec.decode_stream(local, cdfs, lengths, offsets)
        return np.asarray(out, dtype=np.int32)
