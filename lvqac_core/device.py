"""The one device rule: ``auto`` means CUDA when present; what happens when CUDA is asked for but
absent is the caller's choice (``fallback=True``: the CPU, with a note to show; else an
``InputError``). Torch is imported only to ask whether CUDA is there.

- :func:`choose_device` → a :class:`DeviceChoice` (device and note): the rule itself;
- :func:`device_name` → ``"cpu"`` / ``"cuda"`` / ``"cuda:K"``: the rule without fallback (the
  CLI, the API, training), for callers that only need the name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .errors import InputError

__all__ = ["DeviceChoice", "cuda_available", "choose_device", "device_name"]


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


def choose_device(requested: str = "auto", fallback: bool = False) -> DeviceChoice:
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


def device_name(requested: str = "auto") -> str:
    """The device :func:`choose_device` picks without fallback: ``auto`` → ``cuda`` when present,
    else ``cpu``; asking for CUDA without one, or for an unknown device, raises ``InputError``."""
    return choose_device(requested, fallback=False).device
