"""Self-describing checkpoints: the model's config (architecture, sizes, quantizer, λ, provenance)
travels with its weights. Weights of the transforms may be stored as fp16; entropy-model and
quantizer parameters stay fp32. Coding tables and the context mask are never stored
(:data:`DERIVED_KEYS`): ``load_checkpoint`` rebuilds them.

This module is the one reader of checkpoint files: :func:`read_checkpoint` (a safe ``torch.load``,
the file checks and the payload's shape, derived entries removed) serves :func:`load_checkpoint`,
the trainer's ``load_init_weights``, the zoo script and the benchmarks.
"""
from __future__ import annotations

import hashlib
import io
import math
import os
import pickle
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import torch

from .errors import ModelNotFoundError
from .image_io import atomic_write_bytes
from .models import LatticeCodecModel, ModelConfig, build_model
from .models.latent_codecs.selection import HEAD_HIDDEN, SELECTION_CODINGS
from .models.registry import ARCHITECTURES
from .quantizers.base import RATE_PROXIES
from .quantizers.companding import COMPANDERS, TAILS
from .quantizers.lvqac import STE_DOMAINS
from .quantizers.lvq import LATTICE_TRAIN_MODES
from .quantizers.scalar import TRAIN_MODES as SCALAR_TRAIN_MODES

__all__ = ["save_checkpoint", "load_checkpoint", "read_checkpoint", "CheckpointPayload", "checkpoint_bytes",
           "file_sha256", "config_problem", "FORMAT", "TRAIN_STATE_FORMAT", "DERIVED_KEYS"]

FORMAT = "lvqac-checkpoint/1"
TRAIN_STATE_FORMAT = "lvqac-train-state/1"
"""The trainer's resume file (``resume.pt``): its ``model`` / ``model_config`` are readable as weights."""
DERIVED_KEYS = ("entropy_bottleneck._quantized_cdf", "entropy_bottleneck._offset", "entropy_bottleneck._cdf_length",
                "context.mask")
"""State-dict entries rebuilt on load (CompressAI's coding tables, the context convolution's constant
mask): never written, ignored when a file has them, never reported missing."""
_KEEP_FP32 = ("entropy_bottleneck.", "quantizer.")


def _portable_state(model: LatticeCodecModel, half: bool) -> dict[str, torch.Tensor]:
    out = {}
    for name, t in model.state_dict().items():
        if name in DERIVED_KEYS:
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
    atomic_write_bytes(path, data, overwrite=True)
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# Limits on what a checkpoint may ask us to build (the zoo uses N=48, M=64; the papers 192/320).
MAX_CHANNELS = 512
MAX_A_LEVELS = 64
_COMMON_OPTIONS = {"train_mode", "rate_proxy"}
_QUANTIZER_OPTIONS = {
    "scalar": _COMMON_OPTIONS,
    "lvq": _COMMON_OPTIONS | {"tau", "selection_coding", "head_hidden"},
    "lvqac": _COMMON_OPTIONS | {"tau", "v_init", "tail", "a_max", "a_levels", "compander", "a_grad_alpha",
                                "a_grad_scale", "ste_domain", "selection_coding", "head_hidden"},
}
# the values each enumerated option may take, from the quantizers themselves
_CHOICES = {
    "train_mode": {"scalar": SCALAR_TRAIN_MODES, "lvq": LATTICE_TRAIN_MODES, "lvqac": LATTICE_TRAIN_MODES},
    "rate_proxy": {q: RATE_PROXIES for q in _QUANTIZER_OPTIONS},
    "compander": {"lvqac": COMPANDERS},
    "ste_domain": {"lvqac": STE_DOMAINS},
    "tail": {"lvqac": TAILS},
    "selection_coding": {"lvq": SELECTION_CODINGS, "lvqac": SELECTION_CODINGS},
}


def _positive_float(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def config_problem(config: Any) -> Optional[str]:
    """Why a checkpoint's ``config`` cannot be built safely, or None.

    Checked before anything is allocated: a foreign or crafted checkpoint must not make the
    loader build a model of absurd size or crash inside a constructor.
    """
    if not isinstance(config, dict):
        return "its config is missing or not a dict"
    arch = config.get("architecture")
    if not isinstance(arch, str) or arch not in ARCHITECTURES:
        return f"unknown architecture {arch!r} (known: {', '.join(sorted(ARCHITECTURES))})"
    quantizer = config.get("quantizer", "scalar")
    if quantizer not in _QUANTIZER_OPTIONS:
        return f"unknown quantizer {quantizer!r}"
    for key in ("N", "M"):
        value = config.get(key, 128 if key == "N" else 192)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CHANNELS:
            return f"{key} must be an integer in 1..{MAX_CHANNELS}, not {value!r}"
    g = config.get("group_size", 0)
    if isinstance(g, bool) or not isinstance(g, int) or g < 0 or (g and config.get("M", 192) % g):
        return f"group_size must be 0 or a divisor of M, not {g!r}"
    lmbda = config.get("lmbda", 0.0075)
    if not (_positive_float(lmbda) or lmbda == 0):
        return f"lambda must be a finite non-negative number, not {lmbda!r}"
    options = config.get("quantizer_options", {}) or {}
    if not isinstance(options, dict):
        return "quantizer_options is not a dict"
    unknown = set(options) - _QUANTIZER_OPTIONS[quantizer]
    if unknown:
        return f"unknown {quantizer} quantizer option(s) {sorted(map(str, unknown))}"
    for key in ("tau", "v_init", "a_grad_alpha", "a_grad_scale"):
        if key in options and not _positive_float(options[key]):
            return f"quantizer option {key} must be a positive number, not {options[key]!r}"
    if "a_max" in options and not (_positive_float(options["a_max"]) and 1 < options["a_max"] <= 1e6):
        return f"quantizer option a_max must lie in (1, 1e6], not {options['a_max']!r}"
    hidden = options.get("head_hidden", HEAD_HIDDEN)
    if isinstance(hidden, bool) or not isinstance(hidden, int) or not 1 <= hidden <= MAX_CHANNELS:
        return f"option head_hidden must be an integer in 1..{MAX_CHANNELS}, not {hidden!r}"
    levels = options.get("a_levels", 16)
    if isinstance(levels, bool) or not isinstance(levels, int) or not 1 <= levels <= MAX_A_LEVELS:
        return f"quantizer option a_levels must be an integer in 1..{MAX_A_LEVELS}, not {levels!r}"
    for key, allowed in _CHOICES.items():
        if key in options and options[key] not in allowed[quantizer]:
            return f"unknown {quantizer} quantizer option {key}={options[key]!r} (known: {', '.join(allowed[quantizer])})"
    return None


def _read_payload(path: Path) -> Any:
    """``torch.load`` restricted to tensors and plain data, with errors in our own words."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "global" not in str(e):  # torch names a refused class a "global"; else the bytes are no pickle
            raise ModelNotFoundError(f"cannot read weights file {path}: not a PyTorch checkpoint") from None
        # torch's text advises turning weights_only off, i.e. running the file's code: never.
        raise ModelNotFoundError(f"cannot load weights file {path}: it holds objects other than tensors and "
                                 f"plain data, which are refused for safety") from None
    except MemoryError:
        raise ModelNotFoundError(f"cannot load weights file {path}: not enough memory") from None
    except Exception as e:  # zip/pickle/storage errors: not a checkpoint
        text = " ".join(str(e).split())
        text = text if len(text) <= 160 else text[:157] + "..."
        raise ModelNotFoundError(f"cannot read weights file {path}: not a PyTorch checkpoint ({text})") from None


@dataclass(frozen=True)
class CheckpointPayload:
    """What a checkpoint file holds, checked for shape but not yet built into a model.

    ``state_dict`` maps names to tensors as stored (fp16 or fp32), without :data:`DERIVED_KEYS`;
    ``config`` is the model config dict as stored (see :func:`config_problem`).
    """

    path: Path
    format: str
    config: Any
    state_dict: dict[str, torch.Tensor]
    precision: str = "fp32"
    extra: dict[str, Any] = field(default_factory=dict)


def read_checkpoint(path: str | os.PathLike, expected_sha256: str | None = None, *,
                    train_state: bool = False) -> CheckpointPayload:
    """Read a checkpoint file safely (tensors and plain data only) without building a model.

    ``expected_sha256`` checks the file's hash first; ``train_state=True`` also accepts the
    trainer's resume file (:data:`TRAIN_STATE_FORMAT`). Problems raise ``ModelNotFoundError``
    with one line.
    """
    path = Path(path)
    try:
        st = path.stat()
    except (OSError, ValueError):
        raise ModelNotFoundError(f"weights file not found: {path}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ModelNotFoundError(f"weights file {path} is not a regular file")
    if expected_sha256 is not None and file_sha256(path) != expected_sha256:
        raise ModelNotFoundError(f"weights file {path.name} does not match the manifest's sha256 (damaged or replaced)")
    payload = _read_payload(path)
    fmt = payload.get("format") if isinstance(payload, dict) else None
    if fmt == FORMAT:
        config, state = payload.get("config"), payload.get("state_dict")
    elif fmt == TRAIN_STATE_FORMAT and train_state:
        config, state = payload.get("model_config"), payload.get("model")
    else:
        raise ModelNotFoundError(f"{path} is not an LVQAC checkpoint")
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        raise ModelNotFoundError(f"{path.name} is not a usable LVQAC checkpoint: its state_dict is not a dict of tensors")
    extra = payload.get("extra")
    return CheckpointPayload(path=path, format=fmt, config=config,
                             state_dict={k: v for k, v in state.items() if k not in DERIVED_KEYS},
                             precision=str(payload.get("precision", "fp32")),
                             extra=extra if isinstance(extra, dict) else {})


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu",
                    expected_sha256: str | None = None) -> LatticeCodecModel:
    """Rebuild the model from its config, load weights (as fp32), build coding tables, eval mode.

    Everything read from the file is validated before use: config ranges (:func:`config_problem`),
    state-dict names, types and shapes. Problems raise ``ModelNotFoundError`` with one line.
    """
    ckpt = read_checkpoint(path, expected_sha256)
    path = ckpt.path
    problem = config_problem(ckpt.config)
    if problem:
        raise ModelNotFoundError(f"{path.name} is not a usable LVQAC checkpoint: {problem}")
    state = ckpt.state_dict
    try:
        model = build_model(ModelConfig.from_dict(ckpt.config))
    except (ValueError, TypeError) as e:
        raise ModelNotFoundError(f"{path.name} is not a usable LVQAC checkpoint: {' '.join(str(e).split())}") from None
    expected = model.state_dict()
    missing = [k for k in expected if k not in state and k not in DERIVED_KEYS]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise ModelNotFoundError(f"{path.name}: weights do not fit the architecture (missing {missing[:3]}, unexpected {unexpected[:3]})")
    for name, tensor in state.items():
        want = expected[name]
        if tuple(tensor.shape) != tuple(want.shape) or tensor.is_floating_point() != want.is_floating_point():
            raise ModelNotFoundError(f"{path.name}: weights do not fit the architecture ({name} has shape "
                                     f"{tuple(tensor.shape)} {tensor.dtype}, expected {tuple(want.shape)} {want.dtype})")
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ModelNotFoundError(f"{path.name}: weights contain NaN or infinite values ({name})")
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    model.load_state_dict(state, strict=False)
    model.to(device).eval()
    try:
        model.update(force=True)
    except (ValueError, RuntimeError) as e:
        raise ModelNotFoundError(f"{path.name}: cannot build coding tables from its weights ({' '.join(str(e).split())[:160]})") from None
    return model
