"""Shared test set-up (helpers live in lvqac_testing.py, importable from any test module)."""
from __future__ import annotations

import os
import warnings

import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
warnings.filterwarnings("ignore", category=FutureWarning)
torch.set_num_threads(min(2, torch.get_num_threads()))
