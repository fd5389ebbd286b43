"""scripts/zoo_report.py reads several eval reports as one (zoo v2's tier and the wide tier,
measured by different commands on the same images) and refuses reports that do not belong together."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _report(path: Path, name: str, images=("a.png", "b.png"), shift=0.0) -> Path:
    points = []
    for k, bpp in enumerate((0.2, 0.4, 0.8, 1.2)):
        per = [{"image": i, "bpp": bpp, "psnr": 28 + 2 * k + shift} for i in images]
        points.append({"bpp": bpp, "psnr": 28 + 2 * k + shift, "bpp_estimated": bpp, "ms_ssim": 0.9,
                       "encode_seconds": 0.1, "decode_seconds": 0.1, "lambda": 0.001 * (k + 1),
                       "model_id": f"{name.replace(' ', '-')}-{k}", "label": str(k), "per_image": per})
    path.write_text(json.dumps({"num_images": len(images), "curves": [{"name": name, "points": points}]}))
    return path


def _run(*args):
    return subprocess.run([sys.executable, "-m", "scripts.zoo_report", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True)


def test_two_reports_give_one_table_with_both_families(tmp_path):
    a = _report(tmp_path / "zoo.json", "minnen2018-ckbd scalar")
    b = _report(tmp_path / "wide.json", "minnen2018-ckbd wide scalar", shift=1.0)
    done = _run(a, b, "--plot", tmp_path / "rd.png")
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| minnen2018-ckbd wide scalar |")]
    assert len(rows) == 1 and "—" in rows[0]
    cell = rows[0].split("|")[2].strip()  # against the fast scalar: 1 dB better everywhere, so fewer bits
    assert cell.startswith("-"), rows[0]
    assert (tmp_path / "rd.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("images, name, message", [
    (("a.png", "c.png"), "minnen2018-ckbd wide scalar", "other images"),
    (("a.png", "b.png"), "minnen2018-ckbd scalar", "measured twice"),
])
def test_reports_that_do_not_belong_together_are_refused(tmp_path, images, name, message):
    a = _report(tmp_path / "zoo.json", "minnen2018-ckbd scalar")
    b = _report(tmp_path / "wide.json", name, images=images)
    done = _run(a, b)
    assert done.returncode != 0 and message in done.stderr


def _two_curves(path: Path, names, shifts, images=("a.png", "b.png")) -> Path:
    curves = [json.loads(_report(path, n, images, s).read_text())["curves"][0] for n, s in zip(names, shifts)]
    path.write_text(json.dumps({"num_images": len(images), "curves": curves,
                                "bd": [{"anchor": names[0], "test": names[1]}]}))
    return path


def test_merge_results_replaces_only_the_remeasured_curves(tmp_path):
    """eval_kodak_tier.sh with QUANTIZERS re-measures the families that changed and keeps the others'."""
    old = _two_curves(tmp_path / "old.json", ["wide scalar", "wide lvq"], [0.0, 0.0])
    new = _two_curves(tmp_path / "new.json", ["wide lvq", "wide lvqac"], [0.5, 1.0])
    out = tmp_path / "out.json"
    done = subprocess.run([sys.executable, "-m", "scripts.merge_results", old, new, "-o", out], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    merged = json.loads(out.read_text())
    assert [c["name"] for c in merged["curves"]] == ["wide scalar", "wide lvq", "wide lvqac"]
    assert merged["curves"][1]["points"][0]["psnr"] == 28.5  # the new LVQ curve, not the old one
    bd = {row["test"]: row for row in merged["bd"]}
    assert set(bd) == {"wide lvq", "wide lvqac"} and all(r["anchor"] == "wide scalar" for r in bd.values())
    assert bd["wide lvqac"]["bd_rate_percent"] < bd["wide lvq"]["bd_rate_percent"] < 0
    other = _two_curves(tmp_path / "other.json", ["wide lvq", "wide lvqac"], [0.5, 1.0], images=("c.png", "d.png"))
    done = subprocess.run([sys.executable, "-m", "scripts.merge_results", old, other, "-o", tmp_path / "x.json"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0 and "different images" in done.stderr and not (tmp_path / "x.json").exists()
