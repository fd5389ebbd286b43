"""Checks that make an untrusted checkpoint safe to read, build and code with (docs/security.md).

A checkpoint is hostile input, as a ``.lvq`` file is: people download them. Everything here runs
before a value from the file reaches a constructor, CompressAI or a model, and returns a one-line
reason (or None) instead of raising. No function calls ``str()``/``repr()`` on an object from the
file unless :func:`plain_data_problem` bounded its size first; messages use :func:`describe`.

- :func:`zip_problem`: the file is a PyTorch zip archive whose entries are stored (not deflated),
  so nothing it holds inflates beyond the file's own size; the size is capped.
- :func:`plain_data_problem`: configs, provenance and ``extra`` are plain data (dict with string
  keys, list, str, numbers, None) of bounded size, counted as a tree (shared references count
  each time they are reached: a 1.8 KB pickle of nested shared lists is 2^40 elements).
- :func:`config_problem`: every config field's type and range.
- :func:`tensor_problem` / :func:`state_dict_problem`: every tensor dense, no larger than its storage, of a known
  dtype, finite and of bounded magnitude (metadata is checked before any element is read).
- :func:`table_size_problem`: the entropy models' tables (the bottleneck's quantiles, the latent
  cells' CDF lengths) stay small, checked on the built model before ``update()`` builds them.
"""
from __future__ import annotations

import math
import os
import zipfile
from typing import Any, Optional

import torch

from .models.latent_codecs.selection import HEAD_HIDDEN, SELECTION_CODINGS
from .models.registry import ARCHITECTURES, known_architecture
from .lambdas import lambda_in_range
from .quantizers.base import RATE_PROXIES
from .quantizers.companding import COMPANDERS, TAILS
from .quantizers.lvq import LATTICE_TRAIN_MODES
from .quantizers.lvqac import A_SIDES, STE_DOMAINS, V_SCALES
from .quantizers.scalar import TRAIN_MODES as SCALAR_TRAIN_MODES

__all__ = ["describe", "zip_problem", "plain_data_problem", "config_problem", "tensor_problem",
           "state_dict_problem", "table_size_problem", "MAX_CHECKPOINT_BYTES", "MIN_CHANNELS", "MAX_CHANNELS",
           "MAX_ABS_WEIGHT", "MAX_BOTTLENECK_TABLE", "MAX_CELL_TABLE", "MAX_CELL_ENTRIES"]

MAX_CHECKPOINT_BYTES = 1 << 30
"""Largest checkpoint file read (a 512-channel cheng2020 in fp32 is about 0.1 GB)."""
MIN_CHANNELS = 4
"""Smallest N / M: CompressAI's encoder needs streams of ≥ 4 symbols (docs/security.md); the
encoder guards that too, but no useful network is narrower."""
MAX_CHANNELS = 512
MAX_A_LEVELS = 64
MAX_LAMBDAS = 64
MAX_OPTION_VALUE = 1e6
MAX_ABS_WEIGHT = 1e5
"""Largest |weight| accepted (the zoo's largest is 119, the bottleneck's quantiles)."""
MAX_BOTTLENECK_TABLE = 4096
"""Longest hyper-latent table: quantile span + 1 (the zoo's longest is 232)."""
MAX_CELL_TABLE = 1 << 15
"""Longest latent-cell table (the zoo's is 3136; a 16-bit CDF cannot give more than 2^16 symbols
a non-zero frequency)."""
MAX_CELL_ENTRIES = 1 << 21
"""Most entries in all latent-cell tables together (the zoo's LVQAC network: 0.93 M; 64 A levels with
its compander would need 3.5 M and are refused; build times in docs/security.md)."""
MAX_TENSORS = 10_000
MAX_TENSOR_ELEMENTS = 1 << 28
MAX_PLAIN_NODES = 100_000
MAX_PLAIN_DEPTH = 32
MAX_STRING = 4096

_FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_INT_DTYPES = (torch.int32, torch.int64, torch.uint8, torch.int8, torch.int16, torch.bool)
_FIELDS = ("architecture", "quantizer", "N", "M", "lmbda", "group_size", "quantizer_options", "provenance",
           "lambdas")
_COMMON_OPTIONS = {"train_mode", "rate_proxy"}
QUANTIZER_OPTIONS = {
    "scalar": _COMMON_OPTIONS,
    "lvq": _COMMON_OPTIONS | {"tau", "selection_coding", "head_hidden"},
    "lvqac": _COMMON_OPTIONS | {"tau", "v_init", "tail", "a_max", "a_levels", "compander", "a_grad_alpha",
                                "a_grad_scale", "ste_domain", "selection_coding", "head_hidden", "v_scale",
                                "a_side"},
}
# the values each enumerated option may take, from the quantizers themselves
_CHOICES = {
    "train_mode": {"scalar": SCALAR_TRAIN_MODES, "lvq": LATTICE_TRAIN_MODES, "lvqac": LATTICE_TRAIN_MODES},
    "rate_proxy": {q: RATE_PROXIES for q in QUANTIZER_OPTIONS},
    "compander": {"lvqac": COMPANDERS},
    "ste_domain": {"lvqac": STE_DOMAINS},
    "v_scale": {"lvqac": V_SCALES},
    "a_side": {"lvqac": A_SIDES},
    "tail": {"lvqac": TAILS},
    "selection_coding": {"lvq": SELECTION_CODINGS, "lvqac": SELECTION_CODINGS},
}


# ---------------------------------------------------------------- messages ----------------
def describe(value: Any) -> str:
    """A short text for ``value`` that never walks or prints a container (safe on any object)."""
    if value is None or isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        if value.bit_length() > 64:  # str() of a huge int is slow (and limited): its size instead
            return f"an integer of {value.bit_length()} bits"
        return str(int(value))
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(str(text))
    return f"a {type(value).__name__}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite_number(value: Any, lo: float, hi: float, lo_open: bool = False) -> bool:
    if not _is_number(value):
        return False
    try:
        v = float(value)
    except OverflowError:
        return False
    return math.isfinite(v) and (v > lo if lo_open else v >= lo) and v <= hi


def _int_in(value: Any, lo: int, hi: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


# ---------------------------------------------------------------- the file ----------------
def zip_problem(path: os.PathLike | str, size: int) -> Optional[str]:
    """Why ``path`` (``size`` bytes) is not a PyTorch zip checkpoint whose content is bounded by
    its size, or None. ``torch.save`` stores its entries uncompressed; a deflated entry could
    inflate a few MB into GBs before any check, so it is refused."""
    if size > MAX_CHECKPOINT_BYTES:
        return f"it is {size} bytes, over the limit of {MAX_CHECKPOINT_BYTES} bytes"
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        return "not a PyTorch checkpoint (not a zip archive, as torch.save writes)"
    if len(infos) > 4 * MAX_TENSORS:
        return f"its archive holds {len(infos)} entries"
    total = 0
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED:
            return "its archive holds compressed entries (torch.save stores them uncompressed)"
        total += info.file_size
    if total > size:
        return "its archive's entries claim more bytes than the file holds"
    return None


# ---------------------------------------------------------------- plain data --------------
def plain_data_problem(value: Any, what: str, *, nodes: int = MAX_PLAIN_NODES) -> Optional[str]:
    """Why ``value`` is not bounded plain data, or None.

    Plain data: None, bool, int, float, str (≤ 4096 characters), and lists, tuples and dicts
    with string keys of them, at most 32 levels deep and ``nodes`` values in all, counted as a
    tree (a value reached twice counts twice, so the walk stops early on shared-reference bombs).
    """
    stack = [(value, 0)]
    seen = 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if seen > nodes:
            return f"{what} holds more than {nodes} values"
        if depth > MAX_PLAIN_DEPTH:
            return f"{what} is nested more than {MAX_PLAIN_DEPTH} levels deep"
        if item is None or isinstance(item, (bool, float)):
            continue
        if isinstance(item, int):
            if item.bit_length() > 64:
                return f"{what} holds an integer of {item.bit_length()} bits"
            continue
        if isinstance(item, str):
            if len(item) > MAX_STRING:
                return f"{what} holds a string of {len(item)} characters"
            continue
        if type(item) in (list, tuple):
            if len(item) > nodes:
                return f"{what} holds more than {nodes} values"
            stack.extend((v, depth + 1) for v in item)
            continue
        if type(item) is dict:
            if len(item) > nodes:
                return f"{what} holds more than {nodes} values"
            for k, v in item.items():
                if type(k) is not str:
                    return f"{what} has a key that is {describe(k)}, not a string"
                if len(k) > MAX_STRING:
                    return f"{what} has a key of {len(k)} characters"
                stack.append((v, depth + 1))
            continue
        return f"{what} holds {describe(item)}, which is not plain data"
    return None


# ---------------------------------------------------------------- the config --------------
def config_problem(config: Any) -> Optional[str]:
    """Why a checkpoint's ``config`` cannot be built safely, or None.

    Checked before anything is allocated: a foreign or crafted checkpoint must not make the
    loader build a model of absurd size, crash inside a constructor or code with CompressAI's
    encoder outside its range.
    """
    if type(config) is not dict:
        return "its config is missing or not a dict"
    problem = plain_data_problem(config, "its config")
    if problem:
        return problem
    arch = config.get("architecture")
    if type(arch) is not str or not known_architecture(arch):
        return f"unknown architecture {describe(arch)} (known: {', '.join(sorted(ARCHITECTURES))})"
    quantizer = config.get("quantizer", "scalar")
    if type(quantizer) is not str or quantizer not in QUANTIZER_OPTIONS:
        return f"unknown quantizer {describe(quantizer)} (known: {', '.join(QUANTIZER_OPTIONS)})"
    for key in ("N", "M"):
        value = config.get(key, 128 if key == "N" else 192)
        if not _int_in(value, MIN_CHANNELS, MAX_CHANNELS):
            return f"{key} must be an integer in {MIN_CHANNELS}..{MAX_CHANNELS}, not {describe(value)}"
    M = config.get("M", 192)
    g = config.get("group_size", 0)
    if not _int_in(g, 0, MAX_CHANNELS) or (g and M % g):
        return f"group_size must be 0 or a divisor of M, not {describe(g)}"
    lmbda = config.get("lmbda", 0.0075)
    if not _finite_number(lmbda, 0.0, MAX_OPTION_VALUE):
        return f"lambda must be a finite non-negative number, not {describe(lmbda)}"
    problem = _lambdas_problem(config.get("lambdas", []), lmbda)
    if problem:
        return problem
    provenance = config.get("provenance", {})
    if type(provenance) is not dict:
        return f"provenance must be a dict, not {describe(provenance)}"
    options = config.get("quantizer_options", {})
    if type(options) is not dict:
        return f"quantizer_options must be a dict, not {describe(options)}"
    return _options_problem(quantizer, options)


def _lambdas_problem(lambdas: Any, lmbda: Any) -> Optional[str]:
    if lambdas is None:
        return None
    if type(lambdas) is not list or len(lambdas) > MAX_LAMBDAS:
        return f"lambdas must be a list of at most {MAX_LAMBDAS} numbers, not {describe(lambdas)}"
    if not all(_finite_number(v, 0.0, MAX_OPTION_VALUE, lo_open=True) for v in lambdas):
        return "lambdas must be finite positive numbers"
    if any(b <= a for a, b in zip(lambdas, lambdas[1:])):
        return "lambdas must be strictly increasing"
    if lambdas and not lambda_in_range(lmbda, lambdas[0], lambdas[-1]):
        return f"lambda {describe(lmbda)} lies outside its lambdas {describe(lambdas[0])} … {describe(lambdas[-1])}"
    return None


def _options_problem(quantizer: str, options: dict) -> Optional[str]:
    unknown = sorted(set(options) - QUANTIZER_OPTIONS[quantizer])  # keys are strings (plain data)
    if unknown:
        return f"unknown {quantizer} quantizer option(s) {', '.join(describe(k) for k in unknown[:5])}"
    for key in ("tau", "v_init", "a_grad_alpha", "a_grad_scale"):
        if key in options and not _finite_number(options[key], 0.0, MAX_OPTION_VALUE, lo_open=True):
            return (f"quantizer option {key} must be a positive number up to {MAX_OPTION_VALUE:g}, "
                    f"not {describe(options[key])}")
    if "a_max" in options and not _finite_number(options["a_max"], 1.0, MAX_OPTION_VALUE, lo_open=True):
        return f"quantizer option a_max must lie in (1, 1e6], not {describe(options['a_max'])}"
    hidden = options.get("head_hidden", HEAD_HIDDEN)
    if not _int_in(hidden, 1, MAX_CHANNELS):
        return f"option head_hidden must be an integer in 1..{MAX_CHANNELS}, not {describe(hidden)}"
    levels = options.get("a_levels", 16)
    if not _int_in(levels, 1, MAX_A_LEVELS):
        return f"quantizer option a_levels must be an integer in 1..{MAX_A_LEVELS}, not {describe(levels)}"
    for key, allowed in _CHOICES.items():
        if key in options and (type(options[key]) is not str or options[key] not in allowed[quantizer]):
            return (f"unknown {quantizer} quantizer option {key}={describe(options[key])} "
                    f"(known: {', '.join(allowed[quantizer])})")
    if options.get("a_side", "both") != "both" and options.get("compander", "alaw") != "exp":
        return "quantizer option a_side='below' (dead zones only) needs compander 'exp'"
    return None


# ---------------------------------------------------------------- tensors -----------------
def tensor_problem(name: str, tensor: Any) -> Optional[str]:
    """Why ``tensor`` is not a dense, finite CPU tensor of a known dtype with
    |values| ≤ :data:`MAX_ABS_WEIGHT`, or None. Its metadata is checked before any element is
    read: it may not claim more elements than its storage holds (a stride-0 view of one stored
    number may claim 2^40 elements), and storages are bounded by the file's size."""
    if type(tensor) not in (torch.Tensor, torch.nn.Parameter):
        return f"{name} is {describe(tensor)}, not a tensor"
    if tensor.layout != torch.strided or tensor.is_quantized or tensor.is_nested:
        return f"{name} is not a dense tensor ({str(tensor.layout).replace('torch.', '')})"
    if tensor.device.type != "cpu":
        return f"{name} is not stored on the CPU"
    if tensor.dtype not in _FLOAT_DTYPES + _INT_DTYPES:
        return f"{name} has the unsupported dtype {str(tensor.dtype).replace('torch.', '')}"
    if tensor.dim() > 8:
        return f"{name} has {tensor.dim()} dimensions"
    if tensor.numel() > MAX_TENSOR_ELEMENTS:
        return f"{name} claims {tensor.numel()} elements"
    if tensor.numel() > tensor.untyped_storage().nbytes() // tensor.element_size():
        return f"{name} claims more elements than its storage holds (an overlapping view)"
    if tensor.is_floating_point() and tensor.numel():
        lo, hi = (float(v) for v in torch.aminmax(tensor.detach()))  # no copy; NaN propagates
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return f"weights contain NaN or infinite values ({name})"
        if max(-lo, hi) > MAX_ABS_WEIGHT:
            return f"{name} holds values beyond ±{MAX_ABS_WEIGHT:g}, which no trained network has"
    return None


def state_dict_problem(state: Any, skip: tuple[str, ...] = ()) -> Optional[str]:
    """Why ``state`` is not a dict of at most 10 000 valid tensors (:func:`tensor_problem`) with
    short string names, or None. Entries named in ``skip`` (rebuilt on load) are not examined."""
    if type(state) is not dict:
        return f"its state_dict is {describe(state)}, not a dict of tensors"
    if len(state) > MAX_TENSORS:
        return f"its state_dict holds {len(state)} entries"
    for name in state:
        if type(name) is not str or not 0 < len(name) <= 256:
            return f"its state_dict has a name that is {describe(name)}"
    for name, tensor in state.items():
        if name in skip:
            continue
        problem = tensor_problem(describe(name)[1:-1] if len(name) > 40 else name, tensor)
        if problem:
            return problem
    return None


# ---------------------------------------------------------------- tables ------------------
def table_size_problem(model) -> Optional[str]:
    """Why building ``model``'s coding tables (``model.update()``) would be too large, or None.

    The hyper-latent tables span each channel's quantiles (CompressAI allocates channels ×
    longest span, then fills each in Python: ±1e6 quantiles took > 8 GB); the latent-cell tables
    span ±6.11 σ_max mapped through the quantizer's compander at every A level.
    """
    from .entropy.tables import TAIL_SIGMAS, scale_table

    q = model.entropy_bottleneck.quantiles.detach().double()
    if not bool(torch.isfinite(q).all()):
        return "entropy_bottleneck.quantiles are not finite"
    medians = q[:, 0, 1]
    if float(medians.abs().max()) > MAX_ABS_WEIGHT:
        return "entropy_bottleneck.quantiles have medians beyond ±1e5"
    span = (torch.ceil(medians - q[:, 0, 0]).clamp_min(0) + torch.ceil(q[:, 0, 2] - medians).clamp_min(0) + 1)
    if float(span.max()) > MAX_BOTTLENECK_TABLE:
        return (f"entropy_bottleneck.quantiles span {float(span.max()):.0f} values, over the limit of "
                f"{MAX_BOTTLENECK_TABLE} (its coding tables would be huge)")
    with torch.no_grad():
        dom = model.quantizer.cell_domain()
        codebooks = 2 if model.quantizer.uses_selection else 1
        levels = torch.from_numpy(scale_table())
        bounds = levels * TAIL_SIGMAS  # float64, as CellTableBank.build
        total = 0
        for a in dom.a_levels:
            if a is not None and not (isinstance(a, float) and math.isfinite(a) and a > 0):
                return "the quantizer's A levels are not finite positive numbers"
            u = dom.to_u(bounds, None if a is None else torch.tensor(a, dtype=torch.float64), levels)
            if not bool(torch.isfinite(u).all()) or float(u.min()) < 0:
                return "the quantizer's parameters give non-finite coding tables"
            # codebook k's table at each scale: 2 (⌈u⌉ + 1) + k + 1 symbols, + the tail, + the CDF's 0
            lengths = 2 * (torch.ceil(u) + 1) + 3
            longest = float(lengths.max()) + codebooks - 1
            if longest > MAX_CELL_TABLE:
                return (f"the quantizer's parameters give coding tables of {longest:.0f} entries, over the "
                        f"limit of {MAX_CELL_TABLE}")
            total += sum(float(lengths.sum()) + k * len(lengths) for k in range(codebooks))
            if total > MAX_CELL_ENTRIES:
                return (f"the quantizer's coding tables would hold more than {MAX_CELL_ENTRIES} entries "
                        f"(a_levels and the compander's parameters)")
    return None
