"""Packaging: the wheel's package list, the one CompressAI pin, where the shipped resources are, and
that the core runs without the optional extras (whole CompressAI package, scikit-image)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_ships():
    from setuptools import find_packages

    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    on_disk = set(find_packages(str(ROOT), include=["lvqac_core*", "lvqac_gui*"]))
    assert listed == on_disk | {"lvqac_resources"}, "update [tool.setuptools] packages in pyproject.toml"
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {"lvqac_resources": "resources"}


def test_one_compressai_pin():
    extra = PYPROJECT["project"]["optional-dependencies"]["compressai"]
    assert len(extra) == 1 and re.fullmatch(r"compressai==[\d.]+", extra[0])
    studio = (ROOT / "studio").read_text(encoding="utf-8")
    assert re.findall(r"--no-deps \"(compressai==[\d.]+)\"", studio) == extra
    assert not any(d.lower().startswith("compressai") for d in PYPROJECT["project"]["dependencies"])
    from importlib.metadata import version

    assert f"compressai=={version('compressai')}" == extra[0]  # what runs is what is pinned


def test_resources_found_in_the_checkout():
    from lvqac_core import zoo
    from lvqac_core.resources import resources_dir

    assert resources_dir() == ROOT / "resources"
    if not os.environ.get("LVQAC_ZOO_DIR"):
        assert zoo.zoo_dir() == ROOT / "resources" / "models"
    packaged = PYPROJECT["tool"]["setuptools"]["package-data"]["lvqac_resources"]
    for folder in ("models", "rd", "samples", "icons"):  # every shipped folder has a package-data glob
        files = [p for p in (ROOT / "resources" / folder).iterdir() if p.is_file() and p.name != "README.md"]
        assert files and all(any(p.relative_to(ROOT / "resources").match(g) for g in packaged) for p in files), folder


BLOCKER = r"""
import importlib.abc, sys
BLOCKED = {"torch_geometric", "einops", "pandas", "requests", "skimage", "pybind11", "tomli", "PySide6",
           "pyqtgraph", "torchvision"}
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"blocked: {name}", name=name)
sys.meta_path.insert(0, Blocker())
from lvqac_core.evaluation.common import environment
from lvqac_testing import smooth_image, tiny_codec
codec = tiny_codec()
img = smooth_image(40, 56)
res = codec.compress(img)
assert codec.decompress(res.data).image.shape == img.shape
assert environment()["compressai"] != "unavailable"
print("core ok without extras")
"""


def test_core_runs_without_the_optional_extras():
    """No torch_geometric, pandas, requests, einops (the whole CompressAI package), scikit-image,
    torchvision or Qt: compress and decode still work."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", BLOCKER], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0 and "core ok without extras" in proc.stdout, proc.stderr[-3000:]


def test_sample_image_degrades_without_scikit_image(tmp_path, monkeypatch):
    from lvqac_gui.model import backend as bk

    assert bk.sample_image()[0].endswith(".png")  # the bundled sample, no scikit-image needed
    monkeypatch.setattr(bk, "RESOURCES", tmp_path)  # no samples folder
    monkeypatch.setitem(sys.modules, "skimage", None)  # and no scikit-image: import fails
    assert bk.sample_image() is None
    assert "scikit-image" in bk.SAMPLE_MISSING and "[sample]" in bk.SAMPLE_MISSING


def test_plot_without_matplotlib_is_one_clear_error(tmp_path, monkeypatch):
    from lvqac_core.errors import LvqacError
    from lvqac_core.evaluation.rdplot import plot_rd

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(LvqacError, match=r"needs matplotlib.*\[plot\]"):
        plot_rd([("a", [0.1, 0.2], [30.0, 31.0])], tmp_path / "rd.png")
    assert not (tmp_path / "rd.png").exists()
