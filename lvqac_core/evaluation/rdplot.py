"""RD plot (PSNR against bpp) of any set of curves, with CompressAI's published mbt2018-mean
Kodak curve as a dashed reference line. Matplotlib with the Agg backend (no display needed)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence, Union

from ..files import atomic_write_bytes
from ..errors import LvqacError
from .common import RDCurve
from ..reference_curves import published_anchor

__all__ = ["plot_rd", "require_matplotlib"]

CurveLike = Union[RDCurve, tuple]  # RDCurve or (name, bpp list, psnr list)


def _xy(c: CurveLike) -> tuple[str, list[float], list[float]]:
    if isinstance(c, RDCurve):
        s = c.sorted()
        return s.name, s.bpp(), s.psnr()
    name, bpp, ps = c
    pairs = sorted(zip(bpp, ps))
    return name, [p[0] for p in pairs], [p[1] for p in pairs]


def require_matplotlib() -> None:
    """Raise a one-line ``LvqacError`` when matplotlib (the optional ``plot`` extra) is missing, so
    that a caller can refuse a plot before hours of evaluation."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise LvqacError("the RD plot needs matplotlib, which is not installed (pip install 'lvqac-studio[plot]')")


def plot_rd(curves: Sequence[CurveLike], out: str | Path, *, title: str = "Rate–distortion",
            reference: bool = True, xlim: Optional[tuple[float, float]] = None, overwrite: bool = True) -> Path:
    """Draw ``curves`` into ``out`` (format from its suffix), written atomically; an existing file
    is replaced unless ``overwrite=False`` (``OutputExistsError``)."""
    require_matplotlib()
    import io

    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5), dpi=120)
    for c in curves:
        name, x, y = _xy(c)
        if x:
            ax.plot(x, y, marker="o", markersize=3.5, linewidth=1.5, label=name)
    if reference:
        ref = published_anchor()
        if ref:
            ax.plot(ref.bpp, ref.psnr, "k--", linewidth=1.2, label=ref.name)
    ax.set_xlabel("bits per pixel")
    ax.set_ylabel("PSNR (dB, RGB)")
    ax.set_title(title)
    if xlim:
        ax.set_xlim(*xlim)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    fig.savefig(buf, format=out.suffix.lstrip(".").lower() or "png")
    plt.close(fig)
    atomic_write_bytes(out, buf.getvalue(), overwrite=overwrite)
    return out
