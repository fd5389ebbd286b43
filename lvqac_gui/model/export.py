"""Writing results to disk (Qt-free): the .lvq file, the decoded PNG and every map as PNG (with
its colour bar and scale drawn under it). Names carry the model: ``STEM.QUANTIZER-λ.*``.

All writes are atomic (temporary file + rename, via ``lvqac_core.files``); existing files are
only replaced with ``overwrite=True`` (the window asks first).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from .maps import annotated
from .records import Display

MAP_LAYERS = ("residual", "selection", "a_law", "bits")


def write_lvq(display: Display, path: str | Path, overwrite: bool = False) -> Path:
    from lvqac_core.files import atomic_write_bytes
    atomic_write_bytes(path, display.data, overwrite=overwrite)
    return Path(path)


def write_png(image: np.ndarray, path: str | Path, overwrite: bool = False) -> Path:
    from lvqac_core.image_files import save_png
    save_png(np.ascontiguousarray(image), path, overwrite=overwrite)
    return Path(path)


def model_tag(display: Display) -> str:
    """The model in file names: quantizer and λ, e.g. ``lvqac-0.0075``."""
    return f"{display.stats.quantizer}-{display.stats.lmbda:g}"


def base_name(display: Display, stem: Optional[str] = None) -> str:
    """``STEM.QUANTIZER-λ``; a decoded ``photo.lvqac-0.0075.lvq`` keeps its one tag."""
    stem = stem or display.source.stem
    tag = model_tag(display)
    return stem if stem.endswith("." + tag) else f"{stem}.{tag}"


def planned_files(display: Display, directory: str | Path, stem: Optional[str] = None) -> dict[str, Path]:
    """What :func:`export_all` writes: key -> path (maps that do not exist are left out). Every
    name carries the model (quantizer, λ), so variants of one image do not clash."""
    d = Path(directory)
    base = base_name(display, stem)
    out = {"lvq": d / f"{base}.lvq", "decoded": d / f"{base}.decoded.png"}
    for name in MAP_LAYERS:
        layer = display.layers.get(name)
        if layer is None or layer.image is None:
            continue
        if name == "selection" and len(layer.groups) > 1:
            for g in range(len(layer.groups)):
                out[f"selection_g{g}"] = d / f"{base}.selection-g{g}.png"
        else:
            out[name] = d / f"{base}.{name.replace('_', '-')}.png"
    return out


def map_heading(display: Display, layer_title: str) -> str:
    """The title strip of an exported map: file, quantizer, λ and the map."""
    st = display.stats
    return f"{display.source.name} · {st.quantizer} λ={st.lmbda:g} · {layer_title}"


def existing(paths: dict[str, Path]) -> list[Path]:
    return [p for p in paths.values() if p.exists()]


def export_all(display: Display, directory: str | Path, stem: Optional[str] = None,
               overwrite: bool = False, only: Optional[set[str]] = None) -> list[Path]:
    """Write the .lvq, the decoded image and each map (``only``: those keys of
    :func:`planned_files`); returns the paths written."""
    written = []
    for key, path in planned_files(display, directory, stem).items():
        if only is not None and key not in only:
            continue
        if key == "lvq":
            written.append(write_lvq(display, path, overwrite))
        elif key == "decoded":
            written.append(write_png(display.reconstruction, path, overwrite))
        elif key.startswith("selection_g"):
            g = int(key[len("selection_g"):])
            layer = display.layers["selection"]
            written.append(write_png(annotated(layer, layer.groups[g], layer.group_shares[g],
                                               heading=map_heading(display, f"{layer.title}, group {g}")),
                                     path, overwrite))
        else:  # each map as on screen, with its colour bar and scale (or legend) under it
            layer = display.layers[key]
            written.append(write_png(annotated(layer, heading=map_heading(display, layer.title)),
                                     path, overwrite))
    return written
