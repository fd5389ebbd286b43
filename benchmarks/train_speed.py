"""Seconds per training step (forward, backward, Adam) in fp32 / bf16 autocast × channels_last.

    .venv/bin/python -m benchmarks.train_speed [-N 48 -M 64] [--quantizer lvq] [--batch-size 8]
        [--crop 128] [--threads 1] [--steps 5] [--repeats 5] [--compile]

Each configuration has its own copy of the same initial weights; the configurations run
interleaved round-robin (``--steps`` steps each per round, after one warm-up round) and the median
over rounds is reported, so ratios compare like with like on a busy machine. The training step is
the trainer's own (``Trainer.train_step`` logic: autocast around the model, loss in fp32, Adam).
"""
from __future__ import annotations

import argparse
import copy
import statistics
import time
import warnings
from pathlib import Path

import torch

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent

from lvqac_core.models import ModelConfig, build_model  # noqa: E402
from lvqac_core.training.trainer import cpu_has_bf16, rd_loss  # noqa: E402


def make_step(model, opt, x, bf16: bool, lmbda: float = 0.0075):
    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = model(x)
        rd_loss(out, x, lmbda)["loss"].backward()
        opt.step()
    return step


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--architecture", default="minnen2018-ckbd")
    ap.add_argument("--quantizer", default="lvq")
    ap.add_argument("-N", type=int, default=48)
    ap.add_argument("-M", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=5, help="steps per configuration per round")
    ap.add_argument("--repeats", type=int, default=5, help="timed rounds")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile'd transforms (bf16 + channels_last)")
    ap.add_argument("--precisions", default=None,
                    help="comma-separated, from fp32,bf16 (default: both where the CPU has AVX512-BF16, else fp32 "
                         "only: bf16 autocast without it was measured 36× slower)")
    a = ap.parse_args()
    precisions = a.precisions.split(",") if a.precisions else (["fp32", "bf16"] if cpu_has_bf16() else ["fp32"])
    if not precisions or set(precisions) - {"fp32", "bf16"}:
        ap.error("--precisions takes fp32 and/or bf16")
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    base = build_model(ModelConfig(a.architecture, a.quantizer, N=a.N, M=a.M)).train()
    x0 = torch.rand(a.batch_size, 3, a.crop, a.crop)
    configs = {}
    for bf16 in [p == "bf16" for p in precisions]:
        for cl in (False, True):
            name = f"{'bf16' if bf16 else 'fp32'}{' + channels_last' if cl else ''}"
            configs[name] = (bf16, cl, False)
    if a.compile:
        configs["bf16 + channels_last + compile"] = (True, True, True)
    steps = {}
    for name, (bf16, cl, comp) in configs.items():
        m = copy.deepcopy(base)
        x = x0.clone()
        if cl:
            m = m.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        if comp:
            for part in ("g_a", "g_s", "h_a", "h_s"):
                setattr(m, part, torch.compile(getattr(m, part)))
        opt = torch.optim.Adam([p for n, p in m.named_parameters() if not n.endswith("quantiles")], lr=1e-5)
        steps[name] = make_step(m, opt, x, bf16)
    times: dict[str, list[float]] = {n: [] for n in configs}
    for rnd in range(a.repeats + 1):
        for name, fn in steps.items():
            t0 = time.perf_counter()
            for _ in range(a.steps):
                fn()
            if rnd:  # round 0 is warm-up
                times[name].append((time.perf_counter() - t0) / a.steps)
    print(f"{a.architecture} {a.quantizer} N{a.N}/M{a.M}, batch {a.batch_size} of {a.crop}², {a.threads} thread(s), "
          f"torch {torch.__version__}, CPU bf16: {cpu_has_bf16()}; median of {a.repeats} interleaved rounds × {a.steps} steps")
    ref = statistics.median(times[next(iter(times))])
    print(f"{'configuration':<34} {'s/step':>8} {'vs first':>8}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<34} {med:>8.3f} {ref / med:>7.2f}×")


if __name__ == "__main__":
    main()
