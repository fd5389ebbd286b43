"""Analysis/synthesis transforms of the two backbones, from CompressAI's layers.

- ``minnen``: Minnen, Ballé, Toderici, NeurIPS 2018 (GDN convolutions; CompressAI ``mbt2018``).
- ``cheng``: Cheng et al., CVPR 2020, the anchor model (residual blocks, sub-pixel upsampling).

Each builder returns (g_a, g_s, h_a, h_s); h_s outputs 2M hyper features. Strides: g_a /16,
h_a another /4, so images are padded to multiples of 64. Each builder registers the architectures
built on it (``@register_architecture``: name, backbone, decoding order, description).
"""
from __future__ import annotations

from torch import nn
from ..compressai_parts import (
    GDN,
    ResidualBlock,
    ResidualBlockUpsample,
    ResidualBlockWithStride,
    conv3x3,
    subpel_conv3x3,
)
from .registry import register_architecture

__all__ = ["minnen_transforms", "cheng_transforms"]


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

