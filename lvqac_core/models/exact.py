"""Exact evaluation of the entropy-parameter networks: the same numbers on any thread count or CPU.

A decoder must compute bit-identical μ, σ, A levels and selection probabilities to the encoder's,
or the rANS streams desynchronise. Floating-point convolutions do not promise that: oneDNN and
BLAS split their sums by thread and by SIMD width, so 1 and 2 threads (or AVX2 and AVX-512)
round differently, and a σ near a table boundary or a μ near a rounding edge flips (measured:
kodim15's file changed with the encoder's thread count and did not decode with another one).

Format version 2 therefore evaluates every network between ẑ and the symbols (h_s, the context
convolution, the entropy parameters, LVQAC's A head and the selection head) in integer
arithmetic carried by float64:

- each layer's input is clamped to ±:data:`ACTIVATION_LIMIT` and rounded to the grid
  2^−:data:`FRACTION_BITS`, so it is an integer x_i = round(x·2^F);
- the weights are integers w_i = round(w·2^s) and the bias b_i = round(b·2^(s+F)), with the
  largest shift s ≤ 30 for which |x_i|·Σ|w_i| + |b_i| < 2^52 holds for every output (checked once,
  when the tables are built);
- a float64 convolution of integers whose partial sums stay below 2^53 is exact whatever the
  order of its additions, so its result is the same integer on every machine; multiplying by
  2^−(s+F) is exact too;
- activations (ReLU, LeakyReLU) and pixel shuffles are single IEEE operations or copies, which
  are correctly rounded everywhere.

Because the arithmetic is exact, a network may also run in horizontal bands with a margin wider
than its receptive field and give the same numbers as in one piece; bands bound the memory of
the convolutions' column buffers on large images.

The grids are fine enough that coding loses nothing measurable against the float networks the
model was trained with (tests/test_exact_coding.py compares rates).
"""
from __future__ import annotations

import copy
import math
from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import InputError

__all__ = ["FRACTION_BITS", "ACTIVATION_LIMIT", "ExactNet", "fuse_first_layers", "snap_to_grid", "ExactnessError"]

FRACTION_BITS = 12
"""Activations are rounded to multiples of 2^−12 before each layer."""

ACTIVATION_LIMIT = 2.0 ** 13
"""Activations are clamped to ±8192 before each layer (trained networks stay orders of magnitude below)."""

_EXACT_LIMIT = 2.0 ** 52  # every |partial sum| stays below this: float64 integers are exact below 2^53
_MAX_SHIFT = 30
_BAND_BYTES = 48 << 20  # column buffer per band (float64)


class ExactnessError(InputError, ValueError):
    """A model cannot be evaluated exactly: weights too large for any weight grid to keep the sums
    below 2^52, non-finite weights, or a layer kind the exact path does not know (a checkpoint's
    problem: one clear line, exit 2 in the command line)."""


def snap_to_grid(x: Tensor) -> Tensor:
    """``x`` (float64) clamped to ±:data:`ACTIVATION_LIMIT` and rounded to the 2^−F grid, float64."""
    return _to_grid_integers(x) / float(2 ** FRACTION_BITS)


class _ExactConv:
    """One Conv2d / ConvTranspose2d (masked ones with their mask applied) on integer grids."""

    def __init__(self, layer: nn.Conv2d | nn.ConvTranspose2d):
        if layer.groups != 1 or any(d != 1 for d in layer.dilation) or layer.padding_mode != "zeros":
            raise ExactnessError(f"exact evaluation supports plain convolutions, not {type(layer).__name__} "
                                 f"with groups/dilation/padding mode")
        self.transposed = isinstance(layer, nn.ConvTranspose2d)
        w = layer.weight.detach().to("cpu", torch.float64).clone()
        mask = getattr(layer, "mask", None)
        if isinstance(mask, Tensor):
            w = w * mask.detach().to("cpu", torch.float64)
        b = (layer.bias.detach().to("cpu", torch.float64).clone() if layer.bias is not None
             else torch.zeros(layer.out_channels, dtype=torch.float64))
        if not (torch.isfinite(w).all() and torch.isfinite(b).all()):
            raise ExactnessError("a coding network holds non-finite weights")
        # Σ|w| over everything that can reach one output: transposed weights are (in, out, kh, kw)
        dims = (0, 2, 3) if self.transposed else (1, 2, 3)
        x_max = ACTIVATION_LIMIT * 2 ** FRACTION_BITS

        def grid(shift: int) -> Optional[tuple[Tensor, Tensor]]:
            """The integer weights and bias at ``shift``, or None when a sum could reach 2^52."""
            wi = torch.round(w * 2.0 ** shift)
            bi = torch.round(b * 2.0 ** (shift + FRACTION_BITS))
            ok = x_max * float(wi.abs().sum(dim=dims).max()) + float(bi.abs().max()) < _EXACT_LIMIT
            return (wi, bi) if ok else None

        # The shift is the largest s ≤ 30 whose grid passes. Passing is monotone in s (doubling
        # the grid at least doubles Σ|w_i| less one per tap, far below 2^52 / x_max), so the scan
        # starts at the float estimate instead of at 30; the result is the scan's.
        l1 = float(w.abs().sum(dim=dims).max()) + float(b.abs().max()) / ACTIVATION_LIMIT
        shift = _MAX_SHIFT if l1 == 0 else max(0, min(_MAX_SHIFT, int(math.floor(math.log2(_EXACT_LIMIT / (x_max * l1))))))
        while shift < _MAX_SHIFT and grid(shift + 1) is not None:
            shift += 1
        found = grid(shift)
        while found is None and shift > 0:
            shift -= 1
            found = grid(shift)
        if found is None:
            raise ExactnessError("a coding network's weights are too large to evaluate exactly "
                                 f"(Σ|w| up to {float(w.abs().sum(dim=dims).max()):.3g})")
        self.weight, self.bias = found
        self.shift = shift
        self.unscale: float | Tensor = 2.0 ** -(shift + FRACTION_BITS)  # integers → values (exact)
        self.stride, self.padding = layer.stride, layer.padding
        self.output_padding = getattr(layer, "output_padding", (0, 0))
        k = layer.kernel_size
        self.kernel = k
        # float64 elements held per output position while the layer runs, which size the bands:
        # one image runs tap by tap (stride 1, transposed by phases): a shifted copy of the input,
        # the sums and the result; a strided convolution runs torch's im2col (C·k² per position)
        by_taps = self.transposed or tuple(layer.stride) == (1, 1)
        self.columns = (layer.in_channels + 2 * layer.out_channels if by_taps
                        else layer.in_channels * k[0] * k[1])
        self.scale = layer.stride[0] if self.transposed else 1.0 / layer.stride[0]  # output rows per input row
        self.reach = (k[0] // 2 + 1)  # input rows on either side an output may depend on (conservative)
        # the kernel taps whose weights are not all zero (a masked convolution's others are)
        self._taps = [(ty, tx) for ty in range(k[0]) for tx in range(k[1]) if bool(self.weight[:, :, ty, tx].any())]
        # few outputs (the heads): all taps in one product (_taps_first), when taps × outputs ≤ 2 × inputs
        self.taps_first = bool(self._taps) and len(self._taps) * self.weight.shape[0] <= 2 * self.weight.shape[1]
        self._tap_weight: Optional[Tensor] = None  # for at(): those taps side by side
        self._tap_rows: Optional[Tensor] = None  # for _taps_first(): those taps stacked

    def __call__(self, x: Tensor, padding: Optional[tuple[int, int]] = None) -> Tensor:
        xi = _to_grid_integers(x)
        w, b = self.weight.to(x.device), self.bias.to(x.device)
        pad = self.padding if padding is None else padding
        if x.shape[0] != 1:
            acc = (F.conv_transpose2d(xi, w, b, self.stride, pad, self.output_padding) if self.transposed
                   else F.conv2d(xi, w, b, self.stride, pad))
        elif self.transposed:
            acc = self._transposed_by_phases(xi, w, b)
        elif self.stride == (1, 1):
            acc = self._by_taps(xi, w, b, pad)
        else:
            acc = F.conv2d(xi, w, b, self.stride, pad)
        return acc * (self.unscale if isinstance(self.unscale, float) else self.unscale.to(acc.device))

    def same_geometry(self, other: "_ExactConv") -> bool:
        """Whether ``other`` reads the same input positions: kind, input channels, kernel, stride,
        padding and the taps whose weights are not all zero."""
        return (not self.transposed and not other.transposed and self.weight.shape[1:] == other.weight.shape[1:]
                and (self.stride, self.padding, self._taps) == (other.stride, other.padding, other._taps))

    @staticmethod
    def stacked(convs: Sequence["_ExactConv"]) -> "_ExactConv":
        """One convolution giving ``convs``' outputs side by side (they must share their geometry).
        Each output channel keeps its layer's integer weights, bias and shift, so its exact sums
        (and its value) are the same as when that layer runs alone."""
        fused = copy.copy(convs[0])
        fused.weight = torch.cat([c.weight for c in convs])
        fused.bias = torch.cat([c.bias for c in convs])
        fused.unscale = torch.cat([torch.full((c.weight.shape[0], 1, 1), c.unscale, dtype=torch.float64)
                                   for c in convs])
        fused._tap_weight = fused._tap_rows = None
        fused.taps_first = all(c.taps_first for c in convs)  # the parts' taps-first products side by side
        return fused

    # The float64 im2col convolutions of torch run at a fraction of the GEMM's speed; these run
    # one matrix product per kernel tap on a shifted view (the same exact sums: the order of the
    # additions does not matter for integers below 2^53).
    def _by_taps(self, xi: Tensor, w: Tensor, b: Tensor, pad: tuple[int, int]) -> Tensor:
        """A stride-1 convolution of one image: Σ over taps of W_tap · shifted input."""
        _, c, h, wd = xi.shape
        kh, kw = w.shape[-2:]
        xp = F.pad(xi, (pad[1], pad[1], pad[0], pad[0]))[0]
        oh, ow = xp.shape[1] - kh + 1, xp.shape[2] - kw + 1
        if self.taps_first:
            return self._taps_first(xp, w, b, oh, ow)
        out = b.unsqueeze(1).expand(-1, oh * ow).clone()
        for ky, kx in self._taps:
            out.addmm_(w[:, :, ky, kx], xp[:, ky:ky + oh, kx:kx + ow].reshape(c, -1))
        return out.view(1, -1, oh, ow)

    def _taps_first(self, xp: Tensor, w: Tensor, b: Tensor, oh: int, ow: int) -> Tensor:
        """The same sums for a layer with few output channels: one product of every tap's weights
        with the padded input (no shifted copies of the input), then the taps' planes added at
        their shifts. Each partial sum is a subset of the terms, so it stays below 2^52 too."""
        c, hp, wp = xp.shape
        o = w.shape[0]
        if self._tap_rows is None or self._tap_rows.device != w.device:
            self._tap_rows = torch.cat([w[:, :, ky, kx] for ky, kx in self._taps], dim=0)  # (T·O, C)
        planes = torch.mm(self._tap_rows, xp.reshape(c, -1)).view(len(self._taps), o, hp, wp)
        out = b.view(-1, 1, 1).expand(o, oh, ow).clone()
        for t, (ky, kx) in enumerate(self._taps):
            out += planes[t, :, ky:ky + oh, kx:kx + ow]
        return out.unsqueeze(0)

    def _transposed_by_phases(self, xi: Tensor, w: Tensor, b: Tensor) -> Tensor:
        """A transposed convolution of one image as s×s stride-1 phases: output (o_y, o_x) with
        o = i·s − p + t gets tap t of input i, so each phase φ = (t − p) mod s is a sum of shifted
        copies of the input (shift d = (t − p − φ) / s), one matrix product per tap."""
        _, c, h, wd = xi.shape
        (sy, sx), (py, px), (ky, kx) = self.stride, self.padding, self.kernel
        oh = (h - 1) * sy - 2 * py + ky + self.output_padding[0]
        ow = (wd - 1) * sx - 2 * px + kx + self.output_padding[1]
        taps_y = [(t, (t - py) % sy, (t - py - (t - py) % sy) // sy) for t in range(ky)]
        taps_x = [(t, (t - px) % sx, (t - px - (t - px) % sx) // sx) for t in range(kx)]
        lo = max([0] + [d for _, _, d in taps_y + taps_x])  # rows/cols of zeros before the input
        hi = max([0] + [-d for _, _, d in taps_y + taps_x]) + max(oh // sy, ow // sx) + 1
        xp = F.pad(xi, (lo, hi, lo, hi))[0]
        out = torch.empty(w.shape[1], oh, ow, dtype=xi.dtype, device=xi.device)
        for fy in range(sy):
            mh = len(range(fy, oh, sy))
            for fx in range(sx):
                mw = len(range(fx, ow, sx))
                acc = b.unsqueeze(1).expand(-1, mh * mw).clone()
                for ty, phy, dy in taps_y:
                    if phy != fy:
                        continue
                    for tx, phx, dx in taps_x:
                        if phx != fx or (ty, tx) not in self._taps:
                            continue
                        # out_phase[m] += x[m − d]: rows lo − dy … of the padded input
                        view = xp[:, lo - dy:lo - dy + mh, lo - dx:lo - dx + mw]
                        acc.addmm_(w[:, :, ty, tx].t(), view.reshape(c, -1))
                out[:, fy::sy, fx::sx] = acc.view(-1, mh, mw)
        return out.unsqueeze(0)

    def at(self, x: Tensor, ii: Tensor, jj: Tensor) -> Tensor:
        """The (stride-1) convolution's output at positions (ii, jj) only, (1, O, P, 1): a matrix
        product over the taps whose weights are not all zero (a masked convolution's others are)."""
        if self.transposed or self.stride != (1, 1):
            raise ExactnessError("at() needs a stride-1 convolution")
        if self._tap_weight is None:
            self._tap_weight = torch.cat([self.weight[:, :, ky, kx] for ky, kx in self._taps], dim=1)  # (O, T·C)
        ph, pw = self.padding
        xi = _to_grid_integers(F.pad(x, (pw, pw, ph, ph)))[0]  # padded first: one float64 copy, not two
        c, _, wp = xi.shape
        flat = xi.reshape(c, -1)
        base = ii.to(x.device) * wp + jj.to(x.device)
        weight, bias = self._tap_weight.to(x.device), self.bias.to(x.device).unsqueeze(1)
        unscale = self.unscale if isinstance(self.unscale, float) else self.unscale.view(-1, 1).to(x.device)
        acc = torch.empty(weight.shape[0], len(base), dtype=torch.float64, device=x.device)
        # positions in chunks whose gathered columns (T·C float64 each) fit _BAND_BYTES: at 4096×4096
        # all at once they took 0.6 GB; each output is the same exact sum whatever the chunk
        step = max(1, _BAND_BYTES // (8 * weight.shape[1]))
        for p in range(0, len(base), step):
            b = base[p:p + step]
            cols = torch.cat([flat.index_select(1, b + (ky * wp + kx)) for ky, kx in self._taps], dim=0)  # (T·C, P)
            torch.addmm(bias, weight, cols, out=acc[:, p:p + step])
        return (acc.mul_(unscale)).view(1, -1, len(ii), 1)


def _to_grid_integers(x: Tensor) -> Tensor:
    """round(clamp(x)·2^F) in float64: the integers a layer multiplies."""
    out = x.to(torch.float64, copy=True)  # one copy, then in place (the same IEEE operations)
    return out.clamp_(-ACTIVATION_LIMIT, ACTIVATION_LIMIT).mul_(float(2 ** FRACTION_BITS)).round_()


class _Shuffle:
    """nn.PixelShuffle (a permutation: exact)."""

    def __init__(self, factor: int):
        self.factor = factor

    def __call__(self, x: Tensor) -> Tensor:
        return F.pixel_shuffle(x, self.factor)


def _compile(module: nn.Module) -> list[Callable[[Tensor], Tensor] | _ExactConv]:
    """The layers of ``module`` as exact steps (a flat list, in order)."""
    if isinstance(module, nn.Sequential):
        return [step for child in module for step in _compile(child)]
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        return [_ExactConv(module)]
    if isinstance(module, nn.LeakyReLU):
        slope = float(module.negative_slope)
        return [lambda x: F.leaky_relu(x, slope)]
    if isinstance(module, nn.ReLU):
        return [torch.relu]
    if isinstance(module, nn.PixelShuffle):
        return [_Shuffle(int(module.upscale_factor))]
    if isinstance(module, nn.Identity):
        return []
    raise ExactnessError(f"exact evaluation does not support {type(module).__name__}")


class ExactNet:
    """``module`` (a Sequential of convolutions, transposed convolutions, (Leaky)ReLUs and pixel
    shuffles) evaluated exactly: ``net(x)`` returns float32, the same on every thread count and CPU.

    Inputs are (1, C, H, W) of any float dtype; large ones run in bands of rows (same numbers).
    """

    def __init__(self, module: nn.Module | list):
        self.steps = _compile(module) if isinstance(module, nn.Module) else module
        convs = [s for s in self.steps if isinstance(s, _ExactConv)]
        # Geometry, in rows of the net's input: ``scale`` output rows per input row so far, the
        # receptive half-height (conservative) and the column-buffer elements per input position
        # of the costliest layer (which sizes the bands).
        scale, reach, columns = 1.0, 0.0, 1.0
        for step in self.steps:
            if isinstance(step, _ExactConv):
                reach += step.reach / scale
                columns = max(columns, step.columns * max(scale, scale * step.scale) ** 2)
                scale *= step.scale
            elif isinstance(step, _Shuffle):
                scale *= step.factor
            elif isinstance(step, _Branches):
                reach += max(b.margin - 1 for b in step.nets) / scale
                columns = max([columns] + [b.columns_per_position * scale ** 2 for b in step.nets])
                scale *= step.nets[0].upscale
        self.upscale = int(round(scale))
        self.margin = int(math.ceil(reach)) + 1
        self.columns_per_position = columns
        self.single_conv = convs[0] if len(self.steps) == 1 and convs else None

    def _run(self, x: Tensor) -> Tensor:
        for step in self.steps:
            x = step(x)
        return x

    def __call__(self, x: Tensor) -> Tensor:
        h, w = x.shape[-2:]
        rows = max(1, int(_BAND_BYTES // (8 * self.columns_per_position * max(w, 1))))
        if h <= rows + 2 * self.margin:
            return self._run(x.to(torch.float64)).float()
        up = self.upscale
        out = []
        for a in range(0, h, rows):  # each band made float64 on its own (not the whole input at once)
            b = min(h, a + rows)
            a0, b0 = max(0, a - self.margin), min(h, b + self.margin)
            band = self._run(x[:, :, a0:b0].to(torch.float64))
            out.append(band[:, :, (a - a0) * up:(b - a0) * up].float())
        return torch.cat(out, dim=2)

    def at(self, x: Tensor, ii: Tensor, jj: Tensor) -> Tensor:
        """A single stride-1 convolution's output at positions (ii, jj) only: (1, O, P, 1) float32."""
        if self.single_conv is None:
            raise ExactnessError("at() needs a single convolution")
        return self.single_conv.at(x, ii, jj).float()

    def valid(self, window: Tensor) -> Tensor:
        """A single-convolution net applied without padding (the raster scan's 5×5 window)."""
        if self.single_conv is None:
            raise ExactnessError("valid() needs a single convolution")
        return self.single_conv(window.to(torch.float64), padding=(0, 0)).float()


class _Branches:
    """The rest of several nets after a fused first layer: each net on its slice of the channels,
    their outputs concatenated along the channels."""

    def __init__(self, nets: list[ExactNet], widths: list[int]):
        self.nets = nets
        ends = [sum(widths[:k + 1]) for k in range(len(widths))]
        self.channels = [slice(end - width, end) for end, width in zip(ends, widths)]

    def __call__(self, x: Tensor) -> Tensor:
        return torch.cat([net._run(x[:, channels]) for net, channels in zip(self.nets, self.channels)], dim=1)


def fuse_first_layers(nets: Sequence[ExactNet]) -> Optional[ExactNet]:
    """One net whose output is ``nets``' outputs concatenated along the channels, their first
    convolutions computed as one (:meth:`_ExactConv.stacked`: one product for all their output
    channels; each channel's exact sums, so every value, are the same as alone). None unless every
    net starts with a convolution of the same geometry (the same input positions) and all
    have the same upscale factor."""
    firsts = [net.steps[0] if net.steps else None for net in nets]
    if len(nets) < 2 or not all(isinstance(c, _ExactConv) for c in firsts):
        return None
    if not all(firsts[0].same_geometry(c) for c in firsts[1:]) or len({net.upscale for net in nets}) != 1:
        return None
    rests = [ExactNet(net.steps[1:]) for net in nets]
    return ExactNet([_ExactConv.stacked(firsts), _Branches(rests, [c.weight.shape[0] for c in firsts])])
