"""Files, for every writer and reader: why a path cannot be read (:func:`path_problem`), a file's
bytes with a one-line error (:func:`read_file_bytes`) and the one atomic write
(:func:`atomic_write_bytes`) used by every writer (``.lvq`` and PNG outputs, checkpoints, the zoo
manifest, exports, plots).

Knows nothing of images, tensors or models (no numpy, no torch).
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Union

from .errors import InputError, OutputExistsError

__all__ = ["one_line", "path_problem", "read_file_bytes", "atomic_write_bytes"]


def one_line(exc: BaseException) -> str:
    """An exception's message on one line of at most 200 characters (its type name if empty)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def path_problem(path: Union[str, os.PathLike]) -> Union[str, None]:
    """Why ``path`` cannot be read as an input file (missing, a directory, a device or FIFO,
    a name the system refuses), or None for a readable regular file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except NotADirectoryError:
        return "no such file (a parent is not a directory)"
    except PermissionError:
        return "permission denied"
    except (OSError, ValueError) as exc:
        return getattr(exc, "strerror", None) or one_line(exc)
    if stat.S_ISDIR(st.st_mode):
        return "it is a directory"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    return None


def read_file_bytes(path: Union[str, os.PathLike]) -> bytes:
    """The bytes of the regular file ``path``.

    Raises:
        InputError: ``"PATH: why"`` on one line (missing, a directory or special file, unreadable,
            too large for memory).
    """
    problem = path_problem(path)
    if problem:
        raise InputError(f"{os.fspath(path)}: {problem}")
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"{os.fspath(path)}: cannot read ({e.strerror or e})") from None
    except MemoryError:
        raise InputError(f"{os.fspath(path)}: too large to read into memory") from None


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write_bytes(path: Union[str, os.PathLike], data: bytes, *,
                       overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` atomically: readers see the old file or the complete new one.

    The bytes go to a temporary file in the same directory, are flushed to disk and then
    renamed over ``path``. Nothing is left behind on failure.

    Raises:
        OutputExistsError: ``path`` exists and ``overwrite`` is False.
        InputError: the file cannot be written (missing directory, permissions, disk full).
    """
    target = Path(path)
    if not overwrite and (target.exists() or target.is_symlink()):
        raise OutputExistsError(f"{target} exists; not overwriting it")
    directory = target.parent if str(target.parent) else Path(".")
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                        dir=directory)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o666 & ~_UMASK)
        if overwrite:
            os.replace(tmp_name, target)
        else:
            _publish_no_clobber(tmp_name, target)
        tmp_name = None
    except OutputExistsError:
        raise
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def _publish_no_clobber(tmp_name: str, target: Path) -> None:
    """Move ``tmp_name`` to ``target`` unless ``target`` appeared meanwhile."""
    try:
        os.link(tmp_name, target)  # atomic and fails if the target exists
    except FileExistsError as exc:
        raise OutputExistsError(f"{target} exists; not overwriting it") from exc
    except OSError:
        # Hard links unsupported (FAT, some network file systems): best effort.
        if target.exists():
            raise OutputExistsError(f"{target} exists; not overwriting it") from None
        os.replace(tmp_name, target)
        return
    os.unlink(tmp_name)

