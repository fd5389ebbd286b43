"""The geometry of coding an image, for everyone (no numpy, no torch): the strides, the padding to
the model stride (:func:`pad_amounts`), the latent grid of an image (:func:`latent_grid`) and the pad limit
(:func:`check_coded_pixels`: the padded pixels an encoder or decoder may work on).
"""
from __future__ import annotations

from .errors import ImageTooLargeError, InputError

__all__ = ["LATENT_STRIDE", "HYPER_STRIDE", "CODING_STRIDE", "DEFAULT_MAX_PIXELS", "pad_amounts", "latent_grid", "hyper_grid",
           "check_max_pixels", "check_coded_pixels", "check_coding_size"]

#: image pixels per latent position along each axis (g_a downsamples 4 × 2)
LATENT_STRIDE = 16
#: image pixels per hyper-latent position (g_a then h_a: 6 × 2); images are padded to a multiple
HYPER_STRIDE = 64

CODING_STRIDE = HYPER_STRIDE
"""Models need H and W multiples of this (g_a downsamples by 16, h_a by another 4)."""

DEFAULT_MAX_PIXELS = 4096 * 4096
"""Largest image (width * height) loaded, and largest padded image coded or decoded, unless the
caller says otherwise."""


def _ceil_div(size: int, stride: int) -> int:
    return -(-int(size) // stride)


def pad_amounts(height: int, width: int, stride: int = CODING_STRIDE) -> tuple[int, int]:
    """(pad_bottom, pad_right) bringing ``height`` x ``width`` up to multiples of ``stride``."""
    if height < 1 or width < 1 or stride < 1:
        raise ValueError(f"invalid size {height}x{width} or stride {stride}")
    return (-height) % stride, (-width) % stride


def latent_grid(height: int, width: int) -> tuple[int, int]:
    """(h, w) latent positions covering a ``height`` x ``width`` image: ⌈H/16⌉ x ⌈W/16⌉ (for a
    padded size, the y grid the file declares)."""
    return _ceil_div(height, LATENT_STRIDE), _ceil_div(width, LATENT_STRIDE)


def hyper_grid(height: int, width: int) -> tuple[int, int]:
    """(h, w) hyper-latent positions covering a ``height`` x ``width`` image: ⌈H/64⌉ x ⌈W/64⌉."""
    return _ceil_div(height, HYPER_STRIDE), _ceil_div(width, HYPER_STRIDE)


def check_max_pixels(max_pixels: object) -> int:
    """``max_pixels`` if it is a positive integer, else an ``InputError``."""
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels < 1:
        raise InputError(f"max_pixels must be a positive integer, not {max_pixels!r}")
    return max_pixels


def check_coded_pixels(subject: str, coded_width: int, coded_height: int, max_pixels: int) -> None:
    """The pad limit: refuse to code or decode ``coded_width`` x ``coded_height`` padded pixels
    over ``max_pixels`` (coding memory grows with the padded pixels: a 1 x 1048577 image codes as
    64 x 1048640).

    Raises:
        ImageTooLargeError: "``subject``, coded as WxH = N pixels, more than the limit of M pixels".
    """
    padded = coded_width * coded_height
    if padded > max_pixels:
        raise ImageTooLargeError(f"{subject}, coded as {coded_width}x{coded_height} = {padded} pixels, more "
                                 f"than the limit of {max_pixels} pixels")


def check_coding_size(width: int, height: int, max_pixels: int = DEFAULT_MAX_PIXELS, name: str = "") -> None:
    """Refuse an image whose coded size (padded to multiples of :data:`CODING_STRIDE`) exceeds
    ``max_pixels`` (:func:`check_coded_pixels`)."""
    pad_bottom, pad_right = pad_amounts(height, width)
    label = f"image {name}" if name else "the image"
    check_coded_pixels(f"{label} is {width}x{height}", width + pad_right, height + pad_bottom, max_pixels)
