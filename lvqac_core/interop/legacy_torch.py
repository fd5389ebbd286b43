"""Bounded reading of PyTorch's legacy (pre-1.6, non-zip) serialization format.

CompressAI's pretrained files (``compressai.zoo``, torch hub's cache) were written in 2020 and may
use it. ``torch.load(weights_only=True)`` reads it without running code from the file, but it
allocates every storage at the size the pickle *claims* before reading a byte of it, so a small
hostile file could ask for terabytes. :func:`legacy_problem` walks the file's pickles first with a
restricted unpickler that builds nothing (its globals are inert stand-ins) and adds up the bytes
the storages claim: they must fit in the file. Only then does the caller run ``torch.load``.

Layout (torch/serialization.py ``_legacy_save``): pickle(magic number), pickle(protocol version),
pickle(system info), pickle(the object, tensors as persistent ids ``("storage", type, key,
location, numel[, view])``), pickle(storage keys), then each storage's bytes.
"""
from __future__ import annotations

import io
import pickle
from collections import OrderedDict
from typing import Any, Optional

__all__ = ["is_legacy_file", "legacy_problem", "LEGACY_MAGIC"]

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_HEAD = pickle.dumps(LEGACY_MAGIC, protocol=2)  # what such a file starts with

_ELEMENT_SIZE = {
    "DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "LongStorage": 8,
    "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1, "BoolStorage": 1,
}
_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_parameter"), ("collections", "OrderedDict"),
} | {("torch", name) for name in _ELEMENT_SIZE}


class _Inert:
    """Stand-in for a global the object names: calling it builds nothing."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, *args, **kwargs) -> None:
        return None


class _Ordered(OrderedDict):
    """OrderedDict that takes attributes (``state_dict()._metadata``), built by the scan only."""


class _Scanner(pickle.Unpickler):
    def __init__(self, f, claims: dict[str, int]):
        super().__init__(f)
        self.claims = claims

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refused global {module}.{name}"[:120])
        if (module, name) == ("collections", "OrderedDict"):
            return _Ordered  # a state_dict: an OrderedDict with a ``_metadata`` attribute
        return _Inert(name)

    def persistent_load(self, pid: Any) -> None:
        if type(pid) is not tuple or len(pid) < 5 or pid[0] != "storage":
            raise pickle.UnpicklingError("unexpected persistent id")
        kind, key, numel = pid[1], pid[2], pid[4]
        size = _ELEMENT_SIZE.get(getattr(kind, "name", None))
        if size is None or type(key) is not str or type(numel) is not int or numel < 0:
            raise pickle.UnpicklingError("unexpected storage record")
        self.claims[key] = max(self.claims.get(key, 0), numel * size)
        return None


def is_legacy_file(head: bytes) -> bool:
    """True when ``head`` (the file's first bytes) starts PyTorch's legacy format."""
    return head.startswith(_HEAD)


def legacy_problem(data: bytes) -> Optional[str]:
    """Why the legacy-format file ``data`` cannot be read within its own size, or None."""
    f = io.BytesIO(data)
    claims: dict[str, int] = {}
    try:
        for _ in range(3):  # magic, protocol version, system info: plain data
            _Scanner(f, claims).load()
        _Scanner(f, claims).load()  # the object (storages recorded, nothing built)
        _Scanner(f, claims).load()  # the storage keys
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            MemoryError, RecursionError, OverflowError, UnicodeDecodeError) as e:
        return f"its legacy-format pickle is not plain weights ({' '.join(str(e).split())[:80]})"
    claimed = sum(claims.values())
    if claimed > len(data) - f.tell():
        return f"its tensors claim {claimed} bytes, more than the file holds"
    return None
