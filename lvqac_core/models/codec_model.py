"""The learned codec: a CompressAI backbone with a pluggable quantizer of the latent.

    x ─g_a→ y ─h_a→ z ─Q→ ẑ ─h_s→ hyper ─┬─ (context) ─ entropy_parameters → (σ, μ)
                                          └─ A head (LVQAC) → A ≥ 1 per position
    u = T_A(y − μ) ─Q_Λ→ û ;  ŷ = μ + T_A⁻¹(û) ─g_s→ x̂

Only the rounding of y changes between quantizers; z keeps CompressAI's scalar rounding.
Encoder and decoder run the same ``_code_latents`` pass (so they compute bit-identical
μ, σ, A and tables); the encoder quantizes y, the decoder reads symbols from the rANS stream.
"""
from __future__ import annotations

import hashlib
import math
import zlib
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from ..compressai_parts import EntropyBottleneck, LowerBound

from ..entropy import CellTableBank, SymbolStreamDecoder, encode_symbols
from ..entropy.safe_rans import SafeRansDecoder
from ..errors import Cancelled, CorruptFile, DesyncError
from ..image_io import to_uint8
from ..quantizers import QuantizedLatent, build_quantizer
from ..quantizers.lvq import expand_groups
from ..results import ForwardOutput
from .context import anchor_mask, build_context, entropy_parameters_net
from .registry import ModelConfig
from .synthesis_runner import run_g_s
from .transforms import TRANSFORMS

__all__ = ["LatticeCodecModel", "LatentCode", "LatentMaps", "build_model"]

Progress = Optional[Callable[[float], None]]

# Large images run the analysis/synthesis transforms in horizontal bands of latent rows, each
# computed with MARGIN extra latent rows above and below (more than the transform's receptive
# field: Minnen's convolutions reach 1.9 latent rows, Cheng's residual blocks about 6.5), then
# cropped; results equal the whole-image transform (tests/test_speed_paths.py) while the
# full-resolution intermediate features (N × H/2 × W/2 floats) never exist at once.
BAND_PIXELS = 1 << 21  # image pixels per band, about 2 MP
MARGIN = {"minnen": 2, "cheng": 8}


@dataclass
class LatentMaps:
    selection: Optional[np.ndarray]  # uint8 (G, h, w)
    a_law: Optional[np.ndarray]  # float32 (h, w)
    bits: np.ndarray  # float32 (h, w): latent + selection bits, z bits spread over its 4×4 block


@dataclass
class LatentCode:
    sections: dict[str, bytes]
    latent_hw: tuple[int, int]
    hyper_hw: tuple[int, int]
    symbols_crc32: int
    bits_estimated: float
    x_hat: Optional[Tensor]  # (1, 3, Hp, Wp), what the decoder will reconstruct (None: not asked)
    maps: LatentMaps
    reconstruction: Optional[np.ndarray] = None  # uint8 (H, W, 3) instead of x_hat when out_hw was given


class _CodingState:
    """What one pass over the latent grid accumulates (identical on both sides)."""

    def __init__(self, y_hat: Tensor, selection: Optional[Tensor]):
        self.y_hat = y_hat
        self.selection = selection
        self.symbols: list[np.ndarray] = []
        self.indexes: list[np.ndarray] = []
        self.bits = torch.zeros(y_hat.shape[-2:], dtype=torch.float64)

    def checksum(self) -> int:
        crc = 0
        for s, i in zip(self.symbols, self.indexes):
            crc = zlib.crc32(s.astype("<i4").tobytes(), crc)
            crc = zlib.crc32(i.astype("<i4").tobytes(), crc)
        if self.selection is not None:
            crc = zlib.crc32(self.selection.cpu().numpy().astype(np.uint8).tobytes(), crc)
        return crc


class LatticeCodecModel(nn.Module):
    """Mean-scale hyperprior codec (optionally with a spatial context) and a chosen quantizer."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        N, M = config.N, config.M
        self.g_a, self.g_s, self.h_a, self.h_s = TRANSFORMS[config.spec.backbone](N, M)
        self.entropy_bottleneck = EntropyBottleneck(N)
        self.context = build_context(config.spec.context, M)
        self.entropy_parameters = entropy_parameters_net(config.spec.context, M)
        self.quantizer = build_quantizer(config.quantizer, M, config.effective_group_size, **config.quantizer_options)
        self.a_head = (_AHead(2 * M, self.quantizer.compander, self.quantizer.a_max)  # type: ignore[attr-defined]
                       if self.quantizer.companded else None)
        self.lower_bound_scale = LowerBound(0.11)
        self._bank: Optional[CellTableBank] = None

    # ---------------------------------------------------------------- training --------
    def forward(self, x: Tensor) -> ForwardOutput:
        """Training/evaluation pass. Under autocast (bf16) only the transforms g_a, h_a, h_s, g_s run
        in low precision: the entropy bottleneck, the entropy parameters and context, the A map, the
        quantizer and every likelihood run in fp32 (bf16 CDF differences are too coarse)."""
        y = self.g_a(x)
        z = self.h_a(y)
        with _fp32(x):
            z_hat, z_lik = self.entropy_bottleneck(z.float())
        hyper = self.h_s(z_hat)
        with _fp32(x):
            y, hyper = y.float(), hyper.float()
            a = self._a_map(hyper)
            kind = self.config.spec.context
            if kind == "none":
                mu, sigma = self._split(hyper)
                y_hat, lik = self._relaxed(y, mu, sigma, a)
            elif kind == "checkerboard":
                anchors = anchor_mask(*y.shape[-2:], device=y.device)
                mu_a, sig_a = self._split(self.entropy_parameters(torch.cat([hyper, torch.zeros_like(hyper)], 1)))
                y_hat_a, lik_a = self._relaxed(y, mu_a, sig_a, a)
                # the context sees the anchors as the distortion path quantized them: exact lattice
                # points with a hard training mode, as at inference
                ctx = self.context(y_hat_a * anchors)
                mu_n, sig_n = self._split(self.entropy_parameters(torch.cat([hyper, ctx], 1)))
                y_hat_n, lik_n = self._relaxed(y, mu_n, sig_n, a)
                y_hat = torch.where(anchors, y_hat_a, y_hat_n)
                lik = torch.where(anchors, lik_a, lik_n)
            else:
                y_ctx = y + torch.empty_like(y).uniform_(-0.5, 0.5) if self.training else torch.round(y)
                mu, sigma = self._split(self.entropy_parameters(torch.cat([hyper, self.context(y_ctx)], 1)))
                y_hat, lik = self._relaxed(y, mu, sigma, a)
            b, _, h, w = y.shape
            bits = {
                "y": -torch.log2(lik).sum(),
                "z": -torch.log2(z_lik).sum(),
            }
            if self.quantizer.uses_selection:
                bits["selection"] = torch.tensor(float(b * h * w * self.quantizer.num_groups()), device=x.device)
        x_hat = self.g_s(y_hat)
        return ForwardOutput(x_hat=x_hat, bits=bits)

    def _relaxed(self, y: Tensor, mu: Tensor, sigma: Tensor, a: Optional[Tensor]) -> tuple[Tensor, Tensor]:
        q = self.quantizer
        if self.training:
            r_hat, u_rate = q.train_forward(y - mu, a)
        else:
            qz = q.quantize(y - mu, a)
            r_hat, u_rate = q.dequantize(qz, a), q.lattice_values(qz)
        return mu + r_hat, q.likelihood(u_rate, sigma, a)

    def _split(self, params: Tensor) -> tuple[Tensor, Tensor]:
        scales, means = params.chunk(2, 1)
        return means, self.lower_bound_scale(scales)

    def _a_map(self, hyper: Tensor) -> Optional[Tensor]:
        if self.a_head is None:
            return None
        a = self.a_head(hyper)
        if not self.training:
            a = self.quantizer.snap(a)[1]  # type: ignore[attr-defined]
        elif self.a_head.mode == "exp":  # train on the coder's levels, straight-through to the head
            a = self.quantizer.snap(a.detach())[1] + (a - a.detach())  # type: ignore[attr-defined]
        return a

    def aux_loss(self) -> Tensor:
        return self.entropy_bottleneck.loss()

    # ---------------------------------------------------------------- coding ----------
    def update(self, force: bool = True) -> None:
        """Rebuild the entropy-coding tables (after training or loading weights)."""
        self.entropy_bottleneck.update(force=force)
        self._bank = CellTableBank.build(self.quantizer)

    @property
    def bank(self) -> CellTableBank:
        if self._bank is None:
            raise RuntimeError("entropy-coding tables are not built: call model.update() first")
        return self._bank

    # ---------------------------------------------------------------- transforms ------
    band_pixels: int = BAND_PIXELS

    def _bands(self, lh: int, lw: int) -> list[tuple[int, int]]:
        """Latent row ranges [a, b) of the bands (one band for images up to ~3 MP)."""
        rows = max(8, self.band_pixels // (256 * max(lw, 1)))
        if lh <= rows + rows // 2:
            return [(0, lh)]
        return [(a, min(a + rows, lh)) for a in range(0, lh, rows)]

    def analysis(self, x: Tensor) -> Tensor:
        """g_a(x), band by band for large images (same values as one call)."""
        lh, lw = x.shape[-2] // 16, x.shape[-1] // 16
        bands = self._bands(lh, lw)
        if len(bands) == 1:
            return self.g_a(x)
        m = MARGIN[self.config.spec.backbone]
        y = x.new_empty(x.shape[0], self.config.M, lh, lw)
        for a, b in bands:
            a0, b0 = max(0, a - m), min(lh, b + m)
            y[:, :, a:b] = self.g_a(x[:, :, 16 * a0:16 * b0])[:, :, a - a0:b - a0]
        return y

    def synthesis_bands(self, y_hat: Tensor):
        """Yield (first pixel row, g_s(ŷ) clamped to [0, 1] for that band), top to bottom."""
        lh, lw = y_hat.shape[-2:]
        bands = self._bands(lh, lw)
        if len(bands) == 1:
            yield 0, run_g_s(self.g_s, y_hat).clamp_(0, 1)
            return
        m = MARGIN[self.config.spec.backbone]
        for a, b in bands:
            a0, b0 = max(0, a - m), min(lh, b + m)
            yield 16 * a, run_g_s(self.g_s, y_hat[:, :, a0:b0])[:, :, 16 * (a - a0):16 * (b - a0)].clamp_(0, 1)

    def synthesis(self, y_hat: Tensor, out_hw: Optional[tuple[int, int]] = None):
        """x̂ = g_s(ŷ) clamped: a (1, 3, Hp, Wp) tensor, or with ``out_hw`` = (H, W) the cropped
        uint8 (H, W, 3) image (converted band by band as :func:`~lvqac_core.image_io.to_uint8`)."""
        if out_hw is None:
            return torch.cat([band for _, band in self.synthesis_bands(y_hat)], dim=2)
        height, width = out_hw
        out = np.empty((height, width, 3), dtype=np.uint8)
        for r0, band in self.synthesis_bands(y_hat):
            n = min(band.shape[-2], height - r0)
            if n > 0:
                out[r0:r0 + n] = to_uint8(band, n, width)
        return out

    def compress_tensor(self, x: Tensor, progress: Progress = None, reconstruct: bool = True,
                        out_hw: Optional[tuple[int, int]] = None) -> LatentCode:
        """Code one padded image (1, 3, Hp, Wp) with Hp, Wp multiples of 64.

        ``reconstruct=False`` skips the synthesis transform (``x_hat`` is None); with ``out_hw``
        the reconstruction comes as ``LatentCode.reconstruction`` (uint8, cropped) instead.
        """
        with torch.inference_mode():  # not a decorator: its wrapper would keep x alive
            y = self.analysis(x)
            del x
            z = self.h_a(y)
            z_hw = tuple(z.shape[-2:])
            z_string = self.entropy_bottleneck.compress(z)[0]
            # In eval mode the bottleneck's forward rounds z around its medians exactly as
            # compress/decompress do, so ẑ comes from it without decoding the z string back.
            z_hat, z_lik = self.entropy_bottleneck(z, training=False)
            st, a_val = self._code_latents(z_hat, y=y, progress=progress)
            sections = {"z": z_string, "y": encode_symbols(np.concatenate(st.symbols), np.concatenate(st.indexes), self.bank)}
            if st.selection is not None:
                sections["selection"] = np.packbits(st.selection.cpu().numpy().astype(np.uint8).ravel()).tobytes()
            maps = self._maps(st, a_val, z_lik)
            return LatentCode(
                sections=sections,
                latent_hw=tuple(y.shape[-2:]),
                hyper_hw=z_hw,
                symbols_crc32=st.checksum(),
                bits_estimated=float(maps.bits.astype(np.float64).sum()),
                x_hat=self.synthesis(st.y_hat) if reconstruct and out_hw is None else None,
                maps=maps,
                reconstruction=self.synthesis(st.y_hat, out_hw) if reconstruct and out_hw is not None else None,
            )

    @torch.inference_mode()
    def decompress_tensor(
        self,
        sections: dict[str, bytes],
        latent_hw: tuple[int, int],
        hyper_hw: tuple[int, int],
        symbols_crc32: int,
        progress: Progress = None,
        out_hw: Optional[tuple[int, int]] = None,
    ) -> tuple[Tensor | np.ndarray, LatentMaps]:
        """Decode the sections: x̂ (1, 3, Hp, Wp) in [0, 1], or with ``out_hw`` = (H, W) the cropped
        uint8 image; and the inspection maps."""
        dev = self._device()
        latent_hw, hyper_hw = tuple(latent_hw), tuple(hyper_hw)
        if latent_hw != (4 * hyper_hw[0], 4 * hyper_hw[1]):
            raise CorruptFile(f"corrupt .lvq file: latent grid {latent_hw[0]}x{latent_hw[1]} is not four "
                              f"times the hyper-latent grid {hyper_hw[0]}x{hyper_hw[1]} (padded size not a "
                              f"multiple of 64)")
        z_hat = self._decode_z(sections.get("z", b""), hyper_hw).to(dev)
        selection = None
        if self.quantizer.uses_selection:
            G = self.quantizer.num_groups()
            n = G * latent_hw[0] * latent_hw[1]
            raw = np.frombuffer(sections.get("selection", b""), dtype=np.uint8)
            if raw.size != (n + 7) // 8:
                raise CorruptFile(f"selection section holds {raw.size} bytes, expected {(n + 7) // 8}")
            bits = np.unpackbits(raw)[:n].reshape(1, G, *latent_hw)
            selection = torch.from_numpy(bits.copy()).to(dev)
        decoder = SymbolStreamDecoder(sections.get("y", b""), self.bank)
        st, a_val = self._code_latents(z_hat, decoder=decoder, selection=selection, progress=progress)
        if st.checksum() != symbols_crc32:
            raise DesyncError(
                "decoded symbols do not match the encoder's checksum: the file was written on another "
                "device or with other weights, and decoding it here would give a wrong image"
            )
        _, z_lik = self.entropy_bottleneck(z_hat)  # eval mode: ẑ is already on its grid
        maps = self._maps(st, a_val, z_lik)
        return self.synthesis(st.y_hat, out_hw), maps

    def _decode_z(self, string: bytes, hyper_hw: tuple[int, int]) -> Tensor:
        """``entropy_bottleneck.decompress`` with the bounds-checked decoder (same result)."""
        eb = self.entropy_bottleneck
        channels = eb._quantized_cdf.size(0)
        h, w = hyper_hw
        decoder = SafeRansDecoder(bytes(string), "hyper-latent (z) section")
        indexes = np.repeat(np.arange(channels, dtype=np.int32), h * w).tolist()
        values = decoder.decode(indexes, eb._quantized_cdf.tolist(), eb._cdf_length.reshape(-1).int().tolist(),
                                eb._offset.reshape(-1).int().tolist())
        symbols = torch.tensor(values, dtype=torch.int32).reshape(1, channels, h, w)
        medians = eb._get_medians().detach().reshape(1, channels, 1, 1)
        return symbols.to(medians.device).type_as(medians) + medians

    def _device(self) -> torch.device:
        return next(self.parameters()).device

    def _code_latents(
        self,
        z_hat: Tensor,
        y: Optional[Tensor] = None,
        decoder: Optional[SymbolStreamDecoder] = None,
        selection: Optional[Tensor] = None,
        progress: Progress = None,
    ) -> tuple[_CodingState, Optional[Tensor]]:
        hyper = self.h_s(z_hat)
        M = self.config.M
        h, w = hyper.shape[-2:]
        dev = hyper.device
        a_idx = a_val = None
        if self.a_head is not None:
            a_idx, a_val = self.quantizer.snap(self.a_head(hyper))  # type: ignore[attr-defined]
        if selection is None and self.quantizer.uses_selection:
            selection = torch.zeros(1, self.quantizer.num_groups(), h, w, dtype=torch.uint8, device=dev)
        kind = self.config.spec.context
        pad = 2 if kind == "autoregressive" else 0
        y_hat_pad = torch.zeros(1, M, h + 2 * pad, w + 2 * pad, device=dev)
        st = _CodingState(y_hat_pad[:, :, pad:pad + h, pad:pad + w], selection)
        step = lambda params, ii, jj: self._code_step(st, params, ii, jj, a_idx, a_val, y, decoder)  # noqa: E731
        if kind == "none":
            ii, jj = _positions(torch.ones(h, w, dtype=torch.bool))
            step(hyper, ii, jj)
        elif kind == "checkerboard":
            anchors = anchor_mask(h, w)[0, 0]
            zeros = torch.zeros_like(hyper)
            step(self.entropy_parameters(torch.cat([hyper, zeros], 1)), *_positions(anchors))
            _report(progress, 0.5)
            ctx = self.context(st.y_hat)  # non-anchors are still zero
            step(self.entropy_parameters(torch.cat([hyper, ctx], 1)), *_positions(~anchors))
        else:
            weight = self.context.weight * self.context.mask
            origin = torch.tensor([0])
            for i in range(h):
                for j in range(w):
                    ctx = F.conv2d(y_hat_pad[:, :, i:i + 5, j:j + 5], weight, self.context.bias)
                    params = self.entropy_parameters(torch.cat([hyper[:, :, i:i + 1, j:j + 1], ctx], 1))
                    self._code_step(st, params, origin, origin, a_idx, a_val, y, decoder, at=(i, j))
                _report(progress, (i + 1) / h)
        _report(progress, 1.0)
        return st, a_val

    def _code_step(self, st, params, ii, jj, a_idx, a_val, y, decoder, at=None) -> None:
        """Quantize (encoder) or decode (decoder) the positions (ii, jj) of ``params``' grid.

        ``at`` = (i, j) when ``params`` is a 1×1 patch for latent position (i, j).
        """
        q = self.quantizer
        bank = self.bank
        M = self.config.M
        gi, gj = (torch.tensor([at[0]]), torch.tensor([at[1]])) if at else (ii, jj)
        mu, sigma = self._split(params)
        mu = mu[:, :, ii, jj].unsqueeze(-1)  # (1, M, P, 1)
        sigma = sigma[:, :, ii, jj].unsqueeze(-1)
        a4 = a_val[:, :, gi, gj].unsqueeze(-1) if a_val is not None else None
        a_idx4 = a_idx[:, :, gi, gj].unsqueeze(-1).expand_as(mu) if a_idx is not None else None
        scale_idx = bank.scale_index(sigma)
        if y is not None:
            qz = q.quantize(y[:, :, gi, gj].unsqueeze(-1) - mu, a4)
            if st.selection is not None:
                st.selection[:, :, gi, gj] = qz.selection[..., 0]
            cb = expand_groups(qz.selection, q.group_size) if qz.selection is not None else None
            idx = bank.table_index(scale_idx, a_idx4, cb).cpu().numpy().astype(np.int32).ravel()
            symbols = qz.symbols.cpu().numpy().ravel()
        else:
            sel = st.selection[:, :, gi, gj].unsqueeze(-1) if st.selection is not None else None
            cb = expand_groups(sel, q.group_size) if sel is not None else None
            idx = bank.table_index(scale_idx, a_idx4, cb).cpu().numpy().astype(np.int32).ravel()
            symbols = decoder.decode(idx)
            sym_t = torch.from_numpy(symbols).view(1, M, len(gi), 1).to(mu.device)
            qz = QuantizedLatent(symbols=sym_t, selection=sel)
        st.symbols.append(symbols)
        st.indexes.append(idx)
        y_hat = mu + q.dequantize(qz, a4)
        st.y_hat[:, :, gi, gj] = y_hat[..., 0]
        lik = q.likelihood(q.lattice_values(qz), sigma, a4)
        pos_bits = (-torch.log2(lik)).sum(dim=1)[0, :, 0].double().cpu() + q.num_groups()
        st.bits[gi, gj] += pos_bits

    def _maps(self, st: _CodingState, a_val: Optional[Tensor], z_lik: Optional[Tensor]) -> LatentMaps:
        bits = st.bits.clone()
        if z_lik is not None:  # spread each hyper-latent's bits over the 4×4 latent block it covers
            zb = (-torch.log2(z_lik)).sum(dim=1)[0].double().cpu()
            bits += torch.repeat_interleave(torch.repeat_interleave(zb, 4, 0), 4, 1)[: bits.shape[0], : bits.shape[1]] / 16
        return LatentMaps(
            selection=None if st.selection is None else st.selection[0].cpu().numpy().astype(np.uint8),
            a_law=None if a_val is None else a_val[0, 0].float().cpu().numpy(),
            bits=bits.float().numpy(),
        )

    # ---------------------------------------------------------------- identity --------
    def weights_hash(self) -> bytes:
        """First 8 bytes of the sha256 of the weights (fp32, names sorted); stored in files."""
        h = hashlib.sha256()
        for name, t in sorted(self.state_dict().items()):
            h.update(name.encode())
            h.update(t.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
        return h.digest()[:8]


class _AHead(nn.Module):
    """Predicts the per-position companding parameter A from the hyperprior features.

    ``"alaw"``: A = 1 + softplus(h), initialised at A ≈ 1.02 (A ≥ 1; ∂loss/∂A = 0 at A = 1).
    ``"exp"``: A = exp(ln(a_max)·tanh(h)) ∈ (1/a_max, a_max), initialised at exactly A = 1 (h = 0),
    where ∂A/∂h = ln a_max ≠ 0: both directions are reachable and the identity is not stationary.
    """

    def __init__(self, in_channels: int, mode: str = "alaw", a_max: float = 64.0, hidden: int = 64):
        super().__init__()
        self.mode = mode
        self.log_a_max = math.log(a_max)
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, hidden, 3, padding=1), nn.LeakyReLU(inplace=True),
            nn.Conv2d(hidden, 1, 3, padding=1),
        )
        nn.init.zeros_(self.net[-1].weight)
        # alaw: A ≈ 1.02, training starts as plain LVQ; exp: A = 1 exactly
        nn.init.constant_(self.net[-1].bias, -4.0 if mode == "alaw" else 0.0)

    def forward(self, hyper: Tensor) -> Tensor:
        if self.mode == "alaw":
            return 1.0 + F.softplus(self.net(hyper))
        return torch.exp(self.log_a_max * torch.tanh(self.net(hyper)))


def _fp32(x: Tensor):
    """Autocast off: the enclosed entropy-model code runs in fp32 (a no-op without autocast)."""
    return torch.autocast(device_type=x.device.type, enabled=False)


def _positions(mask: Tensor) -> tuple[Tensor, Tensor]:
    ii, jj = torch.nonzero(mask, as_tuple=True)
    return ii, jj


def _report(progress: Progress, fraction: float) -> None:
    if progress is not None:
        progress(fraction)  # may raise Cancelled


def build_model(config: ModelConfig | None = None, **kwargs) -> LatticeCodecModel:
    """``build_model(ModelConfig(...))`` or ``build_model(architecture=..., quantizer=..., N=, M=)``."""
    if config is None:
        config = ModelConfig(**kwargs)
    return LatticeCodecModel(config)
