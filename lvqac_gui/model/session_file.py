"""A saved session (Qt-free): File ▸ Save session… / Open session… write and read a small JSON
file that names the image (its path, absolute and relative to the session file), the choices
(quantizer, λ, tier, device), the Results rows, the comparison rows and the A/B split's choices
(which side shows what, a classical side's own quality, the error map, the slider).

Numbers only, never pixels: opening a session opens its image again and codes it again. A session
whose image is missing still restores everything else (the rows, the comparison for when the image
is found), and :func:`load` reports the missing image instead of failing. Writes are atomic and an
existing file is only replaced with ``overwrite=True`` (the window asks first).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .history_store import _row as history_row
from .history_store import load_rows as history_rows
from .records import CompareRow, HistoryEntry
from .state import Session

__all__ = ["SUFFIX", "FORMAT", "VERSION", "SessionDoc", "SessionFileError", "capture", "save", "load",
           "default_name", "same_image"]

SUFFIX = ".lvqsession"
FORMAT = "lvqac-studio-session"
VERSION = 1

_COMPARE_FIELDS = ("quantizer", "model_id", "bpp", "psnr", "ms_ssim", "num_bytes", "encode_seconds",
                   "error", "lmbda", "source_name")


class SessionFileError(ValueError):
    """The file is not a session file this version can read (the message says why, in words)."""


@dataclass
class SessionDoc:
    """What a session file holds. ``image_path`` is None for an image that has no file (a pasted
    image or the built-in sample): the rest is still restored."""

    image_path: Optional[str] = None
    image_name: str = ""
    quantizer: str = "lvqac"
    lmbda: float = 0.0075
    device: str = "auto"
    tier: Optional[str] = None  # which of the zoo's networks (None: the default model's tier)
    rows: list[HistoryEntry] = field(default_factory=list)
    comparison: list[CompareRow] = field(default_factory=list)
    split: dict[str, Any] = field(default_factory=dict)  # left, right, error_map, position, quality
    relative_path: Optional[str] = None  # the image relative to the session file's folder
    file: Optional[str] = None  # where it was read from

    @property
    def has_image_file(self) -> bool:
        return bool(self.image_path) and Path(self.image_path).is_file()

    def missing_image_message(self, added: Optional[int] = None) -> str:
        """Why the image cannot be opened, in words, and what was restored all the same (``added``:
        how many of its rows were new to the Results tab)."""
        n = len(self.rows)
        if added is None or added == n:
            rows = f"its {n} result row(s) were added to the Results tab"
        else:
            rows = (f"{added} of its {n} result rows were added to the Results tab (the others "
                    "were there already)")
        if self.comparison:
            rows += f"; its comparison ({len(self.comparison)} rows) waits for the image"
        if not self.image_path:
            return (f"The session's image “{self.image_name or 'unnamed'}” had no file (it was pasted "
                    f"or is the sample), so it cannot be opened again.\n\n{rows.capitalize()}.")
        return (f"The session's image is missing: {self.image_path}\n\n{rows[0].upper() + rows[1:]}. "
                "The window keeps what it shows. Open the image from its new place (File ▸ Open) and "
                "the session's comparison and split choices follow it.")


def default_name(image_name: str) -> str:
    """``photo.lvqsession`` for ``photo.png``."""
    stem = Path(image_name).stem if image_name else "session"
    return f"{stem or 'session'}{SUFFIX}"


def capture(session: Session, split: Optional[dict[str, Any]] = None) -> SessionDoc:
    """The window's session as a :class:`SessionDoc` (``split``: the split view's choices)."""
    src = session.source
    d = session.display
    path = src.path if src is not None and src.path else None
    comparison = list(session.compare_rows)
    return SessionDoc(
        image_path=str(Path(path).resolve()) if path else None,
        image_name=src.name if src is not None else "",
        quantizer=d.stats.quantizer if d is not None and d.kind == "decoded" else session.quantizer,
        lmbda=float(session.lmbda), device=session.device, tier=session.tier,
        rows=list(session.history), comparison=comparison, split=dict(split or {}))


def _compare_row(r: CompareRow) -> dict:
    return {k: getattr(r, k) for k in _COMPARE_FIELDS}


def _absolute(row: dict) -> dict:
    """A row's file as an absolute path (a session is opened from anywhere)."""
    if row.get("path"):
        row["path"] = str(Path(row["path"]).resolve())
    return row


def to_json(doc: SessionDoc, session_path: Optional[str | os.PathLike] = None) -> dict:
    rel = None
    if doc.image_path and session_path is not None:
        try:
            rel = os.path.relpath(doc.image_path, Path(session_path).resolve().parent)
        except ValueError:  # another drive (Windows)
            rel = None
    return {"format": FORMAT, "version": VERSION,
            "image": {"path": doc.image_path, "relative": rel, "name": doc.image_name},
            "choices": {"quantizer": doc.quantizer, "lambda": doc.lmbda, "device": doc.device, "tier": doc.tier},
            "rows": [_absolute(history_row(e)) for e in doc.rows],
            "comparison": [_compare_row(r) for r in doc.comparison],
            "split": doc.split}


def save(doc: SessionDoc, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write ``doc`` to ``path`` atomically (an interrupted write leaves the old file). An existing
    file raises ``OutputExistsError`` unless ``overwrite`` (the window asks first)."""
    from lvqac_core.files import atomic_write_bytes
    data = json.dumps(to_json(doc, path), indent=1, ensure_ascii=False).encode("utf-8")
    atomic_write_bytes(path, data, overwrite=overwrite)
    return Path(path)


def load(path: str | os.PathLike) -> SessionDoc:
    """Read a session file. Raises :class:`SessionFileError` (with a message in words) when it is
    not one; a missing *image* is not an error (see :attr:`SessionDoc.has_image_file`)."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SessionFileError(f"{p.name}: cannot be read ({exc.strerror or exc})") from exc
    except ValueError as exc:
        raise SessionFileError(f"{p.name}: not a session file (not JSON)") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SessionFileError(f"{p.name}: not an LVQAC Studio session file")
    if doc.get("version") != VERSION:
        raise SessionFileError(f"{p.name}: session format version {doc.get('version')!r} "
                               f"(this app reads version {VERSION})")
    image = doc.get("image") if isinstance(doc.get("image"), dict) else {}
    img_path = image.get("path") or None
    rel = image.get("relative") or None
    if img_path and not Path(img_path).is_file() and rel:
        moved = (p.resolve().parent / rel)
        if moved.is_file():  # the session and its image were moved together
            img_path = str(moved.resolve())
    choices = doc.get("choices") if isinstance(doc.get("choices"), dict) else {}
    out = SessionDoc(image_path=str(img_path) if img_path else None, image_name=str(image.get("name") or ""),
                     relative_path=rel, file=str(p))
    try:
        out.quantizer = str(choices.get("quantizer", out.quantizer))
        out.lmbda = float(choices.get("lambda", out.lmbda))
        out.device = str(choices.get("device", out.device))
        out.tier = str(choices["tier"]) if choices.get("tier") else None
    except (TypeError, ValueError):
        pass
    out.rows = history_rows(doc.get("rows") or [])
    for r in doc.get("comparison") or []:
        try:
            kw = {k: r.get(k) for k in _COMPARE_FIELDS if k in r}
            kw["quantizer"] = str(kw["quantizer"])
            out.comparison.append(CompareRow(**kw))
        except (KeyError, TypeError, AttributeError):
            continue  # a damaged row is dropped, the others kept
    out.split = doc.get("split") if isinstance(doc.get("split"), dict) else {}
    return out


def same_image(doc: SessionDoc, path: Optional[str], name: str) -> bool:
    """Whether an opened image is the session's (same path, else same file name)."""
    if path and doc.image_path:
        try:
            if Path(path).resolve() == Path(doc.image_path).resolve():
                return True
        except OSError:
            pass
    return bool(name) and name == doc.image_name

