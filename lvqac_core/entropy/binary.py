"""rANS coding of binary symbols with a probability per symbol (the lattice selection bits).

Each position's selection bit (codebook Z^n or Z^n + ½) costs a full bit when stored raw, while
its empirical entropy is lower (docs/format.md). A model predicts a logit per position; the logit is
snapped to one of ``PROB_LEVELS`` levels evenly spaced in logit space, and the bit is coded with
that level's table by the same rANS coder as the latents (CompressAI's encoder, the bounds-checked
decoder). The levels are fixed integers derived from constants only, so encoder and decoder build
the same tables on any machine.

Training uses :func:`selection_bits` (the ideal code length under the unsnapped probability); the
coded size differs by the snapping (≤ 0.02 bit per symbol at 63 levels over ±8) and rANS overhead.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..compressai_parts import pmf_to_quantized_cdf
from ..errors import CorruptFile
from .safe_encode import encode_checked
from .safe_rans import PRECISION, SafeRansDecoder

__all__ = ["PROB_LEVELS", "LOGIT_RANGE", "level_index", "level_logits", "encode_bits", "decode_bits",
           "selection_bits"]

PROB_LEVELS = 63
LOGIT_RANGE = 8.0  # levels span P(1) = sigmoid(−8) … sigmoid(8)
_ESCAPE_MASS = 1e-9  # the rANS tables end in an escape entry; binary symbols never use it


def level_logits() -> np.ndarray:
    """The logits of the ``PROB_LEVELS`` probability levels (float64, increasing)."""
    return np.linspace(-LOGIT_RANGE, LOGIT_RANGE, PROB_LEVELS)


def level_index(logit: Tensor) -> Tensor:
    """Nearest level of each logit (int64); non-finite logits go to the middle level (P = ½)."""
    step = 2.0 * LOGIT_RANGE / (PROB_LEVELS - 1)
    x = torch.nan_to_num(logit.detach().double(), nan=0.0, posinf=LOGIT_RANGE, neginf=-LOGIT_RANGE)
    return torch.round((x + LOGIT_RANGE) / step).clamp(0, PROB_LEVELS - 1).long()


@lru_cache(maxsize=1)
def _tables() -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...], tuple[int, ...]]:
    cdfs = []
    for logit in level_logits():
        p1 = 1.0 / (1.0 + np.exp(-logit))
        cdfs.append(tuple(pmf_to_quantized_cdf([1.0 - p1, p1, _ESCAPE_MASS], PRECISION)))
    return tuple(cdfs), tuple(len(c) for c in cdfs), (0,) * len(cdfs)


def encode_bits(bits: np.ndarray, levels: np.ndarray) -> bytes:
    """Encode 0/1 ``bits`` (any shape), bit i with the table of ``levels[i]`` (same shape)."""
    bits = np.asarray(bits).ravel()
    levels = np.asarray(levels).ravel()
    if bits.shape != levels.shape:
        raise ValueError(f"{bits.size} bits but {levels.size} levels")
    if bits.size == 0:
        return b""
    if bits.min() < 0 or bits.max() > 1 or levels.min() < 0 or levels.max() >= PROB_LEVELS:
        raise ValueError("bits must be 0/1 and levels in [0, PROB_LEVELS)")
    cdfs, lengths, offsets = _tables()
    return encode_checked(bits.astype(np.int32), levels.astype(np.int32), cdfs, lengths, offsets, "selection bits")


def decode_bits(data: bytes, levels: np.ndarray, what: str = "selection section") -> np.ndarray:
    """Decode ``levels.size`` bits (uint8, shape of ``levels``) from one stream of :func:`encode_bits`.

    A damaged stream raises :class:`~lvqac_core.errors.CorruptFile` (too short, or a symbol other
    than 0/1); ``levels`` must come from the model (in range), never from the file.
    """
    levels = np.asarray(levels)
    if levels.size == 0:
        if data:
            raise CorruptFile(f"corrupt .lvq file: the {what} holds {len(data)} bytes, expected none")
        return np.zeros(levels.shape, dtype=np.uint8)
    if levels.min() < 0 or levels.max() >= PROB_LEVELS:
        raise ValueError("levels must lie in [0, PROB_LEVELS)")
    cdfs, lengths, offsets = _tables()
    out = np.asarray(SafeRansDecoder(bytes(data), what).decode(levels.ravel().tolist(), cdfs, lengths, offsets))
    if out.size and (out.min() < 0 or out.max() > 1):
        raise CorruptFile(f"corrupt .lvq file: the {what} decodes to a value other than 0 or 1")
    return out.astype(np.uint8).reshape(levels.shape)


def selection_bits(bits: Tensor, logits: Tensor) -> Tensor:
    """Ideal code length in bits of 0/1 ``bits`` under P(1) = sigmoid(logits), summed (fp32).

    Differentiable in ``logits`` (the probability head learns from it); ``bits`` carry no gradient.
    """
    return F.binary_cross_entropy_with_logits(logits.float(), bits.detach().float(), reduction="sum") / np.log(2.0)
