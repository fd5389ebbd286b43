"""LVQAC Studio desktop app (PySide6 + pyqtgraph).

Layout (see ``docs/gui.md``): Qt-free modules (:mod:`events`, :mod:`state`, :mod:`backend`,
:mod:`maps`, :mod:`export`) hold the session model and all data work; Qt modules (:mod:`workers`,
:mod:`views`, :mod:`rdplot`, :mod:`panels`, :mod:`dialogs`, :mod:`settings`, :mod:`theme`,
:mod:`main_window`, :mod:`app`) only display the model and forward user intent to it.
"""
__all__ = ["__version__"]
__version__ = "0.1.0"
