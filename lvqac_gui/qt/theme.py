"""Themes for image inspection: a dark one (neutral mid-dark greys, no saturated chrome around
images) and a light one; View ▸ Theme chooses Dark, Light or *Follow system* (the system's colour
scheme, ``QStyleHints.colorScheme()``, followed live where Qt reports it). Either way the image
views keep a neutral grey background, so that colours are judged the same."""
from __future__ import annotations

import html
from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QToolTip, QWidget

THEMES = ("dark", "light", "system")
THEME_LABELS = {"dark": "Dark", "light": "Light", "system": "Follow system"}

DARK = {"background": "#202124", "plot": "#202124", "panel": "#2b2c30", "text": "#e6e6e6", "base": "#1d1e21",
        "alt": "#26272b", "button": "#36373c", "tip": "#333333", "tip_border": "#555",
        "dock_title": "#303136", "placeholder": "#9a9a9a", "note": "#f0b050",
        "banner_bg": "#4a3c14", "banner_fg": "#ffdf9a", "banner_border": "#7a6420",
        "side_stats": "#d8d8d8", "frame": "#3a3b40", "progress_border": "#444",
        "disabled": "#7a7a7a", "placeholder_text": "#8a8a8a"}
LIGHT = {"background": "#c8c9cc", "plot": "#f7f7f8", "panel": "#efeff1", "text": "#1e1f22", "base": "#ffffff",
         "alt": "#f4f4f6", "button": "#e2e3e6", "tip": "#ffffe8", "tip_border": "#a0a0a0",
         "dock_title": "#dcdde1", "placeholder": "#6a6a6a", "note": "#a05a00",
         "banner_bg": "#fff1c4", "banner_fg": "#4a3800", "banner_border": "#d0b050",
         "side_stats": "#2a2a2a", "frame": "#b8b9be", "progress_border": "#a0a0a0",
         "disabled": "#9a9a9a", "placeholder_text": "#8a8a8a"}
COLORS = {"dark": DARK, "light": LIGHT}

BACKGROUND = DARK["background"]  # image view background (neutral, not pure black)
PANEL = DARK["panel"]
TEXT = DARK["text"]
ACCENT = "#4c8ed9"


def stylesheet(c: dict) -> str:
    return f"""
QToolTip {{ color: {c['text']}; background: {c['tip']}; border: 1px solid {c['tip_border']}; }}
QDockWidget::title {{ background: {c['dock_title']}; padding: 4px; }}
QLabel#PanelTitle {{ font-weight: bold; padding: 2px 4px; }}
QLabel#Placeholder {{ color: {c['placeholder']}; font-style: italic; }}
QLabel#Note {{ color: {c['note']}; }}
QLabel#Banner {{ background: {c['banner_bg']}; color: {c['banner_fg']}; padding: 4px 8px; border: 1px solid {c['banner_border']}; }}
QLabel#SideStats {{ color: {c['side_stats']}; padding: 0 6px; }}
QFrame#ImagePanel {{ border: 1px solid {c['frame']}; border-radius: 3px; }}
QTableWidget {{ gridline-color: {c['frame']}; }}
QProgressBar {{ border: 1px solid {c['progress_border']}; border-radius: 3px; text-align: center; }}
QProgressBar::chunk {{ background: {ACCENT}; }}
"""


STYLESHEET = stylesheet(DARK)


def _system_scheme() -> str:
    """"dark" / "light" as the system reports it (``QStyleHints.colorScheme()``, Qt ≥ 6.5);
    "dark" where it is unknown."""
    app = QApplication.instance()
    hints = app.styleHints() if app is not None else None
    scheme = getattr(hints, "colorScheme", None)
    if scheme is None:
        return "dark"
    value = scheme()
    if value == Qt.ColorScheme.Light:
        return "light"
    return "dark"


system_scheme: Callable[[], str] = _system_scheme  # the tests replace it


def resolve(mode: str) -> str:
    """The scheme a theme choice means now: "dark" or "light"."""
    if mode == "system":
        return system_scheme()
    return mode if mode in COLORS else "dark"


def palette(c: dict) -> QPalette:
    p = QPalette()
    q = QColor
    p.setColor(QPalette.ColorRole.Window, q(c["panel"]))
    p.setColor(QPalette.ColorRole.WindowText, q(c["text"]))
    p.setColor(QPalette.ColorRole.Base, q(c["base"]))
    p.setColor(QPalette.ColorRole.AlternateBase, q(c["alt"]))
    p.setColor(QPalette.ColorRole.ToolTipBase, q(c["tip"]))
    p.setColor(QPalette.ColorRole.ToolTipText, q(c["text"]))
    p.setColor(QPalette.ColorRole.Text, q(c["text"]))
    p.setColor(QPalette.ColorRole.Button, q(c["button"]))
    p.setColor(QPalette.ColorRole.ButtonText, q(c["text"]))
    p.setColor(QPalette.ColorRole.BrightText, q("#ff5555"))
    p.setColor(QPalette.ColorRole.Highlight, q(ACCENT))
    p.setColor(QPalette.ColorRole.HighlightedText, q("#ffffff"))
    p.setColor(QPalette.ColorRole.PlaceholderText, q(c["placeholder_text"]))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, q(c["disabled"]))
    return p


def apply_theme(app: QApplication, mode: str = "dark") -> str:
    """Apply theme ``mode`` ("dark", "light" or "system") to ``app`` and to the pyqtgraph views
    that exist already; returns the scheme applied ("dark" / "light")."""
    import pyqtgraph as pg
    scheme = resolve(mode)
    c = COLORS[scheme]
    app.setStyle("Fusion")
    app.setPalette(palette(c))
    app.setStyleSheet(stylesheet(c))
    pg.setConfigOptions(imageAxisOrder="row-major", background=c["background"], foreground=c["text"],
                        antialias=True)
    for w in app.allWidgets():  # views made before the switch follow it
        if isinstance(w, pg.GraphicsView):
            w.setBackground(c["background"])
        if isinstance(w, pg.PlotWidget):  # plots: a paper-like background in the light theme
            w.setBackground(c["plot"])
            item = w.getPlotItem()
            for name in ("bottom", "left"):
                ax = item.getAxis(name)
                ax.setPen(pg.mkPen(c["text"]))
                ax.setTextPen(pg.mkPen(c["text"]))
            legend = getattr(w, "legend", None)
            if legend is not None and hasattr(legend, "setLabelTextColor"):
                legend.setLabelTextColor(c["text"])
                for _sample, label in legend.items:  # re-rendered in the new colour
                    label.setText(label.text, color=c["text"])
    app.setProperty("lvqac_scheme", scheme)
    return scheme


def apply_dark(app: QApplication) -> None:
    apply_theme(app, "dark")


def current_scheme(app: QApplication) -> str:
    return str(app.property("lvqac_scheme") or "dark")


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
