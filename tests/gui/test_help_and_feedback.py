"""Help and feedback: progress stages, colour-bar and control tooltips, the guide shown whole,
shortcuts and about, long tooltips wrapped."""
from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication


def _plain(html: str) -> str:
    doc = QTextDocument()
    doc.setHtml(html)
    return " ".join(doc.toPlainText().split())


def _words(text: str) -> str:
    return " ".join(text.split())


def test_feedback_stages_recent_and_help(qtbot, helpers, make_window, image_file, factory):
    from lvqac_gui.model.backend import Backend
    win = make_window(backend_=Backend(codec_factory=factory))  # nothing loaded yet
    texts = []
    win.session.progress_changed.connect(lambda f, t: texts.append((f, t)))
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    stages = " | ".join(t for _, t in texts)
    for word in ("loading model", "analysing", "coding", "decoding", "drawing maps"):
        assert word in stages, stages
    assert any(f < 0 for f, _ in texts)  # model loading: no fake percentage
    fractions = [f for f, t in texts if f >= 0 and t != "Done"]
    assert fractions == sorted(fractions)
    # the residual colour bar says it is clipped at the 99.5th percentile, not min / max
    left, centre, right = win.panels["residual"].colorbar.labels()
    assert "99.5th-percentile" in centre and left.startswith("≤") and right.startswith("≥")
    assert "99.5th percentile" in win.panels["residual"].colorbar.toolTip()
    # tooltips and the guide explain λ, Zⁿ vs Zⁿ+½, A and bits per position
    assert "λ" in win.controls.lmbda_box.toolTip() and "Zⁿ+½" in win.controls.quantizer_box.toolTip()
    for key in ("selection", "a_law", "bits"):
        assert win.panels[key].title.toolTip()
    guide = win.guide_html()
    assert all(w in guide for w in ("λ", "Zⁿ+½", "A-law", "Bits per position"))
    html = win.shortcuts_html()
    assert html.startswith("<table") and html.count("<tr>") == len(win.shortcut_rows()) >= 15
    assert "F1" in html and "Ctrl+E" in html
    assert "LVQAC Studio" in win.about_html()


def test_guide_shows_every_paragraph_whole(make_window):
    from lvqac_gui.qt.panels import GUIDE_TIPS
    win = make_window()
    shown = _plain(win.guide_html())
    for key, text in GUIDE_TIPS.items():
        assert _words(text) in shown, key
    assert "A < 1" in shown  # the paragraph that a "<" used to cut
    for heading in ("A/B split", "Position inspector", "Sessions"):  # the features the guide explains
        assert heading in shown, heading
    assert "its own λ" in shown and "What if" in shown and "Save session" in shown


def test_long_tooltips_wrap(qtbot, make_window):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip
    win = make_window()
    box = win.controls.quantizer_box
    assert max(len(line) for line in box.toolTip().splitlines()) > 70
    ev = QHelpEvent(QEvent.Type.ToolTip, QPoint(5, 5), box.mapToGlobal(QPoint(5, 5)))
    QApplication.sendEvent(box, ev)
    qtbot.waitUntil(QToolTip.isVisible, timeout=3000)
    assert QToolTip.text().startswith("<qt>")
    tips = [w for w in QApplication.topLevelWidgets() if w.objectName() == "qtooltip_label" and w.isVisible()]
    assert tips and tips[0].width() < 700, tips[0].width() if tips else None
    QToolTip.hideText()
