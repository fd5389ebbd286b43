"""Shared test set-up (helpers live in lvqac_testing.py, importable from any test module)."""
from __future__ import annotations

import os
import warnings

import pytest
import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Property tests draw the same examples on every run (a failure reproduces, CI cannot flake on a
# rare draw); HYPOTHESIS_PROFILE=explore draws fresh ones, for hunting locally.
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
    _hypothesis_settings.register_profile("explore", derandomize=False)
    _hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass
warnings.filterwarnings("ignore", category=FutureWarning)
TEST_THREADS = min(2, torch.get_num_threads())
torch.set_num_threads(TEST_THREADS)


@pytest.fixture(autouse=True)
def _fixed_thread_count():
    """Every test starts on TEST_THREADS fixed threads: a test that ran the command line (whose
    automatic count follows the machine's load, lvqac_core.threads) or set a count leaves it
    behind otherwise, and the next test's thread count would depend on the load."""
    yield
    from lvqac_core import threads

    if threads.is_automatic() or torch.get_num_threads() != TEST_THREADS:
        threads.apply(TEST_THREADS)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` need CUDA: skipped, with the reason, where there is none."""
    from lvqac_core.device import cuda_available

    if cuda_available():
        return
    skip = pytest.mark.skip(reason="needs CUDA; no CUDA device here")
    for item in items:
        if item.get_closest_marker("gpu") is not None:
            item.add_marker(skip)


@pytest.fixture
def image(tmp_path):
    """A small odd-sized RGB PNG (45×67) for command-line and zoo tests."""
    from PIL import Image

    from lvqac_testing import smooth_image

    path = tmp_path / "img.png"
    Image.fromarray(smooth_image(45, 67)).save(path)
    return path
