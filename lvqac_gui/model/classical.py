"""Classical codecs (JPEG / WebP / AVIF through Pillow) of one image at a given file size (Qt-free).

:func:`match_size` finds, by bisection on the quality setting, the encoding whose size is closest
to a target number of bytes — the "same file size" comparison of Squoosh. WebP and AVIF are
encoded by ``lvqac_core.evaluation.baselines.encode`` (WebP with a fractional quality, which
libwebp honours); JPEG uses the IJG quality scaling of the standard tables with a *fractional*
quality (passed to Pillow as ``qtables``), so that its size can be matched more finely than the
100 integer qualities allow. (This small helper belongs in ``lvqac_core.evaluation.baselines``;
it lives here until the core offers a matched-size encoder.)
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

CODECS = ("jpeg", "webp", "avif")
LABELS = {"jpeg": "JPEG", "webp": "WebP", "avif": "AVIF"}

# ITU-T T.81 Annex K tables, natural (row-major) order.
_LUMA = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
         14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
         18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
         49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]
_CHROMA = [17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
           24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99] + [99] * 32


@dataclass
class Classical:
    """One classical encoding of the current image."""

    codec: str
    quality: float
    data: bytes
    reconstruction: np.ndarray  # uint8 (H, W, 3)
    num_bytes: int
    bpp: float
    psnr: float
    ms_ssim: float
    target_bytes: int
    encode_seconds: float

    @property
    def label(self) -> str:
        return f"{LABELS[self.codec]} q{self.quality:.1f}"

    @property
    def matched(self) -> bool:
        """Encoded to match a size (else at a quality the user chose)."""
        return self.target_bytes > 0

    @property
    def size_error(self) -> float:
        """(bytes − target) / target (0 when no size was matched)."""
        return (self.num_bytes - self.target_bytes) / self.target_bytes if self.matched else 0.0


def available(codec: str) -> bool:
    from lvqac_core.evaluation.baselines import available as _available
    return _available(codec)[0]


def jpeg_tables(quality: float) -> list[list[int]]:
    """IJG scaling of the standard tables for a fractional quality in [1, 100]."""
    q = float(min(max(quality, 1.0), 100.0))
    scale = 5000.0 / q if q < 50 else 200.0 - 2.0 * q
    return [[int(min(max((v * scale + 50) // 100, 1), 255)) for v in base] for base in (_LUMA, _CHROMA)]


def encode(codec: str, rgb: np.ndarray, quality: float) -> bytes:
    from PIL import Image
    if codec == "jpeg":
        buf = io.BytesIO()
        Image.fromarray(rgb, "RGB").save(buf, format="JPEG", qtables=jpeg_tables(quality))
        return buf.getvalue()
    from lvqac_core.evaluation.baselines import encode as _encode
    return _encode(codec, rgb, quality if codec == "webp" else int(round(quality)))


def decode(data: bytes) -> np.ndarray:
    from lvqac_core.evaluation.baselines import decode as _decode
    return _decode(data)


def match_size(codec: str, rgb: np.ndarray, target_bytes: int, steps: int = 14,
               progress: Optional[Callable[[float], None]] = None) -> tuple[float, bytes]:
    """(quality, data) whose size is closest to ``target_bytes``: bisection on the quality, whose
    file size grows with it. AVIF's quality is an integer, so fewer steps are needed."""
    lo, hi = 1.0, 100.0 if codec != "avif" else 100.0
    best: Optional[tuple[float, bytes]] = None
    seen: dict[float, bytes] = {}
    for k in range(steps):
        q = (lo + hi) / 2.0
        if codec == "avif":
            q = float(round(q))
        if q in seen:
            break
        data = seen[q] = encode(codec, rgb, q)
        if best is None or abs(len(data) - target_bytes) < abs(len(best[1]) - target_bytes):
            best = (q, data)
        if progress is not None:
            progress((k + 1) / steps)
        if len(data) == target_bytes:
            break
        if len(data) > target_bytes:
            hi = q
        else:
            lo = q
    for q in (lo, hi):  # the bracket's ends may be closer than the last midpoint
        if q not in seen:
            data = seen[q] = encode(codec, rgb, q)
            if abs(len(data) - target_bytes) < abs(len(best[1]) - target_bytes):
                best = (q, data)
    assert best is not None
    return best


def at_quality(codec: str, rgb: np.ndarray, quality: float) -> Classical:
    """Encode ``rgb`` with ``codec`` at ``quality`` (no size to match) and measure it."""
    t0 = time.perf_counter()
    q = float(round(quality)) if codec == "avif" else float(quality)
    data = encode(codec, rgb, q)
    return _measured(codec, rgb, q, data, 0, time.perf_counter() - t0)


def at_size(codec: str, rgb: np.ndarray, target_bytes: int,
            progress: Optional[Callable[[float], None]] = None) -> Classical:
    """Encode ``rgb`` with ``codec`` at (about) ``target_bytes`` and measure it."""
    t0 = time.perf_counter()
    quality, data = match_size(codec, rgb, target_bytes, progress=progress)
    return _measured(codec, rgb, quality, data, target_bytes, time.perf_counter() - t0)


def _measured(codec: str, rgb: np.ndarray, quality: float, data: bytes, target_bytes: int,
              seconds: float) -> Classical:
    from lvqac_core.metrics import ms_ssim, psnr
    rec = decode(data)
    h, w = rgb.shape[:2]
    return Classical(codec=codec, quality=quality, data=data, reconstruction=rec, num_bytes=len(data),
                     bpp=8.0 * len(data) / (h * w), psnr=psnr(rgb, rec), ms_ssim=ms_ssim(rgb, rec),
                     target_bytes=int(target_bytes), encode_seconds=seconds)
