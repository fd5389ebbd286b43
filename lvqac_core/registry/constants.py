"""Rules every layer shares, declared once: strides, the λ presets, image suffixes, the device rule."""
from __future__ import annotations

import math

__all__ = ["LATENT_STRIDE", "HYPER_STRIDE", "PAPER_LAMBDAS", "LAMBDA_RTOL", "same_lambda", "lambda_in_range",
           "IMAGE_SUFFIXES", "LVQ_SUFFIX", "ms_ssim_db"]

#: image pixels per latent position along each axis (g_a downsamples 4 × 2)
LATENT_STRIDE = 16
#: image pixels per hyper-latent position (g_a then h_a: 6 × 2); images are padded to a multiple
HYPER_STRIDE = 64

#: the paper's six rate points (λ of the MSE loss λ·255²·MSE + bpp)
PAPER_LAMBDAS = (0.0016, 0.0032, 0.0075, 0.015, 0.03, 0.045)

#: relative tolerance of every λ comparison (a λ read back from JSON or typed by a user)
LAMBDA_RTOL = 1e-6


def same_lambda(a: float, b: float) -> bool:
    """True when two λ values name the same rate point."""
    return math.isclose(float(a), float(b), rel_tol=LAMBDA_RTOL, abs_tol=0.0)


def lambda_in_range(lmbda: float, lo: float, hi: float) -> bool:
    """True when ``lmbda`` lies in [lo, hi], each end widened by :data:`LAMBDA_RTOL` (a range's
    ends read back from JSON or a checkpoint still count as inside); False for NaN or ±inf."""
    lmbda = float(lmbda)
    return math.isfinite(lmbda) and float(lo) * (1 - LAMBDA_RTOL) <= lmbda <= float(hi) * (1 + LAMBDA_RTOL)


#: still-image files the codec, the evaluation, the training loader and the app accept (Pillow reads
#: them all; an animated GIF is coded from its first frame, with a note)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pnm", ".gif",
                  ".tga")
#: the container's file suffix
LVQ_SUFFIX = ".lvq"


def ms_ssim_db(value: float) -> float:
    """MS-SSIM in dB, −10·log10(1 − MS-SSIM) (the convention of CompressAI's plots)."""
    return float(-10.0 * math.log10(max(1.0 - float(value), 1e-12)))
