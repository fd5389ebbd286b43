"""The hyper-latent (z) string: CompressAI's ``EntropyBottleneck.compress`` for one image,
through :func:`~lvqac_core.entropy.safe_encode.encode_checked` (same bytes; symbols out of the
coder's range are refused, streams of fewer than 4 symbols never reach the native encoder)."""
from __future__ import annotations

import torch

from .safe_encode import encode_checked
from .safe_rans import DecodeTables

__all__ = ["encode_bottleneck"]


def encode_bottleneck(eb, z: torch.Tensor) -> bytes:
    """The rANS string of ``z`` (1, C, h, w) as ``eb.compress(z)[0]`` writes it."""
    if z.dim() != 4 or z.size(0) != 1:
        raise ValueError(f"expected one image's hyper-latents (1, C, h, w), not {tuple(z.shape)}")
    channels, h, w = z.shape[1:]
    medians = eb._get_medians().detach().reshape(1, -1, 1, 1)
    values = torch.round(z.detach() - medians)  # CompressAI's quantize(..., "symbols"), before .int()
    limit = float(1 << 30)
    finite = bool(torch.isfinite(values).all())
    symbols = values.clamp(-limit, limit).int() if finite else torch.full_like(values, -limit).int()
    lengths = eb._cdf_length.reshape(-1).int().tolist()
    offsets = eb._offset.reshape(-1).int().tolist()
    cdfs = eb._quantized_cdf.tolist()
    DecodeTables(cdfs, lengths, offsets)  # checks the tables (ValueError if CompressAI built bad ones)
    indexes = torch.arange(channels, dtype=torch.int32).repeat_interleave(h * w)
    return encode_checked(symbols.reshape(-1).cpu().numpy(), indexes.numpy(), cdfs, lengths, offsets,
                          "hyper-latents (z)")
