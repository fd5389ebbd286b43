"""The Qt side of LVQAC Studio: widgets and views (:mod:`.main_window`, :mod:`.views`,
:mod:`.panels`, :mod:`.rdplot`, :mod:`.dialogs`, :mod:`.theme`), settings (:mod:`.settings`) and the
worker thread (:mod:`.workers`). They display :mod:`lvqac_gui.model` and forward user intent to it."""
