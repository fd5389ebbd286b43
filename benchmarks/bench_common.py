"""Shared helpers of the benchmarks: test images of a given size, interleaved medians."""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

warnings.filterwarnings("ignore", category=FutureWarning)
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "resources" / "samples" / "astronaut.png"


def parse_size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def sample_image(width: int, height: int) -> np.ndarray:
    """The committed 512×512 sample resized (bicubic) to width×height: uint8 RGB, deterministic."""
    from PIL import Image

    with Image.open(SAMPLE) as im:
        return np.asarray(im.convert("RGB").resize((width, height), Image.BICUBIC)).copy()


@contextmanager
def busy_core(on: bool = True, cores: int = 1) -> Iterator[None]:
    """While the block runs (when ``on``), ``cores`` processes each spin on a core at normal
    priority: the calibrated competing load of the benchmarks' busy mode (a pure Python loop holds
    one core whatever the machine's speed)."""
    if not on:
        yield
        return
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
    try:
        time.sleep(0.2)  # let them start spinning
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def interleaved(fns: dict[str, Callable[[], float | None]], repeats: int) -> dict[str, float]:
    """Run every fn once per round, round-robin, and return each one's median seconds.

    A fn returns its own measured seconds, or None to be timed here (wall clock).
    """
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            r = fn()
            times[k].append(time.perf_counter() - t0 if r is None else float(r))
    return {k: statistics.median(v) for k, v in times.items()}


def tree_comparison_parser(doc: str) -> argparse.ArgumentParser:
    """Options of the benchmarks that time this tree against another checkout in fresh processes."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", default=str(SAMPLE))
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--baseline", help="another checkout to compare with (run interleaved)")
    p.add_argument("--threads", type=int, default=1,
                   help="OMP_NUM_THREADS for the runs; 0 leaves it unset (the program's own thread policy)")
    return p


def thread_env(threads: int) -> dict[str, str]:
    """The environment for a run at ``threads`` (0: without OMP_NUM_THREADS / LVQAC_THREADS, so the
    program's own thread policy decides)."""
    env = dict(os.environ)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    else:
        env.pop("OMP_NUM_THREADS", None)
        env.pop("LVQAC_THREADS", None)
    return env


def trees_of(args: argparse.Namespace) -> dict[str, Path]:
    """{"this tree": ROOT} plus {"baseline": ...} when --baseline was given."""
    trees = {"this tree": ROOT}
    if args.baseline:
        trees["baseline"] = Path(args.baseline).resolve()
    return trees
