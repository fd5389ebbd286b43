"""Model configuration and the architecture registry (filled by ``@register_architecture``)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

__all__ = ["ModelConfig", "ArchitectureSpec", "ARCHITECTURES", "register_architecture"]


@dataclass(frozen=True)
class ArchitectureSpec:
    name: str
    backbone: str  # key of transforms.TRANSFORMS
    context: str  # "none" | "checkerboard" | "autoregressive"
    description: str


ARCHITECTURES: dict[str, ArchitectureSpec] = {}


def register_architecture(name: str, backbone: str, context: str, description: str) -> None:
    ARCHITECTURES[name] = ArchitectureSpec(name, backbone, context, description)


register_architecture("minnen2018-mean", "minnen", "none", "Minnen2018 mean-scale hyperprior, fully parallel")
register_architecture("minnen2018-ckbd", "minnen", "checkerboard", "Minnen2018 + checkerboard context (two passes)")
register_architecture("minnen2018", "minnen", "autoregressive", "Minnen2018 joint autoregressive + hyperprior (serial)")
register_architecture("cheng2020-ckbd", "cheng", "checkerboard", "Cheng2020-anchor + checkerboard context")
register_architecture("cheng2020", "cheng", "autoregressive", "Cheng2020-anchor, serial autoregressive context")


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model; stored in every checkpoint.

    ``group_size`` 0 means g = M (the paper's one selection bit per position).
    ``quantizer_options`` go to the quantizer (tau, v_init, tail, a_max, a_levels, compander,
    train_mode, rate_proxy); a checkpoint without ``compander`` uses the A-law.
    ``provenance`` records how the weights were made (training data, steps, λ, base checkpoint).
    """

    architecture: str
    quantizer: str = "scalar"
    N: int = 128
    M: int = 192
    lmbda: float = 0.0075
    group_size: int = 0
    quantizer_options: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.architecture!r}; known: {sorted(ARCHITECTURES)}")
        if self.group_size and self.M % self.group_size:
            raise ValueError(f"group size {self.group_size} must divide M = {self.M}")

    @property
    def spec(self) -> ArchitectureSpec:
        return ARCHITECTURES[self.architecture]

    @property
    def effective_group_size(self) -> int:
        return self.group_size or self.M

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelConfig":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})
