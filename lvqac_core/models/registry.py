"""Model configuration and the architectures (``ARCHITECTURE_REGISTRY``).

An architecture is a transform backbone plus a decoding order of the latent. Each backbone builder
registers the architectures built on it with ``@register_architecture(...)`` where it is defined
(:mod:`.transforms`); the decoding orders are the latent codecs of :mod:`.latent_codecs`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from torch import nn

from ..lambdas import lambda_in_range
from ..registry import ARCHITECTURE_REGISTRY, IMPORTED_ARCHITECTURE_REGISTRY

__all__ = ["ModelConfig", "ArchitectureSpec", "ARCHITECTURES", "ARCHITECTURE_REGISTRY", "register_architecture",
           "known_architecture", "architecture_spec"]

#: (N, M) → (g_a, g_s, h_a, h_s)
TransformBuilder = Callable[[int, int], tuple[nn.Module, nn.Module, nn.Module, nn.Module]]


@dataclass(frozen=True)
class ArchitectureSpec:
    name: str
    backbone: str  # the transform family ("minnen", "cheng")
    transforms: TransformBuilder
    decoding_order: str  # a DECODING_ORDER_REGISTRY name: "parallel", "checkerboard", "raster-scan"
    description: str


#: name → :class:`ArchitectureSpec` (the registry itself, not a copy)
ARCHITECTURES = ARCHITECTURE_REGISTRY


def register_architecture(name: str, backbone: str, decoding_order: str, description: str,
                          imported: bool = False) -> Callable[[TransformBuilder], TransformBuilder]:
    """Decorator of a backbone builder: registers architecture ``name`` = these transforms + that order
    (``imported=True``: in ``IMPORTED_ARCHITECTURE_REGISTRY``, an architecture of another library's
    models that only exists so that their files can be coded and fine-tuned)."""
    registry = IMPORTED_ARCHITECTURE_REGISTRY if imported else ARCHITECTURE_REGISTRY

    def add(builder: TransformBuilder) -> TransformBuilder:
        registry.add(name, ArchitectureSpec(name, backbone, builder, decoding_order, description))
        return builder
    return add


def known_architecture(name: object) -> bool:
    """``name`` is a registered architecture (ours or an imported one)."""
    return name in ARCHITECTURE_REGISTRY or name in IMPORTED_ARCHITECTURE_REGISTRY


def architecture_spec(name: str) -> ArchitectureSpec:
    if name in IMPORTED_ARCHITECTURE_REGISTRY:
        return IMPORTED_ARCHITECTURE_REGISTRY.get(name)
    return ARCHITECTURE_REGISTRY.get(name)


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model; stored in every checkpoint.

    ``group_size`` 0 means g = M (the paper's one selection bit per position).
    ``quantizer_options`` go to the quantizer (tau, v_init, tail, a_max, a_levels, compander,
    train_mode, rate_proxy); a checkpoint without ``compander`` uses the A-law.
    ``provenance`` records how the weights were made (training data, steps, λ, base checkpoint).
    ``lambdas`` non-empty makes a variable-rate network (:mod:`.gain`): gain units for these
    increasing λ presets, any λ between the first and the last one; ``lmbda`` is then its default
    rate point (and the λ the gains' initialisation is relative to).
    """

    architecture: str
    quantizer: str = "scalar"
    N: int = 128
    M: int = 192
    lmbda: float = 0.0075
    group_size: int = 0
    quantizer_options: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    lambdas: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lambdas = [float(v) for v in (self.lambdas or [])]
        if self.lambdas and not lambda_in_range(self.lmbda, self.lambdas[0], self.lambdas[-1]):
            raise ValueError(f"λ = {self.lmbda:g} is outside the gain presets {self.lambdas[0]:g} … {self.lambdas[-1]:g}")
        if not known_architecture(self.architecture):
            raise ValueError(f"unknown architecture {self.architecture!r}; known: {sorted(ARCHITECTURE_REGISTRY)}")
        if self.group_size and self.M % self.group_size:
            raise ValueError(f"group size {self.group_size} must divide M = {self.M}")

    @property
    def spec(self) -> ArchitectureSpec:
        return architecture_spec(self.architecture)

    @property
    def variable_rate(self) -> bool:
        return bool(self.lambdas)

    @property
    def effective_group_size(self) -> int:
        return self.group_size or self.M

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelConfig":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})
