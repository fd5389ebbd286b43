"""Layout: resizing 1024×700 → 1920×1080 → 1400×900 leaves no empty gaps
(the central area and the docks fill the window; the six panel views keep one size), and at
1920×1080 the docks are stacked (Model, Numbers, Rate–distortion) as docs/gui.md says."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QDockWidget, QTabBar

SEPARATOR = 6  # px: a dock separator (or layout margin) between two filled areas is not a gap


def _settle(qtbot) -> None:
    for _ in range(4):
        QApplication.processEvents()
        qtbot.wait(30)


def _content_rect(win) -> QRect:
    """The window's area between the menu bar and the status bar."""
    top = win.menuBar().geometry().bottom() + 1 if win.menuBar().isVisible() else 0
    bottom = win.statusBar().geometry().top() - 1 if win.statusBar().isVisible() else win.height() - 1
    return QRect(0, top, win.width(), bottom - top + 1)


def shown_docks(win) -> list[QDockWidget]:
    """The docks on screen (a dock behind another's tab is "visible" but parked off the window)."""
    return [d for d in win.findChildren(QDockWidget) if d.isVisible() and not d.isFloating()
            and d.parent() is win and not d.visibleRegion().isEmpty()]


def _filled_rects(win) -> list[QRect]:
    rects = [win.centralWidget().geometry()] + [d.geometry() for d in shown_docks(win)]
    for bar in win.findChildren(QTabBar):  # the tab bar of tabbed docks belongs to the dock area
        if bar.parent() is win and bar.isVisible():
            rects.append(bar.geometry())
    return rects


def gaps(win) -> list[tuple[int, int]]:
    """Points of the content area that no widget fills (beyond a separator's width)."""
    area = _content_rect(win)
    mask = np.zeros((win.height(), win.width()), bool)
    for r in _filled_rects(win):
        x0, y0 = max(r.left() - SEPARATOR, 0), max(r.top() - SEPARATOR, 0)
        mask[y0:r.bottom() + 1 + SEPARATOR, x0:r.right() + 1 + SEPARATOR] = True
    sub = mask[area.top():area.bottom() + 1, area.left():area.right() + 1]
    ys, xs = np.nonzero(~sub)
    return [(int(x) + area.left(), int(y) + area.top()) for y, x in zip(ys[:5], xs[:5])]


def view_sizes(win) -> list[tuple[int, int]]:
    """The size of each panel's image area: its view, or the placeholder that stands in for it."""
    return [(p.gv.width(), p.gv.height()) if p.gv.isVisible() else (p.placeholder.width(), p.placeholder.height())
            for p in win.panels.values()]


def stacked_order(win) -> list[str]:
    docks = [win.docks[k] for k in ("controls", "numbers", "rd")]
    return [d.windowTitle() for d in sorted(docks, key=lambda d: d.geometry().top())]


@pytest.mark.parametrize("tab", [0, 1])
def test_resizes_leave_no_gaps_and_stack_docks_when_large(qtbot, helpers, make_window, image_file, tab):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    win.tabs.setCurrentIndex(tab)  # the panels, or the A/B split
    for size in ((1024, 700), (1920, 1080), (1400, 900)):
        win.resize(*size)
        _settle(qtbot)
        assert (win.width(), win.height()) == size
        assert gaps(win) == [], (size, gaps(win))
        central = win.centralWidget().geometry()
        docks = [d.geometry() for d in shown_docks(win)]
        assert len(docks) == (3 if size[1] >= 1000 else 2)
        assert all(central.right() < d.left() for d in docks)  # docks on the right, beside it
        assert max(d.right() for d in docks) >= win.width() - 1 - SEPARATOR  # up to the edge
        assert central.width() >= 0.55 * win.width(), size  # the images get most of the width
        if tab == 0:
            sizes = view_sizes(win)  # the six views have one size (to the pixel the grid rounds)
            ws, hs = [w for w, _ in sizes], [h for _, h in sizes]
            assert max(ws) - min(ws) <= 1 and max(hs) - min(hs) <= 1, (size, sizes)
            assert min(ws) > 150 and min(hs) > 150
            frames = [(p.width(), p.height()) for p in win.panels.values()]
            assert max(f[0] for f in frames) - min(f[0] for f in frames) <= 1, frames
        tabbed = bool(win.tabifiedDockWidgets(win.docks["numbers"]))
        if size[1] >= 1000:  # docs/gui.md: above 1000 px of height the three docks are stacked
            assert not tabbed and len(shown_docks(win)) == 3
            assert stacked_order(win) == ["Model", "Numbers", "Rate–distortion"]
            assert all(d.height() >= 150 for d in win.docks.values())
            assert win.docks["rd"].height() >= 300  # the plot keeps room to be read
        else:
            assert tabbed


def test_gap_detector_sees_a_gap(qtbot, helpers, make_window):
    """The check itself: a closed dock column leaves the central area filling the window (no gap),
    and a dock shrunk away from the edge is found."""
    win = make_window()
    win.resize(1400, 900)
    _settle(qtbot)
    assert gaps(win) == []
    for d in win.docks.values():
        d.hide()
    _settle(qtbot)
    assert gaps(win) == []  # the central area takes the room
    win.centralWidget().setFixedWidth(600)
    _settle(qtbot)
    assert gaps(win) != []


def test_layout_follows_every_resize(qtbot, helpers, make_window, image_file):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)

    def settle():
        for _ in range(3):
            QApplication.processEvents()
            qtbot.wait(30)

    def tabbed():
        return bool(win.tabifiedDockWidgets(win.docks["numbers"]))
    win.resize(1400, 900)
    settle()
    win.resize(1024, 700)  # a resize, not a launch
    settle()
    assert tabbed()
    assert win.docks["controls"].width() <= 330  # the docks give the panels room
    for p in win.panels.values():  # no panel title runs past its label, no legend past its panel
        assert p.title.fontMetrics().horizontalAdvance(p.title.text()) <= p.title.width(), p.title.text()
        if p.legend.isVisible():
            assert p.legend.sizeHint().width() <= p.legend.width(), p.key
    assert win.panels["residual"].full_title.startswith("Residual")
    win.resize(1920, 1080)
    settle()
    assert win.height() >= 1000
    assert not tabbed()
    win.resize(1400, 900)
    settle()
    assert tabbed()
    win.resize(1920, 1200)
    settle()
    assert win.panels["residual"].title.text() == win.panels["residual"].full_title
