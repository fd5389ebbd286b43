"""The thread policy (lvqac_core.threads): one place decides the intra-op thread count and
OpenMP's wait policy, the command line takes --threads, the analysis runs on one thread."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from lvqac_core import threads
from lvqac_core.cli import main


@pytest.fixture(autouse=True)
def keep_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_default_is_the_env_variable_else_the_usable_cores(monkeypatch):
    monkeypatch.delenv(threads.ENV, raising=False)
    assert threads.default_threads() == threads.usable_cores() == len(os.sched_getaffinity(0))
    monkeypatch.setenv(threads.ENV, "3")
    assert threads.default_threads() == 3 and threads.resolve(None) == 3 and threads.resolve(2) == 2
    for bad in ("0", "-1", "x", "100000"):
        monkeypatch.setenv(threads.ENV, bad)
        assert threads.default_threads() == threads.usable_cores()
    with pytest.raises(ValueError):
        threads.resolve(10 ** 6)


def test_apply_and_one_thread_restore():
    assert threads.apply(2) == 2 and torch.get_num_threads() == 2
    with threads.one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2


def test_the_analysis_runs_on_one_thread(monkeypatch):
    from lvqac_testing import tiny_model
    from lvqac_core.image_tensors import to_tensor
    from lvqac_testing import smooth_image

    model = tiny_model("minnen2018-ckbd", "scalar", N=8, M=16)
    model.update()
    seen = []
    monkeypatch.setattr(model, "analysis", lambda x, _f=model.analysis: (seen.append(torch.get_num_threads()), _f(x))[1])
    threads.apply(2)
    model.compress_tensor(to_tensor(smooth_image(64, 64), as_float=False)[0], reconstruct=False)
    assert seen == [1] and torch.get_num_threads() == 2


@pytest.mark.parametrize("policy, coding_threads", [("PASSIVE", 1), ("", 2), ("ACTIVE", 2)])
def test_coding_runs_on_one_thread_when_waiting_threads_sleep(monkeypatch, policy, coding_threads):
    """With OpenMP's passive wait the entropy coding's networks and maps run on one thread (many
    short parallel regions), the synthesis on all; with a spinning wait everything on all. The
    file and the pixels are the same either way."""
    from lvqac_testing import smooth_image, tiny_model
    from lvqac_core.image_tensors import to_tensor

    monkeypatch.setenv("OMP_WAIT_POLICY", policy)
    model = tiny_model("minnen2018-ckbd", "lvqac", N=8, M=16)
    model.update()
    seen = {"h_s": [], "g_s": []}
    monkeypatch.setattr(model, "hyper_synthesis", lambda *a, _f=model.hyper_synthesis, **k:
                        (seen["h_s"].append(torch.get_num_threads()), _f(*a, **k))[1])
    monkeypatch.setattr(model, "synthesis", lambda *a, _f=model.synthesis, **k:
                        (seen["g_s"].append(torch.get_num_threads()), _f(*a, **k))[1])
    threads.apply(2)
    code = model.compress_tensor(to_tensor(smooth_image(64, 64), as_float=False)[0])
    model.decompress_tensor(code.sections, code.latent_hw, code.hyper_hw, code.symbols_crc32)
    assert seen == {"h_s": [coding_threads] * 2, "g_s": [2, 2]} and torch.get_num_threads() == 2


def _child(code: str, **env) -> str:
    e = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", threads.WAIT_ENV)}
    e.update(env)
    return subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True, check=True).stdout.strip()


def test_openmp_wait_policy_is_set_before_torch_only():
    code = ("import os; from lvqac_core import threads; r = threads.configure_openmp(); "
            "print(r, os.environ.get('OMP_WAIT_POLICY'))")
    assert _child(code) == "True PASSIVE"
    assert _child(code, OMP_WAIT_POLICY="ACTIVE") == "False ACTIVE"  # the user's choice wins
    assert _child(code, LVQAC_OMP_WAIT="openmp") == "False None"
    late = "import torch, os; from lvqac_core import threads; print(threads.configure_openmp(), os.environ.get('OMP_WAIT_POLICY'))"
    assert _child(late) == "False None"


@pytest.mark.parametrize("value", ["0", "x", "999"])
def test_cli_refuses_a_bad_thread_count(value, tmp_path, capsys):
    assert main(["compress", "missing.png", "--threads", value]) == 2
    err = capsys.readouterr().err
    assert "--threads" in err and "\n" not in err.strip()


def test_cli_threads_sets_the_pool(tmp_path, monkeypatch):
    from PIL import Image
    from lvqac_testing import smooth_image

    src = tmp_path / "a.png"
    Image.fromarray(smooth_image(64, 64)).save(src)
    seen = []
    monkeypatch.setattr(threads, "apply", lambda n=None, _f=threads.apply: seen.append(_f(n)) or seen[-1])
    assert main(["compress", str(src), "-o", str(tmp_path / "a.lvq"), "--threads", "1"]) == 0
    assert seen == [1]
