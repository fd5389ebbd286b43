"""Helpers shared by the subcommands: JSON output, reading input files, output naming."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["emit_json", "read_input_bytes", "add_device_argument"]


def emit_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, allow_nan=True)
    sys.stdout.write("\n")


def read_input_bytes(path: str) -> bytes:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file")
    if p.is_dir():
        raise InputError(f"{path}: is a directory")
    try:
        return p.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None


def add_device_argument(p) -> None:
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda (default: auto)")
