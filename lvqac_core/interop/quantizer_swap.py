"""LVQ on a pretrained CompressAI model without training: swap its scalar quantizer for LVQ or
LVQAC (A = 1) at inference and measure what happens (docs/interop.md, route a).

The transforms, the hyperprior and the entropy parameters stay the file's; only the rounding of
y − μ changes: LVQ picks the closest point of Zⁿ ∪ (Zⁿ + ½) per channel group, LVQAC additionally
companding with A from a head that starts at exactly A = 1 (the ``exp`` compander), so at
inference it codes like LVQ with its own cell tables. Nothing was trained for the new quantizer,
so it is expected to lose against the scalar quantizer the networks were trained with; the
experiment measures how much, on real files (encode, decode, PSNR of the decoded image).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

from ..errors import InputError

__all__ = ["SwapRow", "SWAP_QUANTIZERS", "swap_codec", "swap_experiment"]

SWAP_QUANTIZERS = {"scalar": None, "lvq": {}, "lvqac": {"compander": "exp"}}
"""The quantizers the experiment compares, with their options (LVQAC at A = 1)."""


@dataclass
class SwapRow:
    """One quantizer on the file's networks, averaged over the images."""

    quantizer: str
    bpp: list[float] = field(default_factory=list)
    psnr: list[float] = field(default_factory=list)
    decode_matches: bool = True

    @property
    def mean_bpp(self) -> float:
        return sum(self.bpp) / max(len(self.bpp), 1)

    @property
    def mean_psnr(self) -> float:
        return sum(self.psnr) / max(len(self.psnr), 1)

    def to_json(self) -> dict:
        return {"quantizer": self.quantizer, "images": len(self.bpp), "bpp": self.mean_bpp,
                "psnr": self.mean_psnr, "decode_matches": self.decode_matches}


def swap_codec(path: str | Path, quantizer: str, device: str = "cpu"):
    """A :class:`~lvqac_core.api.Codec` of the CompressAI file ``path`` (or one of our scalar
    checkpoints: the same experiment on a network trained here) with ``quantizer`` (``scalar``: the
    file's own model; ``lvq`` / ``lvqac``: swapped at inference)."""
    from ..api import Codec
    from ..checkpoint import NotAnLvqacCheckpoint, model_from_state, read_checkpoint
    from .compressai_checkpoints import NEW_PARAM_PREFIXES, load_compressai

    options = SWAP_QUANTIZERS[quantizer]
    suffix = "" if quantizer == "scalar" else f"-swap-{quantizer}"
    try:  # one of our scalar checkpoints: the same swap on a network trained here
        ckpt = read_checkpoint(path)
    except NotAnLvqacCheckpoint:
        model, info = load_compressai(path, device, quantizer=quantizer, quantizer_options=options)
        return Codec(model, info.model_id + suffix, device)
    if ckpt.config.get("quantizer", "scalar") != "scalar":
        raise InputError(f"{Path(path).name}: the swap starts from a scalar model")
    config = {**ckpt.config, "quantizer": quantizer, "quantizer_options": dict(options or {}), "group_size": 0}
    state = {k: v for k, v in ckpt.state_dict.items() if not k.startswith(NEW_PARAM_PREFIXES)}
    model = model_from_state(config, state, ckpt.path, device, new_ok=NEW_PARAM_PREFIXES)
    return Codec(model, Path(path).stem + suffix, device)


def swap_experiment(path: str | Path, images: Sequence[str | Path], quantizers: Sequence[str] = tuple(SWAP_QUANTIZERS),
                    device: str = "cpu", progress: Optional[Callable[[str], None]] = None) -> list[SwapRow]:
    """Code every image with each quantizer on the file's networks (real files, decoded once)."""
    from ..service import encode

    rows = []
    for q in quantizers:
        codec = swap_codec(path, q, device)
        row = SwapRow(q)
        for image in images:
            rep = encode(codec, str(image), decode_check=True, ms_ssim=False).report
            row.bpp.append(float(rep.bpp))
            row.psnr.append(float(rep.psnr))
            row.decode_matches &= bool(rep.decode_matches)
            if progress:
                progress(f"{q} {Path(image).name}: {rep.bpp:.4f} bpp, {rep.psnr:.2f} dB")
        rows.append(row)
    return rows
