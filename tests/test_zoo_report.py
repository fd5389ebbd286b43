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
