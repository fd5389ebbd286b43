"""The one reader of the reference rate–distortion curves shipped in ``resources/rd/``: the
published CompressAI anchor the evaluation compares against, and the classical codecs' Kodak curves
the app draws as reference lines.

Two layouts are read: CompressAI's results format ``{"name", "results": {"bpp", "psnr-rgb"}}`` and
the flat ``{"name", "bpp", "psnr", "source"}`` our scripts write. A file that cannot be read, or
whose lists disagree, is no curve (None), never an error: reference lines are decoration.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from .resources import resources_dir

__all__ = ["ANCHOR_FILE", "ReferenceCurve", "reference_dir", "published_anchor", "read_reference_curve", "read_reference_curves"]

#: the published CompressAI mbt2018-mean Kodak results (BD-rate anchor of the evaluation)
ANCHOR_FILE = "compressai_mbt2018_mean_kodak.json"


@dataclass(frozen=True)
class ReferenceCurve:
    name: str
    bpp: tuple[float, ...]
    psnr: tuple[float, ...]
    source: Optional[str] = None

    def points(self) -> list[tuple[float, float]]:
        """(bpp, PSNR) pairs, by rate."""
        return sorted(zip(self.bpp, self.psnr))


def reference_dir() -> Path:
    return resources_dir() / "rd"


def read_reference_curve(path: Union[str, Path]) -> Optional[ReferenceCurve]:
    """The curve in ``path``; None when it is missing, unreadable or inconsistent."""
    p = Path(path)
    try:
        d = json.loads(p.read_text())
        res = d.get("results", d)
        bpp = res.get("bpp")
        psnr = res.get("psnr-rgb", res.get("psnr"))
        if not bpp or not psnr or len(bpp) != len(psnr):
            return None
        source = d.get("source")
        return ReferenceCurve(str(d.get("name") or p.stem), tuple(float(b) for b in bpp),
                              tuple(float(q) for q in psnr), None if source is None else str(source))
    except Exception:  # noqa: BLE001 - any unreadable file is no curve
        return None


def published_anchor() -> Optional[ReferenceCurve]:
    """The published CompressAI mbt2018-mean Kodak curve (None where the resources lack it)."""
    return read_reference_curve(reference_dir() / ANCHOR_FILE)


def read_reference_curves(directory: Optional[Path] = None) -> dict[str, list[tuple[float, float]]]:
    """name → [(bpp, PSNR)] of every readable curve under ``directory`` (default ``resources/rd``)."""
    directory = Path(directory) if directory is not None else reference_dir()
    if not directory.is_dir():
        return {}
    out: dict[str, list[tuple[float, float]]] = {}
    for path in sorted(directory.glob("*.json")):
        curve = read_reference_curve(path)
        if curve is not None:
            out[curve.name] = curve.points()
    return out
