"""The shipped zoo: every manifest entry is present, hash-checked, loadable, within budget, and
its Kodak figures are reproduced by the evaluation code."""
from __future__ import annotations

from pathlib import Path

import pytest

from lvqac_core import zoo
from lvqac_core.checkpoint import file_sha256
from lvqac_core.lambdas import PAPER_LAMBDAS

ENTRIES = zoo.list_models()
KODAK = Path(__file__).resolve().parents[2] / "shared" / "data" / "kodak"
pytestmark = pytest.mark.skipif(not ENTRIES, reason="no models installed")


def test_zoo_holds_the_papers_six_lambdas_for_three_quantizers():
    grid = {(e.quantizer, e.lmbda) for e in ENTRIES}
    assert grid == {(q, lam) for q in ("scalar", "lvq", "lvqac") for lam in PAPER_LAMBDAS}
    assert len({(e.architecture, e.N, e.M) for e in ENTRIES}) == 1  # one recipe for every family
    assert zoo.default_model_id() in {e.id for e in ENTRIES}


def test_zoo_fits_its_budget_and_hashes_match():
    total = 0
    for e in ENTRIES:
        assert e.path.is_file(), e.path
        assert file_sha256(e.path) == e.sha256
        total += e.path.stat().st_size
    assert total <= 48 * 2**20


def test_every_model_has_kodak_figures():
    for e in ENTRIES:
        assert e.kodak and {"bpp", "psnr", "ms_ssim"} <= set(e.kodak), e.id


def test_a_damaged_file_is_refused(tmp_path, monkeypatch):
    from lvqac_core.checkpoint import load_checkpoint
    from lvqac_core.errors import ModelNotFoundError

    e = ENTRIES[0]
    bad = tmp_path / e.file
    data = bytearray(e.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelNotFoundError, match="sha256"):
        load_checkpoint(bad, expected_sha256=e.sha256)


@pytest.mark.kodak
@pytest.mark.skipif(not KODAK.is_dir(), reason="Kodak not available beside the checkout")
def test_default_models_kodak_figures_reproduce():
    from lvqac_core.api import load_model
    from lvqac_core.evaluation.evaluate import evaluate_codec

    e = zoo.get_entry(zoo.default_model_id())
    point = evaluate_codec(load_model(e.id, "cpu"), KODAK)
    s = point.summary()
    assert abs(s["psnr"] - e.kodak["psnr"]) <= 0.1
    assert abs(s["bpp"] - e.kodak["bpp"]) <= 0.02 * e.kodak["bpp"]
    assert point.extra["decode_mismatches"] == 0
