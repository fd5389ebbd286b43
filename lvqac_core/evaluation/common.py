"""Shared helpers: RD points and curves, means, environment info (image listing and loading are
``lvqac_core.image_files``'s)."""
from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..metrics import ms_ssim_db

__all__ = ["ImageScore", "RDPoint", "RDCurve",
           "environment", "git_commit"]


@dataclass
class ImageScore:
    image: str
    bpp: float
    psnr: float
    ms_ssim: float
    bpp_estimated: Optional[float] = None
    encode_seconds: Optional[float] = None
    decode_seconds: Optional[float] = None
    bytes: Optional[int] = None

    @property
    def ms_ssim_db(self) -> float:
        return ms_ssim_db(self.ms_ssim)

    @classmethod
    def from_report(cls, image: str, report) -> "ImageScore":
        """A learned codec's score from its :class:`~lvqac_core.report.CodingReport`."""
        return cls(image=image, bpp=report.bpp, psnr=report.psnr, ms_ssim=report.ms_ssim,
                   bpp_estimated=report.bpp_estimated, encode_seconds=report.encode_seconds,
                   decode_seconds=report.decode_seconds, bytes=report.num_bytes)


@dataclass
class RDPoint:
    """One operating point (a quality setting or one model): per-image scores and their means."""

    label: str  # e.g. "q50" or a model id
    images: list[ImageScore] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def mean(self, key: str) -> Optional[float]:
        vals = [getattr(s, key) for s in self.images]
        vals = [v for v in vals if v is not None]
        return float(np.mean(vals)) if vals else None

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "num_images": len(self.images)}
        for k in ("bpp", "bpp_estimated", "psnr", "ms_ssim", "encode_seconds", "decode_seconds"):
            out[k] = self.mean(k)
        out["ms_ssim_db"] = float(np.mean([s.ms_ssim_db for s in self.images])) if self.images else None
        out.update(self.extra)
        return out

    def to_dict(self) -> dict[str, Any]:
        d = self.summary()
        d["per_image"] = [dict(asdict(s), ms_ssim_db=s.ms_ssim_db) for s in self.images]
        return d


@dataclass
class RDCurve:
    name: str
    points: list[RDPoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def bpp(self) -> list[float]:
        return [p.mean("bpp") for p in self.points]

    def psnr(self) -> list[float]:
        return [p.mean("psnr") for p in self.points]

    def sorted(self) -> "RDCurve":
        return RDCurve(self.name, sorted(self.points, key=lambda p: p.mean("bpp") or 0.0), list(self.notes))

    def to_dict(self, per_image: bool = True) -> dict[str, Any]:
        return {"name": self.name, "notes": self.notes,
                "points": [p.to_dict() if per_image else p.summary() for p in self.points]}


def git_commit(cwd: str | Path | None = None) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd or Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"
    except Exception:
        return "unknown"


def environment() -> dict[str, str]:
    import platform

    import PIL
    import torch

    from importlib.metadata import PackageNotFoundError, version

    try:  # the installed version, without importing the package (its __init__ pulls torch_geometric)
        cai = version("compressai")
    except PackageNotFoundError:
        cai = "unavailable"
    return {"torch": torch.__version__, "compressai": cai, "numpy": np.__version__, "pillow": PIL.__version__,
            "python": platform.python_version(), "git_commit": git_commit()}
