"""Typed results returned by the public API (no dicts of Any).

Data flow (see ``docs/api.md``)::

    image --Codec.compress--> CompressionResult(data=.lvq bytes, stats, reconstruction, maps)
    .lvq  --Codec.decompress / lvqac_core.decompress--> DecompressionResult(image, header, maps)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .geometry import LATENT_STRIDE
from .metrics import ms_ssim_db

__all__ = ["InspectionMaps", "CompressionResult", "DecompressionResult", "A_IDENTITY_TOL",
           "MAP_SUMMARY_KEYS"]

A_IDENTITY_TOL = 1e-3
"""A position codes with the identity (A = 1) when |ln A| <= this. Snapped A levels are at least
0.27 apart in ln A (A-law: ln 64 / 15; exponential compander: 2 ln 16 / 16), so any real level
other than 1 is far outside it."""

MAP_SUMMARY_KEYS = ("selection_share", "a_active_share", "a_min", "a_max")


@dataclass
class InspectionMaps:
    """Per-position maps at latent resolution (h = ceil(H/16), w = ceil(W/16), cropped).

    Attributes:
        selection: codebook index per position (uint8, 0 = Z^n, 1 = Z^n + 1/2), shape (G, h, w)
            with G channel groups (G = 1 for the paper's g = M); None for the scalar quantizer.
        a_law: per-position companding parameter A (float32, (h, w)); A = 1 is the identity. A-law
            models have A >= 1, exponential-compander models A in [1/16, 16]. None unless LVQAC.
        bits: estimated bits spent at each position, latents + selection (float32, (h, w)); None
            when the decode was asked not to compute it (``Codec.decompress(..., bits_map=False)``).
        stride: image pixels per latent position along each axis (16).
    """

    selection: Optional[np.ndarray]
    a_law: Optional[np.ndarray]
    bits: Optional[np.ndarray]
    stride: int = LATENT_STRIDE

    def selection_share(self) -> Optional[float]:
        """Fraction of positions (or groups) that chose codebook 1 (Z^n + 1/2)."""
        if self.selection is None or self.selection.size == 0:
            return None
        return float(self.selection.mean())

    def a_active_share(self) -> Optional[float]:
        """Fraction of latent positions whose companding is not the identity (|ln A| >
        :data:`A_IDENTITY_TOL`); None when the quantizer has no A."""
        if self.a_law is None or self.a_law.size == 0:
            return None
        a = np.asarray(self.a_law, dtype=np.float64)
        return float(np.mean(np.abs(np.log(a)) > A_IDENTITY_TOL))

    def a_range(self) -> tuple[Optional[float], Optional[float]]:
        """(min A, max A) over the positions; (None, None) when the quantizer has no A."""
        if self.a_law is None or self.a_law.size == 0:
            return None, None
        return float(np.min(self.a_law)), float(np.max(self.a_law))

    def summary(self) -> dict[str, Optional[float]]:
        """The map figures ``lvqac compress/decompress --json`` and the app report, keyed by
        :data:`MAP_SUMMARY_KEYS`: ``selection_share`` (share of position-groups on codebook 1),
        ``a_active_share`` (share of positions with A != 1), ``a_min``, ``a_max``; None where the
        quantizer has none (scalar: all four; LVQ: the three A figures)."""
        a_min, a_max = self.a_range()
        return {"selection_share": self.selection_share(), "a_active_share": self.a_active_share(),
                "a_min": a_min, "a_max": a_max}


@dataclass
class CompressionResult:
    """What ``Codec.compress`` returns.

    ``reconstruction`` is exactly what decoding ``data`` yields on the same device.
    ``residual`` is reconstruction - original in 8-bit units (float32, (H, W, 3)).
    Fields that were not asked for are None: ``reconstruction``, ``residual`` and ``psnr`` when
    ``compress(..., reconstruction=False)``; ``ms_ssim`` (and ``ms_ssim_db``) when ``ms_ssim=False``;
    ``bpp_estimated`` and ``maps.bits`` when ``bits_map=False`` (its default follows ``reconstruction``).
    The defaults compute everything.
    """

    data: bytes
    width: int
    height: int
    model_id: str
    quantizer: str
    lmbda: float
    bpp: float
    bpp_estimated: Optional[float]  # None when no bits map was asked for
    psnr: Optional[float]  # None when no reconstruction was asked for
    ms_ssim: Optional[float]  # None unless asked for
    encode_seconds: float
    device: str
    original: np.ndarray  # uint8 (H, W, 3), the RGB image that was coded
    reconstruction: Optional[np.ndarray]  # uint8 (H, W, 3); None when not asked for
    residual: Optional[np.ndarray]  # float32 (H, W, 3); None when not asked for
    maps: InspectionMaps
    section_bytes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # e.g. "alpha channel dropped"
    cpu_threads: Optional[str] = None  # the CPU thread counts it ran with (lvqac_core.threads.used_text); None on a GPU

    @property
    def num_bytes(self) -> int:
        return len(self.data)

    @property
    def ms_ssim_db(self) -> Optional[float]:
        if self.ms_ssim is None:
            return None
        return ms_ssim_db(self.ms_ssim)


@dataclass
class DecompressionResult:
    """What decoding a ``.lvq`` file returns. ``image`` is uint8 (H, W, 3), or (H, W) when the
    original was grayscale."""

    image: np.ndarray
    header: "object"  # lvqac_core.bitstream.LvqHeader
    decode_seconds: float
    device: str
    maps: InspectionMaps
    file_bytes: int = 0  # size of the decoded .lvq file
    bits_estimated: Optional[float] = None  # the entropy model's estimate, as the encoder computed it
    cpu_threads: Optional[str] = None  # as CompressionResult.cpu_threads

    @property
    def bpp(self) -> float:
        return 8.0 * self.file_bytes / (self.header.width * self.header.height)

    @property
    def bpp_estimated(self) -> Optional[float]:
        """Estimated bits per pixel: the same number ``Codec.compress`` reported for this file."""
        if self.bits_estimated is None:
            return None
        return self.bits_estimated / (self.header.width * self.header.height)
