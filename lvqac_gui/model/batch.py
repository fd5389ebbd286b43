"""Export a batch of results to a folder (Qt-free): per image the ``.lvq``, the decoded PNG and,
optionally, every map — the same files as *Export ▸ All*, written by :mod:`.export` (atomic
writes through ``lvqac_core.files``; existing files only replaced when asked to).

Names never collide: each result is ``STEM.QUANTIZER-λ``; two results that would share a name
(the same image run twice, or two ``photo.png`` from different folders) get ``-2``, ``-3``, ... and
with ``keep_existing`` a name already on disk is numbered past too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from . import export
from .records import Display, HistoryEntry

__all__ = ["BatchItem", "BatchReport", "plan", "clashes", "run"]


@dataclass
class BatchItem:
    """One result to write: its history entry and the files (key -> path)."""

    entry: HistoryEntry
    stem: str
    files: dict[str, Path]


@dataclass
class BatchReport:
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (result, reason)
    exported: list[int] = field(default_factory=list)  # history indices written whole
    cancelled: bool = False
    total: int = 0

    def summary(self, directory: str | Path) -> str:
        done = len(self.exported)
        head = (f"Cancelled after {done} of {self.total} results." if self.cancelled
                else f"Exported {done} of {self.total} results.")
        lines = [head, f"{len(self.written)} files written to {directory}."]
        if self.failed:
            lines.append(f"{len(self.failed)} failed:")
            lines += [f"  {name}: {reason}" for name, reason in self.failed]
        return "\n".join(lines)


def exportable(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    """The results a batch export writes: every successful run whose result is still in memory."""
    return [e for e in entries if e.error is None and e.display is not None]


def _names(display: Display, directory: Path, stem: str, maps: bool) -> dict[str, Path]:
    files = export.planned_files(display, directory, stem)
    if not maps:
        files = {k: v for k, v in files.items() if k in ("lvq", "decoded")}
    return files


def plan(entries: list[HistoryEntry], directory: str | Path, maps: bool = True,
         keep_existing: bool = False) -> list[BatchItem]:
    """The files for ``entries`` (see :func:`exportable`) in ``directory``: unique names within the
    batch, and with ``keep_existing`` also past the files already there."""
    directory = Path(directory)
    taken: set[Path] = set()
    items = []
    for e in exportable(entries):
        d = e.display
        base = d.source.stem
        n = 1
        while True:
            stem = base if n == 1 else f"{base}-{n}"
            files = _names(d, directory, stem, maps)
            if not (set(files.values()) & taken) and not (keep_existing and any(p.exists() for p in files.values())):
                break
            n += 1
        taken |= set(files.values())
        items.append(BatchItem(e, stem, files))
    return items


def clashes(items: list[BatchItem]) -> list[Path]:
    """Planned files that exist already (the window asks before replacing them)."""
    return [p for it in items for p in it.files.values() if p.exists()]


def run(items: list[BatchItem], directory: str | Path, overwrite: bool = False,
        progress: Optional[Callable[[int, int, str], None]] = None,
        cancelled: Optional[Callable[[], bool]] = None) -> BatchReport:
    """Write ``items``; a failing result is reported and the batch goes on; ``cancelled()`` is
    checked between results (what is written stays, whole)."""
    from .errors import describe_error
    directory = Path(directory)
    report = BatchReport(total=len(items))
    directory.mkdir(parents=True, exist_ok=True)
    for k, it in enumerate(items):
        if cancelled is not None and cancelled():
            report.cancelled = True
            break
        if progress is not None:
            progress(k, len(items), it.entry.name)
        try:
            report.written += export.export_all(it.entry.display, directory, it.stem, overwrite=overwrite,
                                                only=set(it.files))
            report.exported.append(it.entry.index)
        except Exception as exc:  # noqa: BLE001 - reported in the summary
            report.failed.append((f"{it.entry.name} ({it.entry.model})", describe_error(exc)[1]))
    if progress is not None and not report.cancelled:
        progress(len(items), len(items), "")
    return report
