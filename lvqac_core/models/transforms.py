"""Analysis/synthesis transforms of the two backbones, from CompressAI's layers.

- ``minnen``: Minnen, Ballé, Toderici, NeurIPS 2018 (GDN convolutions; CompressAI ``mbt2018``).
- ``cheng``: Cheng et al., CVPR 2020, the anchor model (residual blocks, sub-pixel upsampling).
- ``bmshj2018-hyperprior`` (imported: CompressAI's scale hyperprior, Ballé et al., ICLR 2018): the
  GDN transforms, h_a of |y| with ReLUs, h_s → σ only (its means half is held at zero).
- ``cheng2020-attn`` (imported: CompressAI's Cheng2020Attention): Cheng's transforms with
  attention blocks, N = M.

Each builder returns (g_a, g_s, h_a, h_s); h_s outputs 2M hyper features. Strides: g_a /16,
h_a another /4, so images are padded to multiples of 64. Each builder registers the architectures
built on it (``@register_architecture``: name, backbone, decoding order, description).
"""
from __future__ import annotations

import torch
from torch import nn
from ..compressai_parts import (
    GDN,
    AttentionBlock,
    ResidualBlock,
    ResidualBlockUpsample,
    ResidualBlockWithStride,
    conv3x3,
    subpel_conv3x3,
)
from .registry import register_architecture

__all__ = ["minnen_transforms", "cheng_transforms", "bmshj_hyperprior_transforms", "cheng_attention_transforms", "Abs"]


def conv(in_channels: int, out_channels: int, kernel_size: int = 5, stride: int = 2) -> nn.Conv2d:
    """As ``compressai.models.utils.conv`` (importing that module loads every CompressAI model)."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=kernel_size, stride=stride, padding=kernel_size // 2)


def deconv(in_channels: int, out_channels: int, kernel_size: int = 5, stride: int = 2) -> nn.ConvTranspose2d:
    """As ``compressai.models.utils.deconv``."""
    return nn.ConvTranspose2d(in_channels, out_channels, kernel_size=kernel_size, stride=stride,
                              output_padding=stride - 1, padding=kernel_size // 2)


@register_architecture("minnen2018-mean", "minnen", "parallel", "Minnen2018 mean-scale hyperprior, fully parallel")
@register_architecture("minnen2018-ckbd", "minnen", "checkerboard", "Minnen2018 + checkerboard context (two passes)")
@register_architecture("minnen2018", "minnen", "raster-scan", "Minnen2018 joint autoregressive + hyperprior (serial)")
def minnen_transforms(N: int, M: int) -> tuple[nn.Module, nn.Module, nn.Module, nn.Module]:
    g_a = nn.Sequential(
        conv(3, N), GDN(N), conv(N, N), GDN(N), conv(N, N), GDN(N), conv(N, M),
    )
    g_s = nn.Sequential(
        deconv(M, N), GDN(N, inverse=True), deconv(N, N), GDN(N, inverse=True),
        deconv(N, N), GDN(N, inverse=True), deconv(N, 3),
    )
    h_a = nn.Sequential(
        conv(M, N, stride=1, kernel_size=3), nn.LeakyReLU(inplace=True),
        conv(N, N, stride=2, kernel_size=5), nn.LeakyReLU(inplace=True),
        conv(N, N, stride=2, kernel_size=5),
    )
    h_s = nn.Sequential(
        deconv(N, M, stride=2, kernel_size=5), nn.LeakyReLU(inplace=True),
        deconv(M, M * 3 // 2, stride=2, kernel_size=5), nn.LeakyReLU(inplace=True),
        conv(M * 3 // 2, M * 2, stride=1, kernel_size=3),
    )
    return g_a, g_s, h_a, h_s


class Abs(nn.Module):
    """|x| (the scale hyperprior's h_a reads the magnitudes of y)."""

    def forward(self, x):
        return x.abs()


@register_architecture("bmshj2018-hyperprior", "minnen", "parallel",
                       "Ballé2018 scale hyperprior (CompressAI bmshj2018-hyperprior), means zero", imported=True)
def bmshj_hyperprior_transforms(N: int, M: int) -> tuple[nn.Module, nn.Module, nn.Module, nn.Module]:
    """CompressAI's ``ScaleHyperprior`` as our (g_a, g_s, h_a, h_s): h_a gets |y| through a leading
    :class:`Abs` (its convolutions are h_a.1, h_a.3, h_a.5), and h_s's last convolution has 2M
    outputs, σ then μ, whose μ half starts at zero weights and bias. Behind the final ReLU a zero
    pre-activation has zero gradient, so μ stays exactly 0 in training too: a scale hyperprior."""
    g_a, g_s, _, _ = minnen_transforms(N, M)
    h_a = nn.Sequential(
        Abs(), conv(M, N, stride=1, kernel_size=3), nn.ReLU(inplace=True),
        conv(N, N), nn.ReLU(inplace=True),
        conv(N, N),
    )
    last = conv(N, 2 * M, stride=1, kernel_size=3)
    with torch.no_grad():
        last.weight[M:].zero_()
        last.bias[M:].zero_()
    h_s = nn.Sequential(
        deconv(N, N), nn.ReLU(inplace=True),
        deconv(N, N), nn.ReLU(inplace=True),
        last, nn.ReLU(inplace=True),
    )
    return g_a, g_s, h_a, h_s


@register_architecture("cheng2020-ckbd", "cheng", "checkerboard", "Cheng2020-anchor + checkerboard context")
@register_architecture("cheng2020", "cheng", "raster-scan", "Cheng2020-anchor, serial autoregressive context")
def cheng_transforms(N: int, M: int) -> tuple[nn.Module, nn.Module, nn.Module, nn.Module]:
    g_a = nn.Sequential(
        ResidualBlockWithStride(3, N, stride=2), ResidualBlock(N, N),
        ResidualBlockWithStride(N, N, stride=2), ResidualBlock(N, N),
        ResidualBlockWithStride(N, N, stride=2), ResidualBlock(N, N),
        conv3x3(N, M, stride=2),
    )
    g_s = nn.Sequential(
        ResidualBlock(M, N), ResidualBlockUpsample(N, N, 2),
        ResidualBlock(N, N), ResidualBlockUpsample(N, N, 2),
        ResidualBlock(N, N), ResidualBlockUpsample(N, N, 2),
        ResidualBlock(N, N), subpel_conv3x3(N, 3, 2),
    )
    h_a = nn.Sequential(
        conv3x3(M, N), nn.LeakyReLU(inplace=True),
        conv3x3(N, N), nn.LeakyReLU(inplace=True),
        conv3x3(N, N, stride=2), nn.LeakyReLU(inplace=True),
        conv3x3(N, N), nn.LeakyReLU(inplace=True),
        conv3x3(N, N, stride=2),
    )
    h_s = nn.Sequential(
        conv3x3(N, M), nn.LeakyReLU(inplace=True),
        subpel_conv3x3(M, M, 2), nn.LeakyReLU(inplace=True),
        conv3x3(M, M * 3 // 2), nn.LeakyReLU(inplace=True),
        subpel_conv3x3(M * 3 // 2, M * 3 // 2, 2), nn.LeakyReLU(inplace=True),
        conv3x3(M * 3 // 2, M * 2),
    )
    return g_a, g_s, h_a, h_s



@register_architecture("cheng2020-attn", "cheng-attn", "raster-scan",
                       "Cheng2020 with attention (CompressAI cheng2020-attn), serial autoregressive context",
                       imported=True)
def cheng_attention_transforms(N: int, M: int) -> tuple[nn.Module, nn.Module, nn.Module, nn.Module]:
    """CompressAI's ``Cheng2020Attention`` (its g_a ends with M = N channels): the anchor's h_a / h_s."""
    _, _, h_a, h_s = cheng_transforms(N, M)
    g_a = nn.Sequential(
        ResidualBlockWithStride(3, N, stride=2), ResidualBlock(N, N),
        ResidualBlockWithStride(N, N, stride=2), AttentionBlock(N), ResidualBlock(N, N),
        ResidualBlockWithStride(N, N, stride=2), ResidualBlock(N, N),
        conv3x3(N, M, stride=2), AttentionBlock(M),
    )
    g_s = nn.Sequential(
        AttentionBlock(M), ResidualBlock(M, N), ResidualBlockUpsample(N, N, 2),
        ResidualBlock(N, N), ResidualBlockUpsample(N, N, 2), AttentionBlock(N),
        ResidualBlock(N, N), ResidualBlockUpsample(N, N, 2),
        ResidualBlock(N, N), subpel_conv3x3(N, 3, 2),
    )
    return g_a, g_s, h_a, h_s
