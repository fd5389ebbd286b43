"""The learned codec: a CompressAI backbone with a pluggable quantizer of the latent.

    x ─g_a→ y ─h_a→ z ─Q→ ẑ ─h_s→ hyper ─┬─ (context) ─ entropy_parameters → (σ, μ)
                                          └─ A head (LVQAC) → A ≥ 1 per position
    u = T_A(y − μ) ─Q_Λ→ û ;  ŷ = μ + T_A⁻¹(û) ─g_s→ x̂

A variable-rate model (``config.lambdas``) scales y by the gain g(λ) right after g_a and ŷ by the
inverse gain g'(λ) right before g_s (:mod:`.gain`); everything in between works on the gained latent.

Only the rounding of y changes between quantizers; z keeps CompressAI's scalar rounding.
The model holds the transforms (g_a, g_s, h_a, h_s), the entropy bottleneck of z and its latent
codec (:mod:`.latent_codecs`: quantizer + cell tables + rANS of y in the architecture's decoding
order). The latent codec's modules stay registered here under their names (checkpoint keys).
"""
from __future__ import annotations

import dataclasses

import hashlib
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from torch import Tensor, nn
from ..compressai_parts import EntropyBottleneck, LowerBound

from .. import allocator, threads
from ..entropy import CellTableBank
from ..entropy.bottleneck import encode_bottleneck
from ..entropy.safe_rans import SafeRansDecoder
from ..errors import CorruptFile, DesyncError, InputError
from ..progress import (ANALYSING, CODING, DECODING_HYPERPRIOR, DECODING_LATENTS, SYNTHESIS, ProgressCallback, report,
                        staged)
from ..image_tensors import to_uint8, to_unit_float
from ..quantizers import build_quantizer
from ..geometry import HYPER_STRIDE, LATENT_STRIDE
from ..lambdas import same_lambda
from ..registry import DECODING_ORDER_REGISTRY
from . import transforms as _transforms  # noqa: F401  (registers the architectures)
from .exact import ExactNet
from .gain import GainUnits
from .latent_codecs import HEAD_HIDDEN, AHead, LatentCodec, LatentCoding, SelectionHead
from .registry import ModelConfig
from . import parallel_bands
from .transform_runner import run_transform

__all__ = ["LatticeCodecModel", "LatentCode", "LatentMaps", "build_model"]

# Large images run the analysis/synthesis transforms in horizontal bands of latent rows, each
# computed with MARGIN extra latent rows above and below (more than the transform's receptive
# field: Minnen's convolutions reach 1.9 latent rows, Cheng's residual blocks about 6.5), then
# cropped; results equal the whole-image transform (tests/test_speed_paths.py) while the
# full-resolution intermediate features (N × H/2 × W/2 floats) never exist at once.
BAND_PIXELS = 1 << 21  # image pixels per band, about 2 MP
MARGIN = {"minnen": 2, "cheng": 8, "cheng-attn": 12}  # attention blocks add about 3.8 latent rows


@dataclass
class ForwardOutput:
    """Training/evaluation forward pass of a model.

    Attributes:
        x_hat: reconstruction, (B, 3, H, W), not clamped.
        bits: estimated bits per part, each a scalar tensor summed over the batch:
            ``"y"`` (latents), ``"z"`` (hyper-latents) and, for lattice quantizers,
            ``"selection"`` (codebook-selection bits). Differentiable in training.
    """

    x_hat: Tensor
    bits: dict[str, Tensor]


@dataclass
class LatentMaps:
    selection: Optional[np.ndarray]  # uint8 (G, h, w)
    a_law: Optional[np.ndarray]  # float32 (h, w)
    bits: Optional[np.ndarray]  # float32 (h, w): latent + selection bits, z bits spread over its 4×4 block (None: not asked for)


@dataclass
class LatentCode:
    sections: dict[str, bytes]
    latent_hw: tuple[int, int]
    hyper_hw: tuple[int, int]
    symbols_crc32: int
    x_hat: Optional[Tensor]  # (1, 3, Hp, Wp), what the decoder will reconstruct (None: not asked)
    maps: LatentMaps
    reconstruction: Optional[np.ndarray] = None  # uint8 (H, W, 3) instead of x_hat when out_hw was given


class LatticeCodecModel(nn.Module):
    """Mean-scale hyperprior codec (optionally with a spatial context) and a chosen quantizer."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        N, M = config.N, config.M
        order = DECODING_ORDER_REGISTRY.get(config.spec.decoding_order)
        self.g_a, self.g_s, self.h_a, self.h_s = config.spec.transforms(N, M)
        self.entropy_bottleneck = EntropyBottleneck(N)
        self.context = order.build_context(M)
        self.entropy_parameters = order.build_entropy_parameters(M)
        options = dict(config.quantizer_options)
        # the latent codec's options, not the quantizer's: how selection bits are coded, the heads' width
        selection_coding = options.pop("selection_coding", "raw")
        head_hidden = options.pop("head_hidden", HEAD_HIDDEN)
        self.quantizer = build_quantizer(config.quantizer, M, config.effective_group_size, **options)
        self.a_head = AHead.for_quantizer(2 * M, self.quantizer, hidden=head_hidden)
        self.lower_bound_scale = LowerBound(0.11)
        self.selection_head = SelectionHead.for_options(2 * M, self.quantizer.num_groups(), selection_coding,
                                                        hidden=head_hidden)
        self.gain = GainUnits(config.lambdas, M, config.lmbda) if config.variable_rate else None
        # a plain object (not a submodule) referring to the modules above: the keys stay theirs
        self.latent_codec: LatentCodec = order(self.quantizer, self.a_head, self.context, self.entropy_parameters,
                                               self.lower_bound_scale, selection_head=self.selection_head)
        self._exact_h_s: Optional[ExactNet] = None
        # training only (set and cleared by the trainer around one step): per-channel weights of
        # y's estimated bits, for the rate warm-up of channels a widened network gained
        self.rate_channel_weights: Optional[Tensor] = None

    # ---------------------------------------------------------------- training --------
    def forward(self, x: Tensor, lmbda: Optional[float] = None) -> ForwardOutput:
        """Training/evaluation pass (at rate point ``lmbda`` for a variable-rate model; default: the
        config's). Under autocast (bf16) only the transforms g_a, h_a, h_s, g_s run in low precision:
        the entropy bottleneck, the entropy parameters and context, the A map, the quantizer and every
        likelihood run in fp32 (bf16 CDF differences are too coarse)."""
        gains = self.gains(lmbda)
        y = self.g_a(x)
        if gains is not None:
            y = y * gains[0].to(y.dtype)
        z = self.h_a(y)
        with _fp32(x):
            z_hat, z_lik = self.entropy_bottleneck(z.float())
        hyper = self.h_s(z_hat)
        with _fp32(x):
            latent = self.latent_codec.forward(y.float(), hyper.float())
            y_bits = -torch.log2(latent.likelihoods)
            if self.rate_channel_weights is not None:
                y_bits = y_bits * self.rate_channel_weights.view(1, -1, 1, 1)
            bits = {
                "y": y_bits.sum(),
                "z": -torch.log2(z_lik).sum(),
            }
            if latent.selection_bits is not None:
                bits["selection"] = latent.selection_bits
            y_hat = latent.y_hat if gains is None else latent.y_hat * gains[1]
        x_hat = self.g_s(y_hat)
        return ForwardOutput(x_hat=x_hat, bits=bits)

    def aux_loss(self) -> Tensor:
        return self.entropy_bottleneck.loss()

    # ---------------------------------------------------------------- rate ------------
    @property
    def lambda_range(self) -> Optional[tuple[float, float]]:
        """The λ range a variable-rate model codes at; None for a single-rate model."""
        return None if self.gain is None else self.gain.lambda_range

    def gains(self, lmbda: Optional[float] = None) -> Optional[tuple[Tensor, Tensor]]:
        """(g, g') at ``lmbda`` (default: the config's λ) for a variable-rate model, else None.

        A single-rate model accepts only its own λ (or None)."""
        if self.gain is None:
            if lmbda is not None and not same_lambda(float(lmbda), self.config.lmbda):
                raise InputError(f"this model codes only at λ = {self.config.lmbda:g} (not a variable-rate network)")
            return None
        return self.gain(self.config.lmbda if lmbda is None else float(lmbda))

    # ---------------------------------------------------------------- coding ----------
    def update(self, force: bool = True) -> None:
        """Rebuild the entropy-coding tables (after training or loading weights)."""
        self.entropy_bottleneck.update(force=force)
        self.latent_codec.update()
        self._exact_h_s = None

    def hyper_synthesis(self, z_hat: Tensor, exact: bool = True) -> Tensor:
        """h_s(ẑ) as coding needs it: exact (format 2, :mod:`.exact`) or the float module (format 1)."""
        if not exact:
            return self.h_s(z_hat)
        if self._exact_h_s is None:
            self._exact_h_s = ExactNet(self.h_s)
        return self._exact_h_s(z_hat)

    @property
    def bank(self) -> CellTableBank:
        """The latent codec's entropy-coding tables (``update()`` builds them)."""
        return self.latent_codec.bank

    # ---------------------------------------------------------------- transforms ------
    band_pixels: int = BAND_PIXELS

    def _bands(self, lh: int, lw: int, workers: int = 1) -> list[tuple[int, int]]:
        """Latent row ranges [a, b) of the bands (one band for images up to ~3 MP), each of
        about ``band_pixels / workers`` pixels (half that above 12 MP): the bands in flight side
        by side hold what one band held alone."""
        budget = self.band_pixels
        if allocator.needs_bounds(lh * lw * LATENT_STRIDE ** 2):  # above 12 MP: half-size bands (4096×4096:
            budget //= 2  # 0.53 GB at g_a's peak instead of 1.1 GB; g_a computes 1.5× its rows, not 1.25×)
        rows = max(8, budget // max(1, workers) // (256 * max(lw, 1)))
        if lh <= rows + rows // 2:
            return [(0, lh)]
        return [(a, min(a + rows, lh)) for a in range(0, lh, rows)]

    def _band_plan(self, lh: int, lw: int, workers: int) -> list[tuple[int, int]]:
        """The bands the transforms run in: :meth:`_bands` (memory), cut further so that
        ``workers`` of them can run side by side (:func:`parallel_bands.split`)."""
        m = MARGIN[self.config.spec.backbone]
        return parallel_bands.split(self._bands(lh, lw, workers), workers, min_rows=max(8, 4 * m))

    def analysis(self, x: Tensor, workers: int = 1) -> Tensor:
        """g_a(x) on one intra-op thread, band by band for large images (same values as one
        call) and with ``workers`` > 1 in bands side by side on that many threads (same values
        again: :mod:`~lvqac_core.models.parallel_bands`). ``x`` is float in [0, 1] or the uint8
        image, which is then converted band by band (the whole float image, 12 bytes per pixel,
        never exists)."""
        S = LATENT_STRIDE
        lh, lw = x.shape[-2] // S, x.shape[-1] // S
        bands = self._band_plan(lh, lw, workers)
        if len(bands) == 1:
            with threads.one_thread():
                return run_transform(self.g_a, to_unit_float(x))
        m = MARGIN[self.config.spec.backbone]
        y = torch.empty(x.shape[0], self.config.M, lh, lw, device=x.device)

        def band(ab: tuple[int, int]) -> None:
            a, b = ab
            a0, b0 = max(0, a - m), min(lh, b + m)
            y[:, :, a:b] = run_transform(self.g_a, to_unit_float(x[:, :, S * a0:S * b0]))[:, :, a - a0:b - a0]

        for _ in parallel_bands.run_in_order(band, bands, workers):
            pass
        return y

    def synthesis_bands(self, y_hat: Tensor, workers: Optional[int] = None):
        """Yield (first pixel row, g_s(ŷ) clamped to [0, 1] for that band), top to bottom.

        Each band on one intra-op thread, as the analysis: oneDNN's transposed convolutions
        round differently on several threads on some CPUs (an AMD EPYC with AVX2 changed decoded
        pixels between 1, 2 and 4 threads; tests/test_thread_invariance.py), and a file's pixels
        must not depend on the thread count. ``workers`` (default: this thread's intra-op count,
        :func:`parallel_bands.workers_for`) bands run side by side, with the same pixels."""
        lh, lw = y_hat.shape[-2:]
        if workers is None:
            workers = parallel_bands.workers_for(y_hat)
        bands = self._band_plan(lh, lw, workers)
        if len(bands) == 1:
            with threads.one_thread():
                x_hat = run_transform(self.g_s, y_hat, channels_last=True)
            yield 0, x_hat.clamp_(0, 1)
            return
        m, S = MARGIN[self.config.spec.backbone], LATENT_STRIDE

        def band(ab: tuple[int, int]) -> tuple[int, Tensor]:
            a, b = ab
            a0, b0 = max(0, a - m), min(lh, b + m)
            out = run_transform(self.g_s, y_hat[:, :, a0:b0], channels_last=True)
            return S * a, out[:, :, S * (a - a0):S * (b - a0)].clamp_(0, 1)

        yield from parallel_bands.run_in_order(band, bands, workers)

    def synthesis(self, y_hat: Tensor, out_hw: Optional[tuple[int, int]] = None):
        """x̂ = g_s(ŷ) clamped: a (1, 3, Hp, Wp) tensor, or with ``out_hw`` = (H, W) the cropped
        uint8 (H, W, 3) image (converted band by band as :func:`~lvqac_core.image_tensors.to_uint8`)."""
        if out_hw is None:
            return torch.cat([band for _, band in self.synthesis_bands(y_hat)], dim=2)
        height, width = out_hw
        out = np.empty((height, width, 3), dtype=np.uint8)
        for r0, band in self.synthesis_bands(y_hat):
            n = min(band.shape[-2], height - r0)
            if n > 0:
                out[r0:r0 + n] = to_uint8(band, n, width)
        return out

    def compress_tensor(self, x: Tensor, progress: ProgressCallback = None, reconstruct: bool = True,
                        out_hw: Optional[tuple[int, int]] = None, lmbda: Optional[float] = None,
                        bits_map: bool = True, exact: bool = True) -> LatentCode:
        """Code one padded image (1, 3, Hp, Wp), float in [0, 1] or uint8, with Hp, Wp multiples of
        64 (at rate point ``lmbda`` for a variable-rate model; the decoder needs the same λ).

        ``reconstruct=False`` skips the synthesis transform (``x_hat`` is None); with ``out_hw``
        the reconstruction comes as ``LatentCode.reconstruction`` (uint8, cropped) instead.
        ``bits_map=False`` skips the estimated-bits map (the file is the same): ``maps.bits`` is
        None (its sum is the estimate: :func:`lvqac_core.api.estimated_bits`).
        ``exact=False`` evaluates the coding networks in float as format 1 did (tests only: the
        decoder of such a file must run on the same thread count and CPU).
        """
        large = allocator.needs_bounds(x.shape[-2] * x.shape[-1])
        report(progress, 0.0, ANALYSING)
        threads.recheck()  # at each stage the automatic thread count follows the load (lvqac_core.threads)
        with torch.inference_mode():  # not a decorator: its wrapper would keep x alive
            gains = self.gains(lmbda)
            # one intra-op thread per band: oneDNN rounds differently on several, and y decides
            # the file's symbols; bands side by side give the same y (parallel_bands)
            y = self.analysis(x, parallel_bands.workers_for(x))
            del x
            with threads.one_thread():
                if gains is not None:
                    y.mul_(gains[0].to(y.device))
                z = self.h_a(y)
            z_hw = tuple(z.shape[-2:])
            with threads.small_work():
                z_string = encode_bottleneck(self.entropy_bottleneck, z)  # eb.compress(z)[0], range-checked
                # In eval mode the bottleneck's forward rounds z around its medians exactly as
                # compress/decompress do, so ẑ comes from it without decoding the z string back.
                z_hat, z_lik = self.entropy_bottleneck(z, training=False)
                lat = self.latent_codec.compress(y, self.hyper_synthesis(z_hat, exact),
                                                 progress=staged(progress, CODING), bits_map=bits_map, exact=exact)
                maps = self._maps(lat, z_lik if bits_map else None)
            y_hat = lat.y_hat if gains is None else lat.y_hat * gains[1].to(lat.y_hat.device)
            x_hat = reconstruction = None
            if reconstruct:
                report(progress, 1.0, SYNTHESIS)
                threads.recheck()
                with allocator.bounded(large):  # as the decoder runs it (allocator.bounded)
                    if out_hw is None:
                        x_hat = self.synthesis(y_hat)
                    else:
                        reconstruction = self.synthesis(y_hat, out_hw)
            return LatentCode(
                sections={"z": z_string, **lat.sections},
                latent_hw=tuple(y.shape[-2:]),
                hyper_hw=z_hw,
                symbols_crc32=lat.checksum,
                x_hat=x_hat,
                maps=maps,
                reconstruction=reconstruction,
            )

    def decompress_tensor(self, sections: dict[str, bytes], latent_hw: tuple[int, int], *args,
                          **kwargs) -> tuple[Tensor | np.ndarray, LatentMaps]:
        """See :meth:`_decompress_tensor` (large images run with :func:`~lvqac_core.allocator.bounded`)."""
        with allocator.bounded(allocator.needs_bounds(latent_hw[0] * latent_hw[1] * LATENT_STRIDE ** 2)):
            return self._decompress_tensor(sections, latent_hw, *args, **kwargs)

    @torch.inference_mode()
    def _decompress_tensor(
        self,
        sections: dict[str, bytes],
        latent_hw: tuple[int, int],
        hyper_hw: tuple[int, int],
        symbols_crc32: int,
        progress: ProgressCallback = None,
        out_hw: Optional[tuple[int, int]] = None,
        lmbda: Optional[float] = None,
        bits_map: bool = True,
        exact: bool = True,
    ) -> tuple[Tensor | np.ndarray, LatentMaps]:
        """Decode the sections: x̂ (1, 3, Hp, Wp) in [0, 1], or with ``out_hw`` = (H, W) the cropped
        uint8 image; and the inspection maps. ``lmbda``: the file's λ (variable-rate models).
        ``bits_map=False`` skips the estimated-bits map (the likelihoods of y and z, which decoding
        does not need): the image is the same, ``maps.bits`` is None. ``exact``: the file's coding
        networks were evaluated exactly (format 2) or in float (format 1)."""
        dev = self._device()
        gains = self.gains(lmbda)
        latent_hw, hyper_hw = tuple(latent_hw), tuple(hyper_hw)
        if latent_hw != (4 * hyper_hw[0], 4 * hyper_hw[1]):
            raise CorruptFile(f"corrupt .lvq file: latent grid {latent_hw[0]}x{latent_hw[1]} is not four "
                              f"times the hyper-latent grid {hyper_hw[0]}x{hyper_hw[1]} (padded size not a "
                              f"multiple of {HYPER_STRIDE})")
        report(progress, 0.0, DECODING_HYPERPRIOR)
        threads.recheck()
        with threads.small_work():
            z_hat = self._decode_z(sections.get("z", b""), hyper_hw).to(dev)
            lat = self.latent_codec.decompress(sections, self.hyper_synthesis(z_hat, exact),
                                               progress=staged(progress, DECODING_LATENTS), bits_map=bits_map,
                                               exact=exact)
            if lat.checksum != symbols_crc32:
                raise DesyncError(
                    "decoded symbols do not match the encoder's checksum: the file was written on another "
                    "device or with other weights, and decoding it here would give a wrong image"
                )
            z_lik = self.entropy_bottleneck(z_hat)[1] if bits_map else None  # eval mode: ẑ is already on its grid
            maps = self._maps(lat, z_lik)
        y_hat = lat.y_hat if gains is None else lat.y_hat * gains[1].to(dev)
        report(progress, 1.0, SYNTHESIS)
        threads.recheck()
        return self.synthesis(y_hat, out_hw), maps

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

    def _maps(self, lat: LatentCoding, z_lik: Optional[Tensor]) -> LatentMaps:
        bits = None if lat.bits is None else lat.bits.clone()
        if z_lik is not None and bits is not None:  # spread each hyper-latent's bits over the 4×4 latent block it covers
            zb = (-torch.log2(z_lik)).sum(dim=1)[0].double().cpu()
            bits += torch.repeat_interleave(torch.repeat_interleave(zb, 4, 0), 4, 1)[: bits.shape[0], : bits.shape[1]] / 16
        return LatentMaps(
            selection=None if lat.selection is None else lat.selection[0].cpu().numpy().astype(np.uint8),
            a_law=None if lat.a is None else lat.a[0, 0].float().cpu().numpy(),
            bits=None if bits is None else bits.float().numpy(),
        )

    # ---------------------------------------------------------------- identity --------
    def weights_hash(self) -> bytes:
        """First 8 bytes of the sha256 of the weights (fp32, names sorted); stored in files."""
        h = hashlib.sha256()
        for name, t in sorted(self.state_dict().items()):
            h.update(name.encode())
            h.update(t.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
        return h.digest()[:8]


def _fp32(x: Tensor):
    """Autocast off: the enclosed entropy-model code runs in fp32 (a no-op without autocast)."""
    return torch.autocast(device_type=x.device.type, enabled=False)


def build_model(config: ModelConfig | None = None, **kwargs) -> LatticeCodecModel:
    """``build_model(ModelConfig(...))`` or ``build_model(architecture=..., quantizer=..., N=, M=)``."""
    if config is None:
        config = ModelConfig(**kwargs)
    return LatticeCodecModel(config)


DERIVED_TABLES = ("_offset", "_quantized_cdf", "_cdf_length")  # CompressAI's tables, rebuilt by update()


def with_quantizer_options(model: LatticeCodecModel, **options) -> LatticeCodecModel:
    """A new model of ``model``'s configuration with ``options`` changed in its quantizer options
    (None removes one) and ``model``'s weights, in eval mode with its coding tables rebuilt: the
    same network coded another way (e.g. ``a_side="below"``, or without an option to compare)."""
    opts = {**model.config.quantizer_options, **options}
    cfg = dataclasses.replace(model.config, quantizer_options={k: v for k, v in opts.items() if v is not None})
    other = build_model(cfg)
    state = {k: v for k, v in model.state_dict().items() if not k.endswith(DERIVED_TABLES)}
    result = other.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith(DERIVED_TABLES)]
    if missing or result.unexpected_keys:
        raise ValueError(f"options {options} change the network's weights: missing {missing[:3]}, "
                         f"unexpected {result.unexpected_keys[:3]}")
    other.eval()
    other.update()
    return other
