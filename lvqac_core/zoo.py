"""The model zoo: ``resources/models/manifest.json`` lists every shipped checkpoint with its sha256
and measured Kodak results. Loading verifies the hash. Set ``LVQAC_ZOO_DIR`` to use another folder.

One schema: :class:`ZooEntry` (``to_json`` / ``from_json``) is what :func:`write_manifest` writes
(``scripts/build_zoo.py``) and what every reader gets. The manifest is parsed once per process and
read again only when its file changes (path, mtime, size) or after :func:`reload`.

Variable-rate networks (docs/training.md): a row may name a ``network`` (shared by the rows that use the
same variable-rate weights ``file``) and its ``lambda_range`` ``[lo, hi]``; the row's ``lambda`` is
then one preset of that network (the rate point its Kodak figures were measured at), and any λ in
the range can be coded with it. Rows without them are single-rate models.

Tiers (issue 27 §4): a row may name its ``tier``, e.g. ``"fast"`` (zoo v2's N 48 / M 64 networks)
or ``"wide"`` (N 128 / M 192): one family (quantizer) may then have a network in each tier, and
the (architecture, tier, quantizer, λ) of a preset row is unique. The lookups take a ``tier``
(None: any tier).
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from .errors import ModelNotFoundError
from .lambdas import lambda_in_range, nearest_index, same_lambda
from .resources import resources_dir

__all__ = [
    "ZooEntry",
    "zoo_dir",
    "load_manifest",
    "list_models",
    "get_entry",
    "has_model",
    "find_model",
    "find_covering",
    "available_lambdas",
    "tiers",
    "is_tier_name",
    "default_model_id",
    "write_manifest",
    "reload",
    "MANIFEST_FORMAT",
    "LEGACY_TIER",
]

MANIFEST_FORMAT = "lvqac-zoo/1"
LEGACY_TIER = "fast"  # zoo v2's tier: its model ids and curve names carry no tier name (files coded since keep decoding)


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
    group_size: Optional[int] = None  # the quantizer's group size (None: not recorded)
    file_bytes: Optional[int] = None  # size of the weights file, "bytes" in JSON (None: not recorded)
    network: Optional[str] = None  # the variable-rate network this row uses (None: a single-rate model)
    lambda_range: Optional[tuple[float, float]] = None  # (lo, hi) the network codes at (None: single-rate)
    tier: Optional[str] = None  # "fast", "wide", ...: which of a family's networks (None: not recorded)

    @property
    def variable_rate(self) -> bool:
        return self.lambda_range is not None

    def covers(self, lmbda: float) -> bool:
        """True when this row can code at ``lmbda`` (its own λ, or any λ in its network's range)."""
        if same_lambda(self.lmbda, lmbda):
            return True
        if self.lambda_range is None:
            return False
        lo, hi = self.lambda_range
        return lambda_in_range(lmbda, lo, hi)

    @property
    def path(self) -> Path:
        return zoo_dir() / self.file

    def label(self) -> str:
        k = self.kodak
        perf = f" — Kodak {k['bpp']:.3f} bpp, {k['psnr']:.2f} dB" if k else ""
        tier = f" ({self.tier})" if self.tier else ""
        return f"λ={self.lmbda:g} {self.quantizer}{tier}{perf}"

    def to_json(self) -> dict[str, Any]:
        """The manifest's entry (keys in file order; ``group_size`` / ``bytes`` only when known)."""
        d: dict[str, Any] = {
            "id": self.id, "file": self.file, "sha256": self.sha256, "architecture": self.architecture,
            "quantizer": self.quantizer, "lambda": self.lmbda, "N": self.N, "M": self.M,
        }
        if self.group_size is not None:
            d["group_size"] = self.group_size
        d["precision"] = self.precision
        if self.file_bytes is not None:
            d["bytes"] = self.file_bytes
        if self.network is not None:
            d["network"] = self.network
        if self.lambda_range is not None:
            d["lambda_range"] = [float(v) for v in self.lambda_range]
        if self.tier is not None:
            d["tier"] = self.tier
        d["kodak"] = self.kodak
        d["training"] = self.training
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "ZooEntry":
        """An entry from its manifest dict (checked by :func:`load_manifest` when read from disk)."""
        return cls(
            id=d["id"], file=d["file"], sha256=d["sha256"], architecture=d["architecture"],
            quantizer=d["quantizer"], lmbda=float(d["lambda"]), N=int(d["N"]), M=int(d["M"]),
            precision=str(d.get("precision", "fp16")), kodak=d.get("kodak"), training=d.get("training") or {},
            group_size=None if d.get("group_size") is None else int(d["group_size"]),
            file_bytes=None if d.get("bytes") is None else int(d["bytes"]),
            network=None if d.get("network") is None else str(d["network"]),
            lambda_range=None if d.get("lambda_range") is None else (float(d["lambda_range"][0]),
                                                                     float(d["lambda_range"][1])),
            tier=None if d.get("tier") is None else str(d["tier"]),
        )


def zoo_dir() -> Path:
    env = os.environ.get("LVQAC_ZOO_DIR")
    if env:
        return Path(env)
    return resources_dir() / "models"


_CACHE: dict[Path, tuple[tuple[int, int, int], dict[str, Any], tuple[ZooEntry, ...]]] = {}


def reload() -> None:
    """Forget the parsed manifests: the next zoo call reads the file again."""
    _CACHE.clear()


def _cached(directory: Optional[Path]) -> tuple[dict[str, Any], tuple[ZooEntry, ...]]:
    """The parsed manifest of ``directory`` (default :func:`zoo_dir`) and its entries, parsed again
    only when the file's (mtime, size) changed."""
    path = Path(directory or zoo_dir()) / "manifest.json"
    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        stamp = None
    hit = _CACHE.get(path)
    if stamp is not None and hit is not None and hit[0] == stamp:
        return hit[1], hit[2]
    data = _read_manifest(path)
    entries = tuple(ZooEntry.from_json(d) for d in data["models"])
    if stamp is not None:
        _CACHE[path] = (stamp, data, entries)
    return data, entries


def load_manifest(directory: Optional[Path] = None) -> dict[str, Any]:
    """The manifest as a checked dict (``{"format", "default", "models": [...], ...}``); an empty one
    when the folder has none."""
    data, _ = _cached(directory)
    return json.loads(json.dumps(data))  # a copy: callers may change it


def write_manifest(entries: list[ZooEntry], default: Optional[str], directory: Optional[Path] = None,
                   **extra: Any) -> Path:
    """Write ``manifest.json`` atomically from ``entries`` (and top-level ``extra`` keys, e.g.
    ``kodak_command``); the result is checked as a reader would check it."""
    from .files import atomic_write_bytes

    path = Path(directory or zoo_dir()) / "manifest.json"
    data = {"format": MANIFEST_FORMAT, "default": default, "models": [e.to_json() for e in entries], **extra}
    for i, d in enumerate(data["models"]):
        problem = _entry_problem(d)
        if problem:
            raise ValueError(f"model {i + 1} {problem}")
    problem = _rows_problem(data["models"])
    if problem:
        raise ValueError(problem)
    if default is not None and default not in {e.id for e in entries}:
        raise ValueError(f"default {default!r} is not one of the models")
    atomic_write_bytes(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"), overwrite=True)
    _CACHE.pop(path, None)
    return path


def _read_manifest(path: Path) -> dict[str, Any]:
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
    problem = _rows_problem(models)
    if problem:
        raise ModelNotFoundError(f"model manifest {path} is invalid: {problem}")
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
    for key in ("group_size", "bytes"):
        if d.get(key) is not None and (not isinstance(d[key], int) or isinstance(d[key], bool)):
            return f"has a {type(d[key]).__name__} for {key!r}"
    tier = d.get("tier")
    if tier is not None and (not isinstance(tier, str) or not _TIER.fullmatch(tier)):
        return f"has a 'tier' {tier!r} that is not a short lower-case name"
    return _network_problem(d)


_TIER = re.compile(r"[a-z][a-z0-9-]{0,23}")


def is_tier_name(name: str) -> bool:
    """Whether ``name`` is a valid tier name (a short lower-case word, as the manifest's)."""
    return isinstance(name, str) and _TIER.fullmatch(name) is not None


def _network_problem(d: dict[str, Any]) -> Optional[str]:
    """Why a row's ``network`` / ``lambda_range`` are unusable, or None (both or neither; the range
    two finite positive increasing numbers that hold the row's own λ)."""
    net, rng = d.get("network"), d.get("lambda_range")
    if net is None and rng is None:
        return None
    if net is None or rng is None:
        return "names a network without a lambda_range" if rng is None else "has a lambda_range without a network"
    if not isinstance(net, str) or not net.strip():
        return "has an empty or non-string 'network'"
    if (not isinstance(rng, list) or len(rng) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in rng)):
        return "has a 'lambda_range' that is not two numbers [lo, hi]"
    lo, hi = float(rng[0]), float(rng[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        return f"has a 'lambda_range' {rng} that is not two positive increasing numbers"
    lam = float(d["lambda"])
    if not lambda_in_range(lam, lo, hi):
        return f"has its lambda {lam:g} outside its lambda_range {lo:g} … {hi:g}"
    return None


def _rows_problem(models: list[dict[str, Any]]) -> Optional[str]:
    """Why rows that share weights disagree, or None: the rows of one ``network`` name one file,
    sha256, range and tier; rows naming one file either all name a network (the same) or none
    does; no two rows of a tier share (architecture, tier, quantizer, λ)."""
    by_net: dict[str, tuple[str, str, list, Optional[str]]] = {}
    by_file: dict[str, Optional[str]] = {}
    presets: set[tuple[str, Optional[str], str, float]] = set()
    for d in models:
        key = (d["architecture"], d.get("tier"), d["quantizer"], round(float(d["lambda"]), 9))
        if key[1] is not None and key in presets:  # (rows without a tier: as before tiers, the first wins)
            tier = f" {d['tier']}" if d.get("tier") else ""
            return f"two rows are {d['architecture']}{tier} {d['quantizer']} at λ {float(d['lambda']):g}"
        presets.add(key)
        net = d.get("network")
        if net is not None:
            shared = (d["file"], d["sha256"], list(d["lambda_range"]), d.get("tier"))
            seen = by_net.setdefault(net, shared)
            if seen != shared:
                return f"the rows of network {net!r} disagree on its file, sha256, lambda_range or tier"
        if d["file"] in by_file and by_file[d["file"]] != net:
            return f"rows naming the file {d['file']!r} disagree on its network"
        by_file.setdefault(d["file"], net)
    return None


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def list_models() -> list[ZooEntry]:
    return list(_cached(None)[1])


def has_model(model_id: str) -> bool:
    """True when the zoo's manifest lists ``model_id`` (the weights file is not checked)."""
    return any(e.id == model_id for e in list_models())


def names_zoo_model(spec: Union[str, os.PathLike]) -> bool:
    """The rule for a model a user names: a ``Path``, or a string with a ``/`` or ``\\`` or ending in
    ``.pt`` / ``.pth``, is a checkpoint path; any other string is the zoo model of that id when the
    manifest lists one (write ``./name`` for a file of that name), else a checkpoint path too."""
    if isinstance(spec, os.PathLike):
        return False
    s = str(spec)
    return not ("/" in s or "\\" in s or s.endswith((".pt", ".pth"))) and has_model(s)


def get_entry(model_id: str) -> ZooEntry:
    for e in list_models():
        if e.id == model_id:
            return e
    known = ", ".join(e.id for e in list_models()) or "none installed"
    raise ModelNotFoundError(f"model {model_id!r} is not in the zoo ({known})")


def _matches(e: ZooEntry, quantizer: str, architecture: Optional[str], tier: Optional[str]) -> bool:
    return (e.quantizer == quantizer and (architecture is None or e.architecture == architecture)
            and (tier is None or e.tier == tier))


def _which(quantizer: str, lmbda: Optional[float], architecture: Optional[str], tier: Optional[str]) -> str:
    return (f"quantizer={quantizer}" + (f", λ={lmbda:g}" if lmbda is not None else "")
            + (f", {architecture}" if architecture else "") + (f", tier {tier}" if tier else ""))


def find_model(quantizer: str, lmbda: float, architecture: Optional[str] = None,
               tier: Optional[str] = None) -> ZooEntry:
    """The preset row of ``quantizer`` at ``lmbda`` (of ``architecture`` / ``tier`` when given)."""
    for e in list_models():
        if _matches(e, quantizer, architecture, tier) and same_lambda(e.lmbda, lmbda):
            return e
    raise ModelNotFoundError(f"no zoo model for {_which(quantizer, lmbda, architecture, tier)}")


def find_covering(quantizer: str, lmbda: float, architecture: Optional[str] = None,
                  tier: Optional[str] = None) -> Optional[ZooEntry]:
    """The row of a variable-rate network of ``quantizer`` (and ``architecture`` / ``tier``) whose
    range holds ``lmbda``, the preset nearest to it in log λ (None when no network covers it; of
    several networks, the first listed that does)."""
    rows = [e for e in list_models() if _matches(e, quantizer, architecture, tier) and e.lambda_range is not None
            and e.covers(lmbda)]
    nets = list(dict.fromkeys(e.network for e in rows))
    rows = [e for e in rows if e.network == (nets[0] if nets else None)]
    if not rows:
        return None
    return rows[nearest_index(lmbda, [e.lmbda for e in rows])]


def available_lambdas(quantizer: str, architecture: Optional[str] = None, tier: Optional[str] = None) -> str:
    """The λ the zoo codes at for ``quantizer``, in words: its presets and its networks' ranges."""
    rows = [e for e in list_models() if _matches(e, quantizer, architecture, tier)]
    if not rows:
        return "none installed"
    presets = ", ".join(f"{v:g}" for v in sorted({e.lmbda for e in rows}))
    ranges = sorted({(e.network, e.lambda_range) for e in rows if e.lambda_range is not None})
    text = f"presets {presets}"
    if ranges:
        text += "; any λ in " + ", ".join(f"{lo:g} … {hi:g} ({net})" for net, (lo, hi) in ranges)
    return text


def tiers() -> list[tuple[str, int, int]]:
    """The tiers the zoo's rows name, as (tier, N, M) in manifest order (the widths of the tier's
    first row); rows without a tier are left out."""
    seen: dict[str, tuple[str, int, int]] = {}
    for e in list_models():
        if e.tier is not None and e.tier not in seen:
            seen[e.tier] = (e.tier, e.N, e.M)
    return list(seen.values())


def default_model_id() -> Optional[str]:
    m = _cached(None)[0]
    if m["default"]:
        return m["default"]
    return m["models"][0]["id"] if m["models"] else None
