"""How the app words an exception from the core or the file system: one rule for opening a
file, running a job and writing an export (Qt-free)."""
from __future__ import annotations

import traceback

from lvqac_core import errors as E

__all__ = ["describe_error", "file_message"]


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


# Pillow's wording, as the core passes it on, and what the app says instead
_PILLOW = (("cannot identify image file", "not an image format that can be read (or the file is damaged)"),
           ("image file is truncated", "the file is cut short (truncated)"),
           ("broken data stream", "the image data is damaged"))


def file_message(name: str, path: str | None, message: str) -> str:
    """``message`` about the file ``name`` (at ``path``) as one line that names the file once:
    "photo.png: not an image format that can be read (or the file is damaged)". The core's
    "cannot read image PATH: " prefix and Pillow's repetition of the path are dropped."""
    text = message.strip()
    for spelled in {p for p in (path, str(path or ""), name) if p}:
        for quoted in (f"'{spelled}'", f'"{spelled}"', spelled):
            text = text.replace(f"cannot read image {quoted}: ", "").replace(f"cannot read image {quoted}", "")
            text = text.replace(f" {quoted}", "").replace(quoted, "")
    low = text.lower()
    for pillow, ours in _PILLOW:
        if pillow in low:
            text = ours
            break
    text = text.strip(" :") or "cannot be read"
    return f"{name}: {text}"
