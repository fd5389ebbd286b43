"""The rate–distortion dock: readable at three window sizes, its legend and axis inside it."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication
from gui_testing import settle


@pytest.mark.parametrize("size", [(1024, 700), (1280, 800), (1920, 1080)])
def test_rd_dock_readable(qtbot, helpers, make_window, image_file, size):
    win = make_window()
    helpers.open_with_rd_dock(qtbot, win, image_file, size)
    settle(qtbot, 150)
    assert win.rd.isVisible() and win.rd.height() >= 200 and win.rd.width() >= 250, win.rd.size()
    from lvqac_gui.qt.rdplot import LEGEND_PT
    assert LEGEND_PT >= 9
    plot_h = win.rd.getPlotItem().vb.height()
    assert plot_h >= 90, plot_h
    win.legend_box.setChecked(False)
    settle(qtbot)
    assert win.rd.getPlotItem().vb.height() > plot_h  # hiding the legend gives the curves room


@pytest.mark.parametrize("size", [(1024, 700), (1400, 900)])
def test_rd_plot_legend_and_right_edge_fit(qtbot, helpers, make_window, image_file, size):
    win = make_window()
    helpers.open_with_rd_dock(qtbot, win, image_file, size)
    QApplication.processEvents()
    qtbot.wait(100)
    rd = win.rd
    assert rd.isVisible()
    legend = rd.legend.sceneBoundingRect()
    assert legend.left() >= 0 and legend.right() <= rd.viewport().width(), (legend, rd.viewport().width())
    axis = rd.getAxis("bottom").sceneBoundingRect()
    # the last tick label is drawn centred on the right end of the axis: half a label of room
    assert axis.right() + 12 <= rd.viewport().width(), (axis, rd.viewport().width())
