"""Image files ↔ 8-bit RGB: loading any Pillow-readable image (or array) as RGB, listing image
folders, restoring the original channel layout after decoding, and saving PNG.

This is the one image loader (:func:`load_image`, EXIF orientation applied) used by the codec, the
classical baselines, the evaluation and the training data, so every codec scores the same pixels;
and the one folder listing (:func:`list_images`). The one gray → RGB rule is :func:`gray_to_rgb`.
Knows nothing of tensors or models (no torch); writes go through :mod:`lvqac_core.files`.

All decoding goes through Pillow. User-caused problems raise :class:`~lvqac_core.errors.ImageError`
(``ImageTooLargeError`` for the pixel limit) or :class:`~lvqac_core.errors.InputError`, each with
a one-line message.
"""
from __future__ import annotations

import io
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps

from .errors import ImageError, ImageFolderError, ImageTooLargeError
from .files import atomic_write_bytes, one_line, path_problem
from .geometry import DEFAULT_MAX_PIXELS

__all__ = [
    "IMAGE_SUFFIXES",
    "GRAYSCALE_MODES",
    "LoadedImage",
    "load_image",
    "load_rgb",
    "list_images",
    "gray_to_rgb",
    "restore_mode",
    "save_png",
]

#: still-image files the codec, the evaluation, the training loader and the app accept (Pillow reads
#: them all; an animated GIF is coded from its first frame, with a note)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pnm", ".gif",
                  ".tga")

GRAYSCALE_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N",
                             "I;16S", "I;16BS", "I;32", "F"})
"""PIL modes coded as RGB and decoded back to one channel by :func:`restore_mode`."""

NOTE_ALPHA = "alpha channel dropped (LVQAC codes RGB only; the decoded image is opaque)"
NOTE_16BIT = "16-bit samples reduced to 8 bits"
NOTE_GRAY = "grayscale coded as RGB; decoded back to grayscale"
NOTE_PALETTE = "palette image converted to RGB"
NOTE_FLOAT = "floating-point samples converted to 8 bits"
NOTE_ICC = ("embedded ICC colour profile not applied and not kept (pixels are coded as stored; the "
            "decoded PNG has no profile)")


def _is_srgb_profile(data: bytes) -> bool:
    """True for an sRGB ICC profile: the colour space a PNG without a profile means anyway, so not
    keeping it changes nothing a viewer shows (most cameras' and editors' files carry one). Any
    other profile, or one ImageCms cannot read, is reported (:data:`NOTE_ICC`)."""
    try:
        from PIL import ImageCms

        desc = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(bytes(data))))
    except Exception:  # noqa: BLE001 - unreadable or exotic: say it was dropped
        return False
    return desc.strip().startswith("sRGB")


Source = Union[str, os.PathLike, bytes, bytearray, Image.Image, np.ndarray]


@dataclass
class LoadedImage:
    """An image ready for coding.

    Attributes:
        rgb: uint8 array (H, W, 3), C-contiguous.
        mode: the original PIL mode (for arrays: the mode Pillow would give them).
        notes: human-readable notes on the conversions that were applied.
    """

    rgb: np.ndarray
    mode: str
    notes: list[str] = field(default_factory=list)

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])


# -------------------------------------------------------------------------------- loading


def _check_size(width: int, height: int, max_pixels: int, name: str) -> None:
    if width <= 0 or height <= 0:
        raise ImageError(f"cannot read image {name}: it is empty ({width}x{height})")
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"image {name} is {width}x{height} = {width * height} pixels, more than the limit "
            f"of {max_pixels} pixels")


def _bomb(exc: BaseException, name: str, max_pixels: int) -> ImageTooLargeError:
    """Pillow's decompression-bomb refusal, in our words and with our limit."""
    found = re.search(r"\((\d+) pixels\)", str(exc))
    size = f"{found.group(1)} pixels" if found else "larger than Pillow accepts"
    return ImageTooLargeError(f"image {name} is {size}, more than the limit of {max_pixels} pixels")


def _sixteen_bit(img: Image.Image) -> bool:
    """True when the file stores more than 8 bits per sample in a mode Pillow reads as 8-bit."""
    for tile in getattr(img, "tile", None) or ():
        args = getattr(tile, "args", None)
        if args is None and isinstance(tile, tuple) and len(tile) > 3:
            args = tile[3]
        raw = args[0] if isinstance(args, tuple) and args else args
        if isinstance(raw, str) and (";16" in raw or ";32" in raw):
            return True
    return False


def _gray16_to_8(arr: np.ndarray) -> np.ndarray:
    """16-bit (or wider integer) grayscale samples to 8 bits by dropping the low byte."""
    return (np.clip(arr.astype(np.int64), 0, 65535) >> 8).astype(np.uint8)


def _float_to_8(arr: np.ndarray, name: str) -> np.ndarray:
    """Float samples in [0, 1] to uint8 (values a hair outside are clipped)."""
    arr = np.asarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ImageError(f"cannot read image {name}: it contains NaN or infinite samples")
    if arr.min() < -1e-3 or arr.max() > 1 + 1e-3:
        raise ImageError(f"cannot read image {name}: float samples must lie in [0, 1], found "
                         f"[{arr.min():.4g}, {arr.max():.4g}]")
    return np.rint(np.clip(arr, 0.0, 1.0) * 255.0).astype(np.uint8)


def gray_to_rgb(image: np.ndarray) -> np.ndarray:
    """The one gray → RGB rule: a uint8 (H, W) image with its channel repeated 3 times, C-contiguous;
    an (H, W, C) image as its first 3 channels."""
    if image.ndim == 2:
        return np.ascontiguousarray(np.repeat(image[:, :, None], 3, axis=2))
    return np.ascontiguousarray(image[:, :, :3])


def _from_pil(img: Image.Image, name: str) -> LoadedImage:
    """Convert a loaded PIL image (any mode) to 8-bit RGB with notes."""
    mode = img.mode
    notes: list[str] = []
    if mode in ("RGBA", "RGBa", "LA", "La", "PA") or (mode == "P" and "transparency" in img.info):
        notes.append(NOTE_ALPHA)
    if mode in ("P", "PA"):
        notes.append(NOTE_PALETTE)
        rgb = np.asarray(img.convert("RGBA"))[:, :, :3]
    elif mode == "RGB":
        rgb = np.asarray(img)
    elif mode in ("RGBA", "RGBX"):
        rgb = np.asarray(img)[:, :, :3]
    elif mode == "RGBa":
        rgb = np.asarray(img.convert("RGBA"))[:, :, :3]
    elif mode in ("1", "L"):
        notes.append(NOTE_GRAY)
        rgb = gray_to_rgb(np.asarray(img.convert("L")))
    elif mode in ("LA", "La"):
        notes.append(NOTE_GRAY)
        rgb = gray_to_rgb(np.asarray(img.convert("LA"))[:, :, 0])
    elif mode.startswith("I"):
        notes.append(NOTE_16BIT)
        notes.append(NOTE_GRAY)
        rgb = gray_to_rgb(_gray16_to_8(np.asarray(img)))
    elif mode == "F":
        notes.append(NOTE_FLOAT)
        notes.append(NOTE_GRAY)
        arr = np.asarray(img, dtype=np.float64)
        finite = arr[np.isfinite(arr)]
        scale = 1.0 if finite.size == 0 or finite.max() <= 1.0 else 255.0
        gray = np.rint(np.clip(np.nan_to_num(arr) / scale, 0.0, 1.0) * 255.0).astype(np.uint8)
        rgb = gray_to_rgb(gray)
    else:  # CMYK, YCbCr, LAB, HSV, ...
        notes.append(f"{mode} image converted to RGB")
        rgb = np.asarray(img.convert("RGB"))
    return LoadedImage(np.ascontiguousarray(rgb, dtype=np.uint8), mode, notes)


def _open_pil(source: Union[str, os.PathLike, bytes, bytearray], name: str,
              max_pixels: int) -> LoadedImage:
    """Open, size-check, decode and orient an encoded image with Pillow."""
    if isinstance(source, (bytes, bytearray)):
        if not source:
            raise ImageError(f"cannot read image {name}: it is empty")
        fp: object = io.BytesIO(bytes(source))
    else:
        path = Path(source)
        problem = path_problem(path)
        if problem:
            raise ImageError(f"cannot read image {name}: {problem}")
        fp = path
    with warnings.catch_warnings():  # Pillow's warnings become notes or errors, never stderr text
        warnings.simplefilter("ignore")
        try:
            img = Image.open(fp)  # type: ignore[arg-type]
        except Image.DecompressionBombError as exc:
            raise _bomb(exc, name, max_pixels) from exc
        except Exception as exc:  # Pillow raises assorted types for undecodable data
            raise ImageError(f"cannot read image {name}: {one_line(exc)}") from exc
        with img:
            _check_size(img.width, img.height, max_pixels, name)
            notes: list[str] = []
            try:
                frames = int(getattr(img, "n_frames", 1))
            except Exception:
                frames = 1
            if frames > 1:
                notes.append(f"first of {frames} frames coded")
            wide = _sixteen_bit(img) and not img.mode.startswith("I")
            if img.info.get("icc_profile") and not _is_srgb_profile(img.info["icc_profile"]):
                notes.append(NOTE_ICC)
            try:
                img.load()
            except Image.DecompressionBombError as exc:
                raise _bomb(exc, name, max_pixels) from exc
            except Exception as exc:
                raise ImageError(f"cannot read image {name}: {one_line(exc)}") from exc
            oriented = _orient(img, notes)
            try:
                loaded = _from_pil(oriented, name)
            except ImageError:
                raise
            except Exception as exc:
                raise ImageError(f"cannot read image {name}: {one_line(exc)}") from exc
    if wide and NOTE_16BIT not in loaded.notes:
        notes.append(NOTE_16BIT)
    loaded.notes[:0] = notes
    return loaded


def _orient(img: Image.Image, notes: list[str]) -> Image.Image:
    """Apply the EXIF orientation tag, if any (appending a note); unreadable EXIF is ignored."""
    try:
        orientation = img.getexif().get(0x0112, 1)
    except Exception:
        notes.append("EXIF data unreadable; orientation ignored")
        return img
    if orientation not in (2, 3, 4, 5, 6, 7, 8):
        return img
    try:
        oriented = ImageOps.exif_transpose(img)
    except Exception:
        notes.append("EXIF orientation could not be applied; ignored")
        return img
    notes.append(f"EXIF orientation {orientation} applied")
    return oriented if oriented is not None else img


def _from_array(arr: np.ndarray, max_pixels: int) -> LoadedImage:
    """Convert an array (H, W), (H, W, 1|2|3|4) of uint8/uint16/float/small ints to RGB."""
    name = "<array>"
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 2, 3, 4)):
        raise ImageError(f"cannot read image {name}: shape {arr.shape} is not (H, W) or "
                         f"(H, W, 1|2|3|4)")
    if arr.size == 0:
        raise ImageError(f"cannot read image {name}: it is empty (shape {arr.shape})")
    _check_size(arr.shape[1], arr.shape[0], max_pixels, name)
    notes: list[str] = []
    if arr.dtype == np.uint8:
        a8 = arr
    elif arr.dtype == np.uint16:
        notes.append(NOTE_16BIT)
        a8 = (arr >> 8).astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.floating):
        a8 = _float_to_8(arr, name)
    elif np.issubdtype(arr.dtype, np.integer):
        if arr.min() < 0 or arr.max() > 255:
            raise ImageError(f"cannot read image {name}: {arr.dtype} samples must lie in "
                             f"[0, 255] (use uint16 for 16-bit images)")
        a8 = arr.astype(np.uint8)
    else:
        raise ImageError(f"cannot read image {name}: unsupported sample type {arr.dtype}")
    channels = 1 if a8.ndim == 2 else a8.shape[2]
    if a8.ndim == 3 and channels == 1:
        a8 = a8[:, :, 0]
    if channels in (1, 2):
        if arr.dtype == np.uint16:
            mode = "I;16" if channels == 1 else "LA"
        elif np.issubdtype(arr.dtype, np.floating) and channels == 1:
            mode = "F"
        else:
            mode = "L" if channels == 1 else "LA"
        if channels == 2:
            notes.append(NOTE_ALPHA)
            a8 = a8[:, :, 0]
        notes.append(NOTE_GRAY)
        rgb = gray_to_rgb(a8)
    else:
        mode = "RGB" if channels == 3 else "RGBA"
        if channels == 4:
            notes.append(NOTE_ALPHA)
        rgb = a8[:, :, :3]
    return LoadedImage(np.ascontiguousarray(rgb, dtype=np.uint8), mode, notes)


def load_image(source: Source, max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Load an image as 8-bit RGB, noting every lossy or mode conversion.

    Args:
        source: a path, encoded image bytes, a PIL image, or an array (H, W) / (H, W, C) with
            C in 1..4 of uint8, uint16 (reduced to 8 bits), float in [0, 1], or integers in
            [0, 255].
        max_pixels: refuse images with more than this many pixels (checked before decoding).

    Grayscale (``1``, ``L``, ``I;16``, ``I``, ``F``) is replicated to 3 channels (``I*`` modes
    are taken as 16-bit samples and keep their high byte); palettes are expanded; alpha
    (``LA``, ``RGBA``, ``PA``, transparent ``P``) is dropped, keeping the stored colours;
    CMYK and other modes are converted by Pillow; EXIF orientation is applied; of animated
    images the first frame is coded.

    Raises:
        ImageError: missing, unreadable, empty or non-image input ("cannot read image ...").
        ImageTooLargeError: more than ``max_pixels`` pixels.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, max_pixels)
    if isinstance(source, Image.Image):
        name = getattr(source, "filename", "") or "<image>"
        _check_size(source.width, source.height, max_pixels, name)
        try:
            source.load()
            notes: list[str] = []
            loaded = _from_pil(_orient(source, notes), name)
            loaded.notes[:0] = notes
            return loaded
        except ImageError:
            raise
        except Exception as exc:
            raise ImageError(f"cannot read image {name}: {one_line(exc)}") from exc
    if isinstance(source, (bytes, bytearray)):
        return _open_pil(source, "<bytes>", max_pixels)
    if isinstance(source, (str, os.PathLike)):
        return _open_pil(source, os.fspath(source), max_pixels)  # type: ignore[arg-type]
    raise ImageError(f"cannot read image from a {type(source).__name__}")


def load_rgb(source: Source, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """The uint8 (H, W, 3) RGB pixels that :func:`load_image` codes (EXIF orientation applied)."""
    return load_image(source, max_pixels).rgb


def list_images(folder: Union[str, os.PathLike], *, recursive: bool = False) -> list[Path]:
    """The image files (suffix in :data:`IMAGE_SUFFIXES`) of ``folder``, sorted; with
    ``recursive`` those of its subfolders too. A file is returned as the only image.

    Raises:
        ImageFolderError (an ``InputError`` and a ``FileNotFoundError``): ``folder`` does not
        exist, or holds no images.
    """
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        raise ImageFolderError(f"image folder not found: {folder}")
    found = folder.rglob("*") if recursive else folder.iterdir()
    files = sorted(p for p in found if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise ImageFolderError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    return files


def restore_mode(rgb: np.ndarray, mode: str) -> np.ndarray:
    """Decoded RGB back to the original's channel layout.

    Images that were grayscale (``mode`` in :data:`GRAYSCALE_MODES`) become uint8 (H, W),
    the rounded mean of the three channels (exact when they are equal); anything else is
    returned unchanged (alpha and palettes are not restored).
    """
    if mode not in GRAYSCALE_MODES:
        return rgb
    if rgb.ndim == 2:
        return rgb
    total = rgb[:, :, :3].astype(np.uint16).sum(axis=2)
    return ((total + 1) // 3).astype(np.uint8)


def save_png(image: np.ndarray, path: Union[str, os.PathLike], *,
             overwrite: bool = False) -> None:
    """Save uint8 (H, W) grayscale or (H, W, 3) RGB as PNG, atomically (see
    :func:`atomic_write_bytes`, whose errors it raises)."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
        raise ValueError(f"expected uint8 (H, W) or (H, W, 3), got {arr.dtype} {arr.shape}")
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue(), overwrite=overwrite)
