"""Compare quantizers: off for a .lvq, its result in view with its λ, gone when λ changes."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication


def _front_dock_tab(win) -> str:
    """The dock in front where Numbers and Rate–distortion share tabs (a hidden tab's widget
    stays "visible", moved off-screen)."""
    from PySide6.QtWidgets import QTabBar
    bars = [b for b in win.findChildren(QTabBar) if b is not win.tabs.tabBar() and b.count() > 1]
    assert len(bars) == 1
    return bars[0].tabText(bars[0].currentIndex())


def test_compare_quantizers_is_off_for_a_lvq(qtbot, helpers, make_window, image_file, tmp_path):
    win = make_window()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    assert win.controls.compare_btn.isEnabled() and win.act_compare.isEnabled()
    lvq = win.save_lvq(str(tmp_path / "x.lvq"))
    win.session.open_paths([lvq])
    helpers.wait_idle(qtbot, win)
    assert not win.controls.compare_btn.isEnabled() and not win.act_compare.isEnabled()
    assert "needs an image" in win.controls.compare_btn.toolTip()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    assert win.controls.compare_btn.isEnabled() and win.act_compare.isEnabled()


def test_compare_quantizers_shows_its_result_with_lambda(qtbot, helpers, make_window, image_file):
    win = make_window()
    win.resize(1280, 800)
    win.arrange_docks(800)  # Numbers and Rate–distortion share a tab; Numbers in front
    win.docks["numbers"].raise_()
    win.session.open_paths([image_file])
    helpers.wait_idle(qtbot, win)
    QApplication.processEvents()
    assert _front_dock_tab(win) == "Numbers"
    win.session.compare_quantizers()
    helpers.wait_idle(qtbot, win)
    QApplication.processEvents()
    assert _front_dock_tab(win) == "Rate–distortion" and win.compare_table.isVisible()
    lam = f"{win.session.lmbda:g}"
    header = [win.compare_table.horizontalHeaderItem(c).text() for c in range(win.compare_table.columnCount())]
    col = header.index("λ")
    assert all(win.compare_table.item(r, col).text() == lam for r in range(win.compare_table.rowCount()))
    names = [it.name() for it in win.rd.compare_items]
    assert names and all(f"λ={lam}" in n for n in names)
    assert "λ=" in win.statusBar().currentMessage()
    # another quantizer at the same λ: still the same comparison
    win.session.set_choices(quantizer="lvq")
    helpers.wait_idle(qtbot, win)
    assert win.session.compare_rows
    # another λ: the comparison (of the old λ) is gone, not mixed with the new result
    win.session.set_choices(lmbda=0.015)
    helpers.wait_idle(qtbot, win)
    assert win.session.compare_rows == [] and win.rd.compare_items == []
    assert not win.compare_table.isVisible()
    assert not any(k.startswith("q:") for k in win.split.sides)
