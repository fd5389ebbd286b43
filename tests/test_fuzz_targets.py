"""The fuzz targets stay runnable: a few structured checkpoint mutations through the same code
as ``fuzz/fuzz_checkpoint.py`` (without coverage guidance), and a short crafted-``.lvq`` run."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lvqac_testing import load_repo_file

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):
    return load_repo_file(f"fuzz/{name}.py", f"_fuzz_{name}")


def test_checkpoint_fuzz_target_on_random_mutations(tmp_path) -> None:
    pytest.importorskip("atheris")
    target = _load("fuzz_checkpoint")
    target._WORK = tmp_path  # its case file goes here, not into a folder of its own left behind
    rng = np.random.default_rng(23)
    for _ in range(12):
        target.test_one_input(bytes([1]) + rng.integers(0, 256, int(rng.integers(8, 200)), dtype=np.uint8).tobytes())
    data, _ = target._base()
    target.test_one_input(b"\x00" + data)  # the valid file itself loads and codes
    target.test_one_input(b"\x00" + data[: len(data) // 2])


@pytest.mark.slow
def test_crafted_lvq_run_has_no_findings() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "fuzz" / "crafted_lvq.py"), "--count", "300"],
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "FINDING" not in proc.stdout
