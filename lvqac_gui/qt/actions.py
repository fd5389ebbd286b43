"""The window's menus and shortcuts as one table: each row is a menu entry (its menu, text,
shortcut, the window's slot it calls, its status tip), a separator, or a submenu that a window
method fills (Open Recent, Theme, CPU threads, Model). :meth:`MainWindow._build_menus` builds the
menu bar from :data:`MENU`, and Help ▸ Shortcuts lists :func:`shortcut_rows` of the same table, so
a shortcut is declared once.

A slot is a dotted path on the window (``"open_dialog"``, ``"session.compress"``,
``"linker.fit"``), looked up when the action fires, and called with the row's ``args``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar

from lvqac_core.bitstream import QUANTIZERS

Shortcut = Union[str, QKeySequence.StandardKey, None]


@dataclass(frozen=True)
class Action:
    """A menu entry: ``menu`` is its menu's path ("&File/&Export"), ``slot`` the window's method."""

    menu: str
    text: str
    slot: str
    shortcut: Shortcut = None
    tip: str = ""
    name: str = ""  # the window attribute that keeps the QAction (e.g. "act_save"), if any
    args: tuple = ()


@dataclass(frozen=True)
class Separator:
    menu: str


@dataclass(frozen=True)
class Submenu:
    """A submenu (or, with ``title`` "", entries added to ``menu`` itself) that the window method
    ``fill`` fills (called with the QMenu); ``name`` keeps the QMenu on the window."""

    menu: str
    title: str
    fill: str = ""
    name: str = ""


Row = Union[Action, Separator, Submenu]

MENU: tuple[Row, ...] = (
    Action("&File", "&Open…", "open_dialog", QKeySequence.StandardKey.Open, name="act_open"),
    Submenu("&File", "Open &Recent", name="recent_menu"),  # filled by MainWindow._rebuild_recent
    Action("&File", "Open &sample image", "open_sample"),
    Action("&File", "Save sess&ion…", "session_io.save_session",
           tip="Save the image path, results, comparison and split choices", name="act_save_session"),
    Action("&File", "Open sessio&n…", "session_io.open_session",
           tip="Open a saved session (its image is coded again)", name="act_open_session"),
    Separator("&File"),
    Action("&File", "&Save .lvq…", "save_lvq", "Ctrl+S", name="act_save"),
    Action("&File/&Export", "Decoded image as &PNG…", "export_png", "Ctrl+Shift+S", name="act_export_png"),
    Action("&File/&Export", "&All (.lvq, decoded PNG, every map)…", "export_all", "Ctrl+E",
           name="act_export_all"),
    Action("&File/&Export", "&Batch: every result to a folder…", "export_batch", "Ctrl+Shift+E",
           name="act_export_batch"),
    Action("&File/&Export", "&Classical side of the split (JPEG / WebP / AVIF file)…",
           "save_classical_side", name="act_save_side"),
    Separator("&File"),
    Action("&File", "&Quit", "close", QKeySequence.StandardKey.Quit),

    Action("&Edit", "&Paste image", "session_io.paste", "Ctrl+V",
           tip="Open the image on the clipboard (an image, a file or a path)", name="act_paste"),

    Action("&View", "&Fit", "linker.fit", "F"),
    Action("&View", "&1:1 pixels", "linker.one_to_one", "1"),
    Action("&View", "Zoom &in", "linker.zoom_by", "+", args=(2.0,)),
    Action("&View", "Zoom &out", "linker.zoom_by", "-", args=(0.5,)),
    Separator("&View"),
    Action("&View", "&Panels", "tabs.setCurrentIndex", "Ctrl+1", args=(0,)),
    Action("&View", "&A/B split", "tabs.setCurrentIndex", "Ctrl+2", args=(1,)),
    Action("&View", "Swap split sides (flicker)", "split.flip", "Space"),
    Separator("&View"),
    Submenu("&View", "", fill="_add_dock_toggles"),  # one entry per dock
    Separator("&View"),
    Submenu("&View", "&Theme", fill="session_io.add_theme_menu"),

    Action("&Run", "&Compress", "session.compress", "F5"),
    Action("&Run", "C&ancel", "session.cancel", "Esc"),
    Action("&Run", "Compare &quantizers", "session.compare_quantizers", "Ctrl+K", name="act_compare"),
    Separator("&Run"),
    Action("&Run", "Lower λ (fewer bits)", "_step_lambda", "[", args=(-1,)),
    Action("&Run", "Higher λ (more bits)", "_step_lambda", "]", args=(+1,)),
    *(Action("&Run", f"Quantizer: {q}", "_choose_quantizer", f"Alt+{k + 1}", args=(q,))
      for k, q in enumerate(QUANTIZERS)),
    Separator("&Run"),
    Submenu("&Run", "CPU &threads", fill="_build_threads_menu"),

    Submenu("", "&Model", fill="_build_model_menu"),  # zoo, CompressAI models

    Action("&Help", "&Shortcuts", "show_shortcuts", "F1"),
    Action("&Help", "&Guide: λ, lattices, A, bits", "show_guide"),
    Action("&Help", "&About LVQAC Studio", "show_about"),
)


def key_text(shortcut: Shortcut) -> str:
    """The shortcut as the platform writes it ("Ctrl+O")."""
    return QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)


def shortcut_rows(table: tuple[Row, ...] = MENU) -> list[tuple[str, str]]:
    """(keys, what it does) of every row with a shortcut, in menu order (Help ▸ Shortcuts); a
    standard key this platform has no keys for (Quit on some) is left out."""
    rows = [(key_text(r.shortcut), r.text.replace("&", "")) for r in table
            if isinstance(r, Action) and r.shortcut is not None]
    return [(keys, text) for keys, text in rows if keys]


def resolve(window, path: str):
    """``"session.compress"`` on ``window``: the attribute the dotted path names."""
    obj = window
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def build_menus(window, menubar: QMenuBar, table: tuple[Row, ...] = MENU) -> dict[str, QMenu]:
    """Build ``table`` into ``menubar`` for ``window``: actions (also added to the window, so that
    their shortcuts work with the menu bar hidden), separators and filled submenus. Returns the
    menus by path."""
    menus: dict[str, QMenu] = {}

    def menu_at(path: str) -> QMenu:
        if path not in menus:
            parent, _, title = path.rpartition("/")
            menus[path] = menu_at(parent).addMenu(title) if parent else menubar.addMenu(title)
        return menus[path]

    for row in table:
        if isinstance(row, Separator):
            menu_at(row.menu).addSeparator()
        elif isinstance(row, Submenu):
            menu = menu_at(f"{row.menu}/{row.title}" if row.menu and row.title
                           else row.title or row.menu)
            if row.name:
                setattr(window, row.name, menu)
            if row.fill:
                resolve(window, row.fill)(menu)
        else:
            action = make_action(window, menu_at(row.menu), row)
            if row.name:
                setattr(window, row.name, action)
    return menus


def make_action(window, menu: QMenu, row: Action) -> QAction:
    a = QAction(row.text, window)
    if row.shortcut is not None:
        a.setShortcut(QKeySequence(row.shortcut))
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if row.tip:
        a.setStatusTip(row.tip)
    slot, args = row.slot, row.args
    a.triggered.connect(lambda checked=False: resolve(window, slot)(*args))
    menu.addAction(a)
    window.addAction(a)  # shortcuts work even with the menu bar hidden
    return a

