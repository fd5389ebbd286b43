"""Shared test set-up (helpers live in lvqac_testing.py, importable from any test module)."""
from __future__ import annotations

import os
import warnings

import pytest
import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
warnings.filterwarnings("ignore", category=FutureWarning)
torch.set_num_threads(min(2, torch.get_num_threads()))


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
