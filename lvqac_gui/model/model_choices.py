"""The model picker's entries beyond the λ / quantizer controls (Qt-free): CompressAI weights files
found in torch hub's cache or in folders the user scanned, under their own heading, and choosing
one (or going back to the zoo) on a :class:`~lvqac_gui.model.state.Session`.

The files are read by the core (``lvqac_core.interop``); nothing here interprets weights.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

__all__ = ["ModelOption", "compressai_options", "use_model"]

COMPRESSAI_HEADING = "CompressAI models"


@dataclass(frozen=True)
class ModelOption:
    """One entry of the picker: its heading, label, the spec to load (a file path), and why it
    cannot be used (None: usable)."""

    heading: str
    label: str
    spec: str
    problem: Optional[str] = None


def compressai_options(scan_dirs: Iterable[str | Path] = ()) -> list[ModelOption]:
    """CompressAI files in torch hub's cache and ``scan_dirs`` (folders that vanished are skipped)."""
    from lvqac_core.errors import InputError
    from lvqac_core.interop.discovery import find_compressai_models

    dirs = [d for d in scan_dirs if Path(d).is_dir()]
    try:
        found = find_compressai_models(dirs, recursive=True)
    except InputError:
        return []
    out = []
    for f in found:
        m = f.model
        if m is None:
            out.append(ModelOption(COMPRESSAI_HEADING, f.path.name, str(f.path), f.problem))
        elif not m.supported:
            out.append(ModelOption(COMPRESSAI_HEADING, f"{f.path.name} ({m.architecture})", str(f.path),
                                   m.unsupported_message()))
        else:
            q = f" q{m.quality}" if m.quality else ""
            out.append(ModelOption(COMPRESSAI_HEADING, f"{m.architecture}{q} N={m.N} M={m.M}  ({f.path.name})",
                                   str(f.path)))
    return out


def use_model(session, spec: Optional[str]) -> None:
    """Code with the model file ``spec`` (None: back to the zoo model the λ / quantizer controls
    pick), and recompress the open image when the session recompresses on changes."""
    spec = None if spec is None else str(spec)
    if spec == session.model_spec:
        return
    session.model_spec = spec
    session.choices_changed.emit()
    if session.auto_recompress and session.source is not None and not session.source.is_lvq:
        session.compress()
