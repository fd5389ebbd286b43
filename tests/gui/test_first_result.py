"""A compression shows its encoder's result first and completes it when its decode check ends."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lvqac_gui.model.jobs import CompressJob
from lvqac_gui.model.records import Source
from lvqac_gui.model.state import Session
from lvqac_testing import smooth_image

from test_state import Recorder, synthetic_display


def _first_and_last():
    """An interim display (decode pending) and the job's last payload: the same images, the
    decode's figures added."""
    first = synthetic_display()
    first.stats = replace(first.stats, decode_seconds=None, decode_pending=True)
    last = replace(first, stats=replace(first.stats, decode_seconds=0.05, decode_matches=True,
                                        decode_pending=False))
    return first, last


def _session_with_job(tmp_path):
    s = Session()
    s.loader = lambda source: np.zeros((4, 4, 3), np.uint8)
    rec = Recorder(s)
    updates = []
    s.display_updated.connect(updates.append)
    p = tmp_path / "a.png"
    p.write_bytes(b"not decoded here")
    s.open_paths([p])
    return s, rec, updates


def test_interim_is_shown_then_completed_in_place(tmp_path):
    s, rec, updates = _session_with_job(tmp_path)
    first, last = _first_and_last()
    job = rec.jobs[-1]
    s.job_interim(job.id, first)
    assert s.display is first and rec.displays == [first] and s.busy
    assert s.history == []  # the Results row waits for the complete numbers
    rows = dict(first.stats.rows())
    assert rows["Decode time"] == "measuring…" and rows["Decode check"] == "decoding the file…"
    s.job_finished(job.id, last)
    assert s.display is first and rec.displays == [first]  # not shown a second time
    assert updates == [first] and first.stats.decode_seconds == 0.05 and not first.stats.decode_pending
    assert dict(first.stats.rows())["Decode check"] == "identical to the encoder's output"
    assert len(s.history) == 1 and s.history[0].display is first and s.history[0].seconds == pytest.approx(0.15)
    assert not s.busy


def test_cancel_after_the_interim_keeps_the_result_unchecked(tmp_path):
    s, rec, updates = _session_with_job(tmp_path)
    first, last = _first_and_last()
    job = rec.jobs[-1]
    s.job_interim(job.id, first)
    s.cancel()
    assert s.display is first and updates == [first] and not first.stats.decode_pending
    rows = dict(first.stats.rows())
    assert rows["Decode time"] == "—" and "Decode check" not in rows
    assert len(s.history) == 1 and s.history[0].kind == "compressed"
    s.job_finished(job.id, last)  # its late last payload changes nothing
    assert first.stats.decode_seconds is None and len(s.history) == 1


def test_superseded_after_the_interim_is_settled_once(tmp_path):
    s, rec, updates = _session_with_job(tmp_path)
    first, _ = _first_and_last()
    old = rec.jobs[-1]
    s.job_interim(old.id, first)
    s.set_choices(lmbda=0.015)  # a new compression of the same image supersedes it
    assert rec.cancels == [old.id] and s.interim is None
    assert s.display is first and not first.stats.decode_pending and len(s.history) == 1
    new_first, new_last = _first_and_last()
    s.job_interim(rec.jobs[-1].id, new_first)
    s.job_finished(rec.jobs[-1].id, new_last)
    assert s.display is new_first and len(s.history) == 2 and updates == [first, new_first]


def test_a_failed_decode_check_withdraws_the_interim(tmp_path):
    s, rec, _ = _session_with_job(tmp_path)
    first, _ = _first_and_last()
    job = rec.jobs[-1]
    s.job_interim(job.id, first)
    s.job_failed(job.id, "Corrupt file", "the decoder refused the file")
    assert s.display is None and rec.displays[-1] is None
    assert [e.kind for e in s.history] == ["failed"] and rec.errors


def test_stale_interim_is_ignored(tmp_path):
    s, rec, _ = _session_with_job(tmp_path)
    first, _ = _first_and_last()
    s.job_interim(rec.jobs[-1].id + 1, first)
    assert s.display is None and rec.displays == []


def test_compress_job_hands_over_the_encoders_result_before_decoding(backend):
    image = smooth_image(48, 64, seed=3)
    job = CompressJob(id=1, source=Source("s.png", array=image), lmbda=0.0075, quantizer="lvqac",
                      device="cpu")
    stages, seen = [], []

    def report(fraction, stage=""):
        stages.append(stage)

    def interim(d):
        seen.append((d, len(stages)))

    last = backend.run(job, report, interim)
    (first, at), = seen
    assert first.stats.decode_pending and first.stats.decode_seconds is None
    assert first.stats.psnr is not None and first.stats.ms_ssim is None  # MS-SSIM: of the decoded image
    assert dict(first.stats.rows())["MS-SSIM"] == "measuring…"
    assert not any(st.startswith("checking the file") for st in stages[:at])
    assert any(st.startswith("checking the file") for st in stages[at:])
    # the last payload is the same result with the decode's figures
    assert last.reconstruction is first.reconstruction and last.layers is first.layers
    assert last.data == first.data and not last.stats.decode_pending
    assert last.stats.decode_matches is True and last.stats.decode_seconds > 0
    assert last.stats.ms_ssim is not None and last.stats.psnr == first.stats.psnr


def test_without_the_decode_check_there_is_no_interim(backend):
    job = CompressJob(id=1, source=Source("s.png", array=smooth_image(48, 64, seed=3)), lmbda=0.0075,
                      quantizer="scalar", device="cpu", measure_decode=False)
    seen = []
    d = backend.run(job, None, seen.append)
    assert seen == [] and d.stats.decode_seconds is None and not d.stats.decode_pending
    assert "Decode check" not in dict(d.stats.rows())
