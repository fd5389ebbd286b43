"""Tests of image loading (lvqac_core.image_files), padding (geometry), tensor conversion (image_tensors) and
atomic writes (files)."""
from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lvqac_core import files
from lvqac_testing import noise_image

RNG = np.random.default_rng(0)  # grayscale, 16-bit and 4-channel arrays (noise_image makes RGB)
from lvqac_core.errors import ImageError, ImageTooLargeError, InputError, OutputExistsError
from lvqac_core.files import atomic_write_bytes
from lvqac_core.geometry import pad_amounts
from lvqac_core.image_files import NOTE_16BIT, NOTE_ALPHA, NOTE_GRAY, NOTE_PALETTE, LoadedImage, load_image, restore_mode, save_png
from lvqac_core.image_tensors import to_tensor, to_uint8


def save(img: Image.Image, path: Path, fmt: str = "PNG", **kw) -> Path:
    img.save(path, format=fmt, **kw)
    return path


def check(loaded: LoadedImage, h: int, w: int) -> None:
    assert isinstance(loaded, LoadedImage)
    assert loaded.rgb.dtype == np.uint8 and loaded.rgb.shape == (h, w, 3)
    assert loaded.rgb.flags.c_contiguous


# ------------------------------------------------------------------------------ loading modes


def test_rgb_png_exact(tmp_path: Path) -> None:
    a = noise_image(5, 7)
    p = save(Image.fromarray(a), tmp_path / "rgb.png")
    for source in (p, str(p), p.read_bytes(), Image.open(p)):
        loaded = load_image(source)
        check(loaded, 5, 7)
        assert np.array_equal(loaded.rgb, a)
        assert loaded.mode == "RGB" and loaded.notes == []


def test_grayscale_l(tmp_path: Path) -> None:
    g = RNG.integers(0, 256, size=(4, 6), dtype=np.uint8)
    loaded = load_image(save(Image.fromarray(g), tmp_path / "g.png"))
    check(loaded, 4, 6)
    assert loaded.mode == "L" and NOTE_GRAY in loaded.notes
    assert all(np.array_equal(loaded.rgb[:, :, c], g) for c in range(3))
    assert np.array_equal(restore_mode(loaded.rgb, loaded.mode), g)


def test_bilevel(tmp_path: Path) -> None:
    img = Image.new("1", (3, 2))
    img.putpixel((1, 0), 1)
    loaded = load_image(save(img, tmp_path / "b.png"))
    assert loaded.mode == "1"
    assert loaded.rgb[0, 1].tolist() == [255] * 3 and loaded.rgb[0, 0].tolist() == [0] * 3
    assert restore_mode(loaded.rgb, loaded.mode).shape == (2, 3)


def test_gray_16bit(tmp_path: Path) -> None:
    g = RNG.integers(0, 65536, size=(3, 5), dtype=np.uint16)
    loaded = load_image(save(Image.fromarray(g), tmp_path / "g16.png"))
    check(loaded, 3, 5)
    assert loaded.mode.startswith("I")
    assert NOTE_16BIT in loaded.notes and NOTE_GRAY in loaded.notes
    assert np.array_equal(loaded.rgb[:, :, 1], (g >> 8).astype(np.uint8))
    assert np.array_equal(restore_mode(loaded.rgb, loaded.mode), (g >> 8).astype(np.uint8))


def test_gray_mode_i_and_f() -> None:
    g = RNG.integers(0, 65536, size=(2, 3)).astype(np.int32)
    loaded = load_image(Image.fromarray(g))
    assert loaded.mode == "I" and NOTE_16BIT in loaded.notes
    assert np.array_equal(loaded.rgb[:, :, 0], (g >> 8).astype(np.uint8))
    f = np.array([[0.0, 0.5], [1.0, 0.25]], dtype=np.float32)
    loaded = load_image(Image.fromarray(f))
    assert loaded.mode == "F" and NOTE_GRAY in loaded.notes
    assert loaded.rgb[:, :, 2].tolist() == [[0, 128], [255, 64]]
    assert restore_mode(loaded.rgb, "F").shape == (2, 2)


def test_palette(tmp_path: Path) -> None:
    a = noise_image(6, 6)
    pal = Image.fromarray(a).quantize(colors=8)
    loaded = load_image(save(pal, tmp_path / "p.png"))
    check(loaded, 6, 6)
    assert loaded.mode == "P" and NOTE_PALETTE in loaded.notes and NOTE_ALPHA not in loaded.notes
    assert np.array_equal(loaded.rgb, np.asarray(pal.convert("RGB")))
    assert np.array_equal(restore_mode(loaded.rgb, "P"), loaded.rgb)


def test_palette_with_transparency(tmp_path: Path) -> None:
    pal = Image.fromarray(noise_image(4, 4)).quantize(colors=4)
    loaded = load_image(save(pal, tmp_path / "pt.png", transparency=0))
    assert NOTE_ALPHA in loaded.notes and NOTE_PALETTE in loaded.notes
    assert np.array_equal(loaded.rgb, np.asarray(pal.convert("RGB")))


def test_rgba_drops_alpha_keeps_stored_rgb(tmp_path: Path) -> None:
    a = RNG.integers(0, 256, size=(3, 4, 4), dtype=np.uint8)
    a[..., 3] = 0  # fully transparent: the stored colours must survive anyway
    loaded = load_image(save(Image.fromarray(a, "RGBA"), tmp_path / "a.png"))
    check(loaded, 3, 4)
    assert loaded.mode == "RGBA" and NOTE_ALPHA in loaded.notes
    assert np.array_equal(loaded.rgb, a[..., :3])


def test_la(tmp_path: Path) -> None:
    a = RNG.integers(0, 256, size=(3, 4, 2), dtype=np.uint8)
    loaded = load_image(save(Image.fromarray(a, "LA"), tmp_path / "la.png"))
    assert loaded.mode == "LA" and NOTE_ALPHA in loaded.notes and NOTE_GRAY in loaded.notes
    assert np.array_equal(restore_mode(loaded.rgb, "LA"), a[..., 0])


def test_pa() -> None:
    img = Image.new("PA", (3, 2))
    img.putpalette([10, 20, 30] * 256)
    loaded = load_image(img)
    assert loaded.mode == "PA" and NOTE_ALPHA in loaded.notes and NOTE_PALETTE in loaded.notes
    assert loaded.rgb[0, 0].tolist() == [10, 20, 30]


def test_cmyk(tmp_path: Path) -> None:
    img = Image.fromarray(noise_image(4, 5)).convert("CMYK")
    loaded = load_image(save(img, tmp_path / "c.tif", "TIFF"))
    check(loaded, 4, 5)
    assert loaded.mode == "CMYK" and any("CMYK" in n for n in loaded.notes)
    assert np.array_equal(loaded.rgb, np.asarray(img.convert("RGB")))


def test_exif_orientation(tmp_path: Path) -> None:
    a = noise_image(2, 4)  # H=2, W=4
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise for display
    loaded = load_image(save(Image.fromarray(a), tmp_path / "o.png", exif=exif))
    check(loaded, 4, 2)
    assert np.array_equal(loaded.rgb, np.rot90(a, k=-1))
    assert any("orientation" in n for n in loaded.notes)


def test_animated_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (2, 2), c) for c in ((255, 0, 0), (0, 0, 255))]
    p = tmp_path / "anim.png"
    frames[0].save(p, save_all=True, append_images=frames[1:])
    loaded = load_image(p)
    assert loaded.rgb[0, 0].tolist() == [255, 0, 0]
    assert any("frames" in n for n in loaded.notes)


# ------------------------------------------------------------------------------ arrays


def test_arrays() -> None:
    a = noise_image(3, 2)
    assert np.array_equal(load_image(a).rgb, a) and load_image(a).mode == "RGB"
    g = a[..., 0]
    assert load_image(g).mode == "L" and np.array_equal(load_image(g[..., None]).rgb[..., 2], g)
    rgba = np.concatenate([a, a[..., :1]], axis=2)
    out = load_image(rgba)
    assert out.mode == "RGBA" and NOTE_ALPHA in out.notes and np.array_equal(out.rgb, a)
    a16 = a.astype(np.uint16) * 257 + 3
    out = load_image(a16)
    assert NOTE_16BIT in out.notes and np.array_equal(out.rgb, a)
    assert load_image(a16[..., 0]).mode == "I;16"
    out = load_image(a.astype(np.float32) / 255.0)
    assert np.array_equal(out.rgb, a)
    assert np.array_equal(load_image(a.astype(np.int64)).rgb, a)
    non_contiguous = np.asfortranarray(a)[:, ::-1]
    assert load_image(non_contiguous).rgb.flags.c_contiguous


@pytest.mark.parametrize("bad", [
    np.zeros((0, 5, 3), np.uint8),
    np.zeros((4, 0), np.uint8),
    np.zeros((2, 2, 5), np.uint8),
    np.zeros((2,), np.uint8),
    np.full((2, 2), 1.5, np.float32),
    np.full((2, 2), np.nan, np.float32),
    np.full((2, 2), 300, np.int32),
    np.zeros((2, 2), np.complex64),
])
def test_bad_arrays(bad: np.ndarray) -> None:
    with pytest.raises(ImageError, match="cannot read image"):
        load_image(bad)


# ------------------------------------------------------------------------------ refusals


def test_too_large(tmp_path: Path) -> None:
    a = noise_image(10, 12)
    p = save(Image.fromarray(a), tmp_path / "big.png")
    for source in (p, p.read_bytes(), a, Image.fromarray(a)):
        with pytest.raises(ImageTooLargeError) as info:
            load_image(source, max_pixels=100)
        msg = str(info.value)
        assert "12x10" in msg and "120" in msg and "100" in msg
    assert load_image(p, max_pixels=120).rgb.shape == (10, 12, 3)


def test_unreadable_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"this is not an image at all" * 10)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    good = io.BytesIO()
    Image.fromarray(noise_image(64, 64)).save(good, format="PNG")
    truncated = tmp_path / "trunc.png"
    truncated.write_bytes(good.getvalue()[:200])
    for path in (junk, empty, truncated, tmp_path / "missing.png", tmp_path):
        with pytest.raises(ImageError, match="cannot read image") as info:
            load_image(path)
        assert str(path) in str(info.value) and "\n" not in str(info.value)
        assert not isinstance(info.value, ImageTooLargeError)
    for data in (b"", b"GIF89a garbage"):
        with pytest.raises(ImageError, match="cannot read image"):
            load_image(data)
    with pytest.raises(ImageError):
        load_image(12345)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ tensors


def test_pad_amounts() -> None:
    assert pad_amounts(64, 128) == (0, 0)
    assert pad_amounts(1, 1) == (63, 63)
    assert pad_amounts(65, 3) == (63, 61)
    assert pad_amounts(512, 768) == (0, 0)
    assert pad_amounts(17, 33, stride=16) == (15, 15)
    with pytest.raises(ValueError):
        pad_amounts(0, 5)


@pytest.mark.parametrize("h, w", [(1, 1), (65, 3), (3, 65), (64, 64), (7, 130)])
def test_tensor_round_trip(h: int, w: int) -> None:
    a = noise_image(h, w)
    x, (pb, pr) = to_tensor(a)
    assert (pb, pr) == pad_amounts(h, w)
    assert x.dtype == torch.float32 and x.shape == (1, 3, h + pb, w + pr)
    assert x.shape[2] % 64 == 0 and x.shape[3] % 64 == 0
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    # Replicate padding: the last row/column are repeated.
    assert torch.equal(x[0, :, h - 1:, :w], x[0, :, h - 1:h, :w].expand(-1, pb + 1, -1))
    assert torch.equal(x[0, :, :, w - 1:], x[0, :, :, w - 1:w].expand(-1, -1, pr + 1))
    assert np.array_equal(to_uint8(x, h, w), a)
    assert np.array_equal(to_uint8(x[0], h, w), a)


def test_to_uint8_clamps_and_rounds() -> None:
    x = torch.tensor([-0.5, 0.0, 0.5 / 255, 0.6 / 255, 1.0, 1.7]).view(1, 1, 1, 6).expand(1, 3, 1, 6)
    assert to_uint8(x, 1, 6)[0, :, 0].tolist() == [0, 0, 0, 1, 255, 255]
    with pytest.raises(ValueError):
        to_uint8(torch.zeros(1, 3, 4, 4), 5, 4)
    with pytest.raises(ValueError):
        to_tensor(np.zeros((2, 2), np.uint8))


def test_restore_mode() -> None:
    a = np.array([[[10, 11, 13], [0, 0, 1]], [[255, 255, 254], [7, 7, 7]]], np.uint8)
    assert restore_mode(a, "RGB") is a
    assert restore_mode(a, "RGBA") is a
    assert restore_mode(a, "L").tolist() == [[11, 0], [255, 7]]  # rounded channel means
    assert restore_mode(a, "I;16").dtype == np.uint8


# ------------------------------------------------------------------------------ writing


def test_atomic_write(tmp_path: Path) -> None:
    p = tmp_path / "out.lvq"
    atomic_write_bytes(p, b"first")
    assert p.read_bytes() == b"first"
    with pytest.raises(OutputExistsError, match="exists") as info:
        atomic_write_bytes(p, b"second")
    assert str(p) in str(info.value)
    assert p.read_bytes() == b"first"
    atomic_write_bytes(p, b"second", overwrite=True)
    assert p.read_bytes() == b"second"
    assert sorted(os.listdir(tmp_path)) == ["out.lvq"]
    if os.name == "posix":
        umask = os.umask(0)
        os.umask(umask)
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("overwrite", [False, True])
def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     overwrite: bool) -> None:
    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", boom)
    p = tmp_path / "x.png"
    with pytest.raises(InputError, match="cannot write"):
        atomic_write_bytes(p, b"data", overwrite=overwrite)
    assert os.listdir(tmp_path) == []


def test_failed_rename_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "x.png"
    p.write_bytes(b"old")

    def boom(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "replace", boom)
    with pytest.raises(InputError):
        atomic_write_bytes(p, b"new", overwrite=True)
    assert p.read_bytes() == b"old" and os.listdir(tmp_path) == ["x.png"]


def test_write_to_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write"):
        atomic_write_bytes(tmp_path / "nope" / "x.lvq", b"1")


def test_save_png(tmp_path: Path) -> None:
    a = noise_image(3, 5)
    save_png(a, tmp_path / "a.png")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), a)
    g = a[..., 0].copy()
    save_png(g, tmp_path / "g.png")
    with Image.open(tmp_path / "g.png") as im:
        assert im.mode == "L" and np.array_equal(np.asarray(im), g)
    with pytest.raises(OutputExistsError):
        save_png(g, tmp_path / "g.png")
    save_png(a, tmp_path / "g.png", overwrite=True)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "g.png")), a)
    assert sorted(os.listdir(tmp_path)) == ["a.png", "g.png"]
