"""Photos no network of the zoo was trained on, for the held-out half of issue 27 §3's claim
("LVQAC < LVQ < scalar on Kodak **and** on photos the network never saw").

    .venv/bin/python -m scripts.heldout_photos OUT_DIR

Writes scikit-image's bundled colour photographs (public domain or CC0; the ones its wheel carries,
so nothing is downloaded) as RGB PNGs into OUT_DIR: astronaut, chelsea, coffee, rocket,
hubble_deep_field, immunohistochemistry and retina, 0.14–2.0 megapixels, 7 images, 4.0 megapixels
in all. The training photos (``../shared/data/train``: ImageNet crops; ``train2``: BSDS500 crops)
contain none of them. Needs the ``sample`` extra (``pip install -e .[sample]``: scikit-image).
``scripts/eval_heldout.sh`` measures the zoo on them.
"""
from __future__ import annotations

import argparse
from pathlib import Path

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry", "retina")


def write_photos(out: Path) -> list[Path]:
    """Write the held-out photos into ``out`` (created; existing files of the same name are left
    as they are when their pixels match, else refused) and return their paths."""
    try:
        from skimage import data
    except ImportError as e:  # pragma: no cover - the message is the point
        raise SystemExit("scripts.heldout_photos needs scikit-image: pip install -e .[sample]") from e
    import numpy as np
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in PHOTOS:
        pixels = np.ascontiguousarray(getattr(data, name)()[..., :3])
        if pixels.dtype != np.uint8 or pixels.ndim != 3:
            raise SystemExit(f"skimage.data.{name}: expected 8-bit RGB, got {pixels.dtype} {pixels.shape}")
        path = out / f"{name}.png"
        if path.exists():
            if not np.array_equal(np.asarray(Image.open(path).convert("RGB")), pixels):
                raise SystemExit(f"{path} exists with other pixels: move it away first")
        else:
            tmp = path.with_suffix(".png.part")
            Image.fromarray(pixels, "RGB").save(tmp, format="PNG")
            tmp.replace(path)
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    for p in write_photos(args.out):
        print(p)


if __name__ == "__main__":
    main()
