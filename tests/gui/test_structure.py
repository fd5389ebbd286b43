"""The GUI's structure: the menu table (every slot exists, a shortcut is declared once, the
shortcut help is the table's), typed jobs (a kind names its class; the backend and the session
dispatch on it) and a .lvq opened once (its bytes travel with the decode job)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lvqac_core import files
from lvqac_gui.model.jobs import ClassicalJob, CompressJob, DecompressJob, Job, LvqFile
from lvqac_gui.model.state import Session
from lvqac_gui.model.records import Source


def test_menu_table_slots_exist_and_shortcuts_are_declared_once(qtbot, make_window):
    from lvqac_gui.qt import actions
    win = make_window()
    rows = [r for r in actions.MENU if isinstance(r, actions.Action)]
    for r in rows:
        assert callable(actions.resolve(win, r.slot)), r.slot
        if r.name:
            assert getattr(win, r.name).text() == r.text
    keys = [actions.key_text(r.shortcut) for r in rows if r.shortcut is not None]
    keys = [k for k in keys if k]
    assert len(keys) == len(set(keys)), keys
    assert win.shortcut_rows() == actions.shortcut_rows()
    assert [k for k, _ in win.shortcut_rows()] == keys


def test_a_kind_names_its_job_class():
    src = Source("x", array=np.zeros((16, 16, 3), np.uint8))
    job = Job(id=1, kind="compress", source=src, lmbda=0.0075, quantizer="lvq", device="cpu")
    assert type(job) is CompressJob and job.kind == "compress" and not job.BESIDE
    again = dataclasses.replace(job, lmbda=0.015)
    assert type(again) is CompressJob and again.lmbda == 0.015
    side = ClassicalJob(id=2, source=src, lmbda=0.0, quantizer="lvq", device="cpu", codec="jpeg",
                        target_bytes=1000)
    assert side.kind == "classical" and side.BESIDE and "JPEG at 1,000 bytes of x" in side.text(Session())
    with pytest.raises(ValueError, match="unknown job kind"):
        Job(id=3, kind="nonsense", source=src, lmbda=0.0075, quantizer="lvq", device="cpu")


def test_a_lvq_is_read_once_and_its_bytes_travel_with_the_job(qtbot, helpers, make_window, image_file,
                                                               tmp_path, monkeypatch):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    path = tmp_path / "a.lvq"
    path.write_bytes(win.session.display.data)
    reads = []
    real = files.read_file_bytes

    def counting(p, *a, **k):
        reads.append(str(p))
        return real(p, *a, **k)
    monkeypatch.setattr(files, "read_file_bytes", counting)
    monkeypatch.setattr("lvqac_gui.model.jobs.read_file_bytes", counting)
    jobs = []
    win.session.job_requested.connect(jobs.append)
    win.session.open_paths([path])
    helpers.wait_idle(qtbot, win)
    assert isinstance(jobs[0], DecompressJob) and isinstance(jobs[0].lvq, LvqFile)
    assert jobs[0].lvq.data == path.read_bytes()
    assert reads == [str(path)]  # opened once: the decode job did not read it again
    assert win.session.display.kind == "decoded" and win.errors == []
