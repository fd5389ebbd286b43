"""Issue 24 (third pass): whole guide paragraphs, the smaller items, compare quantizers in view,
the split's readout, batch export and a kept history, the split's honest A/B."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QTextDocument
from PySide6.QtWidgets import QApplication

from lvqac_gui.qt import dialogs


def _png(tmp_path, name, h=64, w=80, seed=0):
    from conftest import make_image
    p = tmp_path / name
    Image.fromarray(make_image(h, w, seed)).save(p)
    return p


def _plain(html: str) -> str:
    doc = QTextDocument()
    doc.setHtml(html)
    return " ".join(doc.toPlainText().split())


def _words(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------- 5: the guide, whole
def test_guide_shows_every_paragraph_whole(make_window):
    from lvqac_gui.qt.panels import GUIDE_TIPS
    win = make_window()
    shown = _plain(win.guide_html())
    for key, text in GUIDE_TIPS.items():
        assert _words(text) in shown, key
    assert "A < 1" in shown  # the paragraph that a "<" used to cut


# ---------------------------------------------------------------- 8: the smaller items
def test_error_message_names_the_file_once_in_plain_words(qtbot, make_window, tmp_path):
    win = make_window()
    bad = tmp_path / "broken-photo.png"
    bad.write_bytes(b"not an image")
    win.session.open_paths([bad])
    (title, message), = win.shown_errors
    assert message.count("broken-photo.png") == 1, message
    assert "cannot identify" not in message and str(tmp_path) not in message
    assert message.startswith("broken-photo.png: ")


def test_shares_never_round_to_100_percent():
    from lvqac_gui.model.maps import a_law_layer, percent
    assert percent(0.997) == "99.7 %" and percent(0.99996) == "> 99.9 %" and percent(1.0) == "100.0 %"
    assert percent(0.00002) == "< 0.1 %" and percent(0.0) == "0.0 %"
    a = np.full((4, 4), 2.0)
    a[0, 0] = 1.0
    layer = a_law_layer(a, 16, 64, 64, {"a_min": 1.0, "a_max": 2.0, "a_active_share": 15 / 16})
    assert "93.8 % ≠ 1" in layer.center_text
    layer = a_law_layer(a, 16, 64, 64, {"a_min": 1.0, "a_max": 2.0, "a_active_share": 0.997})
    assert "99.7 %" in layer.center_text and "100" not in layer.center_text


def test_model_row_names_the_coded_lambda(qtbot, helpers, make_window, image_file):
    from dataclasses import replace
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    st = win.session.display.stats
    preset = replace(st, model_id="minnen2018-ckbd-lvqac-0.0075", lmbda=0.0075)
    assert dict(preset.rows())["Model"] == "minnen2018-ckbd-lvqac-0.0075"
    between = replace(st, model_id="minnen2018-ckbd-lvqac-0.0075", lmbda=0.005)
    model = dict(between.rows())["Model"]
    assert "λ = 0.005" in model and not model.startswith("minnen2018-ckbd-lvqac-0.0075")


def test_exported_maps_carry_a_title_strip(qtbot, helpers, make_window, image_file, tmp_path):
    from lvqac_gui.model import export
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    d = win.session.display
    out = tmp_path / "out"
    out.mkdir()
    written = export.export_all(d, out)
    maps = [p for p in written if p.suffix == ".png" and not p.name.endswith(".decoded.png")]
    assert maps
    for p in maps:
        img = np.asarray(Image.open(p).convert("RGB"))
        assert img.shape[0] > d.height + 40  # title strip + colour-bar strip
        top = img[:12]
        assert (top.max(axis=2) > 150).any(), p.name  # text in the title strip
    heading = export.map_heading(d, "Residual")
    assert image_file.name in heading and d.stats.quantizer in heading and f"{d.stats.lmbda:g}" in heading
