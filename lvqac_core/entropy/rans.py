"""rANS coding of symbols with a :class:`CellTableBank`: CompressAI's C++ coder encodes (on
inputs proven in its range: :mod:`.safe_encode`), the bounds-checked
:class:`~lvqac_core.entropy.safe_rans.SafeRansDecoder` decodes (the bytes come from files, which
CompressAI's decoder cannot be trusted with)."""
from __future__ import annotations

import numpy as np
from ..errors import DesyncError
from .safe_encode import encode_checked
from .safe_rans import SafeRansDecoder
from .tables import CellTableBank

__all__ = ["encode_symbols", "SymbolStreamDecoder"]


def encode_symbols(symbols: np.ndarray, indexes: np.ndarray, bank: CellTableBank) -> bytes:
    """Encode int symbols, each with the table ``indexes[i]``, into one rANS string.

    Symbols the coder cannot represent raise :class:`~lvqac_core.errors.SymbolRangeError`."""
    if symbols.size == 0:
        return b""
    bank.check_indexes(indexes)
    local, cdfs, lengths, offsets = bank.local_tables(indexes)
    return encode_checked(symbols, local, cdfs, lengths, offsets, "latents (y)")


class SymbolStreamDecoder:
    """Decodes one rANS string in chunks, in the order it was encoded.

    Raises :class:`~lvqac_core.errors.CorruptFile` for a string that is not a whole rANS stream
    or that ends before the symbols asked for.
    """

    def __init__(self, data: bytes, bank: CellTableBank, what: str = "latent (y) section"):
        self._bank = bank
        self._dec = SafeRansDecoder(bytes(data), what, overrun=DesyncError)

    def decode(self, indexes: np.ndarray) -> np.ndarray:
        idx = np.asarray(indexes)
        self._bank.check_indexes(idx)
        return self._dec.decode_array(self._bank.decode_tables_for(idx), indexes)
