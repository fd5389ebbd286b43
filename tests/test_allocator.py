"""The tuned heap: settings take on glibc, an opt-out, the same pixels, large maps from the heap."""
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
import ctypes, hashlib, json
from lvqac_core import allocator
from lvqac_core.api import load_model
import numpy as np
import torch
from PIL import Image

libc = allocator._libc()
new = hasattr(libc, "mallinfo2")  # glibc 2.33+: size_t fields; the older mallinfo has int fields

class Mallinfo(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t if new else ctypes.c_int)
                for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                          "fordblks", "keepcost")]

mallinfo = libc.mallinfo2 if new else libc.mallinfo
mallinfo.restype = Mallinfo

codec = load_model(None, "cpu")
# 1024×1024: the synthesis' largest maps (48 × 512 × 512 floats, 50 MB) lie above glibc's moving
# mmap threshold (at most 32 MiB), so the default settings map them afresh in every decode; the
# later decodes run on reused (not zero-filled) heap memory when tuned
with Image.open("resources/samples/astronaut.png") as im:
    rgb = np.asarray(im.convert("RGB").resize((1024, 1024), Image.BICUBIC))
data = codec.compress(rgb, reconstruction=False).data
for _ in range(3):
    image = codec.decompress(data, bits_map=False).image
# where a large block comes from, as the decoder left the settings: a mapped chunk (hblks counts
# them) or the heap. malloc serves a block from a free chunk of the heap when one is large enough;
# else it maps the block exactly when it is above the mmap threshold (at most 32 MiB by default,
# 256 MiB tuned). So the block is made larger than all the heap's free memory (and than a feature
# map), and below the tuned threshold: mapped by default, from the heap when tuned, on any
# machine and under any load
info = mallinfo()
size = min(max(info.fordblks + (1 << 20), 64 << 20), allocator.MMAP_THRESHOLD - (1 << 20))
before = info.hblks
block = torch.empty(size // 4)
mapped = mallinfo().hblks - before
del block
print(json.dumps({"tuned": allocator.is_tuned(), "mapped": mapped, "above_free": size > info.fordblks,
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
    # glibc's defaults map each feature map above 32 MiB afresh (and the kernel zero-fills it page
    # by page on first touch); the tuned heap serves it from memory it already holds. Counted in
    # mapped chunks, not page faults or time: the same on any machine and under any load
    assert default["above_free"]  # else the default heap might serve the block from a free chunk
    assert default["mapped"] == 1
    assert tuned["mapped"] == 0


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
