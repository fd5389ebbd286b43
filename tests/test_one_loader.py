"""One image loader and one folder listing: the classical baselines, the evaluation, the training
data and the learned codec read the same (EXIF-oriented) pixels."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from lvqac_core import image_files
from lvqac_core.api import Codec
from lvqac_core.evaluation import baselines
from lvqac_core.models import build_model
from lvqac_core.image_files import IMAGE_SUFFIXES
from lvqac_core.training import data as training_data


def _exif_rotated(path):
    """A 64x48 JPEG stored landscape with EXIF orientation 6 (shown rotated 90°: 48x64)."""
    yy, xx = np.mgrid[0:48, 0:64]
    stored = np.stack([xx * 4, yy * 5, 255 - xx * 3], -1).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(path, format="JPEG", quality=95, exif=exif.tobytes())
    with Image.open(path) as im:
        raw = np.asarray(im.convert("RGB"))  # what a loader ignoring EXIF would see
    return raw


def test_baseline_and_learned_codec_score_the_same_oriented_pixels(tmp_path):
    path = tmp_path / "rotated.jpg"
    raw = _exif_rotated(path)
    assert raw.shape == (48, 64, 3)
    torch.manual_seed(0)
    codec = Codec.from_model(build_model(architecture="minnen2018-ckbd", quantizer="lvq", N=16, M=16))
    learned = codec.compress(str(path), ms_ssim=False).original
    assert learned.shape == (64, 48, 3)
    assert np.array_equal(learned, np.rot90(raw, k=-1))  # orientation 6: rotate 90° clockwise
    assert np.array_equal(baselines.load_rgb(path), learned)  # what run_baseline scores
    assert np.array_equal(image_files.load_rgb(path), learned)
    assert np.array_equal(training_data.load_rgb(path), learned)
    curve = baselines.run_baseline("jpeg", [path], settings=[90])
    score = curve.points[0].images[0]
    assert score.bpp == pytest.approx(8.0 * score.bytes / (64 * 48))
    assert score.psnr > 30  # scored against the oriented image: a transposed decode would fail this
    assert baselines.decode(baselines.encode("jpeg", learned, 90)).shape == learned.shape


def test_list_images_flat_and_recursive(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("b.png", "a.JPG", "c.txt", "sub/d.webp"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in image_files.list_images(tmp_path)] == ["a.JPG", "b.png"]
    assert [p.name for p in image_files.list_images(tmp_path, recursive=True)] == ["a.JPG", "b.png", "d.webp"]
    assert training_data.list_images(tmp_path) == image_files.list_images(tmp_path, recursive=True)
    assert image_files.list_images(tmp_path / "b.png") == [tmp_path / "b.png"]
    assert {".png", ".jpg", ".webp"} <= set(IMAGE_SUFFIXES)
    with pytest.raises(FileNotFoundError, match="not found"):
        image_files.list_images(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="no images"):
        image_files.list_images(_empty(tmp_path / "empty"))


def _empty(folder):
    folder.mkdir()
    return folder
