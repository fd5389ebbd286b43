"""Where CompressAI weights files are found: torch hub's checkpoint cache and folders a user names.

``compressai.zoo`` downloads its pretrained files into ``torch.hub.get_dir()/checkpoints``
(``$TORCH_HOME/hub/checkpoints``, by default ``~/.cache/torch/hub/checkpoints``). Each candidate
file is read with the interop reader's checks (nothing is run, sizes are bounded) and reported as a
recognised model or with its one-line reason.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from ..errors import InputError
from .compressai_checkpoints import CompressAIModel, hub_model_id, inspect_file, looks_like_torch_file

__all__ = ["FoundModel", "hub_checkpoint_dir", "find_compressai_models", "hub_file_for_id", "WEIGHT_SUFFIXES",
           "MAX_FILES"]

WEIGHT_SUFFIXES = (".pth.tar", ".pth", ".pt", ".tar", ".ckpt")
MAX_FILES = 500
"""At most this many candidate files per folder are examined (a listing must stay quick)."""


@dataclass(frozen=True)
class FoundModel:
    path: Path
    model: Optional[CompressAIModel]  # None: not usable, see ``problem``
    problem: Optional[str] = None


def hub_checkpoint_dir() -> Path:
    """torch hub's checkpoint cache (honours ``$TORCH_HOME`` and ``$XDG_CACHE_HOME``), without
    importing torch.hub's download machinery."""
    torch_home = os.environ.get("TORCH_HOME")
    if not torch_home:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        torch_home = os.path.join(cache, "torch")
    return Path(os.path.expanduser(torch_home)) / "hub" / "checkpoints"


def _candidates(folder: Path, recursive: bool) -> list[Path]:
    pattern = "**/*" if recursive else "*"
    out = []
    for p in sorted(folder.glob(pattern)):
        if p.name.endswith(WEIGHT_SUFFIXES) and p.is_file() and not p.is_symlink():
            out.append(p)
            if len(out) >= MAX_FILES:
                break
    return out


def find_compressai_models(folders: Iterable[Path | str] = (), *, hub: bool = True,
                           recursive: bool = False) -> list[FoundModel]:
    """Recognised CompressAI files (and unusable candidates, with their reason) in torch hub's cache
    (``hub=True``) and ``folders`` (a folder that does not exist is an ``InputError``; the hub cache
    may be absent). LVQAC checkpoints in those folders are skipped: ``lvqac models`` lists the zoo."""
    dirs: list[Path] = []
    if hub and hub_checkpoint_dir().is_dir():
        dirs.append(hub_checkpoint_dir())
    for f in folders:
        p = Path(f)
        if not p.is_dir():
            raise InputError(f"--scan {f}: not a folder")
        dirs.append(p)
    found: list[FoundModel] = []
    seen: set[Path] = set()
    for d in dirs:
        for path in _candidates(d, recursive):
            if path.resolve() in seen or not looks_like_torch_file(path):
                continue
            seen.add(path.resolve())
            try:
                found.append(FoundModel(path, inspect_file(path)))
            except InputError as e:
                text = str(e)
                if "is not an LVQAC checkpoint" in text or "tagged as format 'lvqac-" in text:
                    continue
                found.append(FoundModel(path, None, text))
    return found


def hub_file_for_id(model_id: str) -> Optional[Path]:
    """The hub-cache file whose name gives the id ``model_id`` (``compressai-mbt2018-mean-mse-q3``),
    for a user who types the id instead of the path (``--model``); None when there is none. Only
    the cache folder is looked at (by file name), so an id read from a ``.lvq`` file is never
    passed here: decoders take the file from the user."""
    folder = hub_checkpoint_dir()
    if not folder.is_dir():
        return None
    for path in _candidates(folder, recursive=False):
        if hub_model_id(path.name) == model_id:
            return path
    return None
