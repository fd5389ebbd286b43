"""The Results history across restarts (Qt-free): a small JSON session file with one row per run
(file, quantizer, λ, bytes, bpp, PSNR, MS-SSIM, time, status) — numbers only, no images. Rows
from an earlier session are shown again by running them again."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

from .records import HistoryEntry, Source

__all__ = ["FILE_NAME", "save", "load", "load_rows"]

FILE_NAME = "results-history.json"
VERSION = 1
MAX_ROWS = 1000  # the newest rows kept in the file


def _row(e: HistoryEntry) -> dict:
    return {"name": e.source.name, "path": e.source.path, "is_lvq": e.source.is_lvq,
            "quantizer": e.quantizer, "lambda": e.lmbda, "seconds": e.seconds, "bytes": e.num_bytes,
            "bpp": e.bpp, "psnr": e.psnr, "ms_ssim": e.ms_ssim, "error": e.error, "kind": e.kind,
            "exported": e.exported, "codec": e.codec, "quality": e.quality}


def save(entries: list[HistoryEntry], path: str | os.PathLike) -> Path:
    """Write ``entries`` (atomically: an interrupted write leaves the old file)."""
    from lvqac_core.files import atomic_write_bytes
    rows = [_row(e) for e in entries[-MAX_ROWS:]]
    data = json.dumps({"version": VERSION, "rows": rows}, indent=1).encode("utf-8")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data, overwrite=True)
    return Path(path)


def load(path: str | os.PathLike) -> list[HistoryEntry]:
    """The rows of an earlier session (none when the file is missing or unreadable)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        rows = doc["rows"] if isinstance(doc, dict) and doc.get("version") == VERSION else []
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return load_rows(rows)


def load_rows(rows: list) -> list[HistoryEntry]:
    """History rows from their JSON form (a saved session uses the same rows)."""
    out = []
    if not isinstance(rows, list):
        return out
    for r in rows:
        try:
            src = Source(name=str(r["name"]), path=r.get("path"), is_lvq=bool(r.get("is_lvq")))

            def num(key, kind=float) -> Optional[float]:
                v = r.get(key)
                return None if v is None else kind(v)
            out.append(HistoryEntry(
                index=len(out), source=src, quantizer=str(r["quantizer"]), lmbda=float(r["lambda"]),
                seconds=num("seconds"), num_bytes=num("bytes", int), bpp=num("bpp"), psnr=num("psnr"),
                ms_ssim=num("ms_ssim"), error=r.get("error"), kind=str(r.get("kind", "compressed")),
                exported=bool(r.get("exported")), earlier=True, codec=str(r.get("codec") or ""),
                quality=num("quality")))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # a damaged row is dropped, the others kept
    return out
