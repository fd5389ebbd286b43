"""How the app words an exception from the core or the file system: one rule for opening a
file, running a job and writing an export (Qt-free)."""
from __future__ import annotations

import traceback

from lvqac_core import errors as E

__all__ = ["describe_error"]


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(dialog title, one-paragraph message) for ``exc``."""
    if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():
        return ("Out of memory", "Not enough memory to process this image. Try a smaller image, "
                "or the CPU device.\n\n" + (str(exc) or "MemoryError"))
    if isinstance(exc, E.ModelNotFoundError):
        return "Model not available", str(exc)
    if isinstance(exc, E.ModelMismatchError):
        return "Model mismatch", str(exc)
    if isinstance(exc, E.LvqFormatError):
        return "Not a valid .lvq file", str(exc)
    if isinstance(exc, E.ImageError):
        return "Cannot read image", str(exc)
    if isinstance(exc, E.LvqacError):
        return "Error", str(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return "File error", where + (exc.strerror or str(exc))
    tb = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return "Unexpected error", tb
