"""CompressAI's models and checkpoints: recognised, validated and loaded as our models.

People keep CompressAI weights in two forms:

- the files ``compressai.zoo`` downloads into torch hub's cache, named ``<arch>[-<metric>]-<quality>-
  <sha256 prefix>.pth.tar`` (e.g. ``mbt2018-mean-3-e522738d.pth.tar``), holding a bare state_dict,
  possibly in PyTorch's legacy (pre-1.6) format and with CompressAI's old entropy-bottleneck names;
- the checkpoints CompressAI's ``examples/train.py`` writes: a dict whose ``state_dict`` holds the
  weights (with a ``module.`` prefix when trained under DataParallel).

The architecture and N/M are inferred from the weights' names and shapes (the file name is only
used to say what a file looks like when its weights do not fit). Those that map onto our own
networks are loaded into them, so they code through the same latent codecs, exact coding nets and
bitstream as our models:

=====================  =======================  ==============================================
CompressAI             ours                     how
=====================  =======================  ==============================================
mbt2018-mean           minnen2018-mean          same layers, same names
mbt2018                minnen2018 (raster)      ``context_prediction`` → ``context``
cheng2020-anchor       cheng2020 (raster)       ``context_prediction`` → ``context``
cheng2020-attn         cheng2020-attn (raster)  imported architecture (attention blocks)
bmshj2018-hyperprior   bmshj2018-hyperprior     imported architecture: |y| into h_a, h_s's σ
                                                padded with a zero μ half (:mod:`..models.transforms`)
bmshj2018-factorized   —                        no hyperprior: not supported
=====================  =======================  ==============================================

CompressAI's ``GaussianConditional`` tables are dropped (our scalar quantizer codes round(y − μ)
with its own tables, like CompressAI's) and the entropy bottleneck's tables are rebuilt after its
quantiles are bounded. A file is untrusted input exactly as our checkpoints are: weights only,
every tensor dense, finite and bounded, shapes checked against the model before loading, table
sizes bounded before they are built (:mod:`lvqac_core.checkpoint_validation`), and a legacy-format
file's storages bounded by its size before ``torch.load`` (:mod:`.legacy_torch`).
"""
from __future__ import annotations

import io
import re
from collections import OrderedDict
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import torch

from ..checkpoint import DERIVED_KEYS, model_from_state, regular_file_stat, safe_torch_load
from ..checkpoint_validation import (MAX_CHECKPOINT_BYTES, MAX_TENSORS, config_problem, describe,
                                     state_dict_problem, zip_problem)
from ..errors import ModelNotFoundError
from ..models import LatticeCodecModel
from .legacy_torch import is_legacy_file, legacy_problem

__all__ = ["CompressAIModel", "ARCHITECTURE_MAP", "SUPPORTED", "NOT_SUPPORTED", "NEW_PARAM_PREFIXES",
           "parse_hub_name", "hub_model_id", "looks_like_torch_file", "init_shape", "inspect_file", "read_compressai", "load_compressai",
           "MSE_LAMBDAS", "MS_SSIM_LAMBDAS"]

ARCHITECTURE_MAP: dict[str, Optional[str]] = {
    "mbt2018-mean": "minnen2018-mean",
    "bmshj2018-hyperprior": "bmshj2018-hyperprior",
    "mbt2018": "minnen2018",
    "cheng2020-anchor": "cheng2020",
    "cheng2020-attn": "cheng2020-attn",
    "bmshj2018-factorized": None,
}
"""CompressAI's architecture name → ours (None: recognised, not supported)."""
SUPPORTED = tuple(k for k, v in ARCHITECTURE_MAP.items() if v)
NOT_SUPPORTED = {
    "bmshj2018-factorized": "it has no hyperprior (its latent has a factorized prior), which LVQAC's codecs are built on",
}
MSE_LAMBDAS = (0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800)
"""λ of CompressAI's pretrained qualities 1–8 (MSE); ``MS_SSIM_LAMBDAS`` for the ms-ssim ones."""
MS_SSIM_LAMBDAS = (2.40, 4.58, 8.73, 16.64, 31.73, 60.50, 115.37, 220.00)
NEW_PARAM_PREFIXES = ("quantizer.", "a_head.", "selection_head.")
"""What an LVQ / LVQAC model built on a CompressAI file's transforms adds (kept at their init)."""

_HUB_NAME = re.compile(
    r"^(?P<arch>bmshj2018[-_]factorized(?:[-_]prior)?|bmshj2018[-_]hyperprior|mbt2018[-_]mean|mbt2018"
    r"|cheng2020[-_]anchor|cheng2020[-_]attn)(?:-(?P<metric>mse|ms-ssim))?-(?P<quality>[1-8])-[0-9a-f]{6,64}"
    r"\.pth(?:\.tar)?$")
# entries never read: CompressAI's Gaussian tables, the bottleneck's tables (rebuilt), the context mask
_IGNORED_PREFIXES = ("gaussian_conditional.",)
_IGNORED = ("entropy_bottleneck._quantized_cdf", "entropy_bottleneck._offset", "entropy_bottleneck._cdf_length",
            "context_prediction.mask") + DERIVED_KEYS
_OLD_BOTTLENECK = re.compile(r"^entropy_bottleneck\._?(matri(?:x|ces)|bias(?:es)?|factors?)\.?(\d+)$")
_DICTS = (dict, OrderedDict)  # what torch.save(model.state_dict()) gives back
_PLURAL = {"matrix": "matrices", "matrices": "matrices", "bias": "biases", "biases": "biases",
           "factor": "factors", "factors": "factors"}


@dataclass(frozen=True)
class CompressAIModel:
    """A recognised CompressAI weights file: what it is, not yet loaded."""

    path: Path
    architecture: str  # CompressAI's name, e.g. "mbt2018-mean"
    N: int
    M: int
    form: str  # "hub" (a bare state_dict, as compressai.zoo's files) or "train.py" (a dict with "state_dict")
    data_parallel: bool = False  # names carried DataParallel's "module." prefix
    quality: Optional[int] = None  # from a hub-cache file name
    metric: Optional[str] = None  # "mse" or "ms-ssim", from a hub-cache file name
    legacy_format: bool = False  # PyTorch's pre-1.6 serialization
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ours(self) -> Optional[str]:
        """Our architecture for it (None: not supported)."""
        return ARCHITECTURE_MAP.get(self.architecture)

    @property
    def supported(self) -> bool:
        return self.ours is not None

    @property
    def lmbda(self) -> float:
        """CompressAI's λ for a pretrained quality (its metric's scale); 0 when unknown (train.py files)."""
        if self.quality is None:
            return 0.0
        table = MS_SSIM_LAMBDAS if self.metric == "ms-ssim" else MSE_LAMBDAS
        return table[self.quality - 1]

    @property
    def model_id(self) -> str:
        """The id written into ``.lvq`` files: ``compressai-<arch>-<metric>-q<quality>`` for a hub-cache
        file, ``compressai-<arch>-<file stem>`` otherwise (printable ASCII, at most 120 characters).
        A decoder still needs the file itself (``--model FILE``): the id is never looked up as a path."""
        if self.quality is not None:
            return hub_model_id(self.path.name) or f"compressai-{self.architecture}-{self.metric}-q{self.quality}"
        stem = self.path.name.split(".")[0] or "model"
        return (f"compressai-{self.architecture}-" + re.sub(r"[^A-Za-z0-9_.+-]", "_", stem))[:120]

    def config(self, quantizer: str = "scalar", quantizer_options: Optional[dict] = None) -> dict[str, Any]:
        """Our model config for these weights (``quantizer`` other than scalar: the inference swap or a
        fine-tuning start; its own parameters start from their init)."""
        if self.ours is None:
            raise ModelNotFoundError(self.unsupported_message())
        return {
            "architecture": self.ours, "quantizer": quantizer, "N": self.N, "M": self.M, "lmbda": self.lmbda,
            "group_size": 0, "quantizer_options": dict(quantizer_options or {}), "lambdas": [],
            "provenance": {"source": "compressai", "compressai_architecture": self.architecture,
                           "file": self.path.name[:200], "quality": self.quality, "metric": self.metric},
        }

    def unsupported_message(self) -> str:
        return (f"{self.path.name} is CompressAI's {self.architecture} (N={self.N}, M={self.M}), which LVQAC "
                f"Studio cannot code yet: {NOT_SUPPORTED.get(self.architecture, 'no mapping')} "
                f"(supported: {', '.join(SUPPORTED)})")

    def describe(self) -> str:
        """One line for listings: architecture, N/M, quality (and metric), form."""
        q = f" quality {self.quality} ({self.metric or 'mse'})" if self.quality else ""
        fmt = f"{self.form} form" + (", DataParallel" if self.data_parallel else "") + (
            ", legacy format" if self.legacy_format else "")
        return f"{self.architecture} N={self.N} M={self.M}{q}, {fmt}"


def parse_hub_name(name: str) -> Optional[tuple[str, Optional[str], int]]:
    """(architecture, metric or None, quality) of a hub-cache file name, else None."""
    m = _HUB_NAME.match(name)
    if not m:
        return None
    arch = m.group("arch").replace("_", "-").replace("-prior", "")
    return arch, m.group("metric"), int(m.group("quality"))


def hub_model_id(name: str) -> Optional[str]:
    """The model id a hub-cache file of this name gets (None: not such a name)."""
    parsed = parse_hub_name(name)
    if parsed is None:
        return None
    arch, metric, quality = parsed
    return f"compressai-{arch}-{metric or 'mse'}-q{quality}"


def _not_recognised(path: Path, why: str) -> ModelNotFoundError:
    return ModelNotFoundError(
        f"{path.name} is neither an LVQAC checkpoint nor a CompressAI model LVQAC Studio recognises ({why}); "
        f"supported CompressAI architectures: {', '.join(SUPPORTED)}")


def looks_like_torch_file(path: Path) -> bool:
    """A zip archive or PyTorch's legacy format, judged by the first bytes (cheap)."""
    try:
        with open(path, "rb") as f:
            head = f.read(32)
    except OSError:
        return False
    return head.startswith(b"PK\x03\x04") or is_legacy_file(head)


def _read_raw(path: Path) -> tuple[Any, bool]:
    """The file's payload (tensors and plain data only) and whether it was in the legacy format."""
    st = regular_file_stat(path)
    if st.st_size > MAX_CHECKPOINT_BYTES:
        raise ModelNotFoundError(f"cannot read weights file {path}: it is {st.st_size} bytes, over the limit of "
                                 f"{MAX_CHECKPOINT_BYTES} bytes")
    with open(path, "rb") as f:
        head = f.read(32)
    if not is_legacy_file(head):
        problem = zip_problem(path, st.st_size)
        if problem:
            raise ModelNotFoundError(f"cannot read weights file {path}: {problem}")
        return safe_torch_load(path), False
    data = path.read_bytes()
    problem = legacy_problem(data)
    if problem:
        raise ModelNotFoundError(f"cannot read weights file {path}: {problem}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True), True
    except MemoryError:
        raise ModelNotFoundError(f"cannot load weights file {path}: not enough memory") from None
    except Exception as e:  # noqa: BLE001 - any unpickling or storage error: not weights we can read
        text = " ".join(str(e).split())[:120]
        raise ModelNotFoundError(f"cannot read weights file {path}: not a PyTorch checkpoint ({text})") from None


def _our_name(key: str) -> str:
    """CompressAI's key as our model names it (old bottleneck names, Cheng's old ``downsample``,
    the context convolution)."""
    m = _OLD_BOTTLENECK.match(key)
    if m:
        return f"entropy_bottleneck.{_PLURAL[m.group(1)]}.{m.group(2)}"
    if ".downsample." in key:
        key = key.replace(".downsample.", ".skip.")
    if key.startswith("context_prediction."):
        key = "context." + key[len("context_prediction."):]
    return key


def _shape(state: dict, key: str) -> Optional[tuple[int, ...]]:
    t = state.get(key)
    return tuple(t.shape) if isinstance(t, torch.Tensor) else None


def _identify(state: dict) -> Optional[tuple[str, int, int]]:
    """(CompressAI architecture, N, M) from names and shapes (names already ours), else None."""
    first, last = _shape(state, "g_a.0.weight"), _shape(state, "g_a.6.weight")
    if first and last and len(first) == 4 and first[1:] == (3, 5, 5) and len(last) == 4:
        N, M = first[0], last[0]
        if _shape(state, "h_a.0.weight") is None:
            return "bmshj2018-factorized", N, M
        if _shape(state, "context.weight") is not None:
            return "mbt2018", N, M
        h_s = _shape(state, "h_s.4.weight")
        if h_s and h_s[0] == 2 * M:
            return "mbt2018-mean", N, M
        if h_s and h_s[0] == M:
            return "bmshj2018-hyperprior", N, M
        return None
    res = _shape(state, "g_a.0.conv1.weight")
    if res and len(res) == 4 and res[1] == 3:
        N = res[0]
        if any(k.startswith("g_a.3.conv_a.") for k in state):
            last = _shape(state, "g_a.7.weight")
            return ("cheng2020-attn", N, last[0]) if last and len(last) == 4 else None
        last = _shape(state, "g_a.6.weight")
        if last and len(last) == 4:
            return "cheng2020-anchor", N, last[0]
    return None


def _to_our_layout(arch: str, state: dict[str, torch.Tensor], M: int) -> dict[str, torch.Tensor]:
    """The scale hyperprior's names and h_s's σ-only output as our imported architecture has them."""
    if arch != "bmshj2018-hyperprior":
        return state
    out = {}
    for k, v in state.items():
        m = re.match(r"^h_a\.(\d+)\.(weight|bias)$", k)
        if m:  # h_a.0/2/4 → h_a.1/3/5 behind the leading Abs
            k = f"h_a.{int(m.group(1)) + 1}.{m.group(2)}"
        elif k in ("h_s.4.weight", "h_s.4.bias") and v.shape[0] == M:
            v = torch.cat([v, torch.zeros_like(v)], dim=0)  # σ, then a μ half of zeros
        out[k] = v
    return out


def read_compressai(path: str | Path) -> tuple[CompressAIModel, dict[str, torch.Tensor]]:
    """Read and recognise a CompressAI weights file: what it is, and its validated tensors under our
    model's names. Unrecognised or hostile files raise ``ModelNotFoundError`` with one line."""
    path = Path(path)
    payload, legacy = _read_raw(path)
    form = "hub"
    state = payload
    if type(payload) in _DICTS and ("format" in payload or "config" in payload):  # ours, or someone else's
        fmt = payload.get("format")
        raise _not_recognised(path, f"it is tagged as format {describe(fmt)}" if fmt is not None
                              else "it carries a config, which CompressAI's files do not")
    if type(payload) in _DICTS and type(payload.get("state_dict")) in _DICTS:
        form, state = "train.py", payload["state_dict"]
    if type(state) not in _DICTS or not state:
        raise _not_recognised(path, "it holds no state_dict")
    if len(state) > MAX_TENSORS:
        raise _not_recognised(path, f"its state_dict holds {len(state)} entries")
    for name in state:
        if type(name) is not str or not 0 < len(name) <= 256:
            raise _not_recognised(path, f"its state_dict has a name that is {describe(name)}")
    data_parallel = all(k.startswith("module.") for k in state)
    renamed: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        key = key[len("module."):] if data_parallel else key
        if key.startswith(_IGNORED_PREFIXES) or key in _IGNORED:
            continue
        renamed[_our_name(key)] = value
    problem = state_dict_problem(renamed)
    if problem:
        raise ModelNotFoundError(f"{path.name} is not a usable CompressAI checkpoint: {problem}")
    found = _identify(renamed)
    by_name = parse_hub_name(path.name)
    if found is None:
        hint = f"its name says {by_name[0]}, but its weights are not that architecture's" if by_name else \
            "its weights are not one of CompressAI's standard architectures"
        raise _not_recognised(path, hint)
    arch, N, M = found
    quality = metric = None
    if by_name is not None and by_name[0] == arch:
        _, metric, quality = by_name
        metric = metric or "mse"
    info = CompressAIModel(path=path, architecture=arch, N=int(N), M=int(M), form=form,
                           data_parallel=data_parallel, quality=quality, metric=metric, legacy_format=legacy)
    return info, _to_our_layout(arch, renamed, int(M))


def inspect_file(path: str | Path) -> CompressAIModel:
    """What a CompressAI file is (recognised and validated, not built)."""
    return read_compressai(path)[0]


def init_shape(path: str | Path) -> Optional[tuple[str, int, int]]:
    """(our architecture, N, M) of a supported CompressAI file, else None (not one, or unreadable:
    the trainer's reader then says why)."""
    try:
        info = inspect_file(path)
    except (ModelNotFoundError, OSError):
        return None
    return (info.ours, info.N, info.M) if info.ours else None


def load_compressai(path: str | Path, device: str | torch.device = "cpu", quantizer: str = "scalar",
                    quantizer_options: Optional[dict] = None) -> tuple[LatticeCodecModel, CompressAIModel]:
    """Our model with a CompressAI file's weights, coding tables built, eval mode.

    ``quantizer="scalar"`` (default) is the file's own model: it codes as CompressAI's would
    (round(y − μ), Gaussian tables). ``"lvq"`` / ``"lvqac"`` keep its transforms and swap the
    quantizer at inference (LVQAC's A head starts at A = 1 with the ``exp`` compander): the
    experiment of docs/interop.md, expected to lose without fine-tuning.
    """
    info, state = read_compressai(path)
    config = info.config(quantizer, quantizer_options)
    problem = config_problem(config)
    if problem:
        raise ModelNotFoundError(f"{Path(path).name}: {problem}")
    new_ok = ("lower_bound_scale.",) + (NEW_PARAM_PREFIXES if quantizer != "scalar" else ())
    model = model_from_state(config, _with_constants(config, state), info.path, device, new_ok=new_ok)
    return model, info


_CONSTANT_SUFFIXES = ("likelihood_lower_bound.bound", "entropy_bottleneck.target", "_reparam.pedestal", "_reparam.lower_bound.bound")


def _with_constants(config: dict, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Add the constant buffers an older CompressAI file may lack (GDN's reparametrisation constants,
    likelihood bounds), from a freshly built model of the same config."""
    from ..models import ModelConfig, build_model

    want = {"entropy_bottleneck.likelihood_lower_bound.bound", "entropy_bottleneck.target"}
    for k in state:
        if k.endswith((".beta", ".gamma")):  # GDN: its reparametrisation's two constants
            want |= {k + "_reparam.pedestal", k + "_reparam.lower_bound.bound"}
    if all(k in state for k in want):  # CompressAI ≥ 1.1 files have them all: no second model to build
        return state
    fresh = {k: v for k, v in build_model(ModelConfig.from_dict(config)).state_dict().items()
             if k.endswith(_CONSTANT_SUFFIXES) and k not in state}
    return {**state, **fresh} if fresh else state
