"""Inspect one latent position's quantization choice, and ask *what if* it had been another.

    probe = PositionProbe(codec.model, rgb, lmbda)     # g_a, h_a, h_s and one coding pass (cached)
    rep = probe.inspect(row, col)                       # PositionReport: y − μ, σ, both codebooks, A, bits
    wi = probe.what_if(row, col, "flip")                # WhatIf: ΔR (bits), ΔD (dB) of that one change

The probe runs the encoder's own coding pass (the latent codec's ``code_pass`` in the model's
decoding order, with the same exact networks, cell tables and selection coder as ``Codec.compress``)
and records, at every position, μ, σ, A and the estimated bits. A *what if* runs that pass again
with one choice forced at one position:

- ``"flip"``: the other codebook (Z^n ↔ Z^n + ½) for every channel group of the position;
- ``"a1"``: A = 1 (the identity compander, LVQAC only) at the position.

Everything downstream is then what the encoder would do: with a context model (checkerboard,
raster scan) the neighbours that read this position get new (μ, σ) and are re-quantized.
ΔR is the change of the entropy model's estimate (−log2 of the cell likelihoods of every latent
coordinate plus the selection bits' cost, summed over all positions; z does not change), not of
coded bytes. ΔD is the change of PSNR (decoded x̂ against the original image) over the block the
change affects: the 16×16 pixel blocks of every latent position whose ŷ changed, plus the
synthesis transform's reach on each side (:data:`SYNTHESIS_REACH_PX`), clipped to the image.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from . import bitstream, threads
from .entropy.binary import level_logits
from .entropy.tables import scale_levels
from .errors import InputError
from .geometry import LATENT_STRIDE
from .image_tensors import to_tensor
from .metrics import psnr
from .models.codec_model import MARGIN, LatticeCodecModel
from .models.latent_codecs.base import CodingState, CodingStep
from .models.latent_codecs.selection import level_cost_bits
from .models.transform_runner import run_transform
from .quantizers import CompandedLatticeQuantizer, QuantizedLatent
from .quantizers.lvq import codebook_points, expand_groups

__all__ = ["WHAT_IFS", "SYNTHESIS_REACH_PX", "CodebookPoint", "PositionReport", "WhatIf", "PositionProbe"]

WHAT_IFS = ("flip", "a1")
"""The one-position changes :meth:`PositionProbe.what_if` tries: the other codebook, A = 1."""

SYNTHESIS_REACH_PX = {backbone: rows * LATENT_STRIDE for backbone, rows in MARGIN.items()}
"""Pixels beyond a latent position's 16×16 block that its ŷ reaches through g_s (the band margin
of :mod:`.models.codec_model`, in pixels: Minnen 32, Cheng 128, Cheng with attention 192)."""


@dataclass(frozen=True)
class CodebookPoint:
    """The nearest point of one codebook to u (the companded residual) and its distortion."""

    name: str  # "Zⁿ", "Zⁿ + ½" (the scalar quantizer's one grid: "Z")
    u_point: np.ndarray  # (M,) the point in the companded (coding) domain
    r_point: np.ndarray  # (M,) the same point mapped back to y − μ: T⁻¹(point)
    distortion: float  # ||u − point||² in the companded domain, summed over the channels


@dataclass(frozen=True)
class PositionReport:
    """Everything the coder decided at one latent position (see the module docstring)."""

    row: int
    col: int
    quantizer: str
    anchor: Optional[bool]  # checkerboard: coded in the first pass (hyperprior only); else None
    mu: np.ndarray  # (M,) predicted mean μ
    sigma: np.ndarray  # (M,) predicted scale σ
    residual: np.ndarray  # (M,) y − μ
    u: np.ndarray  # (M,) T_A(y − μ): the companded residual (= residual without companding)
    r_hat: np.ndarray  # (M,) ŷ − μ: the coded residual
    codebooks: tuple[CodebookPoint, ...]  # the two codebooks (lattices) or the integer grid (scalar)
    chosen: Optional[tuple[int, ...]]  # codebook of each channel group (lattices), else None
    chosen_probability: Optional[tuple[float, ...]]  # P(chosen codebook) from the selection model (raw: ½)
    selection_coding: Optional[str]  # "raw" (one bit per group) or "rans" (selection head); None: scalar
    a: Optional[float]  # the snapped A (LVQAC), else None
    compander: Optional[str]  # "alaw" / "exp" (LVQAC), else None
    zero_cell_width: Optional[float]  # width in y − μ of the cell around 0 at this A (A = 1: 1; σ-scaled V: channels' median)
    cell_widths: np.ndarray  # (M,) width in y − μ of the cell each channel's ŷ sits in
    channel_bits: np.ndarray  # (M,) −log2 of each coordinate's cell likelihood
    latent_bits: float  # sum of channel_bits
    selection_bits: float  # the selection bits' cost at this position (0 for scalar)
    z_bits: float  # this position's share of z's bits (its hyper-latent's bits / 16)
    group_size: int  # channels per selection group (0: scalar)
    block: tuple[int, int, int, int]  # (x0, y0, x1, y1): the position's 16×16 pixel block, clipped

    @property
    def bits(self) -> float:
        """Latent and selection bits at the position (the app's bits map adds :attr:`z_bits`)."""
        return self.latent_bits + self.selection_bits

    @property
    def what_ifs(self) -> tuple[str, ...]:
        """The what-ifs that apply: ``"flip"`` for lattices, ``"a1"`` for LVQAC."""
        out = ("flip",) if self.chosen is not None else ()
        return out + (("a1",) if self.a is not None else ())


@dataclass(frozen=True)
class WhatIf:
    """One forced choice at one position and what it changes (see the module docstring)."""

    kind: str  # "flip" | "a1"
    row: int
    col: int
    bits_before: float  # the entropy model's estimate over all positions (latents + selection)
    bits_after: float
    block: tuple[int, int, int, int]  # (x0, y0, x1, y1) the pixels ΔD is measured over
    psnr_before: float  # dB over the block, decoded x̂ against the original
    psnr_after: float
    changed_positions: int  # latent positions whose ŷ changed (the position and re-quantized neighbours)
    note: str = ""  # e.g. "A is already 1 here: nothing changes"

    @property
    def delta_bits(self) -> float:
        """ΔR in bits (entropy-model estimate, not coded bytes); negative: the change saves bits."""
        return self.bits_after - self.bits_before

    @property
    def delta_psnr(self) -> float:
        """ΔD as the change of the block's PSNR in dB; negative: the change costs quality."""
        return self.psnr_after - self.psnr_before


@dataclass
class _Pass:
    """What one coding pass leaves: ŷ, μ, σ, A, selection and the bits of each position."""

    y_hat: Tensor  # (1, M, h, w), gained domain
    mu: Tensor
    sigma: Tensor
    bits: Tensor  # float64 (h, w): latents + selection
    selection: Optional[Tensor]  # uint8 (1, G, h, w)
    a_val: Optional[Tensor]  # (1, 1, h, w)


class _Forcing:
    """The quantizer as the coding step sees it, with the codebook flipped at one column."""

    def __init__(self, q):
        self._q = q
        self.flip_column: Optional[int] = None

    def __getattr__(self, name):
        return getattr(self._q, name)

    def quantize(self, r: Tensor, a: Optional[Tensor] = None, sigma_level: Optional[Tensor] = None) -> QuantizedLatent:
        q = self._q
        out = q.quantize(r, a, sigma_level)
        k = self.flip_column
        if k is None or out.selection is None:
            return out
        a_k = None if a is None or a.dim() == 0 else a[:, :, k:k + 1]
        level_k = None if sigma_level is None else sigma_level[:, :, k:k + 1]
        u = q.to_u(r[:, :, k:k + 1], a_k, level_k)
        c0, c1 = codebook_points(u)
        sel = 1 - out.selection[:, :, k:k + 1]
        point = torch.where(expand_groups(sel.bool(), q.group_size), c1, c0)
        offset = expand_groups(sel, q.group_size).to(u.dtype) * 0.5
        out.symbols[:, :, k:k + 1] = torch.round(point - offset).to(torch.int32)
        out.selection[:, :, k:k + 1] = sel
        return out


class _CodecView:
    """What :class:`CodingStep` reads from its latent codec, with the forcing quantizer."""

    def __init__(self, codec, quantizer: _Forcing):
        self.quantizer = quantizer
        self.bank = codec.bank
        self.split = codec.split


class _RecordingStep(CodingStep):
    """The encoder's coding step; records μ, σ of every position and flips one if asked."""

    def __init__(self, *args, mu: Tensor, sigma: Tensor, flip_at: Optional[tuple[int, int]], **kwargs):
        super().__init__(*args, **kwargs)
        self.mu_map, self.sigma_map, self.flip_at = mu, sigma, flip_at

    def __call__(self, params: Tensor, ii: Tensor, jj: Tensor, at=None, gathered: bool = False) -> None:
        gi, gj = (torch.tensor([at[0]]), torch.tensor([at[1]])) if at else (ii, jj)
        mu, sigma = self.codec.split(params)
        if not gathered:
            mu, sigma = mu[:, :, ii, jj].unsqueeze(-1), sigma[:, :, ii, jj].unsqueeze(-1)
        self.mu_map[:, :, gi, gj] = mu[..., 0].to(self.mu_map.dtype)
        self.sigma_map[:, :, gi, gj] = sigma[..., 0].to(self.sigma_map.dtype)
        forcing = self.codec.quantizer
        forcing.flip_column = None
        if self.flip_at is not None:
            hit = ((gi == self.flip_at[0]) & (gj == self.flip_at[1])).nonzero()
            if len(hit):
                forcing.flip_column = int(hit[0, 0])
        try:
            super().__call__(params, ii, jj, at=at, gathered=gathered)
        finally:
            forcing.flip_column = None


class PositionProbe:
    """One image coded by one model, ready to inspect positions (see the module docstring).

    ``image``: uint8 (H, W, 3). ``lmbda``: the rate point of a variable-rate model (None: the
    model's own). Construction costs the analysis transforms and one coding pass; each
    :meth:`what_if` one more coding pass and the synthesis of a small crop.
    """

    def __init__(self, model: LatticeCodecModel, image: np.ndarray, lmbda: Optional[float] = None,
                 exact: Optional[bool] = None):
        self.model = model
        self.image = np.ascontiguousarray(image[:, :, :3])
        self.height, self.width = self.image.shape[:2]
        self.exact = bitstream.exact_coding(bitstream.FORMAT_VERSION) if exact is None else exact
        self.gains = model.gains(None if model.gain is None else lmbda)
        codec = model.latent_codec
        self.quantizer_name = model.config.quantizer
        dev = next(model.parameters()).device
        x = to_tensor(self.image, as_float=False)[0].to(dev)
        with torch.inference_mode():
            with threads.one_thread():  # as Codec.compress: y decides the symbols
                y = model.analysis(x)
                if self.gains is not None:
                    y.mul_(self.gains[0].to(y.device))
                z = model.h_a(y)
            z_hat, z_lik = model.entropy_bottleneck(z, training=False)
            self.hyper = model.hyper_synthesis(z_hat, self.exact)
            self.nets = codec.coding_nets(self.exact)
            self.levels = codec.selection_levels(self.hyper, self.nets)
            self.a_idx = self.a_val = None
            if self.nets.a_levels is not None and codec.companding is not None:
                self.a_idx, self.a_val = self.nets.a_levels(self.hyper)
            self.y = y
            self.z_bits = (-torch.log2(z_lik)).sum(dim=1)[0].double().cpu() / 16.0  # per latent position
            self.base = self._pass()
        self.latent_hw = tuple(y.shape[-2:])
        # positions inside the image (the padded grid's last rows/columns may cover padding only)
        self.rows = -(-self.height // LATENT_STRIDE)
        self.cols = -(-self.width // LATENT_STRIDE)

    # ---------------------------------------------------------------- passes ----------
    @torch.inference_mode()
    def _pass(self, flip_at: Optional[tuple[int, int]] = None,
              a1_at: Optional[tuple[int, int]] = None) -> _Pass:
        """The encoder's coding pass (``LatentCodec._code``) with one choice forced."""
        codec = self.model.latent_codec
        q = codec.quantizer
        h, w = self.hyper.shape[-2:]
        dev = self.hyper.device
        a_idx, a_val = self.a_idx, self.a_val
        if a1_at is not None and a_val is not None:
            assert isinstance(q, CompandedLatticeQuantizer) and a_idx is not None
            one = int(torch.argmin(q.level_values().log().abs()))
            a_idx, a_val = a_idx.clone(), a_val.clone()
            a_idx[0, 0, a1_at[0], a1_at[1]] = one
            a_val[0, 0, a1_at[0], a1_at[1]] = float(q.level_values()[one])
        selection = None
        if q.uses_selection:
            selection = torch.zeros(1, q.num_groups(), h, w, dtype=torch.uint8, device=dev)
        pad = codec.padding
        st = CodingState(torch.zeros(1, q.channels, h + 2 * pad, w + 2 * pad, device=dev), pad, selection,
                         self.levels, True)
        mu = torch.zeros(1, q.channels, h, w, device=dev)
        sigma = torch.zeros_like(mu)
        view = _CodecView(codec, _Forcing(q))
        step = _RecordingStep(view, st, a_idx, a_val, self.y, None, self.nets, mu=mu, sigma=sigma, flip_at=flip_at)
        codec.code_pass(st, self.hyper, step, None)
        if self.levels is not None and st.selection is not None:
            st.bits += level_cost_bits(self.levels, st.selection)
        return _Pass(st.y_hat.clone(), mu, sigma, st.bits, st.selection, a_val)

    def _check(self, row: int, col: int) -> tuple[int, int]:
        row, col = int(row), int(col)
        if not (0 <= row < self.rows and 0 <= col < self.cols):
            raise InputError(f"latent position ({row}, {col}) is outside the image's {self.rows}×{self.cols} grid")
        return row, col

    def _block(self, r0: int, c0: int, r1: int, c1: int, reach: int = 0) -> tuple[int, int, int, int]:
        S = LATENT_STRIDE
        return (max(0, c0 * S - reach), max(0, r0 * S - reach),
                min(self.width, c1 * S + reach), min(self.height, r1 * S + reach))

    # ---------------------------------------------------------------- inspect ---------
    def inspect(self, row: int, col: int) -> PositionReport:
        """The position's vectors, both codebooks, the choice, A and its bits."""
        row, col = self._check(row, col)
        model, base = self.model, self.base
        codec = model.latent_codec
        q = codec.quantizer
        with torch.inference_mode():
            mu = base.mu[:, :, row:row + 1, col:col + 1].double()
            sigma = base.sigma[:, :, row:row + 1, col:col + 1].double()
            y = self.y[:, :, row:row + 1, col:col + 1].double()
            y_hat = base.y_hat[:, :, row:row + 1, col:col + 1].double()
            a = None if base.a_val is None else base.a_val[:, :, row:row + 1, col:col + 1].double()
            domain = q.cell_domain()  # T, T⁻¹ in float64 as the cell tables use them
            r = y - mu
            lv = scale_levels(sigma) if q.needs_sigma_level else None  # σ-scaled companding: V = κ·σ_level
            u = domain.to_u(r, a, lv)
            # the coder's own arithmetic (float32) for the point and its likelihood, as in the bits map
            a32 = None if a is None else a.float()
            lv32 = None if lv is None else lv.float()
            qz = q.quantize(r.float(), a32, lv32)
            lik = q.likelihood(q.lattice_values(qz), sigma.float(), a32, lv32)
            u_hat = q.lattice_values(qz).double()
            channel_bits = (-torch.log2(lik)).double()
            widths = domain.from_u(u_hat + 0.5, a, lv) - domain.from_u(u_hat - 0.5, a, lv)
            if q.uses_selection:
                c0, c1 = codebook_points(u)
                g = q.group_size
                names = ("Zⁿ", "Zⁿ + ½")
                books = tuple(CodebookPoint(n, _vec(c), _vec(domain.from_u(c, a, lv)), float(((u - c) ** 2).sum()))
                              for n, c in zip(names, (c0, c1)))
                chosen = tuple(int(v) for v in base.selection[0, :, row, col])
                if self.levels is not None:
                    logit = torch.from_numpy(level_logits())[self.levels[0, :, row, col].cpu()]
                    p1 = torch.sigmoid(logit).tolist()
                    probs = tuple(p if c else 1.0 - p for p, c in zip(p1, chosen))
                    sel_bits = float(-np.log2(np.array(probs)).sum())
                    coding = "rans"
                else:
                    probs = tuple(0.5 for _ in chosen)
                    sel_bits = float(len(chosen))
                    coding = "raw"
            else:
                c = torch.round(u)
                books = (CodebookPoint("Z", _vec(c), _vec(domain.from_u(c, a, lv)), float(((u - c) ** 2).sum())),)
                chosen = probs = coding = None
                sel_bits, g = 0.0, 0
            zero_cell = None
            if a is not None:
                half = torch.full((), 0.5, dtype=torch.float64)
                if lv is None:
                    zero_cell = float(2 * domain.from_u(half, a.reshape(())))
                else:  # σ-scaled: each channel's zero cell differs; the median of the channels'
                    zero_cell = float((2 * domain.from_u(half.expand_as(lv), a, lv)).median())
            anchor = (row + col) % 2 == 0 if model.config.spec.decoding_order == "checkerboard" else None
            return PositionReport(
                row=row, col=col, quantizer=self.quantizer_name, anchor=anchor,
                mu=_vec(mu), sigma=_vec(sigma), residual=_vec(r), u=_vec(u), r_hat=_vec(y_hat - mu),
                codebooks=books, chosen=chosen, chosen_probability=probs, selection_coding=coding,
                a=None if a is None else float(a.reshape(())), compander=getattr(q, "compander", None),
                zero_cell_width=zero_cell, cell_widths=_vec(widths), channel_bits=_vec(channel_bits),
                latent_bits=float(channel_bits.sum()), selection_bits=sel_bits,
                z_bits=float(self.z_bits[row // 4, col // 4]), group_size=g,
                block=self._block(row, col, row + 1, col + 1),
            )

    # ---------------------------------------------------------------- what if ---------
    def what_if(self, row: int, col: int, kind: str) -> WhatIf:
        """ΔR and ΔD of forcing ``kind`` (:data:`WHAT_IFS`) at (row, col)."""
        row, col = self._check(row, col)
        if kind not in WHAT_IFS:
            raise InputError(f"unknown what-if {kind!r}; expected one of {WHAT_IFS}")
        q = self.model.latent_codec.quantizer
        if kind == "flip" and not q.uses_selection:
            raise InputError("the scalar quantizer has one codebook: there is nothing to flip")
        if kind == "a1" and self.base.a_val is None:
            raise InputError("only LVQAC has a companding parameter A")
        note = ""
        with torch.inference_mode():
            if kind == "a1" and abs(float(self.base.a_val[0, 0, row, col]) - 1.0) < 1e-6:
                note = "A is already 1 here: nothing changes"
            alt = self._pass(flip_at=(row, col)) if kind == "flip" else self._pass(a1_at=(row, col))
            changed = (alt.y_hat != self.base.y_hat).any(dim=1)[0]
            changed[row, col] = True  # the block is the position's even when nothing changed
            ii, jj = torch.nonzero(changed, as_tuple=True)
            r0, r1, c0, c1 = int(ii.min()), int(ii.max()) + 1, int(jj.min()), int(jj.max()) + 1
            reach = SYNTHESIS_REACH_PX.get(self.model.config.spec.backbone, 8 * LATENT_STRIDE)
            block = self._block(r0, c0, r1, c1, reach)
            before = self._decode_block(self.base.y_hat, block)
            after = self._decode_block(alt.y_hat, block)
        x0, y0, x1, y1 = block
        ref = self.image[y0:y1, x0:x1]
        return WhatIf(kind=kind, row=row, col=col, bits_before=float(self.base.bits.sum()),
                      bits_after=float(alt.bits.sum()), block=block, psnr_before=psnr(ref, before),
                      psnr_after=psnr(ref, after), changed_positions=int(changed.sum()), note=note)

    @torch.inference_mode()
    def _decode_block(self, y_hat: Tensor, block: tuple[int, int, int, int]) -> np.ndarray:
        """x̂ (uint8) over the pixel block, from g_s of a crop of ŷ wide enough to be exact there."""
        S = LATENT_STRIDE
        x0, y0, x1, y1 = block
        m = MARGIN.get(self.model.config.spec.backbone, 12)
        h, w = y_hat.shape[-2:]
        lr0, lc0 = max(0, y0 // S - m), max(0, x0 // S - m)
        lr1, lc1 = min(h, -(-y1 // S) + m), min(w, -(-x1 // S) + m)
        crop = y_hat[:, :, lr0:lr1, lc0:lc1]
        if self.gains is not None:
            crop = crop * self.gains[1].to(crop.device)
        x = run_transform(self.model.g_s, crop, channels_last=True).clamp_(0, 1)  # as the synthesis runs it
        x = x[0, :, y0 - S * lr0:y1 - S * lr0, x0 - S * lc0:x1 - S * lc0]
        return x.mul(255.0).round_().to(torch.uint8).permute(1, 2, 0).cpu().numpy()


def _vec(t: Tensor) -> np.ndarray:
    """A (1, M, 1, 1) tensor as a float64 (M,) array."""
    return t.detach().double().reshape(-1).cpu().numpy()
