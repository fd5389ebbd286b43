"""Classical codecs through Pillow, for reference RD curves: JPEG, WebP, AVIF, JPEG 2000.

bpp is the real file size (bytes·8 / pixels); PSNR and MS-SSIM on the decoded 8-bit RGB image via
``lvqac_core.metrics``. JPEG uses Pillow's default 4:2:0 subsampling; WebP ``method=6``; AVIF
``speed=4`` (skipped with a note when Pillow lacks AVIF); JPEG 2000 a sweep of compression ratios
(``quality_mode="rates"``).
"""
from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

import numpy as np
from PIL import Image, features

from ..image_files import list_images, load_rgb
from ..metrics import ms_ssim, psnr
from .common import ImageScore, RDCurve, RDPoint

__all__ = ["BASELINES", "DEFAULT_SETTINGS", "available", "encode", "decode", "run_baseline", "run_baselines"]

DEFAULT_SETTINGS: dict[str, list] = {
    "jpeg": [10, 20, 30, 40, 50, 60, 70, 80, 90],
    "webp": [5, 15, 25, 40, 55, 70, 80, 90],
    "avif": [20, 30, 40, 50, 60, 70, 80],
    "jpeg2000": [200, 120, 80, 50, 30, 20, 12, 8],  # compression ratios (24 bpp / ratio)
}
BASELINES = tuple(DEFAULT_SETTINGS)


def available(name: str) -> tuple[bool, str]:
    check = {"jpeg": "jpg", "webp": "webp", "avif": "avif", "jpeg2000": "jpg_2000"}.get(name)
    if check is None:
        return False, f"unknown baseline {name!r}; known: {', '.join(BASELINES)}"
    try:
        ok = bool(features.check(check))
    except Exception:
        ok = False
    return (True, "") if ok else (False, f"{name}: this Pillow build has no {check} support; skipped")


def _label(name: str, setting) -> str:
    return f"ratio{setting}" if name == "jpeg2000" else f"q{setting}"


def encode(name: str, rgb: np.ndarray, setting) -> bytes:
    img = Image.fromarray(rgb, "RGB")
    buf = io.BytesIO()
    if name == "jpeg":
        img.save(buf, format="JPEG", quality=int(setting))
    elif name == "webp":
        img.save(buf, format="WEBP", quality=int(setting), method=6)
    elif name == "avif":
        img.save(buf, format="AVIF", quality=int(setting), speed=4)
    elif name == "jpeg2000":
        img.save(buf, format="JPEG2000", quality_mode="rates", quality_layers=[float(setting)], irreversible=True)
    else:
        raise ValueError(f"unknown baseline {name!r}")
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    """A classical codec's file back to uint8 RGB, through the one image loader."""
    return load_rgb(data)


def score(name: str, path: Path, rgb: np.ndarray, setting) -> ImageScore:
    t0 = time.perf_counter()
    data = encode(name, rgb, setting)
    t1 = time.perf_counter()
    dec = decode(data)
    t2 = time.perf_counter()
    h, w = rgb.shape[:2]
    return ImageScore(image=path.name, bpp=8.0 * len(data) / (h * w), psnr=psnr(rgb, dec), ms_ssim=ms_ssim(rgb, dec),
                      encode_seconds=t1 - t0, decode_seconds=t2 - t1, bytes=len(data))


def run_baseline(name: str, images: str | Path | Sequence[Path], settings: Optional[Iterable] = None,
                 progress: Optional[Callable[[str], None]] = None) -> RDCurve:
    files = list_images(images) if isinstance(images, (str, Path)) else [Path(p) for p in images]
    curve = RDCurve(name)
    ok, note = available(name)
    if not ok:
        curve.notes.append(note)
        return curve
    settings = list(settings) if settings is not None else DEFAULT_SETTINGS[name]
    rgbs = [(p, load_rgb(p)) for p in files]
    for s in settings:
        pt = RDPoint(_label(name, s), extra={"setting": s})
        for p, rgb in rgbs:
            pt.images.append(score(name, p, rgb, s))
        if progress:
            progress(f"{name} {pt.label}: bpp {pt.mean('bpp'):.3f} PSNR {pt.mean('psnr'):.2f}")
        curve.points.append(pt)
    return curve.sorted()


def run_baselines(names: Iterable[str], images, progress=None) -> list[RDCurve]:
    return [run_baseline(n.strip().lower(), images, progress=progress) for n in names if n.strip()]
