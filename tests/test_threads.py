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
    from lvqac_core.models import codec_model

    seen, workers = [], []
    run = codec_model.run_transform
    monkeypatch.setattr(codec_model, "run_transform", lambda g, x, **k: (
        seen.append(torch.get_num_threads()) if g is model.g_a else None, run(g, x, **k))[1])
    monkeypatch.setattr(model, "analysis", lambda x, w=1, _f=model.analysis: (workers.append(w), _f(x, w))[1])
    threads.apply(2)
    model.compress_tensor(to_tensor(smooth_image(300, 64), as_float=False)[0], reconstruct=False)
    # two bands side by side (parallel_bands), each transform on one intra-op thread
    assert workers == [2] and seen == [1, 1] and torch.get_num_threads() == 2


@pytest.mark.parametrize("policy, coding_threads", [("PASSIVE", 1), ("", 2), ("ACTIVE", 2)])
def test_coding_runs_on_one_thread_when_waiting_threads_sleep(monkeypatch, policy, coding_threads):
    """With OpenMP's passive wait the entropy coding's networks and maps run on one thread (many
    short parallel regions), the synthesis on all (its bands side by side); with a spinning wait
    everything on all. The file and the pixels are the same either way."""
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
    assert _child(code) == "False None"  # auto, where the load can be read: OpenMP's own wait
    blind = code.replace("import threads;", "import threads, cpu_load; cpu_load._LOADAVG = '/nonexistent';")
    assert _child(blind) == "True PASSIVE"  # auto where it cannot: threads sleep at once
    assert _child(code, LVQAC_OMP_WAIT="passive") == "True PASSIVE"
    assert _child(code, OMP_WAIT_POLICY="ACTIVE", LVQAC_OMP_WAIT="passive") == "False ACTIVE"  # the user's choice wins
    assert _child(code, LVQAC_OMP_WAIT="openmp") == "False None"
    late = ("import torch, os; from lvqac_core import threads; "
            "print(threads.configure_openmp(), os.environ.get('OMP_WAIT_POLICY'))")
    assert _child(late, LVQAC_OMP_WAIT="passive") == "False None"


@pytest.fixture
def two_cores(monkeypatch):
    """Two usable cores, LVQAC_THREADS unset, and a load the test sets (others[0] threads of other
    work), read at every recheck."""
    from lvqac_core import cpu_load

    others = [0]
    monkeypatch.delenv(threads.ENV, raising=False)
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    monkeypatch.setattr(cpu_load, "others_running_sampled", lambda *a, **k: others[0])  # recheck confirms with it
    monkeypatch.setattr(cpu_load, "others_running", lambda: others[0])
    monkeypatch.setattr(threads, "RECHECK_SECONDS", 0.0)
    yield others
    threads.apply(1)  # leave this thread with a fixed count


def test_the_automatic_count_leaves_the_cores_other_work_wants(two_cores, monkeypatch):
    assert threads.apply(None) == 2 and threads.is_automatic() and torch.get_num_threads() == 2
    two_cores[0] = 1
    assert threads.apply(None) == 1 and torch.get_num_threads() == 1
    two_cores[0] = 5
    assert threads.apply(0) == 1
    two_cores[0] = None  # unknown load: all usable cores
    assert threads.apply(None) == 2
    two_cores[0] = 1
    assert threads.apply(2) == 2 and not threads.is_automatic()  # a count asked for is kept
    monkeypatch.setenv(threads.ENV, "2")
    assert threads.apply(None) == 2 and not threads.is_automatic()


def test_recheck_follows_the_load_and_one_thread_restores_what_it_chose(two_cores):
    assert threads.apply(None) == 2
    two_cores[0] = 1  # another program starts mid-job
    threads.recheck()
    assert torch.get_num_threads() == 1
    two_cores[0] = 0  # and ends
    threads.recheck()
    assert torch.get_num_threads() == 2
    with threads.one_thread():
        two_cores[0] = 1
        threads.recheck()
        assert torch.get_num_threads() == 1  # the block stays on one thread
        two_cores[0] = 0
        threads.recheck()
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2  # the count the last reading chose
    with threads.one_thread():
        with threads.one_thread():  # nested (small_work inside one_thread): the outer block stays on one
            pass
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    threads.apply(2)
    two_cores[0] = 1
    threads.recheck()  # a fixed count ignores the load
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("architecture", ["minnen2018-ckbd", "minnen2018-mean"])
def test_the_codec_rechecks_the_load_at_its_stages(two_cores, architecture):
    """A load that arrives mid-job takes a thread away at the next stage of the codec."""
    from lvqac_testing import smooth_image, tiny_model
    from lvqac_core.image_tensors import to_tensor

    model = tiny_model(architecture, "scalar", N=8, M=16)
    model.update()
    threads.apply(None)
    two_cores[0] = 1
    code = model.compress_tensor(to_tensor(smooth_image(64, 64), as_float=False)[0], reconstruct=False)
    assert torch.get_num_threads() == 1
    two_cores[0] = 0
    model.decompress_tensor(code.sections, code.latent_hw, code.hyper_hw, code.symbols_crc32)
    assert torch.get_num_threads() == 2


def test_recheck_is_rate_limited(two_cores, monkeypatch):
    monkeypatch.setattr(threads, "RECHECK_SECONDS", 3600.0)
    threads.apply(None)
    two_cores[0] = 1
    threads.recheck()
    assert torch.get_num_threads() == 2


def test_others_running_counts_other_work_not_this_work(tmp_path, monkeypatch):
    """procs_running less this process's threads in state R, except its other Python threads
    (the app's window, a background load: they compete for the cores too)."""
    import threading

    from lvqac_core import cpu_load

    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        tasks = tmp_path / "task"
        me, omp, py = threading.get_native_id(), 987654, other.native_id
        for tid, state in ((me, "R"), (omp, "R"), (py, "R"), (123456, "S")):
            (tasks / str(tid)).mkdir(parents=True)
            (tasks / str(tid) / "stat").write_text(f"{tid} (py thon) {state} 1 2 3\n")
        (tmp_path / "loadavg").write_text("0.50 0.40 0.30 5/120 4242\n")
        monkeypatch.setattr(cpu_load, "_LOADAVG", str(tmp_path / "loadavg"))
        monkeypatch.setattr(cpu_load, "_TASKS", str(tasks))
        assert cpu_load.available()
        assert cpu_load.others_running() == 3  # 5 less this thread and the pool thread
        (tmp_path / "loadavg").write_text("0.50 0.40\n")
        assert not cpu_load.available() and cpu_load.others_running() is None
        assert threads.automatic_count(None) == threads.usable_cores()
    finally:
        stop.set()
        other.join()


def test_sampled_load_ignores_one_passing_thread(monkeypatch):
    from lvqac_core import cpu_load

    for readings, expected in (([0, 0, 3, 0, 0], 0), ([1, 1, 0, 1, 1], 1), ([2, 0, 2, 0, 0], 2)):
        it = iter(readings)
        monkeypatch.setattr(cpu_load, "others_running", lambda: next(it))
        assert cpu_load.others_running_sampled(5, 0.0) == expected


def test_others_running_reads_this_machine():
    from lvqac_core import cpu_load

    if not cpu_load.available():
        pytest.skip("no /proc/loadavg here")
    n = cpu_load.others_running()
    assert isinstance(n, int) and n >= 0


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


def test_results_say_which_thread_counts_they_ran_with(two_cores):
    from lvqac_core.report import device_text

    threads.apply(None)
    assert threads.used_text() == "2 (automatic)"
    two_cores[0] = 1
    threads.recheck()
    assert threads.used_text() == "1–2 (automatic)"
    threads.mark()  # a new call counts from here
    assert threads.used_text() == "1 (automatic)"
    threads.apply(2)
    assert threads.used_text() == "2"
    assert device_text("cpu", "2 (automatic)") == "cpu, 2 threads (automatic)"
    assert device_text("cpu", "1") == "cpu, 1 thread"
    assert device_text("cpu", "1–2 (automatic)") == "cpu, 1–2 threads (automatic)"
    assert device_text("cuda:0", None) == "cuda:0"


def test_a_compress_and_its_report_carry_the_thread_counts(two_cores):
    import numpy as np

    from lvqac_core.api import Codec
    from lvqac_core.report import CodingReport
    from lvqac_testing import smooth_image, tiny_model

    model = tiny_model("minnen2018-ckbd", "scalar", N=8, M=16)
    model.update()
    codec = Codec(model, "tiny", "cpu")
    threads.apply(None)
    res = codec.compress(smooth_image(64, 64), ms_ssim=False)
    assert res.cpu_threads == "2 (automatic)"
    rep = CodingReport.from_compression(res)
    assert rep.cpu_threads == "2 (automatic)" and rep.to_json()["cpu_threads"] == "2 (automatic)"
    threads.apply(1)
    dec = codec.decompress(res.data)
    assert dec.cpu_threads == "1" and CodingReport.from_decompression(dec).cpu_threads == "1"
    np.testing.assert_array_equal(dec.image, res.reconstruction)
