"""Self-describing checkpoints: the model's config (architecture, sizes, quantizer, λ, provenance)
travels with its weights. Weights of the transforms may be stored as fp16; entropy-model and
quantizer parameters stay fp32. Coding tables and the context mask are never stored: ``load_checkpoint``
rebuilds them.
"""
from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import torch

from .errors import ModelNotFoundError
from .models import LatticeCodecModel, ModelConfig, build_model

__all__ = ["save_checkpoint", "load_checkpoint", "checkpoint_bytes", "file_sha256", "FORMAT"]

FORMAT = "lvqac-checkpoint/1"
# rebuilt on load: CompressAI's coding tables and the context convolution's constant mask
_DERIVED = ("entropy_bottleneck._quantized_cdf", "entropy_bottleneck._offset", "entropy_bottleneck._cdf_length",
            "context.mask")
_KEEP_FP32 = ("entropy_bottleneck.", "quantizer.")


def _portable_state(model: LatticeCodecModel, half: bool) -> dict[str, torch.Tensor]:
    out = {}
    for name, t in model.state_dict().items():
        if name in _DERIVED:
            continue
        t = t.detach().cpu()
        if half and t.is_floating_point() and not name.startswith(_KEEP_FP32):
            t = t.half()
        out[name] = t.clone()
    return out


def checkpoint_bytes(model: LatticeCodecModel, *, half: bool = True, extra: dict[str, Any] | None = None) -> bytes:
    payload = {
        "format": FORMAT,
        "config": model.config.to_dict(),
        "precision": "fp16" if half else "fp32",
        "state_dict": _portable_state(model, half),
        "extra": extra or {},
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    return buf.getvalue()


def save_checkpoint(model: LatticeCodecModel, path: str | os.PathLike, *, half: bool = True,
                    extra: dict[str, Any] | None = None) -> str:
    """Write atomically; returns the file's sha256 (hex)."""
    data = checkpoint_bytes(model, half=half, extra=extra)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu",
                    expected_sha256: str | None = None) -> LatticeCodecModel:
    """Rebuild the model from its config, load weights (as fp32), build coding tables, eval mode."""
    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"weights file not found: {path}")
    if expected_sha256 is not None and file_sha256(path) != expected_sha256:
        raise ModelNotFoundError(f"weights file {path.name} does not match the manifest's sha256 (damaged or replaced)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # pickle/zip errors: not a checkpoint
        raise ModelNotFoundError(f"cannot read weights file {path}: {e}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelNotFoundError(f"{path} is not an LVQAC checkpoint")
    model = build_model(ModelConfig.from_dict(payload["config"]))
    state = {k: v.float() if v.is_floating_point() else v for k, v in payload["state_dict"].items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if k not in _DERIVED]
    if missing or unexpected:
        raise ModelNotFoundError(f"{path.name}: weights do not fit the architecture (missing {missing[:3]}, unexpected {unexpected[:3]})")
    model.to(device).eval()
    model.update(force=True)
    return model
