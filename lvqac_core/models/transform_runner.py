"""The transforms g_a and g_s run with fewer full-size temporaries, bit for bit as ``g(x)``.

CompressAI's GDN and inverse GDN compute ``out = x * rsqrt(conv1x1(x**2, γ, β))`` (``sqrt`` for
the inverse) with three new full-size tensors; here the (reciprocal) square root and the product
are taken in place in the conv's output (``norm.rsqrt_().mul_(x)``). The values are the same IEEE
operations on the same operands (``x * x`` is what ``x ** 2`` computes, and a product does not
depend on its operands' order), so the result is identical; what changes is memory traffic and
page faults (decode of a 1920×1080 image: g_s about 14 % faster on one thread). Every other layer,
and every GDN that is not CompressAI's plain ``GDN`` class (``GDN1`` and the like) or sits inside
another module (Cheng2020's residual blocks), runs as is.

``channels_last=True`` (the synthesis of Minnen's transforms: transposed convolutions and GDN)
feeds the layers channels-last tensors. On one thread oneDNN gives exactly the values of the
NCHW path there (tested on random and zoo weights; about 0.65× the time at 1920×1080); with
several threads both layouts differ from one thread in the last bits, as NCHW already did between
thread counts, and the decoder's output stays the encoder's reconstruction because both run this
same code. Only the synthesis uses it: a decoder-side value, never an entropy-coding input.
Convolutions (Conv2d: the analysis, Cheng's blocks, the hyper and entropy networks) differ in the
last bits between layouts even on one thread, so they keep NCHW; so do CUDA tensors (not measured
there).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..compressai_parts import GDN

__all__ = ["layout_neutral", "run_transform", "stock_transforms"]

_in_place = True


@contextmanager
def stock_transforms() -> Iterator[None]:
    """Inside, ``run_transform`` calls ``g(x)`` itself (benchmarks compare the two; not thread-safe)."""
    global _in_place
    before, _in_place = _in_place, False
    try:
        yield
    finally:
        _in_place = before


GDN_CHUNK_ELEMENTS = 1 << 22  # elements per row chunk of an in-place GDN (16 MB of float32)
GDN_MIN_CHUNK_POSITIONS = 4096  # never fewer positions per chunk (see _gdn)


def _gdn(layer: GDN, x: Tensor, in_place: bool = False) -> Tensor:
    """GDN(x) (or its inverse). ``in_place`` (x is a temporary of this runner; large x only): x is
    normalised where it lies, in chunks of rows, so the layer holds x and one chunk's temporaries
    instead of three full-size tensors (a 4096×4096 encode: 0.6 GB less at g_a's first GDN).

    Each output element is the same IEEE expression of the same operands, and the 1×1
    convolution's sum for one position does not depend on how many rows are computed with it,
    except where a call has very few positions: oneDNN then takes another kernel (measured on
    AVX-512: calls of at most 10 positions round differently). So chunks are split evenly and hold
    at least :data:`GDN_MIN_CHUNK_POSITIONS`; tests/test_transform_runner.py compares both paths
    bit for bit."""
    C = x.shape[1]
    beta = layer.beta_reparam(layer.beta)
    gamma = layer.gamma_reparam(layer.gamma).reshape(C, C, 1, 1)
    h, w = x.shape[-2:]
    rows = max(-(-GDN_MIN_CHUNK_POSITIONS // max(1, w)), GDN_CHUNK_ELEMENTS // max(1, x.shape[0] * C * w))
    if not in_place or h < 2 * rows:
        return _normalise(x * x, gamma, beta, layer.inverse).mul_(x)
    n = h // rows  # chunks of rows … 2·rows − 1 rows, as even as they come
    edges = [k * h // n for k in range(n + 1)]
    for a, b in zip(edges, edges[1:]):
        part = x[:, :, a:b]
        part.mul_(_normalise(part * part, gamma, beta, layer.inverse))
    return x


def _normalise(squares: Tensor, gamma: Tensor, beta: Tensor, inverse: bool) -> Tensor:
    """√(β + γ·x²) for the inverse GDN, its reciprocal for GDN (in the conv's output)."""
    norm = F.conv2d(squares, gamma, beta)
    return norm.sqrt_() if inverse else norm.rsqrt_()


_LAYOUT_NEUTRAL = (nn.ConvTranspose2d, nn.LeakyReLU, nn.ReLU)


def layout_neutral(g: nn.Module) -> bool:
    """True where every layer of ``g`` is a transposed convolution, a plain GDN or an activation:
    the layers whose channels-last results equal NCHW's on one thread (``tests/test_transform_runner.py``)."""
    return isinstance(g, nn.Sequential) and len(g) > 0 and all(
        type(layer) is GDN or isinstance(layer, _LAYOUT_NEUTRAL) for layer in g)


def run_transform(g: nn.Module, x: Tensor, channels_last: bool = False) -> Tensor:
    """``g(x)`` for a transform (g_a or g_s); the in-place path only where no gradient is recorded.

    ``channels_last``: run a :func:`layout_neutral` transform on a channels-last copy of a CPU
    ``x`` (ignored for any other transform, and on CUDA, where it was not measured); the result is
    channels-last.
    """
    if not _in_place or not isinstance(g, nn.Sequential) or torch.is_grad_enabled():
        return g(x)
    if channels_last and x.dim() == 4 and x.device.type == "cpu" and layout_neutral(g):
        x = x.contiguous(memory_format=torch.channels_last)
    given = x.untyped_storage().data_ptr()  # the caller's memory (in place only elsewhere)
    for layer in g:
        if type(layer) is GDN:
            x = _gdn(layer, x, in_place=x.untyped_storage().data_ptr() != given)
        else:
            x = layer(x)
    return x
