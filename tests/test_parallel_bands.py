"""The transforms' bands side by side (lvqac_core.models.parallel_bands) give the one-thread
result bit for bit: same file, same reconstruction, same decoded pixels, whatever the workers."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

from lvqac_testing import smooth_image, tiny_codec
from lvqac_core.models import parallel_bands
from lvqac_core.models.codec_model import MARGIN


def test_split_cuts_into_equal_bands_of_at_least_min_rows():
    assert parallel_bands.split([(0, 32)], 2, 8) == [(0, 16), (16, 32)]
    assert parallel_bands.split([(0, 20)], 4, 8) == [(0, 10), (10, 20)]  # two of 10, not four of 5
    assert parallel_bands.split([(0, 12)], 2, 8) == [(0, 12)]  # too short to cut
    assert parallel_bands.split([(0, 32)], 1, 8) == [(0, 32)]
    big = [(0, 40), (40, 80), (80, 90)]
    assert parallel_bands.split(big, 2, 8) == big  # already enough bands (memory-sized)
    parts = parallel_bands.split([(0, 33), (33, 40)], 4, 8)
    assert parts[0][0] == 0 and parts[-1][1] == 40
    assert all(b0 == a1 for (_, b0), (a1, _) in zip(parts, parts[1:]))  # contiguous, in order


def test_run_in_order_keeps_order_bounds_the_bands_in_flight_and_runs_each_on_one_thread():
    lock = threading.Lock()
    state = {"now": 0, "most": 0, "threads": set()}

    def work(band):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
            state["threads"].add(torch.get_num_threads())
        time.sleep(0.02 * (5 - band[0]))  # the first bands finish last
        with lock:
            state["now"] -= 1
        return band

    bands = [(i, i + 1) for i in range(5)]
    with torch.inference_mode():
        assert list(parallel_bands.run_in_order(work, bands, 2)) == bands
    assert state["most"] == 2 and state["threads"] == {1}


def test_run_in_order_carries_the_callers_modes_and_errors():
    def modes(band):
        return torch.is_inference_mode_enabled(), torch.is_grad_enabled()

    with torch.inference_mode():
        assert set(parallel_bands.run_in_order(modes, [(0, 1), (1, 2)], 2)) == {(True, False)}
    with torch.no_grad():
        assert set(parallel_bands.run_in_order(modes, [(0, 1), (1, 2)], 2)) == {(False, False)}

    def fails(band):
        if band[0] == 1:
            raise ValueError("band 1")
        return band

    with pytest.raises(ValueError, match="band 1"):
        list(parallel_bands.run_in_order(fails, [(0, 1), (1, 2), (2, 3)], 2))


def test_a_consumer_that_stops_early_never_starts_the_pending_bands():
    started = []

    def work(band):
        started.append(band)
        time.sleep(0.01)
        return band

    gen = parallel_bands.run_in_order(work, [(i, i + 1) for i in range(10)], 2)
    assert next(gen) == (0, 1)
    gen.close()  # waits for the band in flight
    assert len(started) <= 3


def test_workers_follow_the_threads_outside_autograd_only():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        x = torch.zeros(1)
        with torch.inference_mode():
            assert parallel_bands.workers_for(x) == 2
        assert parallel_bands.workers_for(x) == 1  # training: the stock transforms, one band
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("architecture, quantizer", [("minnen2018-ckbd", "lvqac"), ("cheng2020-ckbd", "lvq")])
def test_side_by_side_bands_code_and_decode_as_one_thread(architecture, quantizer):
    codec = tiny_codec(architecture, quantizer)
    model = codec.model
    rows = 2 * max(8, 4 * MARGIN[model.config.spec.backbone])  # two bands at two workers
    img = smooth_image(16 * rows - 5, 40, seed=3)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = codec.compress(img)
        one_decoded = codec.decompress(one.data).image
        torch.set_num_threads(3)
        assert len(model._band_plan(rows, 3, 3)) >= 2
        many = codec.compress(img)
        assert many.data == one.data
        assert np.array_equal(many.reconstruction, one.reconstruction)
        assert np.array_equal(codec.decompress(one.data).image, one_decoded)
        assert np.array_equal(one_decoded, one.reconstruction)
    finally:
        torch.set_num_threads(before)
