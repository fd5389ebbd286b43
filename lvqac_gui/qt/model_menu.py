"""The Model menu: the zoo (the λ / quantizer controls) with one entry per tier of its networks
("Fast networks (N 48 / M 64)", "Wide networks (N 128 / M 192)", when it has two or more) and,
under their own heading, CompressAI models from torch hub's cache or a scanned folder, plus
"Open model file…". Entries come from :mod:`lvqac_gui.model.model_choices` and the session's
tier catalogue; the menu is rebuilt each time it opens."""
from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFileDialog, QMenu

from ..model.model_choices import COMPRESSAI_HEADING, compressai_options, use_model
from ..model.state import QUANTIZER_LABELS

__all__ = ["build_model_menu", "add_tiers", "choose_tier"]


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
        add_tiers(menu, session)
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


def add_tiers(menu: QMenu, session) -> list[QAction]:
    """One checkable entry per tier of the zoo (none when it has fewer than two): the chosen tier
    is checked (no tier chosen: the default model's), choosing one codes with that tier's networks
    (and returns to the zoo from an explicit model)."""
    catalog = session.catalog
    if len(catalog.tiers) < 2:
        return []
    current = catalog.current(session.tier) if session.model_spec is None else None
    group = QActionGroup(menu)
    group.setExclusive(True)
    actions = []
    for tier in catalog.tiers:
        act = QAction(f"    {tier.label}", menu, checkable=True)
        act.setChecked(current is not None and tier.name == current.name)
        families = ", ".join(QUANTIZER_LABELS.get(q, q) for q in catalog.families(tier.name))
        act.setToolTip(f"Code with the zoo's {tier.name} networks ({families})")
        act.triggered.connect(lambda _=False, name=tier.name: choose_tier(session, name))
        group.addAction(act)
        menu.addAction(act)
        actions.append(act)
    return actions


def choose_tier(session, name: str) -> None:
    """The menu's tier entry: that tier (the one already in use, with the zoo model: nothing to do)."""
    current = session.catalog.current(session.tier)
    if session.model_spec is None and current is not None and current.name == name:
        return
    session.set_tier(name)
