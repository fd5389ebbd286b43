"""scripts/campaign.py: a run's coded curve compared with the shipped curves on the same images."""
from __future__ import annotations

import pytest

from lvqac_testing import load_repo_file


def _campaign():
    return load_repo_file("scripts/campaign.py", "campaign_script")


def _point(per_image: dict[str, tuple[float, float]]) -> dict:
    rows = [{"image": name, "bpp": bpp, "psnr": psnr} for name, (bpp, psnr) in per_image.items()]
    return {"bpp": sum(r["bpp"] for r in rows) / len(rows), "psnr": sum(r["psnr"] for r in rows) / len(rows),
            "per_image": rows}


def test_subset_curve_averages_only_the_named_images_and_drops_points_that_lack_one() -> None:
    campaign = _campaign()
    curve = {"name": "ref", "points": [
        _point({"a.png": (0.2, 30.0), "b.png": (0.4, 32.0), "c.png": (9.0, 99.0)}),
        _point({"a.png": (0.1, 28.0), "c.png": (9.0, 99.0)}),  # lacks b.png: left out
    ]}
    assert campaign.subset_curve(curve, {"a.png", "b.png"}) == [(pytest.approx(0.3), pytest.approx(31.0))]


def test_comparison_is_the_bd_rate_on_the_runs_images_only() -> None:
    campaign = _campaign()
    # the reference is exactly twice our rate at every quality on a.png; c.png (not ours) would hide it
    ours = {"name": "trunk", "points": [_point({"a.png": (r, d)}) for r, d in ((0.1, 28), (0.2, 30), (0.4, 32), (0.8, 34))]}
    ref = {"name": "shipped", "points": [_point({"a.png": (2 * r, d), "c.png": (r / 9, d)})
                                         for r, d in ((0.1, 28), (0.2, 30), (0.4, 32), (0.8, 34))]}
    far = {"name": "far", "points": [_point({"a.png": (r, d)}) for r, d in ((1.0, 40), (2.0, 42))]}
    lines = campaign.comparison_lines({"curves": [ours]}, {"curves": [ref, far]})
    assert "top 34.00 dB" in lines[0]
    assert lines[1].strip() == "shipped -50.0 % (top 34.00 dB)"
    assert lines[2].strip() == "far no overlap (top 42.00 dB)"
