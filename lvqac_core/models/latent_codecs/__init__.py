"""Latent codecs: the quantizer + cell tables + rANS coding of y, one class per decoding order.

Importing this package registers the orders in ``DECODING_ORDER_REGISTRY``: ``parallel``,
``checkerboard`` and ``raster-scan`` (docs/latent_codecs.md).
"""
from __future__ import annotations

from .base import AHead, LatentCodec, LatentCoding, LatentForward
from .checkerboard import CheckerboardLatentCodec
from .parallel import ParallelLatentCodec
from .rasterscan import RasterScanLatentCodec
from .selection import HEAD_HIDDEN, SELECTION_CODINGS, SelectionHead

__all__ = ["HEAD_HIDDEN", "AHead", "LatentCodec", "LatentCoding", "LatentForward", "ParallelLatentCodec",
           "CheckerboardLatentCodec", "RasterScanLatentCodec", "SelectionHead", "SELECTION_CODINGS"]
