"""The ``lvqac`` command line. Each subcommand lives in its own module with ``register(sub)``.

Errors a user can cause (usage errors included) print one line on stderr and exit with 2;
``--json`` prints stable keys (documented in docs/cli.md). Library warnings are not shown
(run ``python -W default -m lvqac_core.cli ...`` to see them); ``LVQAC_DEBUG=1`` shows the
traceback of an unexpected error instead of its one-line summary.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from typing import Optional, Sequence

from .. import threads
from ..errors import InputError, LvqacError, OutputExistsError

__all__ = ["main", "entry", "build_parser"]

_COMMANDS = ("models_cmd", "compress_cmd", "decompress_cmd", "info_cmd", "train_cmd", "eval_cmd")


class _UsageError(Exception):
    """A command line argparse refused (its message, one line)."""


class _Parser(argparse.ArgumentParser):
    """argparse prints usage plus the error (several lines) and exits; we want one line."""

    def error(self, message: str):  # type: ignore[override]
        raise _UsageError(f"{' '.join(message.split())} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lvqac", description="Learned image compression with LVQ + adaptive companding (LVQAC).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"{__name__}.{name}":
                continue  # subcommand not shipped in this build
            raise
        module.register(sub)
    return parser


def _say(text: str) -> None:
    print("lvqac: " + " ".join(str(text).split()), file=sys.stderr)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one command; returns the exit code (Ctrl-C at any point, imports included: 130)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        _say("interrupted")
        return 130


def _main(argv: Optional[Sequence[str]]) -> int:
    if not sys.warnoptions:  # library warnings are noise for a command-line user
        warnings.simplefilter("ignore")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as e:
        _say(f"error: {e}")
        return 2
    if not getattr(args, "func", None):
        _say("error: a command is required: " + ", ".join(sorted(_command_names(parser)))
             + " (see lvqac --help)")
        return 2
    try:
        if hasattr(args, "coding_threads"):  # train keeps its own --threads
            threads.apply(args.coding_threads)
        return int(args.func(args) or 0)
    except OutputExistsError as e:  # the core names no flags: the hint is the command line's
        _say(f"error: {e}; use --force to overwrite")
        return 2
    except InputError as e:
        _say(f"error: {e}")
        return 2
    except LvqacError as e:
        _say(f"error: {e}")
        return 1
    except MemoryError:
        _say("error: out of memory")
        return 1
    except BrokenPipeError:
        return 1
    except Exception as e:  # a bug: one line, unless LVQAC_DEBUG asks for the traceback
        if os.environ.get("LVQAC_DEBUG"):
            raise
        _say(f"internal error: {type(e).__name__}: {e} (set LVQAC_DEBUG=1 for the traceback; please report it)")
        return 1


def _command_names(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


#: commands that start no worker processes or threads and whose every write is complete (atomic)
#: when they return: their process may skip the interpreter's teardown (see :func:`entry`)
FAST_EXIT_COMMANDS = frozenset({"compress", "decompress", "info", "models"})


def entry(argv: Optional[Sequence[str]] = None) -> None:
    """The ``lvqac`` program: :func:`main`, then exit.

    After a command in :data:`FAST_EXIT_COMMANDS` the process ends with ``os._exit`` once stdout
    and stderr are flushed: tearing down torch's modules at interpreter exit is a noticeable part of
    a one-image ``lvqac compress`` (measured in docs/cli.md, "Exit"). Every file such a command
    writes is complete (written to a temporary file, synced, renamed) before it returns, and it
    registers no exit handlers.
    ``train`` and ``eval`` exit normally (data-loader workers, progress bars)."""
    threads.configure_openmp()  # before anything imports torch
    args = list(sys.argv[1:] if argv is None else argv)
    rc = main(args)
    command = next((a for a in args if not a.startswith("-")), None)
    if command not in FAST_EXIT_COMMANDS:
        sys.exit(rc)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            rc = rc or 1
    os._exit(rc)


if __name__ == "__main__":  # pragma: no cover
    entry()
