"""The model zoo: ``resources/models/manifest.json`` lists every shipped checkpoint with its sha256
and measured Kodak results. Loading verifies the hash. Set ``LVQAC_ZOO_DIR`` to use another folder.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .errors import ModelNotFoundError
from .registry import PAPER_LAMBDAS, same_lambda  # PAPER_LAMBDAS re-exported
from .resources import resources_dir

__all__ = [
    "ZooEntry",
    "zoo_dir",
    "load_manifest",
    "list_models",
    "get_entry",
    "has_model",
    "find_model",
    "default_model_id",
    "PAPER_LAMBDAS",
    "MANIFEST_FORMAT",
]

MANIFEST_FORMAT = "lvqac-zoo/1"


@dataclass(frozen=True)
class ZooEntry:
    id: str
    file: str
    sha256: str
    architecture: str
    quantizer: str
    lmbda: float
    N: int
    M: int
    precision: str = "fp16"
    kodak: Optional[dict[str, float]] = None  # bpp, psnr, ms_ssim (means over the 24 images)
    training: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return zoo_dir() / self.file

    def label(self) -> str:
        k = self.kodak
        perf = f" — Kodak {k['bpp']:.3f} bpp, {k['psnr']:.2f} dB" if k else ""
        return f"λ={self.lmbda:g} {self.quantizer}{perf}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "file": self.file, "sha256": self.sha256, "architecture": self.architecture,
            "quantizer": self.quantizer, "lambda": self.lmbda, "N": self.N, "M": self.M,
            "precision": self.precision, "kodak": self.kodak, "training": self.training,
        }


def zoo_dir() -> Path:
    env = os.environ.get("LVQAC_ZOO_DIR")
    if env:
        return Path(env)
    return resources_dir() / "models"


def load_manifest(directory: Optional[Path] = None) -> dict[str, Any]:
    path = (directory or zoo_dir()) / "manifest.json"
    if not path.is_file():
        return {"format": MANIFEST_FORMAT, "default": None, "models": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelNotFoundError(f"model manifest {path} is unreadable: {_one_line(e)}") from None
    if not isinstance(data, dict):
        raise ModelNotFoundError(f"model manifest {path} is invalid: not a JSON object")
    if data.get("format") != MANIFEST_FORMAT:
        raise ModelNotFoundError(f"model manifest {path} has unknown format {data.get('format')!r}")
    models = data.get("models", [])
    if not isinstance(models, list):
        raise ModelNotFoundError(f"model manifest {path} is invalid: 'models' is not a list")
    for i, d in enumerate(models):
        problem = _entry_problem(d)
        if problem:
            raise ModelNotFoundError(f"model manifest {path} is invalid: model {i + 1} {problem}")
    default = data.get("default")
    if default is not None and (not isinstance(default, str) or default not in {d["id"] for d in models}):
        raise ModelNotFoundError(f"model manifest {path} is invalid: default {default!r} is not one of its models")
    return {**data, "models": models, "default": default}


_REQUIRED = {"id": str, "file": str, "sha256": str, "architecture": str, "quantizer": str,
             "lambda": (int, float), "N": int, "M": int}


def _entry_problem(d: Any) -> Optional[str]:
    """Why a manifest entry is unusable, or None."""
    if not isinstance(d, dict):
        return "is not a JSON object"
    for key, kind in _REQUIRED.items():
        if key not in d:
            return f"lacks {key!r}"
        if not isinstance(d[key], kind) or isinstance(d[key], bool):
            return f"has a {type(d[key]).__name__} for {key!r}"
    name = d["file"]
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        return f"names a file outside the zoo folder ({name!r})"
    if len(d["sha256"]) != 64 or any(c not in "0123456789abcdef" for c in d["sha256"]):
        return "has a malformed sha256"
    for key in ("kodak", "training"):
        if d.get(key) is not None and not isinstance(d[key], dict):
            return f"has a {type(d[key]).__name__} for {key!r}"
    return None


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _entry(d: dict[str, Any]) -> ZooEntry:
    return ZooEntry(
        id=d["id"], file=d["file"], sha256=d["sha256"], architecture=d["architecture"],
        quantizer=d["quantizer"], lmbda=float(d["lambda"]), N=int(d["N"]), M=int(d["M"]),
        precision=str(d.get("precision", "fp16")), kodak=d.get("kodak"), training=d.get("training") or {},
    )


def list_models() -> list[ZooEntry]:
    return [_entry(d) for d in load_manifest()["models"]]


def has_model(model_id: str) -> bool:
    """True when the zoo's manifest lists ``model_id`` (the weights file is not checked)."""
    return any(e.id == model_id for e in list_models())


def get_entry(model_id: str) -> ZooEntry:
    for e in list_models():
        if e.id == model_id:
            return e
    known = ", ".join(e.id for e in list_models()) or "none installed"
    raise ModelNotFoundError(f"model {model_id!r} is not in the zoo ({known})")


def find_model(quantizer: str, lmbda: float, architecture: Optional[str] = None) -> ZooEntry:
    for e in list_models():
        if e.quantizer == quantizer and same_lambda(e.lmbda, lmbda) and (
            architecture is None or e.architecture == architecture
        ):
            return e
    raise ModelNotFoundError(f"no zoo model for quantizer={quantizer}, λ={lmbda:g}" + (f", {architecture}" if architecture else ""))


def default_model_id() -> Optional[str]:
    m = load_manifest()
    if m["default"]:
        return m["default"]
    return m["models"][0]["id"] if m["models"] else None
