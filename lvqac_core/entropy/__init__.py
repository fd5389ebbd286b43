"""Entropy coding of the quantized latents: exact cell tables and CompressAI's rANS."""
from .rans import SymbolStreamDecoder, encode_symbols
from .tables import CellTableBank, scale_table

__all__ = ["CellTableBank", "scale_table", "encode_symbols", "SymbolStreamDecoder"]
