"""The zoo's tiers as the app offers them (Qt-free): which networks each tier has, per family
(quantizer), at which presets and over which λ range, with their Kodak figures.

A tier (``"fast"``: zoo v2's N 48 / M 64 networks, ``"wide"``: N 128 / M 192) is one of a family's
networks (``lvqac_core.zoo``, issue 27 §4); a tier may lack a family. The session's tier
``None`` means the core's default rule: the default model's tier, else any tier that has the
family (:func:`lvqac_core.service.select_model`). :class:`ZooTiers` is read once from the manifest
(:meth:`ZooTiers.from_zoo`); nothing here picks a model or loads one: the backend asks
``select_model(..., tier=...)`` for that.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

from lvqac_core import zoo
from lvqac_core.bitstream import QUANTIZERS
from lvqac_core.lambdas import same_lambda
from lvqac_core.service import rate_range

__all__ = ["Tier", "ZooTiers", "tier_title"]

RateRange = tuple[float, float, str]  # (λ min, λ max, network)


def tier_title(name: str) -> str:
    """``"wide"`` -> ``"Wide"`` (the menu's and the legend's word for a tier)."""
    return name[:1].upper() + name[1:]


@dataclass(frozen=True)
class Tier:
    """One tier: its name and the widths (N, M) of its networks."""

    name: str
    N: int
    M: int

    @property
    def label(self) -> str:
        """The menu's entry: ``Wide networks (N 128 / M 192)``."""
        return f"{tier_title(self.name)} networks (N {self.N} / M {self.M})"

    @property
    def short(self) -> str:
        """The Model dock's line: ``wide network N 128 / M 192``."""
        return f"{self.name} network N {self.N} / M {self.M}"


@dataclass(frozen=True)
class ZooTiers:
    """What the installed zoo offers per tier. Empty (no rows, no tiers) for the demo models and
    when no zoo is installed: then every family is offered and the paper's presets apply."""

    rows: tuple[zoo.ZooEntry, ...] = ()
    tiers: tuple[Tier, ...] = ()
    default_tier: Optional[str] = None  # the default model's tier
    # tier (None: the core's default rule) -> quantizer -> the variable-rate network's range
    ranges: Mapping[Optional[str], Mapping[str, RateRange]] = field(default_factory=dict)
    default_choice: Optional[tuple[str, float]] = None  # the default model's (quantizer, λ)

    @classmethod
    def from_zoo(cls) -> "ZooTiers":
        """The zoo's manifest, read once (a broken manifest gives an empty catalogue: the window
        still opens, and the first compression says what is wrong)."""
        try:
            rows = tuple(zoo.list_models())
            tiers = tuple(Tier(name, n, m) for name, n, m in zoo.tiers())
            default_id = zoo.default_model_id()
            default = zoo.get_entry(default_id) if default_id else None
            ranges: dict[Optional[str], dict[str, RateRange]] = {}
            for t in (None, *(tier.name for tier in tiers)):
                ranges[t] = {q: found for q in QUANTIZERS if (found := rate_range(q, tier=t)) is not None}
        except Exception:  # noqa: BLE001 - a broken manifest must not break the window
            return cls()
        choice = (default.quantizer, float(default.lmbda)) if default is not None else None
        return cls(rows, tiers, default.tier if default is not None else None, ranges, choice)

    # ------------------------------------------------------------------ tiers
    def names(self) -> list[str]:
        return [t.name for t in self.tiers]

    def has(self, name: Optional[str]) -> bool:
        return name is not None and name in self.names()

    def get(self, name: Optional[str]) -> Optional[Tier]:
        return next((t for t in self.tiers if t.name == name), None)

    def current(self, tier: Optional[str]) -> Optional[Tier]:
        """The tier the menu checks: the chosen one, else the default model's."""
        return self.get(tier if tier is not None else self.default_tier)

    def effective(self, quantizer: str, tier: Optional[str]) -> Optional[Tier]:
        """The tier whose network codes ``quantizer``: the chosen one, else the default model's
        when it has the family, else the first that has it (None: rows without a tier)."""
        if tier is not None:
            return self.get(tier)
        rows = self._rows(quantizer, None)
        return self.get(rows[0].tier) if rows else None

    def families(self, tier: Optional[str]) -> list[str]:
        """The families ``tier`` has a network for, in the quantizers' order; with no tier chosen
        (or an empty catalogue) every family (the core's rule falls back to any tier)."""
        if tier is None or not self.rows:
            return list(QUANTIZERS)
        have = {e.quantizer for e in self.rows if e.tier == tier}
        return [q for q in QUANTIZERS if q in have]

    def lacks(self, quantizer: str, tier: Optional[str], family_name: str = "") -> str:
        """Why ``tier`` offers no ``quantizer`` (``family_name``: its name in words), in words."""
        found = self.get(tier)
        name = found.label if found is not None else f"{tier} networks"
        return f"The {name} have no {family_name or quantizer} network: choose another tier in the Model menu"

    def tier_of(self, model_id: str) -> Optional[str]:
        """The tier of the zoo row ``model_id`` (None: not in the zoo, or no tier recorded)."""
        return next((e.tier for e in self.rows if e.id == model_id), None)

    # ------------------------------------------------------------------ per family
    def _rows(self, quantizer: str, tier: Optional[str]) -> list[zoo.ZooEntry]:
        """The rows of ``quantizer`` in ``tier``; with no tier chosen, the default model's tier
        when it has the family, else every tier's."""
        mine = [e for e in self.rows if e.quantizer == quantizer]
        if tier is not None:
            return [e for e in mine if e.tier == tier]
        default = [e for e in mine if self.default_tier is not None and e.tier == self.default_tier]
        return default or mine

    def presets(self, quantizer: str, tier: Optional[str]) -> list[float]:
        """The λ of the manifest's rows of ``quantizer`` in ``tier``, ascending (empty: none)."""
        out: list[float] = []
        for lam in sorted(float(e.lmbda) for e in self._rows(quantizer, tier)):
            if not any(same_lambda(lam, v) for v in out):
                out.append(lam)
        return out

    def label(self, quantizer: str, lmbda: float, tier: Optional[str]) -> Optional[str]:
        """The preset's Kodak figures ("Kodak 0.123 bpp / 29.81 dB"), "installed" without them,
        None when ``tier`` has no such row."""
        for e in self._rows(quantizer, tier):
            if same_lambda(e.lmbda, lmbda):
                k = e.kodak
                return f"Kodak {k['bpp']:.3f} bpp / {k['psnr']:.2f} dB" if k and "bpp" in k and "psnr" in k else "installed"
        return None

    def rate_ranges(self, tier: Optional[str]) -> dict[str, RateRange]:
        """quantizer -> (λ min, λ max, network) of the families ``tier`` codes with a
        variable-rate network (``lvqac_core.service.rate_range``)."""
        return dict(self.ranges.get(tier, {}))
