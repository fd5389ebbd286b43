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
    fast = [e for e in ENTRIES if e.tier in (None, zoo.LEGACY_TIER)]
    grid = {(e.quantizer, e.lmbda) for e in fast}
    assert grid == {(q, lam) for q in ("scalar", "lvq", "lvqac") for lam in PAPER_LAMBDAS}
    for tier in {e.tier for e in ENTRIES}:
        rows = [e for e in ENTRIES if e.tier == tier]
        assert len({(e.architecture, e.N, e.M) for e in rows}) == 1, tier  # one recipe per tier
        for q in {e.quantizer for e in rows}:  # each family of a tier has every paper preset
            assert set(PAPER_LAMBDAS) <= {e.lmbda for e in rows if e.quantizer == q}, (tier, q)
    default = zoo.get_entry(zoo.default_model_id())
    assert {e.quantizer for e in ENTRIES if e.tier == default.tier} == {"scalar", "lvq", "lvqac"}


def test_the_default_is_the_best_family_of_its_tier():
    """issue 27 §4: the app's first model is the family with the lowest BD-rate on the
    manifest's Kodak figures (against the tier's scalar network), at the paper's middle λ."""
    from lvqac_core.evaluation.bdrate import bd_rate

    default = zoo.get_entry(zoo.default_model_id())
    rows = [e for e in ENTRIES if e.tier == default.tier and e.kodak]

    def curve(q):
        pts = sorted((e.kodak["bpp"], e.kodak["psnr"]) for e in rows if e.quantizer == q)
        return [b for b, _ in pts], [p for _, p in pts]

    anchor = curve("scalar")
    bd = {q: bd_rate(*anchor, *curve(q)) if q != "scalar" else 0.0 for q in ("scalar", "lvq", "lvqac")}
    assert default.quantizer == min(bd, key=bd.get), bd
    assert default.lmbda == 0.0075


def test_the_wide_tier_reaches_above_the_fast_one():
    """issue 27: the wide networks code up to λ 0.13, beyond zoo v2's 0.045, and their measured
    top preset is above the fast tier's best."""
    wide = [e for e in ENTRIES if e.tier == "wide"]
    if not wide:
        pytest.skip("no wide tier installed")
    assert max(e.lmbda for e in wide) >= 0.13 and all(e.M > 64 for e in wide)
    fast_top = max(e.kodak["psnr"] for e in ENTRIES if e.tier == zoo.LEGACY_TIER)
    assert max(e.kodak["psnr"] for e in wide) > fast_top + 3.0


def test_zoo_fits_its_budget_and_hashes_match():
    files = {}
    for e in ENTRIES:
        assert e.path.is_file(), e.path
        if e.file not in files:
            assert file_sha256(e.path) == e.sha256
            files[e.file] = e.path.stat().st_size
    assert sum(files.values()) <= 100 * 10**6  # issue 27: resources/models/ ≤ 100 MB (each network file once)


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
    _reproduces(zoo.get_entry(zoo.default_model_id()))


@pytest.mark.slow  # a wide network on 24 images: minutes (scripts/eval_kodak_tier.sh wide measures them all)
@pytest.mark.kodak
@pytest.mark.skipif(not KODAK.is_dir(), reason="Kodak not available beside the checkout")
def test_the_wide_top_presets_kodak_figures_reproduce():
    wide = [e for e in ENTRIES if e.tier == "wide" and e.quantizer == "scalar"]
    if not wide:
        pytest.skip("no wide tier installed")
    _reproduces(max(wide, key=lambda e: e.lmbda))


def _reproduces(e) -> None:
    from lvqac_core.api import load_model
    from lvqac_core.evaluation.evaluate import evaluate_codec

    point = evaluate_codec(load_model(e.id, "cpu"), KODAK)
    s = point.summary()
    assert abs(s["psnr"] - e.kodak["psnr"]) <= 0.1
    assert abs(s["bpp"] - e.kodak["bpp"]) <= 0.02 * e.kodak["bpp"]
    assert point.extra["decode_mismatches"] == 0
