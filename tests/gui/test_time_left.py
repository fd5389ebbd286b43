"""Time left: every stage longer than a second or two says how long is left (the bar used to sit at
'3 % analysing' for most of a 4 MP photo's wait, saying nothing)."""
from __future__ import annotations

from lvqac_gui.model.time_left import TimeLeft


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_quiet_first_second_then_elapsed_then_fraction_estimate():
    clock = Clock()
    est = TimeLeft(clock=clock)
    est.begin("compress", 4_000_000)
    est.update(0.03)
    clock.t += 0.5
    assert est.text() == ""  # short jobs stay quiet
    clock.t += 2.5
    assert est.text() == "3 s so far"  # the bar has not moved: nothing to estimate from yet
    est.update(0.53)  # half the work in 3 s (from 3 %): about 2.8 s more
    assert est.text() == "about 3 s left"


def test_a_stage_that_reports_nothing_counts_down_from_earlier_jobs():
    clock = Clock()
    est = TimeLeft(clock=clock)
    est.begin("compress", 2_000_000)
    est.update(0.03)
    clock.t += 10.0
    est.update(1.0)
    est.finish()
    assert est.seconds_per_mp["compress"] == 5.0
    est.begin("compress", 4_000_000)  # twice the pixels: about 20 s expected
    est.update(0.03)
    clock.t += 5.0
    assert est.text() == "about 15 s left"  # the bar still says 3 %, the line counts down
    clock.t += 14.5
    assert est.text() == "almost done"
    clock.t += 30.0  # later than expected: never negative, never "0 s"
    assert est.seconds_left() >= 0 and est.text() == "almost done"
    est.begin("classical", 4_000_000)  # another kind learns on its own
    clock.t += 3.0
    assert est.text() == "3 s so far"


def test_model_loading_restarts_the_clock():
    clock = Clock()
    est = TimeLeft(clock=clock)
    est.begin("compress", 1_000_000)
    est.update(-1.0)  # loading the model: no measurable progress
    clock.t += 8.0
    est.update(-1.0)
    est.update(0.03)
    clock.t += 0.5
    assert est.text() == ""


def test_the_progress_line_says_the_time_left(qtbot, helpers, make_window, slow_backend, image_file):
    slow_backend.seconds = 3.0
    win = make_window(backend_=slow_backend)
    win.session.open_paths([image_file])
    qtbot.waitUntil(lambda: " left" in win.controls.stage.text() or "so far" in win.controls.stage.text(),
                    timeout=5000)
    text = win.controls.stage.text()
    assert text.startswith("Compressing test image.png") and " — " in text
    helpers.wait_idle(qtbot, win)
    assert win.controls.stage.text() == "Done"  # nothing left over once done
    win.session.compress()  # the second run knows the first one's time
    qtbot.waitUntil(lambda: " left" in win.controls.stage.text(), timeout=5000)
    helpers.wait_idle(qtbot, win)
