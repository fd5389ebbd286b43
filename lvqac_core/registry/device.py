"""The one device rule: ``auto`` means CUDA when present; what happens when CUDA is asked for but absent
is the caller's choice (``fallback=True``: the CPU, with a note to show; else an ``InputError``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..errors import InputError

__all__ = ["DeviceChoice", "cuda_available", "resolve_device"]


@dataclass(frozen=True)
class DeviceChoice:
    device: str  # "cpu", "cuda" or "cuda:K"
    note: Optional[str] = None  # set when the request could not be honoured as asked


def cuda_available() -> bool:
    try:
        import torch
        return bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001 - a broken CUDA install means: no CUDA
        return False


def resolve_device(requested: str = "auto", fallback: bool = False) -> DeviceChoice:
    """Resolve ``auto`` / ``cpu`` / ``cuda`` / ``cuda:K``.

    CUDA requested without one: ``fallback=True`` gives the CPU with a note (the app, which says so
    on screen); ``fallback=False`` raises ``InputError`` (the CLI and the API, which must not run
    somewhere the user did not ask for).
    """
    if not isinstance(requested, str):
        raise InputError(f"device must be a string (auto, cpu or cuda), not {type(requested).__name__}")
    if requested == "auto":
        return DeviceChoice("cuda" if cuda_available() else "cpu")
    if requested == "cpu":
        return DeviceChoice("cpu")
    if requested == "cuda" or (requested.startswith("cuda:") and requested[5:].isdigit()):
        if cuda_available():
            return DeviceChoice(requested)
        if fallback:
            return DeviceChoice("cpu", "CUDA requested but not available — running on CPU")
        raise InputError("CUDA was requested but no CUDA device is available (use the CPU or auto)")
    raise InputError(f"unknown device {requested!r}; use auto, cpu or cuda")
