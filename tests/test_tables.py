"""The vectorised rANS table build gives exactly the integers of the one-table-at-a-time path."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lvqac_testing import tiny_model
from lvqac_core import zoo
from lvqac_core.checkpoint import load_checkpoint
from lvqac_core.entropy import CellTableBank
from lvqac_core.entropy import tables as T

DATA = Path(__file__).parent / "data"


def _reference(quantizer) -> tuple[list[list[int]], list[int]]:
    dom = quantizer.cell_domain()
    a_values = [float(a) for a in quantizer.level_values()] if quantizer.companded else [None]
    assert list(dom.a_levels) == a_values
    cdfs, offsets = [], []
    with torch.no_grad():
        for a in a_values:
            a_t = None if a is None else torch.tensor(a, dtype=torch.float64)
            for k in range(2 if quantizer.uses_selection else 1):
                for sigma in T.scale_table():
                    cdf, off = T._table(dom, float(sigma), a_t, k)
                    cdfs.append(list(cdf))
                    offsets.append(off)
    return cdfs, offsets


def _assert_same(quantizer) -> None:
    bank = CellTableBank.build(quantizer)
    cdfs, offsets = _reference(quantizer)
    assert [list(c) for c in bank.cdfs] == cdfs
    assert bank.offsets == offsets and bank.lengths == [len(c) for c in cdfs]


@pytest.mark.parametrize("quantizer", ["scalar", "lvq", "lvqac"])
def test_vectorised_tables_equal_reference_tiny(quantizer):
    _assert_same(tiny_model("minnen2018-mean", quantizer).quantizer)


def test_vectorised_tables_equal_reference_golden_model():
    _assert_same(load_checkpoint(DATA / "golden_model.pt").quantizer)


@pytest.mark.slow
def test_vectorised_tables_equal_reference_every_zoo_lvqac_model():
    for e in zoo.list_models():
        if e.quantizer == "lvqac":
            _assert_same(load_checkpoint(e.path).quantizer)


def test_rounding_edge_guard_flags_a_boundary_value():
    # 0.5 / 2^16 sits exactly on a rounding edge of round(p · 2^16); 0.25 / 2^16 does not.
    import numpy as np

    edge = np.array([0.5 / 65536.0])
    assert T._near_rounding_edge(edge)
    assert not T._near_rounding_edge(np.array([0.25 / 65536.0, 0.3, 0.0]))


def test_subset_matches_unique():
    import numpy as np

    bank = CellTableBank.build(tiny_model("minnen2018-mean", "lvq").quantizer)
    idx = np.random.default_rng(0).integers(0, len(bank.cdfs), 5000).astype(np.int32)
    used, local = np.unique(idx, return_inverse=True)
    loc, cdfs, lengths, offsets = bank.subset(idx)
    assert loc == local.astype(np.int32).tolist()
    assert cdfs == [bank.cdfs[u] for u in used] and offsets == [bank.offsets[u] for u in used]
    assert lengths == [bank.lengths[u] for u in used]
