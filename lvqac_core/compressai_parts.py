"""The pieces of CompressAI the core uses, imported without CompressAI's heavy package init.

``import compressai`` (and so any ``import compressai.x``) runs ``compressai/__init__.py``, which
imports every subpackage: its point-cloud datasets pull torch_geometric and
``compressai.entropy_models`` imports ``scipy.stats`` for one function of ``GaussianConditional``,
which the core does not use (the cost: docs/interop.md). Before the first CompressAI import this
module therefore registers

- ``compressai`` as its bare package (its ``__path__``, nothing executed) plus what its
  ``__init__`` defines besides imports (the entropy-coder switches); any other attribute
  (``compressai.zoo``, ``__version__``...) is imported on first access, so later callers still
  see the whole package;
- ``scipy.stats`` as a stand-in module that imports the real one the first time one of its
  attributes is used (CompressAI's ``GaussianConditional`` still works, it just pays then).

Nothing is replaced when ``compressai`` or ``scipy.stats`` was imported already. The modules
imported are CompressAI's own, so weights, tables and bitstreams are unchanged.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

__all__ = [
    "EntropyBottleneck", "LowerBound", "RansDecoder", "RansEncoder", "pmf_to_quantized_cdf",
    "GDN", "ResidualBlock", "ResidualBlockUpsample", "ResidualBlockWithStride", "conv3x3",
    "subpel_conv3x3", "CheckerboardMaskedConv2d", "MaskedConv2d", "AttentionBlock",
]

MISSING = ("LVQAC Studio needs CompressAI 1.2.8: pip install --no-deps compressai==1.2.8 (its metadata "
           "pins numpy<2, which LVQAC does not need; ./studio setup does this)")


def _bare_compressai() -> None:
    if "compressai" in sys.modules:
        return
    spec = importlib.util.find_spec("compressai")
    if spec is None:
        raise ModuleNotFoundError(MISSING, name="compressai")
    if spec.submodule_search_locations is None:
        return  # let the imports below fail with the usual message
    pkg: ModuleType = importlib.util.module_from_spec(spec)
    state = {"coder": "ans", "available": ["ans"]}

    def get_entropy_coder() -> str:
        return state["coder"]

    def available_entropy_coders() -> list[str]:
        return state["available"]

    def set_entropy_coder(entropy_coder: str) -> None:
        if entropy_coder not in state["available"]:
            raise ValueError(f"Invalid entropy coder {entropy_coder!r}, choose from ({', '.join(state['available'])}).")
        state["coder"] = entropy_coder

    def __getattr__(name: str):  # PEP 562: the rest of the package on first use
        if name == "__version__":
            return importlib.import_module("compressai.version").__version__
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return importlib.import_module(f"compressai.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module 'compressai' has no attribute {name!r}") from None

    pkg.get_entropy_coder = get_entropy_coder
    pkg.set_entropy_coder = set_entropy_coder
    pkg.available_entropy_coders = available_entropy_coders
    pkg.__getattr__ = __getattr__
    sys.modules["compressai"] = pkg


def _deferred(name: str) -> None:
    """Register ``name`` as a stand-in that imports the real module on first attribute use.

    (``importlib.util.LazyLoader`` does not survive a second ``import name`` statement: the
    import system reads the module's ``__spec__``, which loads it.)
    """
    if name in sys.modules or importlib.util.find_spec(name) is None:
        return
    stub = ModuleType(name, f"{name}, imported on first use (see lvqac_core.compressai_parts)")

    def __getattr__(attr: str):
        if sys.modules.get(name) is stub:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attr)

    stub.__getattr__ = __getattr__
    sys.modules[name] = stub
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(importlib.import_module(parent), child, stub)


_bare_compressai()
_deferred("scipy.stats")

from compressai._CXX import pmf_to_quantized_cdf  # noqa: E402
from compressai.ans import RansDecoder, RansEncoder  # noqa: E402
from compressai.entropy_models import EntropyBottleneck  # noqa: E402
from compressai.layers import (  # noqa: E402
    GDN,
    AttentionBlock,
    CheckerboardMaskedConv2d,
    MaskedConv2d,
    ResidualBlock,
    ResidualBlockUpsample,
    ResidualBlockWithStride,
    conv3x3,
    subpel_conv3x3,
)
from compressai.ops import LowerBound  # noqa: E402
