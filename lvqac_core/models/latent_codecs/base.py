"""The latent codec interface: the quantizer, its cell tables and the rANS coding of y.

Shaped like CompressAI's ``compressai.latent_codecs.LatentCodec``: ``forward(y, hyper)`` for
training (ŷ and likelihoods), ``compress(y, hyper)`` → sections and maps, ``decompress(sections,
hyper)`` ← sections. ``hyper`` is h_s(ẑ) (2M channels), the side parameters. A subclass is one
decoding order (parallel, checkerboard, raster scan) and registers itself in
``DECODING_ORDER_REGISTRY``; it builds the context modules its order needs.

The modules (quantizer, A head, context, entropy parameters, scale bound) stay registered on the
model under their names, so the checkpoint keys do not depend on this split: a latent codec is a
plain object holding references to them (docs/latent_codecs.md).

Encoder and decoder run the same pass (so they compute bit-identical μ, σ, A and tables); the
encoder quantizes y, the decoder reads symbols from the rANS stream.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Callable, ClassVar, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...entropy import CellTableBank, SymbolStreamDecoder, encode_symbols
from ...entropy.tables import scale_levels
from ...entropy.binary import decode_bits, encode_bits, level_index, selection_bits
from ...errors import CorruptFile
from ...progress import ProgressCallback, report
from ...quantizers import CompandedLatticeQuantizer, QuantizedLatent, Quantizer
from ...quantizers.lvq import closest_point, expand_groups
from ..exact import ExactNet, fuse_first_layers, snap_to_grid
from .selection import HEAD_HIDDEN, SelectionHead, level_cost_bits, selection_levels

__all__ = ["LatentCodec", "LatentForward", "LatentCoding", "CodingNets", "CodingState", "CodingStep", "AHead",
           "gather", "positions", "report"]



@dataclass
class LatentForward:
    """Training/evaluation pass of a latent codec (CompressAI: ``{"y_hat", "likelihoods"}``)."""

    y_hat: Tensor
    likelihoods: Tensor  # per coordinate of y
    selection_bits: Optional[Tensor]  # lattices: one bit per channel group and position, or with a
    # selection head the ideal code length of the hard selection under its predicted probability


@dataclass
class LatentCoding:
    """What coding or decoding the latent gives (the same on both sides)."""

    sections: dict[str, bytes]  # "y" and, for lattices, "selection" (packed bits, or rANS with a selection head)
    y_hat: Tensor  # (1, M, h, w)
    checksum: int  # CRC-32 of the symbols, table indexes and selection (stored in the file)
    bits: Optional[Tensor]  # float64 (h, w): estimated bits of y and the selection at each position (None: not asked for)
    selection: Optional[Tensor]  # uint8 (1, G, h, w)
    a: Optional[Tensor]  # (1, 1, h, w): the snapped A of LVQAC


@dataclass
class CodingNets:
    """The networks a coding pass evaluates, as encoder and decoder must both compute them.

    Two sets: ``exact`` (format version 2, :mod:`..exact`: integer arithmetic, the same numbers on
    every thread count and CPU) and ``float`` (format version 1 files: the modules themselves).
    """

    entropy_parameters: Callable[[Tensor], Tensor]
    context: Optional[Callable[[Tensor], Tensor]]  # the context convolution over the whole grid
    context_window: Optional[Callable[[Tensor], Tensor]]  # one 5×5 window → 1×1 (raster scan)
    a_levels: Optional[Callable[[Tensor], tuple[Tensor, Tensor]]]  # hyper → (A level index, A value)
    selection_logits: Optional[Callable[[Tensor], Tensor]]  # hyper → logit of P(codebook 1)
    reconstruct: Callable[[Tensor, Tensor], Tensor]  # (μ, r̂) → ŷ
    # Exact arithmetic gives the same numbers for any shape of work, so with exact nets a pass may
    # evaluate the networks at the positions it codes only (float ones must run as format 1 did).
    exact: bool = False
    # exact only: the context convolution at some positions, (ŷ, ii, jj) → (1, 2M, P, 1)
    context_at: Optional[Callable[[Tensor, Tensor, Tensor], Tensor]] = None
    # exact only, where the A head and the selection head share their first layer's geometry:
    # hyper → ((A level index, A value), selection logits) with the two first layers in one product
    heads: Optional[Callable[[Tensor], tuple[tuple[Tensor, Tensor], Tensor]]] = None


class CodingState:
    """What one pass over the latent grid accumulates (identical on both sides)."""

    def __init__(self, y_hat_padded: Tensor, pad: int, selection: Optional[Tensor],
                 selection_levels: Optional[Tensor] = None, bits_map: bool = True):
        h, w = y_hat_padded.shape[-2] - 2 * pad, y_hat_padded.shape[-1] - 2 * pad
        self.y_hat_padded = y_hat_padded
        self.y_hat = y_hat_padded[:, :, pad:pad + h, pad:pad + w]
        self.selection = selection
        self.selection_levels = selection_levels  # rANS-coded selection: the level of each bit
        self.symbols: list[np.ndarray] = []
        self.indexes: list[np.ndarray] = []
        # the bits map (estimated bits per position); None when not asked for (decode without maps)
        self.bits = torch.zeros(self.y_hat.shape[-2:], dtype=torch.float64) if bits_map else None

    def checksum(self) -> int:
        crc = 0
        for s, i in zip(self.symbols, self.indexes):
            crc = zlib.crc32(s.astype("<i4").tobytes(), crc)
            crc = zlib.crc32(i.astype("<i4").tobytes(), crc)
        if self.selection is not None:
            crc = zlib.crc32(self.selection.cpu().numpy().astype(np.uint8).tobytes(), crc)
        return crc


CHUNK_ELEMENTS = 1 << 20
"""Latent elements (positions × M) a chunked coding pass handles at a time (:meth:`CodingStep.chunked`)."""


class CodingStep:
    """Quantize (encoder, ``y`` given) or decode (``decoder`` given) a set of positions."""

    def __init__(self, codec: "LatentCodec", st: CodingState, a_idx: Optional[Tensor], a_val: Optional[Tensor],
                 y: Optional[Tensor], decoder: Optional[SymbolStreamDecoder], nets: CodingNets):
        self.codec, self.st, self.a_idx, self.a_val, self.y, self.decoder = codec, st, a_idx, a_val, y, decoder
        self.nets = nets

    def __call__(self, params: Tensor, ii: Tensor, jj: Tensor, at: Optional[tuple[int, int]] = None,
                 gathered: bool = False) -> None:
        """Code the positions (ii, jj) of ``params``' grid; ``at`` = (i, j) when ``params`` is a 1×1
        patch for latent position (i, j); ``gathered``: ``params`` is (1, 2M, P, 1), the
        parameters of positions (ii, jj) in order."""
        gi, gj = (torch.tensor([at[0]]), torch.tensor([at[1]])) if at else (ii, jj)
        mu, sigma = self.codec.split(params)
        if not gathered:
            mu = mu[:, :, ii, jj].unsqueeze(-1)  # (1, M, P, 1)
            sigma = sigma[:, :, ii, jj].unsqueeze(-1)
        if self.y is not None:
            symbols, idx = self._encode(mu, sigma, gi, gj)
        else:
            assert self.decoder is not None
            idx = self._table_indexes(sigma, gi, gj)
            symbols = self.decoder.decode(idx)
            self._reconstruct(symbols, mu, sigma, gi, gj)
        self.st.symbols.append(symbols)
        self.st.indexes.append(idx)

    def chunked(self, params_at: Callable[[Tensor, Tensor], Tensor], ii: Tensor, jj: Tensor) -> None:
        """As ``self(params_at(ii, jj), ii, jj, gathered=True)``, with the same symbols in the same
        order, but with at most :data:`CHUNK_ELEMENTS` latent elements of work in flight (a
        4096×4096 image's pass is 6.3 M): ``params_at`` gives the gathered parameters of some
        positions, and it must give each position the same values whatever the chunk (exact nets).

        The stream holds a call's symbols channel by channel, so the chunks' symbols and table
        indexes are written into one (M, P) array each. A decoder needs every table index of the
        pass before its first symbol: it computes the parameters chunk by chunk (keeping μ and
        σ, 8 bytes per element), decodes the pass, then reconstructs chunk by chunk."""
        M = self.codec.quantizer.channels
        step = max(1, CHUNK_ELEMENTS // M)
        P = len(ii)
        if P <= step:
            return self(params_at(ii, jj), ii, jj, gathered=True)
        chunks = [slice(a, min(P, a + step)) for a in range(0, P, step)]
        idx = np.empty((M, P), dtype=np.int32)
        if self.y is not None:
            symbols = np.empty((M, P), dtype=np.int32)
            for c in chunks:
                mu, sigma = self.codec.split(params_at(ii[c], jj[c]))
                sym_c, idx_c = self._encode(mu, sigma, ii[c], jj[c])
                symbols[:, c], idx[:, c] = sym_c.reshape(M, -1), idx_c.reshape(M, -1)
            symbols = symbols.ravel()
        else:
            assert self.decoder is not None
            mus, sigmas = [], []
            for c in chunks:
                mu, sigma = self.codec.split(params_at(ii[c], jj[c]))
                idx[:, c] = self._table_indexes(sigma, ii[c], jj[c]).reshape(M, -1)
                mus.append(mu)
                sigmas.append(sigma)
            symbols = self.decoder.decode(idx.ravel()).reshape(M, P)
            for c, mu, sigma in zip(chunks, mus, sigmas):
                self._reconstruct(np.ascontiguousarray(symbols[:, c]).ravel(), mu, sigma, ii[c], jj[c])
            symbols = symbols.ravel()
        self.st.symbols.append(symbols)
        self.st.indexes.append(idx.ravel())

    # ------------------------------------------------------------------ pieces ---------
    def _a(self, gi: Tensor, gj: Tensor, like: Tensor) -> tuple[Optional[Tensor], Optional[Tensor]]:
        """(A value (1, 1, P, 1), A level index expanded like ``like``) at the positions, or Nones."""
        a4 = self.a_val[:, :, gi, gj].unsqueeze(-1) if self.a_val is not None else None
        a_idx4 = self.a_idx[:, :, gi, gj].unsqueeze(-1).expand_as(like) if self.a_idx is not None else None
        return a4, a_idx4

    def _levels(self, scale_idx: Tensor, sigma: Tensor) -> tuple[Optional[Tensor], Optional[Tensor]]:
        """A σ-scaled compander's table level per element (float64, and in σ's dtype), or Nones."""
        q, bank = self.codec.quantizer, self.codec.bank
        level = bank.scale_values(scale_idx) if q.needs_sigma_level else None
        return level, None if level is None else level.to(sigma.dtype)

    def _table_indexes(self, sigma: Tensor, gi: Tensor, gj: Tensor) -> np.ndarray:
        """The decoder's table index of each element (int32, channel by channel), from σ, A and the
        selection already decoded."""
        q, bank, st = self.codec.quantizer, self.codec.bank, self.st
        _, a_idx4 = self._a(gi, gj, sigma)
        sel = st.selection[:, :, gi, gj].unsqueeze(-1) if st.selection is not None else None
        cb = expand_groups(sel, q.group_size) if sel is not None else None
        return bank.table_index(bank.scale_index(sigma), a_idx4, cb).cpu().numpy().astype(np.int32).ravel()

    def _encode(self, mu: Tensor, sigma: Tensor, gi: Tensor, gj: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Quantize y at the positions: (symbols, table indexes), each channel by channel; ŷ, the
        selection and the bits map updated."""
        q, bank, st = self.codec.quantizer, self.codec.bank, self.st
        assert self.y is not None
        a4, a_idx4 = self._a(gi, gj, mu)
        scale_idx = bank.scale_index(sigma)
        # a σ-scaled compander reads each element's table level (float64: T⁻¹ runs in float64 below)
        level, level_q = self._levels(scale_idx, sigma)
        qz = q.quantize(self.y[:, :, gi, gj].unsqueeze(-1) - mu, a4, level_q)
        if st.selection is not None:
            st.selection[:, :, gi, gj] = qz.selection[..., 0]
        cb = expand_groups(qz.selection, q.group_size) if qz.selection is not None else None
        idx = bank.table_index(scale_idx, a_idx4, cb).cpu().numpy().astype(np.int32).ravel()
        symbols = qz.symbols.cpu().numpy().ravel()
        self._finish(qz, mu, sigma, a4, level, level_q, gi, gj)
        return symbols, idx

    def _reconstruct(self, symbols: np.ndarray, mu: Tensor, sigma: Tensor, gi: Tensor, gj: Tensor) -> None:
        """The decoder's ŷ (and bits map) at the positions from their decoded symbols."""
        q, st = self.codec.quantizer, self.st
        a4, _ = self._a(gi, gj, mu)
        level, level_q = self._levels(self.codec.bank.scale_index(sigma), sigma) if q.needs_sigma_level else (None, None)
        sel = st.selection[:, :, gi, gj].unsqueeze(-1) if st.selection is not None else None
        sym_t = torch.from_numpy(symbols).view(1, q.channels, len(gi), 1).to(mu.device)
        self._finish(QuantizedLatent(symbols=sym_t, selection=sel), mu, sigma, a4, level, level_q, gi, gj)

    def _finish(self, qz: QuantizedLatent, mu: Tensor, sigma: Tensor, a4: Optional[Tensor],
                level: Optional[Tensor], level_q: Optional[Tensor], gi: Tensor, gj: Tensor) -> None:
        """ŷ = μ + T⁻¹(lattice point) into the state, and the positions' estimated bits."""
        q, st = self.codec.quantizer, self.st
        if self.nets.exact:  # T⁻¹ in float64, then ŷ on the exact nets' grid
            r_hat = q.from_u(q.lattice_values(qz).double(), None if a4 is None else a4.double(), level)
        else:
            r_hat = q.dequantize(qz, a4, level_q)
        y_hat = self.nets.reconstruct(mu, r_hat)
        st.y_hat[:, :, gi, gj] = y_hat[..., 0]
        if st.bits is None:
            return
        lik = q.likelihood(q.lattice_values(qz), sigma, a4, level_q)
        # each position's M terms summed as one contiguous row: the same sum whatever the number
        # of positions in the call (a sum over dim 1 of (1, M, P, 1) rounds differently with P)
        pos_bits = (-torch.log2(lik))[0, :, :, 0].t().contiguous().sum(dim=1).double().cpu()
        if st.selection_levels is None:  # raw selection: one bit per group (rANS-coded: see LatentCodec._code)
            pos_bits = pos_bits + q.num_groups()
        st.bits[gi, gj] += pos_bits


class LatentCodec:
    """One decoding order of the latent y given the hyperprior features (see the module docstring).

    Subclasses implement :meth:`forward_params` (the training pass: μ, σ per position in this
    order) and :meth:`code_pass` (the coding pass: which positions are coded with which
    parameters, in which order), and may build a context model (:meth:`build_context`,
    :meth:`build_entropy_parameters`).
    """

    #: zero border the order's context reads around ŷ while coding (the raster scan's 5×5 window: 2)
    padding: ClassVar[int] = 0

    def __init__(self, quantizer: Quantizer, a_head: Optional["AHead"], context: Optional[nn.Module],
                 entropy_parameters: nn.Module, lower_bound_scale: nn.Module,
                 selection_head: Optional[SelectionHead] = None):
        self.quantizer = quantizer
        self.a_head = a_head
        self.selection_head = selection_head  # None: the selection bits are stored raw
        self.context = context
        self.entropy_parameters = entropy_parameters
        self.lower_bound_scale = lower_bound_scale
        self._bank: Optional[CellTableBank] = None
        self._exact: Optional[CodingNets] = None

    # ---------------------------------------------------------------- modules ---------
    @classmethod
    def build_context(cls, M: int) -> Optional[nn.Module]:
        """The spatial context model this order needs (None: the hyperprior alone)."""
        return None

    @classmethod
    def build_entropy_parameters(cls, M: int) -> nn.Module:
        """Maps the hyper (and context) features to (σ, μ), 2M channels."""
        return nn.Identity()

    @property
    def training(self) -> bool:
        """Training mode follows the modules' (``model.train()`` / ``model.eval()``)."""
        return self.quantizer.training

    @property
    def companding(self) -> Optional[CompandedLatticeQuantizer]:
        q = self.quantizer
        return q if isinstance(q, CompandedLatticeQuantizer) else None

    # ---------------------------------------------------------------- tables ----------
    def update(self) -> None:
        """Rebuild the entropy-coding tables from the quantizer's parameters (and forget the exact
        networks, which are rebuilt from the weights on first use)."""
        self._bank = CellTableBank.build(self.quantizer)
        self._exact = None

    def coding_nets(self, exact: bool = True) -> CodingNets:
        """The networks of a coding pass: exact (format 2) or the float modules (format 1)."""
        if not exact:
            return CodingNets(
                entropy_parameters=self.entropy_parameters,
                context=self.context,
                context_window=self._float_context_window if self.context is not None else None,
                a_levels=self._float_a_levels if self.a_head is not None and self.companding is not None else None,
                selection_logits=(lambda hyper: self.selection_head(hyper.float())) if self.selection_head is not None
                else None,
                reconstruct=_float_reconstruct,
            )
        if self._exact is None:
            context = ExactNet(self.context) if self.context is not None else None
            a_levels = None
            if self.a_head is not None and self.companding is not None:
                a_levels = _ExactALevels(self.a_head, self.companding)
            selection_logits = ExactNet(self.selection_head.net) if self.selection_head is not None else None
            heads = None
            if a_levels is not None and selection_logits is not None and self.quantizer.uses_selection:
                heads = _ExactHeads.fused(a_levels, selection_logits)
            self._exact = CodingNets(
                entropy_parameters=ExactNet(self.entropy_parameters),
                context=context,
                context_window=context.valid if context is not None else None,
                a_levels=a_levels,
                selection_logits=selection_logits,
                reconstruct=_exact_reconstruct,
                exact=True,
                context_at=context.at if context is not None else None,
                heads=heads,
            )
        return self._exact

    def _float_context_window(self, window: Tensor) -> Tensor:
        ctx = self.context
        assert ctx is not None
        weight = ctx.weight * ctx.mask if hasattr(ctx, "mask") else ctx.weight
        return F.conv2d(window, weight, ctx.bias)

    def _float_a_levels(self, hyper: Tensor) -> tuple[Tensor, Tensor]:
        comp = self.companding
        assert comp is not None and self.a_head is not None
        return comp.snap(self.a_head(hyper))

    @property
    def bank(self) -> CellTableBank:
        if self._bank is None:
            raise RuntimeError("entropy-coding tables are not built: call model.update() first")
        return self._bank

    # ---------------------------------------------------------------- training --------
    def forward(self, y: Tensor, hyper: Tensor) -> LatentForward:
        """ŷ (the distortion path), the likelihood of each coordinate and the selection's bits, fp32."""
        a = self.a_map(hyper)
        y_hat, lik, selection = self.forward_params(y, hyper, a)
        bits = None
        if self.quantizer.uses_selection:
            if self.selection_head is not None:
                assert selection is not None
                bits = selection_bits(selection, self.selection_head(hyper.float()))
            else:
                b, _, h, w = y.shape
                bits = torch.tensor(float(b * h * w * self.quantizer.num_groups()), device=y.device)
        return LatentForward(y_hat=y_hat, likelihoods=lik, selection_bits=bits)

    def forward_params(self, y: Tensor, hyper: Tensor, a: Optional[Tensor]) -> tuple[Tensor, Tensor, Optional[Tensor]]:
        """(ŷ, likelihood, hard selection) of y in this order's passes: each position's values come
        from the pass that codes it (see :meth:`relaxed`)."""
        raise NotImplementedError

    def relaxed(self, y: Tensor, mu: Tensor, sigma: Tensor,
                a: Optional[Tensor]) -> tuple[Tensor, Tensor, Optional[Tensor]]:
        """(ŷ, likelihood, selection) of y given (μ, σ): the training relaxation, or the hard
        quantizer in eval. The selection (uint8 (B, G, H, W)) is the codebook the exact closest-point
        quantizer picks for u = T_A(y − μ), as the coder would; computed only when a selection head
        needs it in training (None otherwise, and always None for the scalar quantizer)."""
        q = self.quantizer
        selection = None
        level = scale_levels(sigma.float()).to(sigma.dtype) if q.needs_sigma_level else None
        if self.training:
            r_hat, u_rate = q.train_forward(y - mu, a, level)
            if self.selection_head is not None and q.uses_selection:
                with torch.no_grad():
                    u = q.to_u(y.detach() - mu.detach(), None if a is None else a.detach(), level)
                    selection = closest_point(u, q.group_size)[1]
        else:
            qz = q.quantize(y - mu, a, level)
            r_hat, u_rate = q.dequantize(qz, a, level), q.lattice_values(qz)
            selection = qz.selection
        return mu + r_hat, q.likelihood(u_rate, sigma, a, level), selection

    def split(self, params: Tensor) -> tuple[Tensor, Tensor]:
        """(μ, σ) from the entropy parameters' output (σ first, as CompressAI), σ bounded below."""
        scales, means = params.chunk(2, 1)
        return means, self.lower_bound_scale(scales)

    def a_map(self, hyper: Tensor) -> Optional[Tensor]:
        """LVQAC's A per position (snapped to the coder's levels outside training), else None."""
        comp = self.companding
        if self.a_head is None or comp is None:
            return None
        a = self.a_head(hyper)
        if not self.training:
            a = comp.snap(a)[1]
        elif self.a_head.mode == "exp":  # train on the coder's levels, straight-through to the head
            a = comp.snap(a.detach())[1] + (a - a.detach())
        return a

    # ---------------------------------------------------------------- coding ----------
    def compress(self, y: Tensor, hyper: Tensor, progress: ProgressCallback = None, bits_map: bool = True,
                 exact: bool = True) -> LatentCoding:
        """Quantize and entropy-code y (1, M, h, w): sections "y" (and "selection").
        ``bits_map=False`` skips the bits map (the sections are the same): ``bits`` is None.
        ``exact``: evaluate the coding networks exactly (format 2) or in float (format 1)."""
        nets = self.coding_nets(exact)
        a_levels, levels = self.head_outputs(hyper, nets)
        st, a_val = self._code(hyper, nets, a_levels, y=y, levels=levels, progress=progress, bits_map=bits_map)
        del hyper  # large images: the coder's copies below need the room (4096×4096: 100 MB)
        checksum = st.checksum()
        symbols, indexes = np.concatenate(st.symbols), np.concatenate(st.indexes)
        st.symbols, st.indexes = [], []  # the parts are copied (and checksummed): let them go
        sections = {"y": encode_symbols(symbols, indexes, self.bank)}
        del symbols, indexes
        if st.selection is not None:
            bits = st.selection.cpu().numpy().astype(np.uint8)
            if levels is None:
                sections["selection"] = np.packbits(bits.ravel()).tobytes()
            else:
                sections["selection"] = encode_bits(bits, levels.cpu().numpy())
        return LatentCoding(sections, st.y_hat, checksum, st.bits, st.selection, a_val)

    def decompress(self, sections: dict[str, bytes], hyper: Tensor, progress: ProgressCallback = None,
                   bits_map: bool = True, exact: bool = True) -> LatentCoding:
        """Decode ŷ from the sections (the latent grid is ``hyper``'s). ``bits_map=False`` skips
        the bits map (its likelihoods are extra work; the decoded ŷ is the same): ``bits`` is None.
        ``exact``: as the encoder evaluated the coding networks (format 2) or not (format 1)."""
        selection = None
        q = self.quantizer
        nets = self.coding_nets(exact)
        a_levels, levels = self.head_outputs(hyper, nets)
        if levels is not None:  # rANS-coded: decoded first, its probabilities come from hyper alone
            bits = decode_bits(sections.get("selection", b""), levels.cpu().numpy())
            selection = torch.from_numpy(bits).to(hyper.device)
        elif q.uses_selection:
            G = q.num_groups()
            hw = tuple(hyper.shape[-2:])
            n = G * hw[0] * hw[1]
            raw = np.frombuffer(sections.get("selection", b""), dtype=np.uint8)
            if raw.size != (n + 7) // 8:
                raise CorruptFile(f"selection section holds {raw.size} bytes, expected {(n + 7) // 8}")
            bits = np.unpackbits(raw)[:n].reshape(1, G, *hw)
            selection = torch.from_numpy(bits.copy()).to(hyper.device)
        decoder = SymbolStreamDecoder(sections.get("y", b""), self.bank)
        st, a_val = self._code(hyper, nets, a_levels, decoder=decoder, selection=selection, levels=levels,
                               progress=progress, bits_map=bits_map)
        own = {name: sections[name] for name in ("y", "selection") if name in sections}
        return LatentCoding(own, st.y_hat, st.checksum(), st.bits, st.selection, a_val)

    def selection_levels(self, hyper: Tensor, nets: Optional[CodingNets] = None) -> Optional[Tensor]:
        """The rANS probability level of each selection bit (int64 (1, G, h, w)); None when raw."""
        if self.selection_head is None or not self.quantizer.uses_selection:
            return None
        if nets is None or nets.selection_logits is None:
            return selection_levels(self.selection_head, hyper)
        return level_index(nets.selection_logits(hyper))

    def head_outputs(self, hyper: Tensor, nets: CodingNets) -> tuple[Optional[tuple[Tensor, Tensor]], Optional[Tensor]]:
        """(A level index and value, or None; the selection bits' levels as :meth:`selection_levels`):
        both heads in one pass where the exact nets fuse their first layers (the same numbers)."""
        if nets.heads is not None:
            a_levels, logits = nets.heads(hyper)
            return a_levels, level_index(logits)
        a_levels = nets.a_levels(hyper) if nets.a_levels is not None and self.companding is not None else None
        return a_levels, self.selection_levels(hyper, nets)

    def _code(self, hyper: Tensor, nets: CodingNets, a_levels: Optional[tuple[Tensor, Tensor]],
              y: Optional[Tensor] = None,
              decoder: Optional[SymbolStreamDecoder] = None,
              selection: Optional[Tensor] = None, levels: Optional[Tensor] = None,
              progress: ProgressCallback = None, bits_map: bool = True) -> tuple[CodingState, Optional[Tensor]]:
        M = self.quantizer.channels
        h, w = hyper.shape[-2:]
        dev = hyper.device
        a_idx, a_val = a_levels if a_levels is not None else (None, None)
        if selection is None and self.quantizer.uses_selection:
            selection = torch.zeros(1, self.quantizer.num_groups(), h, w, dtype=torch.uint8, device=dev)
        pad = self.padding
        st = CodingState(torch.zeros(1, M, h + 2 * pad, w + 2 * pad, device=dev), pad, selection, levels,
                         bits_map)
        self.code_pass(st, hyper, CodingStep(self, st, a_idx, a_val, y, decoder, nets), progress)
        if levels is not None and st.selection is not None and st.bits is not None:  # the coded selection's ideal cost
            st.bits += level_cost_bits(levels, st.selection)
        report(progress, 1.0)
        return st, a_val

    def code_pass(self, st: CodingState, hyper: Tensor, step: CodingStep, progress: ProgressCallback) -> None:
        """Call ``step(params, ii, jj)`` for every position once, in this order's decoding order."""
        raise NotImplementedError


class AHead(nn.Module):
    """Predicts the per-position companding parameter A from the hyperprior features.

    ``"alaw"``: A = 1 + softplus(h), initialised at A ≈ 1.02 (A ≥ 1; ∂loss/∂A = 0 at A = 1).
    ``"exp"``: A = exp(ln(a_max)·tanh(h)) ∈ (1/a_max, a_max), initialised at exactly A = 1 (h = 0),
    where ∂A/∂h = ln a_max ≠ 0: both directions are reachable and the identity is not stationary.
    """

    def __init__(self, in_channels: int, mode: str = "alaw", a_max: float = 64.0, hidden: int = HEAD_HIDDEN):
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

    @classmethod
    def for_quantizer(cls, in_channels: int, quantizer: Quantizer, hidden: int = HEAD_HIDDEN) -> Optional["AHead"]:
        """The head of a companded quantizer (its compander and A range), None for the others."""
        if not isinstance(quantizer, CompandedLatticeQuantizer):
            return None
        return cls(in_channels, quantizer.compander, quantizer.a_max, hidden)

    def forward(self, hyper: Tensor) -> Tensor:
        if self.mode == "alaw":
            return 1.0 + F.softplus(self.net(hyper))
        return torch.exp(self.log_a_max * torch.tanh(self.net(hyper)))

    def pre_activation(self, log_a: float) -> float:
        """The net's output h at which the head gives A = exp(log_a) (the inverse of forward's
        activation; ±inf beyond its range)."""
        if self.mode == "alaw":  # A = 1 + softplus(h)  →  h = ln(e^(A−1) − 1)
            excess = math.exp(log_a) - 1.0
            return -math.inf if excess <= 0 else math.log(math.expm1(excess)) if excess < 700 else excess
        t = log_a / self.log_a_max  # A = exp(ln a_max · tanh h)  →  h = atanh(ln A / ln a_max)
        return -math.inf if t <= -1 else math.inf if t >= 1 else math.atanh(t)


def gather(t: Tensor, ii: Tensor, jj: Tensor) -> Tensor:
    """The columns of (1, C, h, w) at positions (ii, jj): (1, C, P, 1)."""
    return t[:, :, ii, jj].unsqueeze(-1)


def positions(mask: Tensor) -> tuple[Tensor, Tensor]:
    """Row and column indexes of the True entries of a 2-D mask, in raster order."""
    ii, jj = torch.nonzero(mask, as_tuple=True)
    return ii, jj


def _float_reconstruct(mu: Tensor, r_hat: Tensor) -> Tensor:
    return mu + r_hat


def _exact_reconstruct(mu: Tensor, r_hat: Tensor) -> Tensor:
    """ŷ = μ + r̂ on the exact networks' input grid (float64 sum, then float32): the value the
    context convolution and the synthesis see, the same on every machine (r̂ in float64)."""
    return snap_to_grid(mu.double() + r_hat.double()).to(mu.dtype)


class _ExactALevels:
    """LVQAC's A level per position from the A head's exact pre-activation: the level whose
    interval of the pre-activation holds it (thresholds computed once in float64), the same
    choice as snapping A = head(h) to the nearest level in log A."""

    def __init__(self, head: "AHead", quantizer: CompandedLatticeQuantizer):
        self.net = ExactNet(head.net)
        lo, hi, n = math.log(quantizer.a_min), math.log(quantizer.a_top), quantizer.a_levels
        self.thresholds = torch.tensor([head.pre_activation(lo + (k + 0.5) * (hi - lo) / (n - 1))
                                        for k in range(n - 1)], dtype=torch.float64)
        self.values = quantizer.level_values()

    def __call__(self, hyper: Tensor) -> tuple[Tensor, Tensor]:
        return self.levels(self.net(hyper))

    def levels(self, pre_activation: Tensor) -> tuple[Tensor, Tensor]:
        """(A level index, A value) of the head's output ``pre_activation``."""
        h = pre_activation.double()
        idx = torch.bucketize(h.contiguous(), self.thresholds.to(h.device))
        return idx, self.values.to(h.device)[idx].float()


class _ExactHeads:
    """LVQAC's A head and the selection head evaluated together: their first convolutions (both
    read the hyper with the same kernel and padding) run as one product (:func:`fuse_first_layers`),
    then each head goes on alone. The same numbers as the two heads apart."""

    def __init__(self, a_levels: _ExactALevels, net: ExactNet):
        self.a_levels, self.net = a_levels, net

    @classmethod
    def fused(cls, a_levels: _ExactALevels, selection: ExactNet) -> Optional["_ExactHeads"]:
        """The two heads fused, or None where their first layers differ in geometry."""
        net = fuse_first_layers([a_levels.net, selection])
        return cls(a_levels, net) if net is not None else None

    def __call__(self, hyper: Tensor) -> tuple[tuple[Tensor, Tensor], Tensor]:
        out = self.net(hyper)  # the A head's one channel, then the selection head's G
        return self.a_levels.levels(out[:, :1]), out[:, 1:]
