"""Images in and out: loading any Pillow-readable image (or array) as 8-bit RGB, padding to the
model stride, tensor conversion, restoring the original mode, and atomic file writes.

This is the one image loader (:func:`load_image`, EXIF orientation applied) used by the codec, the
classical baselines, the evaluation and the training data, so every codec scores the same pixels;
the one folder listing (:func:`list_images`); and the one atomic write (:func:`atomic_write_bytes`)
used by every writer (``.lvq`` and PNG outputs, checkpoints, the zoo manifest, exports).

All decoding goes through Pillow. User-caused problems raise :class:`~lvqac_core.errors.ImageError`
(``ImageTooLargeError`` for the pixel limit), :class:`~lvqac_core.errors.OutputExistsError`
or :class:`~lvqac_core.errors.InputError`, each with a one-line message.
"""
from __future__ import annotations

import io
import os
import re
import stat
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

from .errors import ImageError, ImageFolderError, ImageTooLargeError, InputError, OutputExistsError
from .registry import HYPER_STRIDE, IMAGE_SUFFIXES

__all__ = [
    "STRIDE",
    "DEFAULT_MAX_PIXELS",
    "GRAYSCALE_MODES",
    "LoadedImage",
    "load_image",
    "load_rgb",
    "list_images",
    "check_coding_size",
    "path_problem",
    "pad_amounts",
    "to_tensor",
    "to_uint8",
    "restore_mode",
    "save_png",
    "atomic_write_bytes",
]

STRIDE = HYPER_STRIDE
"""Models need H and W multiples of this (g_a downsamples by 16, h_a by another 4)."""

DEFAULT_MAX_PIXELS = 4096 * 4096
"""Largest image (width * height) :func:`load_image` accepts unless told otherwise."""

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


def check_coding_size(width: int, height: int, max_pixels: int = DEFAULT_MAX_PIXELS,
                      name: str = "") -> None:
    """Refuse an image whose coded size (padded to multiples of :data:`STRIDE`) exceeds
    ``max_pixels``: coding memory grows with the padded pixels (a 1 x 1048577 image codes
    as 64 x 1048640).

    Raises:
        ImageTooLargeError: with the image size, the padded size and the limit.
    """
    pad_bottom, pad_right = pad_amounts(height, width)
    padded = (width + pad_right) * (height + pad_bottom)
    if padded > max_pixels:
        label = f"image {name}" if name else "the image"
        raise ImageTooLargeError(
            f"{label} is {width}x{height}, coded as {width + pad_right}x{height + pad_bottom} = "
            f"{padded} pixels, more than the limit of {max_pixels} pixels")


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


def _gray_to_rgb(gray: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))


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
        rgb = _gray_to_rgb(np.asarray(img.convert("L")))
    elif mode in ("LA", "La"):
        notes.append(NOTE_GRAY)
        rgb = _gray_to_rgb(np.asarray(img.convert("LA"))[:, :, 0])
    elif mode.startswith("I"):
        notes.append(NOTE_16BIT)
        notes.append(NOTE_GRAY)
        rgb = _gray_to_rgb(_gray16_to_8(np.asarray(img)))
    elif mode == "F":
        notes.append(NOTE_FLOAT)
        notes.append(NOTE_GRAY)
        arr = np.asarray(img, dtype=np.float64)
        finite = arr[np.isfinite(arr)]
        scale = 1.0 if finite.size == 0 or finite.max() <= 1.0 else 255.0
        gray = np.rint(np.clip(np.nan_to_num(arr) / scale, 0.0, 1.0) * 255.0).astype(np.uint8)
        rgb = _gray_to_rgb(gray)
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
            raise ImageError(f"cannot read image {name}: {_reason(exc)}") from exc
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
                raise ImageError(f"cannot read image {name}: {_reason(exc)}") from exc
            oriented = _orient(img, notes)
            try:
                loaded = _from_pil(oriented, name)
            except ImageError:
                raise
            except Exception as exc:
                raise ImageError(f"cannot read image {name}: {_reason(exc)}") from exc
    if wide and NOTE_16BIT not in loaded.notes:
        notes.append(NOTE_16BIT)
    loaded.notes[:0] = notes
    return loaded


def path_problem(path: Union[str, os.PathLike]) -> Union[str, None]:
    """Why ``path`` cannot be read as an input file (missing, a directory, a device or FIFO,
    a name the system refuses), or None for a readable regular file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except NotADirectoryError:
        return "no such file (a parent is not a directory)"
    except PermissionError:
        return "permission denied"
    except (OSError, ValueError) as exc:
        return getattr(exc, "strerror", None) or _reason(exc)
    if stat.S_ISDIR(st.st_mode):
        return "it is a directory"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    return None


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


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


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
        rgb = _gray_to_rgb(a8)
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
            raise ImageError(f"cannot read image {name}: {_reason(exc)}") from exc
    if isinstance(source, (bytes, bytearray)):
        return _open_pil(source, "<bytes>", max_pixels)
    if isinstance(source, (str, os.PathLike)):
        return _open_pil(source, os.fspath(source), max_pixels)  # type: ignore[arg-type]
    raise ImageError(f"cannot read image from a {type(source).__name__}")


def load_rgb(source: Source, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """The uint8 (H, W, 3) RGB pixels that :func:`load_image` codes (EXIF orientation applied)."""
    return load_image(source, max_pixels).rgb


def list_images(folder: Union[str, os.PathLike], *, recursive: bool = False) -> list[Path]:
    """The image files (suffix in ``registry.IMAGE_SUFFIXES``) of ``folder``, sorted; with
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


# -------------------------------------------------------------------------------- tensors


def pad_amounts(height: int, width: int, stride: int = STRIDE) -> tuple[int, int]:
    """(pad_bottom, pad_right) bringing ``height`` x ``width`` up to multiples of ``stride``."""
    if height < 1 or width < 1 or stride < 1:
        raise ValueError(f"invalid size {height}x{width} or stride {stride}")
    return (-height) % stride, (-width) % stride


def to_tensor(rgb: np.ndarray, stride: int = STRIDE, as_float: bool = True) -> tuple[torch.Tensor, tuple[int, int]]:
    """uint8 (H, W, 3) → float32 (1, 3, Hp, Wp) in [0, 1], edge-replicated at bottom/right.

    Returns the tensor and ``(pad_bottom, pad_right)``; Hp = H + pad_bottom is a multiple of
    ``stride`` (works for 1x1 images too). ``as_float=False`` returns the padded uint8 tensor
    (a quarter of the memory); :func:`to_unit_float` of it, whole or a slice, gives the same values.
    """
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 \
            or rgb.shape[2] != 3:
        raise ValueError(f"expected a uint8 array (H, W, 3), got "
                         f"{getattr(rgb, 'dtype', type(rgb).__name__)} "
                         f"{getattr(rgb, 'shape', '')}")
    height, width = rgb.shape[:2]
    pad_bottom, pad_right = pad_amounts(height, width, stride)
    x = torch.from_numpy(np.array(rgb, dtype=np.uint8, copy=True)).permute(2, 0, 1).unsqueeze(0)
    if as_float:
        x = to_unit_float(x)
    if pad_bottom or pad_right:
        x = F.pad(x, (0, pad_right, 0, pad_bottom), mode="replicate")
    return x.contiguous(), (pad_bottom, pad_right)


def to_unit_float(x: torch.Tensor) -> torch.Tensor:
    """A uint8 image tensor → float32 in [0, 1] (x / 255, one contiguous copy); float input as is."""
    if x.is_floating_point():
        return x
    return x.to(torch.float32, memory_format=torch.contiguous_format).div_(255.0)


def to_uint8(x: torch.Tensor, height: int, width: int) -> np.ndarray:
    """(1, 3, Hp, Wp) or (3, Hp, Wp) tensor in [0, 1] → uint8 (height, width, 3).

    Crops to the original size, clamps to [0, 1] and rounds ``x * 255``; exact inverse of
    :func:`to_tensor` for uint8 input.
    """
    if x.dim() == 4:
        if x.shape[0] != 1:
            raise ValueError(f"expected a batch of one image, got shape {tuple(x.shape)}")
        x = x[0]
    if x.dim() != 3 or x.shape[0] != 3 or x.shape[1] < height or x.shape[2] < width:
        raise ValueError(f"cannot crop tensor of shape {tuple(x.shape)} to {height}x{width}")
    x = x.detach()[:, :height, :width].to(torch.float32).clamp(0.0, 1.0)  # a new tensor: ours to change
    out = x.mul_(255.0).round_().to(torch.uint8).permute(1, 2, 0).cpu().numpy()  # in place: fewer page faults
    return np.ascontiguousarray(out)


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


# -------------------------------------------------------------------------------- writing


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write_bytes(path: Union[str, os.PathLike], data: bytes, *,
                       overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` atomically: readers see the old file or the complete new one.

    The bytes go to a temporary file in the same directory, are flushed to disk and then
    renamed over ``path``. Nothing is left behind on failure.

    Raises:
        OutputExistsError: ``path`` exists and ``overwrite`` is False.
        InputError: the file cannot be written (missing directory, permissions, disk full).
    """
    target = Path(path)
    if not overwrite and (target.exists() or target.is_symlink()):
        raise OutputExistsError(f"{target} exists; not overwriting it")
    directory = target.parent if str(target.parent) else Path(".")
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                        dir=directory)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o666 & ~_UMASK)
        if overwrite:
            os.replace(tmp_name, target)
        else:
            _publish_no_clobber(tmp_name, target)
        tmp_name = None
    except OutputExistsError:
        raise
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def _publish_no_clobber(tmp_name: str, target: Path) -> None:
    """Move ``tmp_name`` to ``target`` unless ``target`` appeared meanwhile."""
    try:
        os.link(tmp_name, target)  # atomic and fails if the target exists
    except FileExistsError as exc:
        raise OutputExistsError(f"{target} exists; not overwriting it") from exc
    except OSError:
        # Hard links unsupported (FAT, some network file systems): best effort.
        if target.exists():
            raise OutputExistsError(f"{target} exists; not overwriting it") from None
        os.replace(tmp_name, target)
        return
    os.unlink(tmp_name)


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
