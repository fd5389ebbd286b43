"""The colour bar's middle text stays between its left and right labels (issue 27's wide LVQAC
network gave a longer left label, "min 0.0884", which ran into "white: A = 1 · …" at 1280 px)."""
from lvqac_gui.qt.views import center_slot, center_x


def test_middle_text_never_overlaps_the_side_labels():
    for width in (200, 283, 400, 800):
        for left_w, right_w, text_w in ((60, 30, 150), (30, 60, 150), (60, 30, 10), (90, 20, 120)):
            x0, x1 = center_slot(width, left_w, right_w)
            shown = min(text_w, max(x1 - x0, 10))  # what elision leaves
            x = center_x(width, x0, x1, shown)
            assert x >= 4 + left_w, (width, left_w, right_w, text_w)
            if x1 - x0 >= shown:
                assert x + shown <= width - 4 - right_w, (width, left_w, right_w, text_w)


def test_a_short_middle_text_stays_centred():
    x0, x1 = center_slot(400, 40, 40)
    assert center_x(400, x0, x1, 100) == 150.0
