"""The Model menu: the zoo (the λ / quantizer controls) and, under their own heading, CompressAI
models from torch hub's cache or a scanned folder, plus "Open model file…". Entries come from
:mod:`lvqac_gui.model.model_choices`; the menu is rebuilt each time it opens."""
from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu

from ..model.model_choices import COMPRESSAI_HEADING, compressai_options, use_model

__all__ = ["build_model_menu"]


def build_model_menu(menu: QMenu, window) -> QMenu:
    """Fill ``menu`` (on every opening) for ``window`` (its ``session``)."""
    scanned: list[str] = []

    def refill(discover: bool = True) -> None:
        menu.clear()
        session = window.session
        zoo = QAction("Zoo model (λ and quantizer controls)", menu, checkable=True)
        zoo.setChecked(session.model_spec is None)
        zoo.triggered.connect(lambda: use_model(session, None))
        menu.addAction(zoo)
        menu.addSection(COMPRESSAI_HEADING)
        options = compressai_options(scanned) if discover else []
        if discover and not options:
            none = menu.addAction("none found in torch hub's cache")
            none.setEnabled(False)
        for opt in options:
            act = QAction(opt.label, menu, checkable=True)
            act.setChecked(session.model_spec == opt.spec)
            act.setToolTip(opt.problem or opt.spec)
            act.setEnabled(opt.problem is None)
            act.triggered.connect(lambda _=False, s=opt.spec: use_model(session, s))
            menu.addAction(act)
        menu.addSeparator()
        menu.addAction("Scan folder for CompressAI models…", scan)
        menu.addAction("Open model file (LVQAC or CompressAI)…", open_file)

    def scan() -> None:
        folder = QFileDialog.getExistingDirectory(window, "Folder with CompressAI weights")
        if folder:
            scanned.append(folder)

    def open_file() -> None:
        path, _ = QFileDialog.getOpenFileName(window, "Model weights", "",
                                              "Weights (*.pt *.pth *.tar *.ckpt);;All files (*)")
        if path:
            use_model(window.session, path)

    menu.setToolTipsVisible(True)
    menu.aboutToShow.connect(refill)
    # the files are looked for when the menu opens: reading them needs torch, which the window
    # must not wait for at launch (the model loads it in the background)
    refill(discover=False)
    return menu
