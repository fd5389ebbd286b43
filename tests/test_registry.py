"""The registry's decorator tables, and the shared rules beside it: the λ comparison (lambdas), the
device rule (device), MS-SSIM in dB (metrics), and that the quantizer names every layer uses are one
list (bitstream)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lvqac_core.device import DeviceChoice, choose_device
from lvqac_core.errors import InputError
from lvqac_core.lambdas import PAPER_LAMBDAS, lambda_in_range, same_lambda
from lvqac_core.metrics import ms_ssim_db
from lvqac_core.registry import Registry


def test_registry_decorator_get_and_duplicates():
    reg: Registry = Registry("widget")

    @reg.register("round")
    class Round:
        pass

    assert reg.get("round") is Round  # the decorator returns the class unchanged
    reg.add("square", int)
    assert reg.names() == ("round", "square") and list(reg) == ["round", "square"] and len(reg) == 2
    assert "round" in reg and "hexagon" not in reg
    with pytest.raises(KeyError, match="unknown widget 'hexagon'; known: round, square"):
        reg.get("hexagon")
    with pytest.raises(ValueError, match="widget 'round' is registered twice"):
        reg.register("round")(object)
    assert reg.get("round") is Round  # the refused duplicate did not replace the first


def test_same_lambda():
    assert same_lambda(0.0075, 0.0075)
    assert same_lambda(0.0075, float(np.float32(0.0075)))  # as read back from a .lvq header (float32)
    assert same_lambda("0.0016", 0.0016)  # typed or read from JSON as text
    assert not same_lambda(0.0075, 0.0076)
    assert not same_lambda(0.0016, 0.0016 * (1 + 1e-5))
    assert not same_lambda(0.0, 1e-12)  # relative: no absolute slack that merges tiny λ
    # the presets are distinct under the rule, so each names exactly one rate point
    assert all(sum(same_lambda(a, b) for b in PAPER_LAMBDAS) == 1 for a in PAPER_LAMBDAS)


def test_lambda_in_range():
    lo, hi = 0.0016, 0.045
    assert lambda_in_range(0.0075, lo, hi) and lambda_in_range(lo, lo, hi) and lambda_in_range(hi, lo, hi)
    assert lambda_in_range(float(np.float32(0.045)), lo, hi)  # an end read back as float32
    assert not lambda_in_range(0.046, lo, hi) and not lambda_in_range(0.0015, lo, hi)
    assert not lambda_in_range(float("nan"), lo, hi) and not lambda_in_range(float("inf"), lo, hi)


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr("lvqac_core.device.cuda_available", lambda: False)


@pytest.fixture
def with_cuda(monkeypatch):
    monkeypatch.setattr("lvqac_core.device.cuda_available", lambda: True)


def test_choose_device_auto_and_cpu(no_cuda):
    assert choose_device() == DeviceChoice("cpu") and choose_device("auto").note is None
    assert choose_device("cpu") == choose_device("cpu", fallback=True) == DeviceChoice("cpu")


def test_choose_device_with_cuda(with_cuda):
    assert choose_device("auto") == DeviceChoice("cuda")
    assert choose_device("cuda") == DeviceChoice("cuda")
    assert choose_device("cuda:1", fallback=True) == DeviceChoice("cuda:1")
    assert choose_device("cpu") == DeviceChoice("cpu")


def test_choose_device_cuda_absent(no_cuda):
    for asked in ("cuda", "cuda:0"):
        choice = choose_device(asked, fallback=True)  # the app: runs, and says so
        assert choice.device == "cpu" and "CUDA" in choice.note
        with pytest.raises(InputError, match="no CUDA device") as info:  # CLI and API: refuse
            choose_device(asked, fallback=False)
        assert "--" not in str(info.value)  # the core names no command-line flags


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "cuda:", "CPU", "", None, 0])
def test_choose_device_bad_request(no_cuda, bad):
    for fallback in (False, True):  # a typo is an error even where CUDA falls back to the CPU
        with pytest.raises(InputError):
            choose_device(bad, fallback=fallback)


def test_choose_device_users_share_the_rule(no_cuda):
    import torch

    from lvqac_core.device import device_name as api_resolve
    from lvqac_core.training.trainer import torch_device_for_rank as train_resolve

    assert api_resolve("auto") == "cpu" and train_resolve("auto", 3) == torch.device("cpu")
    for user in (api_resolve, lambda d: train_resolve(d, 0)):
        with pytest.raises(InputError):
            user("cuda")
        with pytest.raises(InputError):
            user("tpu")


def test_ms_ssim_db():
    assert ms_ssim_db(0.9) == pytest.approx(10.0)
    assert ms_ssim_db(0.99) == pytest.approx(20.0)
    assert ms_ssim_db(0.0) == 0.0
    assert ms_ssim_db(1.0) == pytest.approx(120.0)  # capped at 1 - 1e-12, not inf
    assert math.isfinite(ms_ssim_db(1.0))


def test_one_ms_ssim_db_formula():
    from lvqac_core.evaluation.common import ImageScore

    assert ImageScore("x", 1.0, 30.0, 0.95).ms_ssim_db == ms_ssim_db(0.95)


def test_quantizer_names_agree():
    """The .lvq byte order (bitstream), the built quantizers, the checkpoint checker and the command
    lines' choices all list the same names."""
    from lvqac_core import bitstream, checkpoint_validation, quantizers  # noqa: F401  (quantizers: registers them)
    from lvqac_core.registry import QUANTIZER_REGISTRY
    from lvqac_core.cli import build_parser

    assert bitstream.QUANTIZERS == ("scalar", "lvq", "lvqac")  # the order is the on-disk code
    assert set(QUANTIZER_REGISTRY) == set(bitstream.QUANTIZERS)  # every name the format knows is built
    assert set(checkpoint_validation.QUANTIZER_OPTIONS) == set(bitstream.QUANTIZERS)
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices
    for command in ("compress", "train"):
        action = next(a for a in sub[command]._actions if a.dest == "quantizer")
        assert tuple(action.choices) == bitstream.QUANTIZERS, command


def test_gui_quantizer_names_agree():
    pytest.importorskip("PySide6")
    from lvqac_core.bitstream import QUANTIZERS
    from lvqac_gui.app import build_parser
    from lvqac_gui.model import state

    assert state.QUANTIZERS == QUANTIZERS and set(state.QUANTIZER_LABELS) == set(QUANTIZERS)
    action = next(a for a in build_parser()._actions if a.dest == "quantizer")
    assert tuple(action.choices) == QUANTIZERS


def test_nearest_in_log_lambda():
    from lvqac_core.lambdas import nearest_index

    assert nearest_index(0.0075, PAPER_LAMBDAS) == 2
    assert nearest_index(0.004, PAPER_LAMBDAS) == 1  # nearer to 0.0032 than to 0.0075 in log λ
    assert nearest_index(0.0048, (0.0032, 0.0075)) == 0 and nearest_index(0.0050, (0.0032, 0.0075)) == 1
