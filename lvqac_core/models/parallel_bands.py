"""The analysis and synthesis transforms on several cores, bit for bit as on one.

oneDNN's convolutions round differently on one intra-op thread than on several (94 245 of
kodim15's latent values differ in the last bit between 1 and 2 threads; an AMD EPYC with AVX2
also changed decoded pixels), so a file and its pixels would depend on the thread count if g_a
and g_s used torch's threads (:mod:`lvqac_core.threads`). They run on one intra-op thread each
instead, and the parallelism comes from bands of latent rows computed side by side on worker
threads: on one thread every output element is computed the same way whatever the band's shape
(``tests/test_speed_paths.py``, ``tests/test_parallel_bands.py``), so the result is the
one-thread whole-image result for any number of workers.

The price is the margin each band recomputes (:data:`~lvqac_core.models.codec_model.MARGIN`
latent rows on each inner side): :func:`split` only cuts bands of at least ``4 × margin`` rows.
At most ``workers`` bands are in flight, so memory stays bounded by that many bands.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import Callable, Iterator, Sequence, TypeVar

import torch

from .. import threads

__all__ = ["MAX_WORKERS", "workers_for", "split", "run_in_order"]

MAX_WORKERS = 8

T = TypeVar("T")
Band = tuple[int, int]


def workers_for(x: torch.Tensor) -> int:
    """How many bands may run side by side for work on ``x`` started from this thread: the
    thread's intra-op count (the thread policy's choice) on the CPU outside autograd, else 1."""
    if x.device.type != "cpu" or torch.is_grad_enabled():
        return 1
    return max(1, min(MAX_WORKERS, torch.get_num_threads()))


def split(bands: Sequence[Band], workers: int, min_rows: int) -> list[Band]:
    """``bands`` (latent row ranges [a, b), top to bottom), each cut into equal parts so that
    there are about ``workers`` of them, none shorter than ``min_rows`` rows."""
    bands = list(bands)
    if workers <= 1 or len(bands) >= workers:
        return bands
    out: list[Band] = []
    for a, b in bands:
        parts = max(1, min(-(-workers // len(bands)), (b - a) // max(1, min_rows)))
        edges = [a + (b - a) * i // parts for i in range(parts + 1)]
        out.extend(zip(edges[:-1], edges[1:]))
    return out


def run_in_order(work: Callable[[Band], T], bands: Sequence[Band], workers: int) -> Iterator[T]:
    """Yield ``work(band)`` for each band in order, each computed on one intra-op thread, up to
    ``workers`` of them at a time on worker threads (with one worker or one band: on this
    thread). The caller's autograd and inference modes (thread-local in torch) carry over. A
    consumer that stops early waits for the bands in flight; pending ones never start."""
    if workers <= 1 or len(bands) <= 1:
        for band in bands:
            with threads.one_thread():
                yield work(band)
        return
    grad, inference = torch.is_grad_enabled(), torch.is_inference_mode_enabled()

    def job(band: Band) -> T:
        with torch.inference_mode(inference), torch.set_grad_enabled(grad), threads.one_thread():
            return work(band)

    pool = ThreadPoolExecutor(max_workers=min(workers, len(bands)), thread_name_prefix="lvqac-band")
    try:
        queue = iter(bands)
        pending: list[Future] = [pool.submit(job, band) for band in islice(queue, workers)]
        while pending:
            result = pending.pop(0).result()
            band = next(queue, None)  # the next band starts as soon as one is taken
            if band is not None:
                pending.append(pool.submit(job, band))
            yield result
            del result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
