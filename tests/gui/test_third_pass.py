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
