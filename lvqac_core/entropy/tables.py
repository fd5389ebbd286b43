"""Exact CDF tables for the lattice cells, one bank per model (design note §4).

For codebook k, scale level σ_i and (LVQAC) A level A_j, symbol s stands for the coordinate
û = s + k/2 whose cell is [û − ½, û + ½] in the quantizer's u-domain, so

    P(s) = Φ(T⁻¹(û + ½)/σ_i) − Φ(T⁻¹(û − ½)/σ_i)

Codebook-1 symbols therefore get their own tables (cells [s, s+1]), not a shifted mean.
Tables are computed in float64 on the CPU from the quantizer's parameters only (its public
``cell_domain()``: T, T⁻¹ and the A levels), so every device builds the same integers. Symbols
outside a table's range are escape-coded by CompressAI's rANS.
"""
from __future__ import annotations

import math
import threading
from typing import Optional

import numpy as np
import torch
from ..compressai_parts import pmf_to_quantized_cdf
from .quantized_cdf import quantized_cdfs

from ..quantizers.base import CellDomain, Quantizer, standard_normal_cdf

__all__ = ["scale_table", "scale_levels", "CellTableBank"]

SCALE_MIN, SCALE_MAX, SCALE_LEVELS = 0.11, 256.0, 64
TAIL_SIGMAS = 6.11  # Φ(−6.11) ≈ 5e-10 of mass left on each side
PRECISION = 16


def scale_table(lo: float = SCALE_MIN, hi: float = SCALE_MAX, levels: int = SCALE_LEVELS) -> np.ndarray:
    return np.exp(np.linspace(math.log(lo), math.log(hi), levels))


_SCALES = scale_table()


def _level_index(sigma: torch.Tensor, scales: np.ndarray) -> torch.Tensor:
    """Index of the smallest level ≥ σ (σ rounded up, as CompressAI does), int64."""
    levels = torch.as_tensor(scales, dtype=sigma.dtype, device=sigma.device)
    return torch.bucketize(sigma.detach().contiguous(), levels).clamp(0, len(scales) - 1)


def scale_levels(sigma: torch.Tensor) -> torch.Tensor:
    """Each σ rounded up to its table's scale level (:meth:`CellTableBank.scale_index`'s level),
    in σ's dtype and device, no gradient: what a σ-scaled compander reads as ``sigma_level``."""
    return torch.as_tensor(_SCALES, dtype=sigma.dtype, device=sigma.device)[_level_index(sigma, _SCALES)]


_BUILD_LOCK = threading.Lock()  # a bank is shared by the app's threads: one builds a group at a time


class CellTableBank:
    """rANS tables indexed by (A level, codebook, scale level).

    The tables of one *group* (an A level and a codebook: all scale levels, one vectorised pass)
    are built when first used: an image uses a few A levels (11 of the default model's 34 groups
    for the Kodak images tried), and the whole bank took about 0.2 s to build and 0.07 s to turn
    into decoding tables, a noticeable part of a one-image ``lvqac compress`` or ``decompress``.
    Each group's integers are the same whenever it is built (:func:`_tables` from the quantizer's
    parameters as they were at :meth:`build`). ``cdfs``, ``lengths``, ``offsets`` and
    :meth:`decode_tables` give the whole bank (building every group); the coder uses
    :meth:`subset` and :meth:`decode_tables_for`, which build the groups their indexes need.
    """

    def __init__(self, domain: CellDomain, scales: np.ndarray, n_codebooks: int):
        self.scales = scales
        self.n_codebooks = n_codebooks
        self.n_a_levels = len(domain.a_levels)
        self._domain = domain
        self.n_tables = self.n_a_levels * n_codebooks * len(scales)
        self._cdfs: list[Optional[list[int]]] = [None] * self.n_tables
        self._lengths = [0] * self.n_tables
        self._offsets = [0] * self.n_tables
        self._built: set[int] = set()
        self._decode = None  # DecodeTables over the groups in _decode_groups (others: placeholders)
        self._decode_groups: frozenset[int] = frozenset()

    @classmethod
    def build(cls, quantizer: Quantizer) -> "CellTableBank":
        """The bank of ``quantizer`` as its parameters are now (its tables are built on use)."""
        with torch.no_grad():
            dom = quantizer.cell_domain()
        return cls(dom, scale_table(), 2 if quantizer.uses_selection else 1)

    # ------------------------------------------------------------------ groups
    @property
    def group_size(self) -> int:
        return len(self.scales)

    def check_indexes(self, indexes: np.ndarray) -> None:
        """Raise ``IndexError`` unless every table index in ``indexes`` names a table of this bank
        (before the coder reads any table: the indexes come from the networks, or from a file)."""
        idx = np.asarray(indexes)
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= self.n_tables):
            raise IndexError(f"table index outside the {self.n_tables} tables")

    def groups_of(self, indexes: np.ndarray) -> list[int]:
        """The groups (A level · codebooks + codebook) that table ``indexes`` fall in."""
        idx = np.asarray(indexes, dtype=np.int64).ravel()
        if idx.size == 0:
            return []
        seen = np.bincount(idx // self.group_size, minlength=self.n_tables // self.group_size)
        return np.flatnonzero(seen).tolist()

    def ensure(self, groups) -> None:
        """Build the tables of ``groups`` that are not built yet."""
        missing = [g for g in groups if g not in self._built]
        if not missing:
            return
        with _BUILD_LOCK:
            for g in missing:
                if g in self._built:
                    continue
                if not 0 <= g < self.n_tables // self.group_size:
                    raise IndexError(f"table group {g} outside the bank's {self.n_tables // self.group_size}")
                a_idx, k = divmod(g, self.n_codebooks)
                a = self._domain.a_levels[a_idx]
                a_t = None if a is None else torch.tensor(a, dtype=torch.float64)
                with torch.no_grad():
                    built = _tables(self._domain, self.scales, a_t, k)
                base = g * self.group_size
                for i, (cdf, offset) in enumerate(built):
                    self._cdfs[base + i] = cdf
                    self._lengths[base + i] = len(cdf)
                    self._offsets[base + i] = offset
                self._built.add(g)

    def ensure_all(self) -> None:
        self.ensure(range(self.n_tables // self.group_size))

    @property
    def cdfs(self) -> list[list[int]]:
        """Every table's CDF (builds the whole bank)."""
        self.ensure_all()
        return self._cdfs  # type: ignore[return-value]

    @property
    def lengths(self) -> list[int]:
        self.ensure_all()
        return self._lengths

    @property
    def offsets(self) -> list[int]:
        self.ensure_all()
        return self._offsets

    # ------------------------------------------------------------------ decoding tables
    def decode_tables(self):
        """All tables in the form the bounds-checked decoder reads (builds the whole bank)."""
        return self.decode_tables_for(np.arange(self.n_tables))

    def decode_tables_for(self, indexes: np.ndarray):
        """Decoding tables valid for table ``indexes`` (and every group built before): checked and
        made once, again only when a group joins. Tables of groups not built are placeholders
        that no index given here points to."""
        groups = self.groups_of(indexes)
        if self._decode is not None and self._decode_groups.issuperset(groups):
            return self._decode
        from .safe_rans import DecodeTables

        self.ensure(groups)
        with _BUILD_LOCK:
            built = frozenset(self._built)
            if self._decode is None or not self._decode_groups.issuperset(built):
                cdfs = [c if c is not None else _PLACEHOLDER for c in self._cdfs]
                lengths = [n if n else len(_PLACEHOLDER) for n in self._lengths]
                self._decode = DecodeTables(cdfs, lengths, self._offsets)
                self._decode_groups = built
            return self._decode

    # ------------------------------------------------------------------ indexing
    def scale_index(self, sigma: torch.Tensor) -> torch.Tensor:
        """Smallest level ≥ σ (σ rounded up, as CompressAI does), int64."""
        return _level_index(sigma, self.scales)

    def scale_values(self, scale_idx: torch.Tensor) -> torch.Tensor:
        """The levels at ``scale_idx`` (float64): the σ each table was built for."""
        return torch.as_tensor(self.scales, dtype=torch.float64, device=scale_idx.device)[scale_idx]

    def table_index(self, scale_idx: torch.Tensor, a_idx: torch.Tensor | None, codebook: torch.Tensor | None) -> torch.Tensor:
        idx = scale_idx
        if codebook is not None and self.n_codebooks == 2:
            idx = idx + codebook.long() * len(self.scales)
        if a_idx is not None and self.n_a_levels > 1:
            idx = idx + a_idx.long() * (self.n_codebooks * len(self.scales))
        return idx

    def subset(self, indexes: np.ndarray) -> tuple[list[int], list[list[int]], list[int], list[int]]:
        """Local indexes and the few tables they use (keeps the rANS calls small; builds the
        groups they need). The local indexes as a list (:meth:`local_tables`: an int32 array)."""
        local, cdfs, lengths, offsets = self.local_tables(indexes)
        return local.tolist(), cdfs, lengths, offsets

    def local_tables(self, indexes: np.ndarray) -> tuple[np.ndarray, list[list[int]], list[int], list[int]]:
        """:meth:`subset` with the local indexes as an int32 array (no Python list of them)."""
        # as np.unique(indexes, return_inverse=True), without sorting (linear in the symbols)
        idx = np.asarray(indexes).ravel()
        if idx.dtype.kind != "i":  # bincount and the lookup take signed integers
            idx = idx.astype(np.int64)
        counts = np.zeros(self.n_tables, dtype=np.int64)
        for a in range(0, idx.size, 1 << 20):  # bincount widens to int64: a chunk at a time on large images
            counts += np.bincount(idx[a:a + (1 << 20)], minlength=self.n_tables)[:self.n_tables]
        used = np.flatnonzero(counts)
        self.ensure(np.unique(used // self.group_size).tolist())
        lookup = np.zeros(self.n_tables, dtype=np.int32)
        lookup[used] = np.arange(len(used), dtype=np.int32)
        return (
            lookup[idx],
            [self._cdfs[u] for u in used],  # type: ignore[misc]
            [self._lengths[u] for u in used],
            [self._offsets[u] for u in used],
        )


_PLACEHOLDER = [0, 1 << PRECISION]  # a valid CDF (one symbol: the escape) for a table not built


# Guards of the vectorised build (see _tables): how far float64 results may drift from the
# one-table-at-a-time path (different SIMD lanes, libm vs. vectorised erfc/exp/log).
_ABS_DRIFT = 1e-12


def _tables(dom: CellDomain, scales: np.ndarray, a: torch.Tensor | None, k: int) -> list[tuple[list[int], int]]:
    """All scale levels of one (A level, codebook) in one vectorised pass, equal to :func:`_table`.

    The integers of a table depend on float64 values only through ``ceil`` of the u-bound and
    ``round(float32(p) · 2^16)`` of each probability (CompressAI's ``pmf_to_quantized_cdf`` takes
    float32). Where a value lies so close to such a boundary that a last-bit difference could
    flip it, that table is rebuilt by :func:`_table`, so the tables are the same integers.
    """
    sig = torch.from_numpy(np.ascontiguousarray(scales, dtype=np.float64))
    u_bound = dom.to_u(sig * TAIL_SIGMAS, a, sig).numpy()
    s_max = np.ceil(u_bound).astype(np.int64) + 1
    risky = np.abs(u_bound - np.round(u_bound)) < 1e-9  # ceil could flip
    s_min = -s_max - k
    lens = s_max - s_min + 1
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    table_of = np.repeat(np.arange(len(scales)), lens)
    s = (np.arange(int(lens.sum())) - np.repeat(starts, lens) + np.repeat(s_min, lens)).astype(np.float64)
    u_center = torch.from_numpy(s) + 0.5 * k
    sig_e = sig[torch.from_numpy(table_of)]
    upper = standard_normal_cdf(dom.from_u(u_center + 0.5, a, sig_e) / sig_e)
    lower = standard_normal_cdf(dom.from_u(u_center - 0.5, a, sig_e) / sig_e)
    pmf_t = (upper - lower).clamp_min(0.0)
    pmf = pmf_t.numpy()
    tails = np.maximum(1.0 - np.add.reduceat(pmf, starts), 1e-12)
    # each table's pmf with its tail appended, all tables one after another
    full = np.insert(pmf, starts[1:], tails[:-1])
    full = np.append(full, tails[-1])
    near = _near_rounding_edges(full, lens + 1)
    cdfs = quantized_cdfs(full, lens + 1, PRECISION)
    out: list[tuple[list[int], int]] = []
    for i, sigma in enumerate(scales):
        if risky[i] or near[i]:
            out.append(_table(dom, float(sigma), a, k))
        else:
            out.append((cdfs[i], int(s_min[i])))
    return out


def _near_rounding_edges(p: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """For each of the tables held one after another in ``p``: True when a drift of ``_ABS_DRIFT``
    in one of its p could change round(float32(p) · 2^16).

    That integer is monotone in p, so it suffices to compare both ends of the drift interval.
    """
    scale = np.float32(1 << PRECISION)

    def freq(v: np.ndarray) -> np.ndarray:
        return np.floor(v.astype(np.float32) * scale + np.float32(0.5))  # std::round for v >= 0

    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.logical_or.reduceat(freq(np.maximum(p - _ABS_DRIFT, 0.0)) != freq(p + _ABS_DRIFT), starts)


def _near_rounding_edge(p: np.ndarray) -> bool:
    """:func:`_near_rounding_edges` of one table."""
    return bool(_near_rounding_edges(p, np.array([len(p)]))[0])


def _table(dom: CellDomain, sigma: float, a: torch.Tensor | None, k: int) -> tuple[list[int], int]:
    """One table, one scale level at a time (the reference the vectorised build must equal)."""
    r_bound = torch.tensor(sigma * TAIL_SIGMAS, dtype=torch.float64)
    level = torch.tensor(sigma, dtype=torch.float64)
    u_bound = float(dom.to_u(r_bound, a, level))
    s_max = int(math.ceil(u_bound)) + 1
    s_min = -s_max - k
    s = torch.arange(s_min, s_max + 1, dtype=torch.float64)
    u_center = s + 0.5 * k
    upper = standard_normal_cdf(dom.from_u(u_center + 0.5, a, level) / sigma)
    lower = standard_normal_cdf(dom.from_u(u_center - 0.5, a, level) / sigma)
    pmf = (upper - lower).clamp_min(0.0)
    tail = max(float(1.0 - pmf.sum()), 1e-12)
    cdf = pmf_to_quantized_cdf(pmf.tolist() + [tail], PRECISION)
    return cdf, s_min
