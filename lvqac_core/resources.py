"""Where the shipped data (zoo, reference RD curves, sample images, icon) lives.

In a source checkout (and an editable install) that is ``resources/`` beside the packages; an
installed wheel carries the same folder as the package ``lvqac_resources`` (pyproject maps
``resources/`` to it). The folder is recognised by its ``__init__.py``, so a stray ``resources``
directory in site-packages is never taken for ours.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["resources_dir"]


def resources_dir() -> Path:
    checkout = Path(__file__).resolve().parent.parent / "resources"
    if (checkout / "__init__.py").is_file():
        return checkout
    spec = importlib.util.find_spec("lvqac_resources")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return checkout  # nothing installed: callers find empty folders and say so
