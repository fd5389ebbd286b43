"""Evaluate learned codecs on a folder of images through the public API (real files, real decoding).

Per image: actual bpp (file bytes), the model's estimated bpp, PSNR and MS-SSIM of the *decoded*
image, encode/decode seconds. Models with the same architecture and quantizer form one RD curve
(one point per λ). ``evaluation_report`` bundles curves, BD-rates and the environment for JSON.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence

from ..service import encode, select_model
from ..zoo import LEGACY_TIER
from .bdrate import BDError, bd_psnr, bd_rate
from ..reference_curves import published_anchor
from ..image_files import list_images
from .common import ImageScore, RDCurve, RDPoint, environment

__all__ = ["evaluate_codec", "evaluate_models", "bd_table", "evaluation_report"]

def _model_label(spec: str, codec) -> str:
    p = Path(str(spec))
    if p.suffix in (".pt", ".pth") and p.stem in ("model", "model_latest"):
        return p.parent.name
    return str(codec.model_id)


def evaluate_codec(codec, images: str | Path | Sequence[Path], label: Optional[str] = None,
                   progress: Optional[Callable[[str], None]] = None) -> RDPoint:
    """Compress and decompress every image with ``codec`` (an ``lvqac_core.api.Codec``)."""
    files = list_images(images) if isinstance(images, (str, Path)) else [Path(p) for p in images]
    point = RDPoint(label or str(codec.model_id), extra={
        "model_id": str(codec.model_id), "architecture": codec.architecture, "quantizer": codec.quantizer,
        "lambda": codec.lmbda, "device": str(codec.device)})
    mismatches = 0
    for f in files:
        # the decode check decodes the real file once: PSNR / MS-SSIM of the decoded image, its time,
        # and whether it equals the encoder's reconstruction
        rep = encode(codec, str(f), decode_check=True).report
        if not rep.decode_matches:
            mismatches += 1
        point.images.append(ImageScore.from_report(f.name, rep))
        if progress:
            s = point.images[-1]
            progress(f"{point.label} {f.name}: {s.bpp:.3f} bpp, {s.psnr:.2f} dB")
    point.extra["decode_mismatches"] = mismatches  # decoder output ≠ encoder's reconstruction
    return point


def rate_points(codec, spec: str) -> list:
    """The codecs one model spec stands for: a variable-rate network given as a checkpoint file is
    evaluated at each of its λ presets (one codec per preset, sharing the weights); a zoo row or a
    single-rate model is one point at its own λ."""
    from ..api import Codec
    from ..zoo import names_zoo_model

    if not codec.variable_rate or names_zoo_model(spec):
        return [codec]
    return [Codec(codec.model, codec.model_id, codec.device, lmbda=lam) for lam in codec.model.config.lambdas]


def curve_name(codec, tier: Optional[str] = None) -> str:
    """"<architecture> <quantizer>", plus " (noise-trained)" for a model trained with additive
    uniform noise (the classic baseline), which is another curve than the same quantizer trained
    through its hard (inference) values; a zoo model of a tier other than zoo v2's
    (:data:`lvqac_core.zoo.LEGACY_TIER`) is "<architecture> <tier> <quantizer>"."""
    prov = codec.model.config.provenance or {}
    if prov.get("source") == "compressai":  # a CompressAI file: its own curve, beside ours
        return f"CompressAI {prov.get('compressai_architecture')} {codec.quantizer}"
    shown = f"{tier} " if tier and tier != LEGACY_TIER else ""
    name = f"{codec.architecture} {shown}{codec.quantizer}"
    options = codec.model.config.quantizer_options
    if options.get("train_mode") == "noise":
        name += " (noise-trained)"
    if options.get("v_scale") == "sigma":  # another LVQAC than the global-V one: a curve of its own
        name += " (σ-scaled span)"
    return name


def evaluate_models(specs: Iterable[str], images, device: str = "auto",
                    progress: Optional[Callable[[str], None]] = None,
                    checkpoint_tier: Optional[str] = None) -> list[RDCurve]:
    """One curve per (architecture, quantizer, training), named by :func:`curve_name`; points sorted
    by rate. A variable-rate checkpoint gives one point per preset (:func:`rate_points`).
    ``checkpoint_tier`` names the curves of checkpoints outside the zoo as that tier's (a run of
    the wide tier's shape measured beside it: "<architecture> wide scalar (noise-trained)"); zoo
    models keep their own tier."""
    from ..api import load_model

    curves: dict[str, RDCurve] = {}
    for spec in specs:
        choice = select_model(model=str(spec))
        loaded = load_model(choice.spec, device=device)
        points = rate_points(loaded, str(spec))
        tier = checkpoint_tier if choice.entry is None else choice.entry.tier
        for codec in points:
            label = _model_label(spec, codec) + (f" λ={codec.lmbda:g}" if len(points) > 1 else "")
            pt = evaluate_codec(codec, images, label=label, progress=progress)
            name = curve_name(codec, tier)
            curves.setdefault(name, RDCurve(name)).points.append(pt)
    return [c.sorted() for c in curves.values()]


def bd_table(curves: Sequence[RDCurve], anchor: Optional[str] = None, method: str = "cubic",
             include_reference: bool = False) -> list[dict[str, Any]]:
    """BD-rate / BD-PSNR of every curve against ``anchor`` (default: the first curve with ≥ 2 points)."""
    usable = [(c.name, c.bpp(), c.psnr()) for c in curves if len(c.points) >= 2]
    if include_reference:
        ref = published_anchor()
        if ref:
            usable.append((ref.name, list(ref.bpp), list(ref.psnr)))
    if len(usable) < 2:
        return []
    a = next((u for u in usable if u[0] == anchor), usable[0]) if anchor else usable[0]
    rows = []
    for name, r, p in usable:
        if name == a[0]:
            continue
        row: dict[str, Any] = {"anchor": a[0], "test": name, "method": method}
        try:
            row["bd_rate_percent"] = bd_rate(a[1], a[2], r, p, method=method)
            row["bd_psnr_db"] = bd_psnr(a[1], a[2], r, p, method=method)
        except BDError as e:
            row["error"] = str(e)
        rows.append(row)
    return rows


def evaluation_report(images, curves: Sequence[RDCurve], bd_rows: Optional[list] = None,
                      per_image: bool = True) -> dict[str, Any]:
    files = list_images(images) if isinstance(images, (str, Path)) else [Path(p) for p in images]
    return {
        "images": str(images) if isinstance(images, (str, Path)) else [str(p) for p in files],
        "num_images": len(files),
        "environment": environment(),
        "curves": [c.to_dict(per_image=per_image) for c in curves],
        "bd": bd_rows or [],
    }
