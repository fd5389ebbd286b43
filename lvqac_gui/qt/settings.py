"""Remembered choices and window state (QSettings, INI format).

The location is, in order: the ``path`` given, ``$LVQAC_GUI_SETTINGS``, the platform default
for organisation "LVQAC" / application "LVQAC Studio". Tests always pass a temporary path.
"""
from __future__ import annotations

import math
import os
from typing import Optional

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

from lvqac_core.lambdas import same_lambda

from ..model import history_store
from ..model.state import DEVICES, QUANTIZERS, Session


class AppSettings:
    def __init__(self, path: Optional[str] = None) -> None:
        path = path or os.environ.get("LVQAC_GUI_SETTINGS")
        self.own_file = bool(path)  # a settings file of its own (--settings): a profile apart
        if path:
            self.qs = QSettings(str(path), QSettings.Format.IniFormat)
        else:
            self.qs = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                                "LVQAC", "LVQAC Studio")

    @property
    def path(self) -> str:
        return self.qs.fileName()

    def history_file(self) -> Optional[str]:
        """Where the Results history is kept: in ``$LVQAC_GUI_DATA_DIR`` when set; beside a settings
        file of its own (``--settings NAME.ini`` → ``NAME-results-history.json``), so that a profile
        started with its own settings does not show another profile's results; else in the user's
        data folder (None when there is none)."""
        if os.environ.get("LVQAC_GUI_DATA_DIR") or not self.own_file:
            folder = data_dir()
            return os.path.join(folder, history_store.FILE_NAME) if folder else None
        stem, _ = os.path.splitext(self.path)
        return f"{stem}-{history_store.FILE_NAME}"

    # ------------------------------------------------------------------ session choices
    def load_into(self, session: Session) -> None:
        """The saved choices, where they still apply: a tier the zoo still has
        (``session.catalog``, set first), a family that tier has, a λ between the presets only
        when the saved family is still a variable-rate network covering it."""
        tier = str(self.qs.value("model/tier", "") or "")
        if tier:
            session.restore_tier(tier)  # (a tier the zoo no longer has is ignored)
        q = str(self.qs.value("model/quantizer", session.quantizer))
        if q in QUANTIZERS and q in session.families():
            session.quantizer = q
        try:
            lmbda = float(self.qs.value("model/lambda", session.lmbda))
        except (TypeError, ValueError):
            lmbda = session.lmbda
        if math.isfinite(lmbda) and lmbda > 0:
            preset = next((l for l in session.presets() if same_lambda(lmbda, l)), None)
            if preset is not None:
                session.lmbda = preset
            elif same_lambda(session.codable(lmbda, session.quantizer), lmbda):
                session.lmbda = lmbda
        session.lmbda = session.codable(session.lmbda, session.quantizer)  # one the family has
        d = str(self.qs.value("model/device", session.device))
        if d in DEVICES:
            session.device = d
        recent = self.qs.value("files/recent", [])
        if isinstance(recent, str):
            recent = [recent]
        session.recent = [str(p) for p in (recent or []) if os.path.exists(str(p))]

    def save_from(self, session: Session) -> None:
        self.qs.setValue("model/lambda", session.lmbda)
        self.qs.setValue("model/quantizer", session.quantizer)
        self.qs.setValue("model/tier", session.tier or "")
        self.qs.setValue("model/device", session.device)
        self.qs.setValue("files/recent", list(session.recent))
        self.qs.sync()

    # ------------------------------------------------------------------ misc values
    def value(self, key: str, default=None):
        return self.qs.value(key, default)

    def set_value(self, key: str, value) -> None:
        self.qs.setValue(key, value)

    def thread_count(self) -> Optional[int]:
        """The remembered CPU thread count (Run ▸ CPU threads); None: automatic."""
        from lvqac_core.threads import MAX_THREADS

        try:
            n = int(self.qs.value("cpu/threads", 0))
        except (TypeError, ValueError):
            return None
        return n if 1 <= n <= MAX_THREADS else None

    def bytes_value(self, key: str) -> Optional[QByteArray]:
        v = self.qs.value(key)
        return v if isinstance(v, QByteArray) else None

    def sync(self) -> None:
        self.qs.sync()


def data_dir() -> str:
    """The user's data folder for LVQAC Studio (the Results history file): ``$LVQAC_GUI_DATA_DIR``
    (tests point it at a temporary folder) or Qt's ``AppDataLocation``."""
    return os.environ.get("LVQAC_GUI_DATA_DIR") or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation)
