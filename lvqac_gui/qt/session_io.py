"""Session files, the clipboard and the theme choice of the main window:
File ▸ Save session… / Open session…, Edit ▸ Paste (Ctrl+V) and View ▸ Theme. The file format is
:mod:`lvqac_gui.model.session_file` (Qt-free); this module only connects it to the window."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import QMimeData, QTimer, QUrl
from PySide6.QtGui import QAction, QActionGroup, QImage
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu

from ..model import session_file
from . import dialogs, theme

__all__ = ["SessionIO", "qimage_to_rgb"]

SESSION_FILTER = f"LVQAC Studio sessions (*{session_file.SUFFIX});;All files (*)"


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """An H×W×3 uint8 copy of ``image`` (alpha dropped)."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = img.width(), img.height()
    buf = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes())
    return buf.reshape(h, img.bytesPerLine())[:, :w * 3].reshape(h, w, 3).copy()


class SessionIO:
    """Saving / opening sessions, pasting and the theme menu for ``window`` (a MainWindow)."""

    def __init__(self, window) -> None:
        self.win = window
        self.pending: Optional[session_file.SessionDoc] = None  # applied when its image is shown
        self.theme_actions: dict[str, QAction] = {}
        window.session.display_changed.connect(self._display_changed)
        app = QApplication.instance()
        hints = app.styleHints() if app is not None else None
        if hints is not None and hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda *_: self.system_scheme_changed())

    # ------------------------------------------------------------------ menus
    def add_theme_menu(self, menu: QMenu) -> None:
        group = QActionGroup(self.win)
        group.setExclusive(True)
        chosen = self.theme_choice()
        for mode in theme.THEMES:
            a = QAction(theme.THEME_LABELS[mode], self.win)
            a.setCheckable(True)
            a.setChecked(mode == chosen)
            a.triggered.connect(lambda _=False, m=mode: self.set_theme(m))
            group.addAction(a)
            menu.addAction(a)
            self.theme_actions[mode] = a

    # ------------------------------------------------------------------ theme
    def theme_choice(self) -> str:
        mode = str(self.win.settings.value("view/theme", "dark") or "dark")
        return mode if mode in theme.THEMES else "dark"

    def set_theme(self, mode: str) -> str:
        """Apply and remember ``mode`` ("dark", "light", "system")."""
        self.win.settings.set_value("view/theme", mode)
        if mode in self.theme_actions:
            self.theme_actions[mode].setChecked(True)
        return self.apply_theme()

    def apply_theme(self) -> str:
        return theme.apply_theme(QApplication.instance(), self.theme_choice())

    def system_scheme_changed(self) -> None:
        """The system switched between light and dark: followed when the choice says so."""
        if self.theme_choice() == "system":
            self.apply_theme()

    # ------------------------------------------------------------------ clipboard
    def paste(self, mime: Optional[QMimeData] = None) -> bool:
        """Open what the clipboard holds: image files (URLs), an image, or a path / file URL as
        text. Says so in the status bar when it holds none of these."""
        w = self.win
        mime = mime if mime is not None else QApplication.clipboard().mimeData()
        if mime is None:
            return self._nothing()
        files = w._openable(w._local_paths(mime))
        if files:
            w.session.open_paths(files)
            return True
        if mime.hasImage():
            img = QImage(mime.imageData())
            if not img.isNull():
                w.session.open_array(f"pasted image {img.width()}×{img.height()}", qimage_to_rgb(img))
                return True
        if mime.hasText():
            paths = []
            for line in mime.text().splitlines():
                t = line.strip().strip('"').strip("'")
                if t.startswith("file:"):
                    t = QUrl(t).toLocalFile()
                if t:
                    paths.append(str(Path(t).expanduser()))
            files = w._openable(paths)
            if files:
                w.session.open_paths(files)
                return True
        return self._nothing()

    def _nothing(self) -> bool:
        self.win.statusBar().showMessage("The clipboard holds no image, image file or path to paste", 6000)
        return False

    # ------------------------------------------------------------------ sessions
    def split_choices(self) -> dict:
        sp = self.win.split
        return {"left": sp.left_key(), "right": sp.right_key(), "error_map": sp.error_box.isChecked(),
                "position": sp.slider.value(), "quality": dict(self.win.classical_quality),
                "own": [[q, lam] for q, lam in self.win.own_sides.values()]}

    def save_session(self, path: Optional[str] = None) -> Optional[Path]:
        """Write the session (atomically; an existing file only after a question)."""
        w = self.win
        s = w.session
        if s.source is None and not s.history:
            w._error("Nothing to save", "Open an image first: a session names an image and its results.")
            return None
        doc = session_file.capture(s, self.split_choices())
        if path is None:
            path = dialogs.ask_save_path(w, "Save session",
                                         w._suggest(session_file.default_name(doc.image_name)),
                                         SESSION_FILTER)
            if not path:
                return None
            if not Path(path).suffix:
                path += session_file.SUFFIX
        target = Path(path)
        overwrite = False
        if target.exists():
            if not dialogs.confirm_overwrite(w, [target]):
                return None
            overwrite = True
        if not w._write(session_file.save, doc, target, overwrite):
            return None
        w.settings.set_value("files/last_dir", str(target.parent))
        note = "" if doc.image_path else " (the image has no file: it is not in the session)"
        w.statusBar().showMessage(f"Session saved: {target}{note}", 6000)
        return target

    def open_session(self, path: Optional[str] = None) -> Optional[session_file.SessionDoc]:
        """Read a session: its rows join the Results, its choices and image are restored, and the
        comparison and split choices follow once the image is shown. A missing image is said in
        words; nothing already shown is lost."""
        w = self.win
        if path is None:
            path, _ = QFileDialog.getOpenFileName(w, "Open session", w.start_dir(), SESSION_FILTER)
            if not path:
                return None
        try:
            doc = session_file.load(path)
        except session_file.SessionFileError as exc:
            w._error("Cannot open session", str(exc))
            return None
        s = w.session
        added = s.add_rows(doc.rows)
        self.pending = doc
        w.settings.set_value("files/last_dir", str(Path(path).parent))
        if not doc.has_image_file:
            w._error("Session image missing", doc.missing_image_message(added))
            return doc
        if doc.tier is None or s.catalog.has(doc.tier):  # (a tier the zoo no longer has: the one in use)
            s.set_tier(doc.tier, recompress=False)
        s.set_choices(lmbda=doc.lmbda, quantizer=doc.quantizer if doc.quantizer in ("scalar", "lvq", "lvqac")
                      else None, device=doc.device if doc.device in ("auto", "cpu", "cuda") else None,
                      recompress=False)
        w.controls.sync_from_session()
        s.open_paths([doc.image_path])
        w.statusBar().showMessage(f"Session {Path(path).name}: {doc.image_name}, {added} result row(s) "
                                  "added", 6000)
        return doc

    def _display_changed(self, d) -> None:
        doc = self.pending
        if doc is None or d is None or not session_file.same_image(doc, d.source.path, d.source.name):
            return
        self.pending = None
        QTimer.singleShot(0, lambda: self._restore_view(doc, d))  # after the window has shown d

    def _restore_view(self, doc: session_file.SessionDoc, d) -> None:
        w = self.win
        if w.session.display is not d:
            return
        w.session.restore_comparison(doc.comparison)
        split = doc.split or {}
        quality = split.get("quality") or {}
        for codec, q in quality.items():
            try:
                w.classical_quality[str(codec)] = float(q)
            except (TypeError, ValueError):
                continue
        from .side_lambda import own_key
        for item in split.get("own") or []:  # learned sides at their own λ
            try:
                q, lam = str(item[0]), float(item[1])
            except (TypeError, ValueError, IndexError):
                continue
            w.own_sides[own_key(q, lam)] = (q, lam)
        sp = w.split
        w._update_split()
        sp.choose(left=split.get("left"), right=split.get("right"))
        sp.error_box.setChecked(bool(split.get("error_map")))
        try:
            sp.slider.setValue(int(split.get("position", sp.slider.value())))
        except (TypeError, ValueError):
            pass
