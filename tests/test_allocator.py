"""The tuned heap: settings take on glibc, an opt-out, the same pixels, no repeated page faults."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lvqac_core import allocator

ROOT = Path(__file__).resolve().parent.parent
glibc = pytest.mark.skipif(allocator._libc() is None or not sys.platform.startswith("linux"),
                           reason="needs glibc's mallopt")

CHILD = r"""
import hashlib, json, resource
from lvqac_core import allocator
from lvqac_core.api import load_model
import numpy as np
from PIL import Image
codec = load_model(None, "cpu")
# 1024×1024: the synthesis' largest maps (48 × 512 × 512 floats, 50 MB) lie above glibc's moving
# mmap threshold (at most 32 MiB), so the default settings map them afresh in every decode
with Image.open("resources/samples/astronaut.png") as im:
    rgb = np.asarray(im.convert("RGB").resize((1024, 1024), Image.BICUBIC))
data = codec.compress(rgb, reconstruction=False).data
for _ in range(2):  # warm-up: the heap grows to its working size
    codec.decompress(data, bits_map=False)
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    image = codec.decompress(data, bits_map=False).image
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
print(json.dumps({"tuned": allocator.is_tuned(), "faults": faults,
                  "pixels": hashlib.sha256(image.tobytes()).hexdigest()}))
"""


def _child(env_value: str | None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop(allocator.ENV, None)
    if env_value is not None:
        env[allocator.ENV] = env_value
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@glibc
def test_tune_takes_once_and_release_is_harmless():
    assert allocator.tune() is True
    assert allocator.tune() is True and allocator.is_tuned()
    allocator.release()


@glibc
def test_tuned_decode_reuses_memory_and_gives_the_same_pixels():
    default, tuned = _child("default"), _child(None)
    assert default["tuned"] is False and tuned["tuned"] is True  # LVQAC_MALLOC=default opts out
    assert default["pixels"] == tuned["pixels"]
    # glibc's defaults map each large feature map afresh (tens of thousands of faults per
    # decode); the tuned heap serves repeated decodes from memory it already holds
    assert default["faults"] > 20000
    assert tuned["faults"] < default["faults"] / 10


def test_without_mallopt_nothing_happens(monkeypatch):
    monkeypatch.setattr(allocator, "_state", None)
    monkeypatch.setattr(allocator, "_libc", lambda: None)
    assert allocator.tune() is False and not allocator.is_tuned()
    allocator.release()  # no-op


@glibc
def test_bounded_maps_large_blocks_and_restores_the_tuned_heap(monkeypatch):
    assert allocator.tune()
    calls = []
    real = allocator._libc()

    class Spy:
        def mallopt(self, param, value):
            calls.append((param, value))
            return real.mallopt(param, value)

        def malloc_trim(self, pad):
            calls.append(("trim", pad))
            return real.malloc_trim(pad)

    monkeypatch.setattr(allocator, "_libc", lambda: Spy())
    with allocator.bounded(False):
        pass
    assert calls == []  # small images keep the tuned heap
    with allocator.bounded(True):
        assert calls == [(-3, allocator.BOUNDED_MMAP_THRESHOLD), (-1, 2 * allocator.BOUNDED_MMAP_THRESHOLD)]
    assert calls[2:] == [("trim", 0), (-3, allocator.MMAP_THRESHOLD), (-1, allocator.TRIM_THRESHOLD)]


def test_only_very_large_images_run_bounded():
    assert allocator.needs_bounds(4096 * 4096)
    assert not allocator.needs_bounds(3840 * 2176)  # 4K UHD, padded
    assert not allocator.needs_bounds(768 * 512)
