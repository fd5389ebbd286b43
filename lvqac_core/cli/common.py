"""Helpers shared by the subcommands: JSON output, checking input and output paths, options."""
from __future__ import annotations

import argparse
import json
import math
import os
import stat
import sys
from pathlib import Path
from typing import Any, Sequence

from ..errors import InputError, OutputExistsError
from ..files import path_problem, read_file_bytes

__all__ = ["emit_json", "read_input_bytes", "add_device_argument", "add_threads_argument", "thread_count",
           "check_input", "plan_outputs", "output_paths", "check_suffix", "positive_float", "is_dir_spec", "map_summary_line",
           "make_parent", "failure_line"]

STDIO_REFUSAL = ("'-' (standard input/output) is not supported by lvqac: give a file name "
                 "(write ./- for a file named '-')")


def emit_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, allow_nan=True)
    sys.stdout.write("\n")


def map_summary_line(row: dict) -> str:
    """The map figures of a lattice model's row (keys of ``InspectionMaps.summary``), briefly."""
    text = f"codebook Zⁿ+½ {100 * row['selection_share']:.1f}%"
    if row.get("a_min") is not None:
        text += (f", A {row['a_min']:.3g}…{row['a_max']:.3g}, "
                 f"A ≠ 1 at {100 * row['a_active_share']:.1f}% of positions")
    return text


def check_input(path: str) -> None:
    """Refuse ``-``, missing files, directories and special files, with one line."""
    if path == "-":
        raise InputError(STDIO_REFUSAL)
    problem = path_problem(path)
    if problem:
        raise InputError(f"{path}: {problem}")


def read_input_bytes(path: str) -> bytes:
    """An input file's bytes (``-`` refused), with the core's one-line errors (:func:`files.read_file_bytes`)."""
    if path == "-":
        raise InputError(STDIO_REFUSAL)
    return read_file_bytes(path)


def add_threads_argument(p) -> None:
    """``--threads N``: the intra-op CPU threads of this command (lvqac_core.threads)."""
    p.add_argument("--threads", dest="coding_threads", type=thread_count, default=None, metavar="N",
                   help="CPU threads (default: $LVQAC_THREADS, else automatic: the cores this process may "
                        "use less those other programs are using, followed while it runs); files and pixels "
                        "do not depend on it")


def thread_count(text: str) -> int:
    from ..threads import MAX_THREADS

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= n <= MAX_THREADS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_THREADS}, got {n}")
    return n


def add_device_argument(p) -> None:
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda (default: auto)")


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (``inf``, ``nan``, 0 and negatives are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number greater than 0")
    return value


def is_dir_spec(output: str) -> bool:
    """``-o`` names a directory when it ends with a separator or is an existing directory."""
    return output.endswith(("/", os.sep)) or os.path.isdir(output)


def output_paths(inputs: Sequence[str], output: str | None, suffix: str, what: str, *,
                 several: bool = False) -> list[Path]:
    """The one output-location policy of ``compress`` and ``decompress``: without ``-o`` each
    output sits beside its input with ``suffix``; ``-o`` names a directory when it ends with a
    separator, is an existing directory, or the command line named ``several`` inputs (then each
    output is ``DIR/STEM + suffix``); otherwise ``-o`` is the one output file, whose suffix must be
    ``suffix``. Folders are created when written (:func:`make_parent`)."""
    if output is None:
        return [Path(i).with_suffix(suffix) for i in inputs]
    if output == "-":
        raise InputError(STDIO_REFUSAL)
    if not several and not is_dir_spec(output):
        out = Path(output)
        check_suffix(out, suffix, what)
        return [out]
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise InputError(f"{output}: several inputs need -o to be a directory" if several
                         else f"{output}: not a directory")
    return [out / (Path(i).stem + suffix) for i in inputs]


def check_suffix(path: Path, suffix: str, what: str) -> None:
    """Refuse an output name whose suffix promises another format than the one written."""
    if path.suffix.lower() != suffix:
        got = f"'{path.suffix}'" if path.suffix else "no suffix"
        raise InputError(f"{path}: {what} writes {suffix} files, but this name has {got}; "
                         f"name it {path.with_suffix(suffix).name if path.name else '...' + suffix}")


def make_parent(out: Path) -> None:
    """The one output-folder rule of every command: an output's missing folders are created
    (right before it is written, so a refused input leaves none behind)."""
    parent = Path(out).parent
    if str(parent) in ("", ".") or parent.is_dir():
        return
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{parent}: cannot create the output directory ({e.strerror or e})") from None


def failure_line(path: str, error: BaseException) -> str:
    """One line for a batch item that failed: the error's message, naming the file."""
    if isinstance(error, MemoryError):
        text = "out of memory"
    else:
        text = " ".join(str(error).split())
        if isinstance(error, OutputExistsError):
            text += "; use --force to overwrite"
    return text if str(path) in text else f"{path}: {text}"


def _existing_kind(path: Path) -> str | None:
    """None when nothing is at ``path``; else 'file', 'dir' or 'special'."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise InputError(f"{path}: cannot write there (a parent is not a directory)") from None
    except OSError as e:
        raise InputError(f"{path}: cannot write there ({e.strerror or e})") from None
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
        return "file"
    return "special"


def _key(path: Path | str) -> str:
    return os.path.normcase(str(Path(path).resolve()))


def plan_outputs(inputs: Sequence[str], outputs: Sequence[Path], force: bool) -> None:
    """Check every output before anything is written: no two inputs map to one output, no
    output is one of the inputs, existing files need ``force``, directories and special files
    are never replaced."""
    seen: dict[str, str] = {}
    input_keys = {_key(i): i for i in inputs}
    for image, out in zip(inputs, outputs):
        if str(out) == "-":
            raise InputError(STDIO_REFUSAL)
        key = _key(out)
        if key in seen:
            raise InputError(f"{seen[key]} and {image} would both be written to {out}; "
                             f"nothing was written (give distinct names or separate -o)")
        seen[key] = image
        if key in input_keys:
            raise InputError(f"{out} is also an input; refusing to overwrite it")
        kind = _existing_kind(out)
        if kind == "dir":
            raise InputError(f"{out} is a directory; give a file name or a directory ending in /")
        if kind == "special":
            raise InputError(f"{out} exists and is not a regular file; refusing to replace it")
        if kind == "file" and not force:
            raise OutputExistsError(f"{out} exists")  # main() adds the --force hint
