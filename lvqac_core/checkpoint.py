"""Self-describing checkpoints: the model's config (architecture, sizes, quantizer, λ, provenance)
travels with its weights. Weights of the transforms may be stored as fp16; entropy-model and
quantizer parameters stay fp32. Coding tables and the context mask are never stored
(:data:`DERIVED_KEYS`): ``load_checkpoint`` rebuilds them.

This module is the one reader of checkpoint files: :func:`read_checkpoint` (a safe ``torch.load``,
and every check of :mod:`.checkpoint_validation` on the file, its config and its tensors, derived
entries removed) serves :func:`load_checkpoint`, the trainer's ``load_init_weights``, the zoo
script and the benchmarks. Checkpoints are untrusted input (docs/security.md).
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .checkpoint_validation import (config_problem, plain_data_problem, state_dict_problem,
                                    table_size_problem, zip_problem)
from .errors import ModelNotFoundError
from .files import atomic_write_bytes
from .models import LatticeCodecModel, ModelConfig, build_model

__all__ = ["save_checkpoint", "load_checkpoint", "read_checkpoint", "model_from_state", "NotAnLvqacCheckpoint",
           "regular_file_stat", "safe_torch_load",
           "CheckpointPayload", "checkpoint_bytes", "file_sha256", "config_problem", "FORMAT", "TRAIN_STATE_FORMAT", "DERIVED_KEYS"]

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


def safe_torch_load(path: Path) -> Any:
    """``torch.load`` restricted to tensors and plain data, with errors in our own words.

    The storages are memory-mapped (``mmap=True``): a tensor's bytes are read only when a check
    or the model reads them, after its shape and dtype were checked (:func:`zip_problem` made
    sure that no entry inflates beyond the file's size)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except pickle.UnpicklingError as e:
        if "global" not in str(e):  # torch names a refused class a "global"; else the bytes are no pickle
            raise ModelNotFoundError(f"cannot read weights file {path}: not a PyTorch checkpoint") from None
        # torch's text advises turning weights_only off, i.e. running the file's code: never.
        raise ModelNotFoundError(f"cannot load weights file {path}: it holds objects other than tensors and "
                                 f"plain data, which are refused for safety") from None
    except MemoryError:
        raise ModelNotFoundError(f"cannot load weights file {path}: not enough memory") from None
    except RecursionError:
        raise ModelNotFoundError(f"cannot read weights file {path}: its data is nested too deeply") from None
    except Exception as e:  # zip/pickle/storage errors: not a checkpoint
        text = " ".join(str(e).split())
        text = text if len(text) <= 160 else text[:157] + "..."
        raise ModelNotFoundError(f"cannot read weights file {path}: not a PyTorch checkpoint ({text})") from None


@dataclass(frozen=True)
class CheckpointPayload:
    """What a checkpoint file holds, validated (:mod:`.checkpoint_validation`) but not yet built
    into a model.

    ``state_dict`` maps names to tensors as stored (fp16 or fp32; dense, finite, bounded), without
    :data:`DERIVED_KEYS`; ``config`` is the model config dict as stored, checked by
    :func:`config_problem`; ``extra`` is bounded plain data.
    """

    path: Path
    format: str
    config: Any = field(repr=False)
    state_dict: dict[str, torch.Tensor] = field(repr=False)
    precision: str = "fp32"
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


class NotAnLvqacCheckpoint(ModelNotFoundError):
    """The file is readable as far as it goes but is not one of ours (not a zip archive, or a
    payload without our format tag): a caller may try another reader (:mod:`.interop`)."""


def _unusable(path: Path, problem: str) -> ModelNotFoundError:
    return ModelNotFoundError(f"{path.name} is not a usable LVQAC checkpoint: {problem}")


def regular_file_stat(path: Path) -> os.stat_result:
    """``path``'s stat when it is a regular file; else ModelNotFoundError with one line."""
    try:
        st = path.stat()
    except (OSError, ValueError):
        raise ModelNotFoundError(f"weights file not found: {path}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ModelNotFoundError(f"weights file {path} is not a regular file")
    return st


def read_checkpoint(path: str | os.PathLike, expected_sha256: str | None = None, *,
                    train_state: bool = False) -> CheckpointPayload:
    """Read a checkpoint file safely (tensors and plain data only) without building a model.

    ``expected_sha256`` checks the file's hash first; ``train_state=True`` also accepts the
    trainer's resume file (:data:`TRAIN_STATE_FORMAT`). The file is untrusted: its archive, its
    config (:func:`config_problem`), its tensors (dense, contiguous, finite, bounded) and its
    ``extra`` record are checked here. Problems raise ``ModelNotFoundError`` with one line.
    """
    path = Path(path)
    st = regular_file_stat(path)
    if expected_sha256 is not None and file_sha256(path) != expected_sha256:
        raise ModelNotFoundError(f"weights file {path.name} does not match the manifest's sha256 (damaged or replaced)")
    problem = zip_problem(path, st.st_size)
    if problem:
        kind = NotAnLvqacCheckpoint if problem.startswith("not a PyTorch checkpoint") else ModelNotFoundError
        raise kind(f"cannot read weights file {path}: {problem}")
    payload = safe_torch_load(path)
    fmt = payload.get("format") if type(payload) is dict else None
    if type(fmt) is str and fmt == FORMAT:
        config, state = payload.get("config"), payload.get("state_dict")
    elif type(fmt) is str and fmt == TRAIN_STATE_FORMAT and train_state:
        config, state = payload.get("model_config"), payload.get("model")
    else:
        raise NotAnLvqacCheckpoint(f"{path} is not an LVQAC checkpoint")
    problem = config_problem(config) or state_dict_problem(state, skip=DERIVED_KEYS)
    if problem:
        raise _unusable(path, problem)
    precision = payload.get("precision", "fp32")
    if type(precision) is not str or precision not in ("fp16", "fp32"):
        raise _unusable(path, "its precision is neither fp16 nor fp32")
    extra = payload.get("extra", {})
    if extra is None:
        extra = {}
    problem = ("its extra record is not a dict" if type(extra) is not dict
               else plain_data_problem(extra, "its extra record"))
    if problem:
        raise _unusable(path, problem)
    return CheckpointPayload(path=path, format=fmt, config=config,
                             state_dict={k: v for k, v in state.items() if k not in DERIVED_KEYS},
                             precision=precision, extra=extra)


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu",
                    expected_sha256: str | None = None) -> LatticeCodecModel:
    """Rebuild the model from its config, load weights (as fp32), build coding tables, eval mode.

    Everything read from the file is validated before use (:func:`read_checkpoint`), then the
    state dict's names, shapes and dtypes against the built model before any weight is converted
    or loaded, and the size of the coding tables before they are built. Problems raise
    ``ModelNotFoundError`` with one line.
    """
    ckpt = read_checkpoint(path, expected_sha256)
    return model_from_state(ckpt.config, ckpt.state_dict, ckpt.path, device)


def model_from_state(config: Any, state: dict[str, torch.Tensor], path: Path, device: str | torch.device = "cpu",
                     *, new_ok: tuple[str, ...] = ()) -> LatticeCodecModel:
    """Build the model of a validated ``config`` and load a validated ``state`` into it (names,
    shapes and dtypes checked first, coding tables bounded before they are built), eval mode.
    ``new_ok``: name prefixes that may be missing from ``state`` (they keep their initial values:
    a CompressAI file's transforms under an LVQ quantizer). Problems raise ``ModelNotFoundError``."""
    try:
        model = build_model(ModelConfig.from_dict(config))
    except (ValueError, TypeError) as e:
        raise _unusable(path, " ".join(str(e).split())[:160]) from None
    expected = model.state_dict()
    missing = [k for k in expected if k not in state and k not in DERIVED_KEYS and not k.startswith(new_ok)]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise ModelNotFoundError(f"{path.name}: weights do not fit the architecture (missing {missing[:3]}, unexpected {unexpected[:3]})")
    for name, tensor in state.items():
        want = expected[name]
        if tuple(tensor.shape) != tuple(want.shape) or tensor.is_floating_point() != want.is_floating_point():
            raise ModelNotFoundError(f"{path.name}: weights do not fit the architecture ({name} has shape "
                                     f"{tuple(tensor.shape)} {tensor.dtype}, expected {tuple(want.shape)} {want.dtype})")
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    model.load_state_dict(state, strict=False)
    del state
    problem = table_size_problem(model)
    if problem:
        raise _unusable(path, problem)
    model.to(device).eval()
    try:
        model.update(force=True)
    except (ValueError, RuntimeError) as e:
        raise ModelNotFoundError(f"{path.name}: cannot build coding tables from its weights ({' '.join(str(e).split())[:160]})") from None
    return model
