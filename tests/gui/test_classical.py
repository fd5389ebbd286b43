"""The classical codecs (lvqac_gui.model.classical): the matched-size search."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from lvqac_gui.model import classical


def test_matched_size_search_within_two_percent():
    from pathlib import Path
    sample = Path(__file__).resolve().parents[2] / "resources" / "samples" / "chelsea.png"
    with Image.open(sample) as im:  # a photo, at half size to keep the test fast
        rgb = np.asarray(im.convert("RGB").resize((im.width // 2, im.height // 2), Image.LANCZOS))
    pixels = rgb.shape[0] * rgb.shape[1]
    for codec in ("jpeg", "webp"):
        for bpp in (0.4, 0.9):  # the learned models' range
            target = int(bpp * pixels / 8)
            r = classical.at_size(codec, rgb, target)
            assert abs(r.num_bytes - target) <= 0.02 * target, (codec, target, r.num_bytes)
            assert r.reconstruction.shape == rgb.shape and r.psnr > 20
            assert r.bpp == pytest.approx(8 * r.num_bytes / pixels)
    # below the smallest JPEG the search reports the nearest size it reaches, honestly
    tiny = classical.at_size("jpeg", rgb, 200)
    assert tiny.size_error > 0.02 and tiny.quality < 2
