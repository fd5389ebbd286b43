"""``python -m lvqac_core.training ...`` = ``lvqac train ...`` (also the torchrun entry point)."""
import argparse
import sys

from ..cli.train_cmd import add_arguments, run


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m lvqac_core.training", description="train an LVQAC model")
    add_arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
