"""Dark theme for image inspection: neutral mid-dark greys (no saturated chrome around images)."""
from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QToolTip, QWidget

BACKGROUND = "#202124"  # image view background (neutral, not pure black)
PANEL = "#2b2c30"
TEXT = "#e6e6e6"
ACCENT = "#4c8ed9"

STYLESHEET = f"""
QToolTip {{ color: {TEXT}; background: #333; border: 1px solid #555; }}
QDockWidget::title {{ background: #303136; padding: 4px; }}
QLabel#PanelTitle {{ font-weight: bold; padding: 2px 4px; }}
QLabel#Placeholder {{ color: #9a9a9a; font-style: italic; }}
QLabel#Note {{ color: #f0b050; }}
QLabel#Banner {{ background: #4a3c14; color: #ffdf9a; padding: 4px 8px; border: 1px solid #7a6420; }}
QLabel#SideStats {{ color: #d8d8d8; padding: 0 6px; }}
QFrame#ImagePanel {{ border: 1px solid #3a3b40; border-radius: 3px; }}
QTableWidget {{ gridline-color: #3a3b40; }}
QProgressBar {{ border: 1px solid #444; border-radius: 3px; text-align: center; }}
QProgressBar::chunk {{ background: {ACCENT}; }}
"""


def apply_dark(app: QApplication) -> None:
    import pyqtgraph as pg
    app.setStyle("Fusion")
    p = QPalette()
    c = QColor
    p.setColor(QPalette.ColorRole.Window, c(PANEL))
    p.setColor(QPalette.ColorRole.WindowText, c(TEXT))
    p.setColor(QPalette.ColorRole.Base, c("#1d1e21"))
    p.setColor(QPalette.ColorRole.AlternateBase, c("#26272b"))
    p.setColor(QPalette.ColorRole.ToolTipBase, c("#333333"))
    p.setColor(QPalette.ColorRole.ToolTipText, c(TEXT))
    p.setColor(QPalette.ColorRole.Text, c(TEXT))
    p.setColor(QPalette.ColorRole.Button, c("#36373c"))
    p.setColor(QPalette.ColorRole.ButtonText, c(TEXT))
    p.setColor(QPalette.ColorRole.BrightText, c("#ff5555"))
    p.setColor(QPalette.ColorRole.Highlight, c(ACCENT))
    p.setColor(QPalette.ColorRole.HighlightedText, c("#ffffff"))
    p.setColor(QPalette.ColorRole.PlaceholderText, c("#8a8a8a"))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, c("#7a7a7a"))
    app.setPalette(p)
    app.setStyleSheet(STYLESHEET)
    pg.setConfigOptions(imageAxisOrder="row-major", background=BACKGROUND, foreground=TEXT,
                        antialias=True)


TIP_WRAP_CHARS = 70
"""A plain tooltip longer than this is shown as wrapped rich text (Qt draws a plain tooltip on
one line per line break, up to the whole screen's width)."""


def tooltip_html(text: str) -> str:
    """``text`` as rich text that Qt word-wraps (about 70 characters wide); line breaks kept."""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


class TooltipWrapper(QObject):
    """Application-wide event filter: long plain tooltips are shown wrapped."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.ToolTip and isinstance(obj, QWidget):
            tip = obj.toolTip()
            if tip and not tip.lstrip().startswith("<") and max(map(len, tip.splitlines())) > TIP_WRAP_CHARS:
                QToolTip.showText(event.globalPos(), tooltip_html(tip), obj)
                return True
        return False


def install_tooltip_wrapper(app: QApplication) -> None:
    """Install :class:`TooltipWrapper` once on ``app``."""
    if getattr(app, "_lvqac_tip_wrapper", None) is None:
        app._lvqac_tip_wrapper = TooltipWrapper(app)
        app.installEventFilter(app._lvqac_tip_wrapper)
