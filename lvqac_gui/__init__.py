"""LVQAC Studio desktop app (PySide6 + pyqtgraph).

Layout (see ``docs/gui.md``), as napari splits ``components`` from ``_qt``: :mod:`lvqac_gui.model`
(Qt-free: session state, events, the core bridge, maps, export, classical codecs) holds the model
and all data work, tested headless; :mod:`lvqac_gui.qt` (widgets, views, workers) only displays it
and forwards user intent to it. :mod:`lvqac_gui.app` is the command line, :mod:`lvqac_gui.syslibs`
the start-up check of Qt's system libraries.
"""
__all__ = ["__version__"]
__version__ = "0.1.0"
