"""Rendering of residuals and latent maps to RGBA images (numpy only, no Qt).

* residual: signed, diverging blue-white-red map, symmetric levels ±L;
* codebook selection: two categorical colours (Z^n, Z^n + 1/2), one layer per channel group;
* companding parameter A: diverging map in log A with white at the identity A = 1 (blue below,
  red above), cropped to the map's own range so that the colour bar's ends are its min / max A;
  a caption instead of a flat block when the companding is inactive (A = 1 everywhere);
* bits per position: sequential (viridis-like) map with min/max.

Latent maps are at 1/16 resolution; :func:`upscale` repeats each position 16× along both axes
and crops to the image size so that they align with the image pixel for pixel.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from lvqac_core.geometry import LATENT_STRIDE

# Anchor colours (RGB 0..255) of the colour maps; interpolated linearly into 256-entry LUTs.
_VIRIDIS = [(68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142),
            (31, 158, 137), (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37)]
_DIVERGING = [(5, 48, 97), (33, 102, 172), (67, 147, 195), (146, 197, 222), (209, 229, 240),
              (247, 247, 247), (253, 219, 199), (244, 165, 130), (214, 96, 77), (178, 24, 43),
              (103, 0, 31)]
CODEBOOK_COLORS = ((70, 130, 220), (240, 160, 40))  # 0 = Z^n (blue), 1 = Z^n + 1/2 (orange)
CODEBOOK_NAMES = ("Zⁿ", "Zⁿ + ½")


def percent(share: float) -> str:
    """A share as the app writes it everywhere (Numbers, colour bars, legends): one decimal, and
    never "100 %" or "0 %" for a share that is not exactly 1 or 0."""
    share = float(share)
    text = f"{100 * share:.1f}"
    if text == "100.0" and share < 1.0:
        text = "> 99.9"
    elif text == "0.0" and share > 0.0:
        text = "< 0.1"
    return f"{text} %"


def _lut(anchors: list[tuple[int, int, int]], n: int = 256) -> np.ndarray:
    a = np.asarray(anchors, dtype=np.float64)
    xs = np.linspace(0.0, 1.0, len(a))
    t = np.linspace(0.0, 1.0, n)
    lut = np.stack([np.interp(t, xs, a[:, c]) for c in range(3)], axis=1)
    return np.round(lut).astype(np.uint8)


SEQUENTIAL_LUT = _lut(_VIRIDIS)
DIVERGING_LUT = _lut(_DIVERGING)


@dataclass
class Layer:
    """One displayable image plus what its legend / colour bar needs.

    kind: "rgb" (plain image), "diverging", "sequential" (colour bar from vmin to vmax with
    ``lut``) or "categorical" (legend entries of (name, rgb, share)).
    """

    title: str
    image: Optional[np.ndarray]  # uint8 (H, W, 3|4); None = nothing to show
    kind: str = "rgb"
    vmin: float = 0.0
    vmax: float = 1.0
    unit: str = ""
    lut: Optional[np.ndarray] = None
    legend: list[tuple[str, tuple[int, int, int], float]] = field(default_factory=list)
    placeholder: str = ""  # text shown when image is None
    groups: list[np.ndarray] = field(default_factory=list)  # categorical: one image per group
    group_shares: list[float] = field(default_factory=list)
    scale_note: str = ""  # how the colour scale's ends were chosen, when they are not min / max
    center_text: str = ""  # what the middle of the colour bar says (e.g. where A = 1 lies)


def apply_lut(values: np.ndarray, vmin: float, vmax: float, lut: np.ndarray) -> np.ndarray:
    """Map float values to RGB through ``lut``; NaN -> black."""
    span = vmax - vmin if vmax > vmin else 1.0
    t = (np.asarray(values, dtype=np.float32) - vmin) / span
    idx = np.clip(np.nan_to_num(t, nan=0.0) * (len(lut) - 1) + 0.5, 0, len(lut) - 1).astype(np.intp)
    return lut[idx]


def upscale(arr: np.ndarray, stride: int, height: int, width: int) -> np.ndarray:
    """Repeat a latent-resolution map ``stride`` times along both axes, crop to (height, width)."""
    out = np.repeat(np.repeat(arr, stride, axis=0), stride, axis=1)
    return np.ascontiguousarray(out[:height, :width])


def residual_level(residual: np.ndarray) -> float:
    """Symmetric level L for the residual display: the 99.5th percentile of |r|, at least 1."""
    mag = np.abs(residual)
    if mag.size == 0:
        return 1.0
    return float(max(1.0, np.percentile(mag, 99.5)))


def residual_layer(residual: Optional[np.ndarray]) -> Layer:
    if residual is None:
        return Layer("Residual", None, placeholder="original not in file")
    r = residual.mean(axis=2) if residual.ndim == 3 else residual
    level = residual_level(r)
    rgb = apply_lut(r, -level, level, DIVERGING_LUT)
    return Layer("Residual (reconstruction − original)", rgb, kind="diverging",
                 vmin=-level, vmax=level, unit="", lut=DIVERGING_LUT,
                 scale_note="99.5th-percentile clip")


def selection_layer(selection: Optional[np.ndarray], stride: int, height: int, width: int) -> Layer:
    if selection is None:
        return Layer("Codebook selection", None,
                     placeholder="scalar model: no codebook selection")
    sel = np.asarray(selection)
    if sel.ndim == 2:
        sel = sel[None]
    colors = np.asarray(CODEBOOK_COLORS, dtype=np.uint8)
    groups = [upscale(colors[np.clip(g, 0, 1).astype(np.intp)], stride, height, width) for g in sel]
    shares = [float(g.mean()) for g in sel]
    share1 = float(sel.mean())
    legend = [(CODEBOOK_NAMES[0], CODEBOOK_COLORS[0], 1.0 - share1),
              (CODEBOOK_NAMES[1], CODEBOOK_COLORS[1], share1)]
    title = "Codebook selection" + (f" ({len(groups)} groups)" if len(groups) > 1 else "")
    return Layer(title, groups[0], kind="categorical", legend=legend, groups=groups,
                 group_shares=shares)


def sequential_layer(title: str, values: Optional[np.ndarray], stride: int, height: int, width: int,
                     unit: str = "", placeholder: str = "") -> Layer:
    if values is None:
        return Layer(title, None, placeholder=placeholder)
    v = np.asarray(values, dtype=np.float32)
    finite = v[np.isfinite(v)]
    vmin = float(finite.min()) if finite.size else 0.0
    vmax = float(finite.max()) if finite.size else 1.0
    if vmax <= vmin:
        vmax = vmin + 1e-6
    rgb = apply_lut(v, vmin, vmax, SEQUENTIAL_LUT)
    return Layer(title, upscale(rgb, stride, height, width), kind="sequential", vmin=vmin, vmax=vmax,
                 unit=unit, lut=SEQUENTIAL_LUT)


A_TITLE = "Companding parameter A"
A_INACTIVE = "companding inactive: A = 1 at every position (this model codes like LVQ)"


def a_law_layer(values: Optional[np.ndarray], stride: int, height: int, width: int,
                summary: Optional[dict] = None, scalar: bool = False) -> Layer:
    """The A map. ``summary`` is the core's ``InspectionMaps.summary()`` (A range and active
    share); the colours are log A on the diverging map, white at A = 1, cropped to [min, max]."""
    if values is None:
        return Layer(A_TITLE, None, placeholder="scalar model: no companding (LVQAC only)" if scalar
                     else "no companding (LVQAC only)")
    summary = summary or {}
    a_min, a_max, active = summary.get("a_min"), summary.get("a_max"), summary.get("a_active_share")
    if a_min is None or a_max is None or active is None:
        return Layer(A_TITLE, None, placeholder="no A map")
    if active == 0.0:
        return Layer(A_TITLE, None, placeholder=A_INACTIVE)
    lo, hi = float(np.log(a_min)), float(np.log(a_max))
    half = max(abs(lo), abs(hi)) or 1.0
    # the part of the symmetric diverging map [-half, half] (in ln A) that [lo, hi] covers
    anchors = np.asarray(_DIVERGING, dtype=np.float64)
    xs = np.linspace(0.0, 1.0, len(anchors))  # white (the middle anchor) at t = 0.5, i.e. A = 1

    def colours(t: np.ndarray) -> np.ndarray:
        return np.round(np.stack([np.interp(t, xs, anchors[:, c]) for c in range(3)], axis=-1)).astype(np.uint8)

    lut = colours(np.linspace((lo + half) / (2 * half), (hi + half) / (2 * half), 256))
    ln = np.log(np.asarray(values, dtype=np.float64))
    rgb = colours(np.clip((np.nan_to_num(ln, nan=0.0) + half) / (2 * half), 0.0, 1.0))
    if hi <= lo:
        centre = f"A = {fmt_value(a_max)} at every position"
    elif lo < 0.0 < hi:
        centre = f"white: A = 1 · {percent(active)} ≠ 1"  # short: the panel may be narrow
    else:
        centre = f"log A · {percent(active)} ≠ 1"
    return Layer(A_TITLE, upscale(rgb, stride, height, width), kind="sequential", vmin=float(a_min),
                 vmax=float(a_max), lut=lut, center_text=centre)


def render_layers(original: Optional[np.ndarray], reconstruction: np.ndarray,
                  residual: Optional[np.ndarray], maps) -> dict[str, Layer]:
    """All panels of a result, keyed "original", "reconstruction", "residual", "selection",
    "a_law", "bits"."""
    h, w = reconstruction.shape[:2]
    stride = int(getattr(maps, "stride", LATENT_STRIDE) or LATENT_STRIDE)
    return {
        "original": Layer("Original", original, placeholder="original not in file"),
        "reconstruction": Layer("Reconstruction", reconstruction),
        "residual": residual_layer(residual),
        "selection": selection_layer(getattr(maps, "selection", None), stride, h, w),
        "a_law": a_law_layer(getattr(maps, "a_law", None), stride, h, w,
                             maps.summary() if hasattr(maps, "summary") else None,
                             scalar=getattr(maps, "selection", None) is None),
        "bits": sequential_layer("Bits per position (16×16 px)", getattr(maps, "bits", None),
                                 stride, h, w, unit=" bits", placeholder="no bit map"),
    }


def fmt_value(v: float) -> str:
    a = abs(v)
    if a != 0 and (a < 0.01 or a >= 1e4):
        return f"{v:.2e}"
    return f"{v:.3g}" if a < 100 else f"{v:.0f}"


def scale_labels(vmin: float, vmax: float, unit: str = "", center: bool = False,
                 caption: str = "", center_text: str = "") -> tuple[str, str, str]:
    """(left, centre, right) texts of a colour bar. A ``caption`` marks a clipped scale, whose
    ends are clip levels rather than the data's min / max; ``center_text`` is a min / max scale's
    middle text."""
    if caption:
        return (f"≤ {fmt_value(vmin)}{unit}", f"0 · {caption}" if center else caption,
                f"≥ {fmt_value(vmax)}{unit}")
    return (f"min {fmt_value(vmin)}{unit}", "0" if center else center_text,
            f"max {fmt_value(vmax)}{unit}")


def _ascii(text: str) -> str:
    return (text.replace("ⁿ", "^n").replace("½", "1/2").replace("−", "-").replace("≤", "<=")
            .replace("≥", ">=").replace("≠", "!=").replace("·", "-").replace("λ", "lambda"))


def annotated(layer: Layer, image: Optional[np.ndarray] = None, share: Optional[float] = None,
              heading: str = "") -> np.ndarray:
    """``layer``'s image with its colour bar (min / max or clip levels) or legend (codebook
    shares) drawn in a strip under it, as an RGB array — what an exported map shows. A
    ``heading`` (file, quantizer, λ, map) is drawn in a title strip over the image."""
    from PIL import Image, ImageDraw, ImageFont
    img = np.ascontiguousarray((layer.image if image is None else image)[:, :, :3])
    h, w = img.shape[:2]
    scale = max(1.0, w / 700.0)
    fs = int(round(11 * scale))
    strip = int(round(40 * scale))
    out = Image.new("RGB", (w, h + strip), (32, 33, 36))
    out.paste(Image.fromarray(img), (0, 0))
    d = ImageDraw.Draw(out)
    try:
        font = ImageFont.load_default(size=fs)
    except TypeError:  # Pillow without FreeType
        font = ImageFont.load_default()
    pad = int(round(4 * scale))
    text_y = h + int(round(20 * scale))
    if layer.kind in ("diverging", "sequential") and layer.lut is not None:
        bar_h = int(round(12 * scale))
        xs = np.linspace(0, len(layer.lut) - 1, max(w - 2 * pad, 2)).astype(np.intp)
        bar = np.repeat(layer.lut[xs][None], bar_h, axis=0)
        out.paste(Image.fromarray(np.ascontiguousarray(bar)), (pad, h + pad))
        left, centre, right = (_ascii(t) for t in scale_labels(
            layer.vmin, layer.vmax, _ascii(layer.unit), layer.kind == "diverging", layer.scale_note,
            layer.center_text))
        d.text((pad, text_y), left, fill=(230, 230, 230), font=font)
        rw = d.textlength(right, font=font)
        d.text((w - pad - rw, text_y), right, fill=(230, 230, 230), font=font)
        if centre:
            cw = d.textlength(centre, font=font)
            d.text(((w - cw) / 2, text_y), centre, fill=(230, 230, 230), font=font)
    elif layer.kind == "categorical":
        x = pad
        for k, (name, rgb, s) in enumerate(layer.legend):
            if share is not None:
                s = share if k == 1 else 1.0 - share
            box = int(round(12 * scale))
            d.rectangle([x, h + pad, x + box, h + pad + box], fill=tuple(rgb))
            label = f"{_ascii(name)}: {_ascii(percent(s))}"
            d.text((x + box + pad, h + pad), label, fill=(230, 230, 230), font=font)
            x += box + 2 * pad + int(d.textlength(label, font=font)) + 3 * pad
    title = _ascii(layer.title)
    if layer.kind == "categorical":
        d.text((pad, text_y), title, fill=(180, 180, 180), font=font)
    if heading:  # one title strip, the same on every exported map
        top = int(round(20 * scale))
        framed = Image.new("RGB", (w, out.height + top), (32, 33, 36))
        framed.paste(out, (0, top))
        text = _ascii(heading)
        while d.textlength(text, font=font) > w - 2 * pad and " - " in text:
            text = text.rsplit(" - ", 1)[0]  # a narrow map: the map's name goes first (it is in the file name)
        ImageDraw.Draw(framed).text((pad, int(round(4 * scale))), text, fill=(235, 235, 235), font=font)
        out = framed
    return np.asarray(out)
