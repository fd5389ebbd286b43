"""The ``lvqac`` command line. Each subcommand lives in its own module with ``register(sub)``.

Errors a user can cause print one line on stderr and exit with 2; ``--json`` prints stable keys
(documented in docs/cli.md).
"""
from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from typing import Optional, Sequence

from ..errors import InputError, LvqacError

__all__ = ["main", "build_parser"]

_COMMANDS = ("models_cmd", "compress_cmd", "decompress_cmd", "info_cmd", "train_cmd", "eval_cmd")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lvqac", description="Learned image compression with LVQ + adaptive companding (LVQAC).")
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


def main(argv: Optional[Sequence[str]] = None) -> int:
    warnings.filterwarnings("ignore", category=FutureWarning)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as e:
        print(f"lvqac: error: {e}", file=sys.stderr)
        return 2
    except LvqacError as e:
        print(f"lvqac: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lvqac: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
