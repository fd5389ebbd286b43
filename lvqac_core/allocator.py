"""Keep freed tensor memory for reuse instead of handing it back to the kernel (glibc only).

A decode or encode allocates the same large feature maps layer after layer, image after image.
glibc's malloc serves every block above its mmap threshold (128 KiB, rising to at most 32 MiB)
with a fresh ``mmap`` and unmaps it on free, so each such tensor is zero-filled page by page by the
kernel on first touch (a minor page fault per 4 KiB page); at 1920×1080 that was about a third
of a decode's time on one thread (``benchmarks/allocator.py``, docs/speed.md).

:func:`tune` raises the mmap threshold to :data:`MMAP_THRESHOLD` and the heap's trim threshold to
:data:`TRIM_THRESHOLD`, so those blocks come from the heap and freed ones are reused, and it keeps
every thread on the main arena (a worker thread's arena holds at most 64 MiB per heap, above which
glibc maps again). Results are unchanged: only where the memory comes from. The cost is memory the
process keeps after the work (up to the trim threshold beyond what is in use); long-lived
processes call :func:`release` when idle (the app does after each job).

``Codec`` calls :func:`tune` before its first compress or decompress; ``LVQAC_MALLOC=default``
in the environment leaves glibc's settings alone. Elsewhere than glibc (macOS, Windows, musl)
both functions do nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator, Optional

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "BOUNDED_MMAP_THRESHOLD", "ENV", "tune", "release", "bounded",
           "is_tuned"]

MMAP_THRESHOLD = 256 << 20  # blocks below this come from the heap (a 4K band's largest map is ~100 MB)
TRIM_THRESHOLD = 512 << 20  # free memory at the top of the heap kept for the next allocation
BOUNDED_ABOVE_PIXELS = 12_000_000  # see bounded(); LVQAC_BOUNDED_ABOVE in the environment overrides it
if os.environ.get("LVQAC_BOUNDED_ABOVE", "").strip().isdigit():
    BOUNDED_ABOVE_PIXELS = int(os.environ["LVQAC_BOUNDED_ABOVE"])
BOUNDED_MMAP_THRESHOLD = 32 << 20  # glibc's own ceiling for its moving threshold (see bounded())
ENV = "LVQAC_MALLOC"  # "default": leave glibc's malloc settings alone

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8  # <malloc.h>
_state: Optional[bool] = None  # None: not tried yet; else whether the settings took


@lru_cache(maxsize=1)
def _libc() -> Optional[ctypes.CDLL]:
    """The C library when it has glibc's ``mallopt`` and ``malloc_trim`` (looked up once)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def tune() -> bool:
    """Apply the settings once per process; True when they are in effect."""
    global _state
    if _state is None:
        libc = None if os.environ.get(ENV, "").strip().lower() == "default" else _libc()
        _state = bool(libc) and all(
            libc.mallopt(param, value) == 1
            for param, value in ((_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD),
                                 (_M_ARENA_MAX, 1))
        )
    return _state


def needs_bounds(pixels: int) -> bool:
    """Whether an image of this many (padded) pixels runs under :func:`bounded`."""
    return pixels > BOUNDED_ABOVE_PIXELS


@contextmanager
def bounded(active: bool = True) -> Iterator[None]:
    """Inside (when ``active`` and tuned), glibc's own limits apply again: blocks of
    :data:`BOUNDED_MMAP_THRESHOLD` and more are mapped and unmapped, and the heap keeps little free
    memory; on leaving, the free pages go back to the kernel and the tuned settings return.

    The decoder (and the encoder's own reconstruction) of very large images runs inside
    (:func:`needs_bounds`: above :data:`BOUNDED_ABOVE_PIXELS`, 12 MP, which takes 4096×4096 and
    leaves 3840×2160 tuned; ``LVQAC_BOUNDED_ABOVE`` in the environment moves it): there the heap's
    reuse of band-sized blocks fragments, and the peak resident set of a 4096×4096 decode varied
    from 1.4 to 1.8 GB from run to run, while with mapped blocks it stays near 1.3 GB
    (``benchmarks/large_image.py``). The analysis side stays tuned (1.1 GB at 4096×4096: the
    image is made float band by band)."""
    if not (active and _state):
        yield
        return
    libc = _libc()
    assert libc is not None
    libc.mallopt(_M_MMAP_THRESHOLD, BOUNDED_MMAP_THRESHOLD)
    libc.mallopt(_M_TRIM_THRESHOLD, 2 * BOUNDED_MMAP_THRESHOLD)
    try:
        yield
    finally:
        libc.malloc_trim(0)
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)


def is_tuned() -> bool:
    """Whether :func:`tune` has put the settings in effect in this process."""
    return bool(_state)


def release() -> None:
    """Hand the heap's free pages back to the kernel (``malloc_trim(0)``); a no-op unless tuned."""
    if _state:
        libc = _libc()
        if libc is not None:
            libc.malloc_trim(0)
