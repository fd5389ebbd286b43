"""The public API: load a model, compress an image, decompress a ``.lvq`` file.

    >>> codec = load_model()                      # default zoo model, CUDA when present
    >>> res = codec.compress("photo.png")         # CompressionResult: bytes, bpp, PSNR, maps...
    >>> img = decompress(res.data).image          # picks the model named in the file

``progress(fraction)`` callbacks may raise :class:`~lvqac_core.errors.Cancelled` to abort.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch

from . import allocator, bitstream, threads, zoo
from .checkpoint import NotAnLvqacCheckpoint, load_checkpoint
from .errors import CorruptFile, InputError, ModelMismatchError, ModelNotFoundError
from .geometry import DEFAULT_MAX_PIXELS, LATENT_STRIDE, check_coding_size, latent_grid, pad_amounts
from .image_files import load_image, restore_mode
from .image_tensors import to_tensor
from .metrics import psnr
from .progress import (ANALYSING, DECODING_HYPERPRIOR, MEASURING, READING, SYNTHESIS, ProgressCallback, report,
                       scaled)
from .models import LatentMaps, LatticeCodecModel
from .device import device_name
from .lambdas import same_lambda
from .results import CompressionResult, DecompressionResult, InspectionMaps

__all__ = ["Codec", "FileInfo", "load_model", "load_zoo_model", "decompress", "read_info", "zoo_codec_for",
           "estimated_bits"]

ImageSource = Union[str, Path, bytes, np.ndarray, "object"]


@dataclass(frozen=True)
class FileInfo:
    """What ``lvqac info`` shows: the header and the bits of each part, without decoding."""

    header: bitstream.LvqHeader
    file_bytes: int

    @property
    def sections(self) -> dict[str, int]:
        return dict(self.header.section_sizes)

    @property
    def container_bytes(self) -> int:
        return self.file_bytes - sum(self.header.section_sizes.values())

    def bits_per_pixel(self) -> dict[str, float]:
        px = self.header.width * self.header.height
        parts = {name: 8.0 * n / px for name, n in self.header.section_sizes.items()}
        parts["container"] = 8.0 * self.container_bytes / px
        parts["total"] = 8.0 * self.file_bytes / px
        return parts


def read_info(data: bytes) -> FileInfo:
    data = bitstream.file_bytes(data)
    return FileInfo(bitstream.read_header(data), len(data))


class Codec:
    """A loaded model on a device, ready to compress and decompress."""

    def __init__(self, model: LatticeCodecModel, model_id: str, device: str, lmbda: Optional[float] = None,
                 weights_hash: Optional[bytes] = None):
        """``weights_hash``: ``model.weights_hash()`` when the caller already has it (the rows of
        one variable-rate network share it; hashing the weights again costs tens of ms each)."""
        self.model = model
        self.model_id = model_id
        self.device = device
        self.weights_hash = weights_hash if weights_hash is not None else model.weights_hash()
        self._lmbda = float(model.config.lmbda)
        if lmbda is not None:
            self.lmbda = lmbda

    @classmethod
    def from_model(cls, model: LatticeCodecModel, model_id: str = "adhoc", device: str = "cpu") -> "Codec":
        model = model.to(device).eval()
        model.update(force=True)
        return cls(model, model_id, device)

    # -- identity --------------------------------------------------------------------------
    @property
    def architecture(self) -> str:
        return self.model.config.architecture

    @property
    def quantizer(self) -> str:
        return self.model.config.quantizer

    @property
    def lmbda(self) -> float:
        """The rate point files are coded at (settable within :attr:`lambda_range` for a
        variable-rate network; a single-rate model has only its own)."""
        return self._lmbda

    @lmbda.setter
    def lmbda(self, value: float) -> None:
        self.model.gains(float(value))  # InputError outside the model's range
        self._lmbda = float(value)

    @property
    def lambda_range(self) -> Optional[tuple[float, float]]:
        """(λ min, λ max) of a variable-rate network; None for a single-rate model."""
        return self.model.lambda_range

    @property
    def variable_rate(self) -> bool:
        return self.model.lambda_range is not None

    # -- coding ----------------------------------------------------------------------------
    def compress(self, image: ImageSource, progress: ProgressCallback = None, max_pixels: Optional[int] = None, *,
                 reconstruction: bool = True, ms_ssim: Optional[bool] = None,
                 lmbda: Optional[float] = None, bits_map: Optional[bool] = None) -> CompressionResult:
        """Code ``image`` into a ``.lvq`` file (``result.data``) and compute only what is asked.

        ``lmbda``: the rate point (default :attr:`lmbda`); any λ in :attr:`lambda_range` for a
        variable-rate network, whose file then records it.

        ``reconstruction=True`` (default) runs the synthesis transform on the encoder side, so the
        result carries ``reconstruction``, ``residual`` and ``psnr``; ``ms_ssim`` (default: same as
        ``reconstruction``) adds MS-SSIM, the costliest part of a small encode. Batch work that
        only needs the file passes ``reconstruction=False``: the fields not computed are then None
        and ``encode_seconds`` covers analysis and entropy coding only. ``bits_map`` (default: same
        as ``reconstruction``) computes the estimated-bits map, ``maps.bits`` and ``bpp_estimated``
        (the likelihood of every symbol, which the file does not need). The file is byte-identical
        either way.
        """
        if ms_ssim is None:
            ms_ssim = reconstruction
        if bits_map is None:
            bits_map = reconstruction
        if ms_ssim and not reconstruction:
            raise InputError("ms_ssim=True needs reconstruction=True")
        # λ as the file stores it (float32), so the encoder's reconstruction is the decoder's
        lmbda = float(np.float32(self.lmbda if lmbda is None else lmbda))
        self.model.gains(lmbda)  # a λ this model cannot code at fails here, before any work
        report(progress, 0.0, READING)
        loaded = load_image(image) if max_pixels is None else load_image(image, max_pixels=max_pixels)
        rgb = loaded.rgb
        height, width = rgb.shape[:2]
        check_coding_size(width, height, DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels)
        allocator.tune()  # freed feature maps are reused, not unmapped and faulted in again
        report(progress, 0.02, ANALYSING)
        t0 = _now(self.device)
        threads.mark()  # the thread counts this call runs with (its result's cpu_threads)
        pad_bottom, pad_right = pad_amounts(height, width)
        # the padded uint8 image is passed without a reference here, so the model frees it right
        # after the analysis transform, which converts it to float band by band
        code = self.model.compress_tensor(_moved(to_tensor(rgb, as_float=False)[0], self.device), progress=scaled(progress, 0.05, 0.9),
                                          reconstruct=reconstruction, out_hw=(height, width),
                                          lmbda=lmbda if self.variable_rate else None, bits_map=bits_map,
                                          exact=bitstream.exact_coding(bitstream.FORMAT_VERSION))
        header = bitstream.LvqHeader(
            format_version=bitstream.FORMAT_VERSION,
            model_id=self.model_id,
            architecture=self.architecture,
            weights_hash=self.weights_hash,
            quantizer=self.quantizer,
            group_size=self.model.quantizer.group_size,
            lmbda=lmbda,
            width=width,
            height=height,
            mode=loaded.mode,
            pad_right=pad_right,
            pad_bottom=pad_bottom,
            latent_height=code.latent_hw[0],
            latent_width=code.latent_hw[1],
            hyper_height=code.hyper_hw[0],
            hyper_width=code.hyper_hw[1],
            symbols_crc32=code.symbols_crc32,
        )
        data = bitstream.pack(header, code.sections)
        recon = code.reconstruction if reconstruction else None
        encode_seconds = _now(self.device) - t0
        report(progress, 0.95, MEASURING)
        threads.recheck()  # the automatic thread count follows the load (lvqac_core.threads)
        pixels = width * height
        estimated = estimated_bits(code.maps)
        result = CompressionResult(
            data=data,
            width=width,
            height=height,
            model_id=self.model_id,
            quantizer=self.quantizer,
            lmbda=lmbda,
            bpp=8.0 * len(data) / pixels,
            bpp_estimated=None if estimated is None else estimated / pixels,
            psnr=None if recon is None else psnr(rgb, recon),
            ms_ssim=_ms_ssim(rgb, recon) if ms_ssim else None,
            encode_seconds=encode_seconds,
            device=self.device,
            original=rgb,
            reconstruction=recon,
            residual=None if recon is None else np.subtract(recon, rgb, dtype=np.float32),  # no float copies
            maps=_inspection_maps(code.maps, height, width),
            section_bytes={name: len(code.sections.get(name, b"")) for name in bitstream.SECTION_NAMES},
            notes=list(loaded.notes),
            cpu_threads=threads.used_text() if self.device == "cpu" else None,
        )
        report(progress, 1.0, MEASURING)
        return result

    def decompress(self, data: bytes, progress: ProgressCallback = None,
                   max_pixels: int = DEFAULT_MAX_PIXELS, bits_map: bool = True) -> DecompressionResult:
        """Decode ``.lvq`` bytes written by this model.

        Everything is validated before any decoding: the container (see docs/format.md), the
        model identity, and the coded size (padded pixels) against ``max_pixels``. With
        ``bits_map=False`` the estimated-bits map is not computed (likelihoods the decoding itself
        does not need): the image is the same; ``maps.bits`` and ``bits_estimated`` are None.
        """
        data = bitstream.file_bytes(data)
        return self.decode_parsed(bitstream.unpack(data, max_pixels=max_pixels), len(data), progress=progress,
                                  max_pixels=max_pixels, bits_map=bits_map)

    def decode_parsed(self, parsed: tuple[bitstream.LvqHeader, dict[str, bytes]], file_bytes: int,
                      progress: ProgressCallback = None, max_pixels: int = DEFAULT_MAX_PIXELS,
                      bits_map: bool = True) -> DecompressionResult:
        """Decode a file already verified and split by :func:`lvqac_core.bitstream.unpack` (whose
        result is ``parsed``; ``file_bytes`` is the file's size), so that callers which read the
        header to pick the model parse and CRC-check the file once. ``parsed`` may come from
        anywhere, so the pad limit (:func:`~lvqac_core.bitstream.check_coded_size`, arithmetic on
        the header) is applied here too."""
        header, sections = parsed
        bitstream.check_coded_size(header, max_pixels)
        self._check_matches(header)
        allocator.tune()
        report(progress, 0.02, DECODING_HYPERPRIOR)
        t0 = _now(self.device)
        threads.mark()  # the thread counts this call runs with (its result's cpu_threads)
        x_hat, maps = self.model.decompress_tensor(
            sections,
            (header.latent_height, header.latent_width),
            (header.hyper_height, header.hyper_width),
            header.symbols_crc32,
            progress=scaled(progress, 0.05, 0.95),
            out_hw=(header.height, header.width),
            lmbda=header.lmbda if self.variable_rate else None,
            bits_map=bits_map,
            exact=bitstream.exact_coding(header.format_version),
        )
        image = restore_mode(x_hat, header.mode)
        seconds = _now(self.device) - t0
        report(progress, 1.0, SYNTHESIS)
        return DecompressionResult(
            image=image,
            header=header,
            decode_seconds=seconds,
            device=self.device,
            maps=_inspection_maps(maps, header.height, header.width),
            file_bytes=int(file_bytes),
            bits_estimated=estimated_bits(maps),
            cpu_threads=threads.used_text() if self.device == "cpu" else None,
        )

    def _check_matches(self, header: bitstream.LvqHeader) -> None:
        if header.architecture != self.architecture or header.quantizer != self.quantizer:
            raise ModelMismatchError(
                f"file was written by {header.architecture}/{header.quantizer} ({header.model_id}); "
                f"the loaded model is {self.architecture}/{self.quantizer} ({self.model_id})"
            )
        if header.weights_hash != self.weights_hash:
            raise ModelMismatchError(
                f"file was written with other weights than the loaded model {self.model_id} "
                f"(weights {header.weights_hash.hex()} vs {self.weights_hash.hex()})"
            )
        if self.variable_rate:  # the gains' own range rule (models/gain.py), before any decoding
            try:
                self.model.gains(header.lmbda)
            except InputError:
                lo, hi = self.lambda_range
                raise CorruptFile(f"corrupt .lvq file: λ = {header.lmbda:g} is outside the range {lo:g} … {hi:g} "
                                  f"of the network {self.model_id} that wrote it") from None


_CACHE: dict[tuple[str, str], Codec] = {}


def load_model(spec: Optional[Union[str, Path]] = None, device: str = "auto") -> Codec:
    """Load a zoo model by id (default: the zoo's default) or a checkpoint file path.

    ``spec`` comes from the user and is read by :func:`lvqac_core.zoo.names_zoo_model` (a zoo id, or
    a checkpoint path; write ``./name`` for a file of that name). Model ids
    read from files go through :func:`load_zoo_model`, never through here.
    """
    if spec is not None and not isinstance(spec, (str, Path)):
        raise InputError(f"model must be a zoo id or a checkpoint path, not {type(spec).__name__}")
    dev = device_name(device)
    spec = spec or zoo.default_model_id()
    if spec is None:
        raise ModelNotFoundError("no model is installed (resources/models/manifest.json lists none)")
    if zoo.names_zoo_model(spec):
        return load_zoo_model(spec, dev)
    path = Path(spec)
    if str(spec).startswith("compressai-") and not path.exists():  # an id the user typed: torch hub's cache
        from .interop.discovery import hub_checkpoint_dir, hub_file_for_id

        found = hub_file_for_id(str(spec))
        if found is None:
            raise ModelNotFoundError(f"no CompressAI model {spec} in torch hub's cache ({hub_checkpoint_dir()}); "
                                     f"give its weights file with --model FILE")
        path = found
    key = ("path", str(path.resolve()), dev)
    if key not in _CACHE:
        _CACHE[key] = _load_file(path, dev)
    return _CACHE[key]


def _load_file(path: Path, dev: str) -> Codec:
    """An LVQAC checkpoint, or else a CompressAI model file (:mod:`lvqac_core.interop`); a file that
    is neither keeps the LVQAC reader's message unless it is a PyTorch file (then the interop
    reader's one line says what it is or is not)."""
    try:
        return Codec(load_checkpoint(path, dev), path.stem, dev)
    except NotAnLvqacCheckpoint:
        from .interop.compressai_checkpoints import load_compressai, looks_like_torch_file

        if not looks_like_torch_file(path):
            raise
        model, info = load_compressai(path, dev)
        return Codec(model, info.model_id, dev)


def load_zoo_model(model_id: str, device: str = "auto") -> Codec:
    """Load the zoo model ``model_id`` (weights checked against the manifest's sha256).

    Only the manifest is consulted: the id is never taken as a file path.
    """
    dev = device_name(device)
    key = ("zoo", str(model_id), dev)
    if key not in _CACHE:
        entry = zoo.get_entry(str(model_id))
        if entry.network is None:
            _CACHE[key] = Codec(load_checkpoint(entry.path, dev, expected_sha256=entry.sha256), entry.id, dev)
        else:  # the rows of one variable-rate network share its weights, loaded once; each codes at its λ
            model, weights_hash = _shared_network(entry, dev)
            _CACHE[key] = Codec(model, entry.id, dev, lmbda=entry.lmbda, weights_hash=weights_hash)
    return _CACHE[key]


_NETWORKS: dict[tuple[str, str, str], tuple[LatticeCodecModel, bytes]] = {}
_NETWORK_LOCK = threading.Lock()


def _shared_network(entry: "zoo.ZooEntry", dev: str) -> tuple[LatticeCodecModel, bytes]:
    """The loaded weights of ``entry``'s variable-rate network (one per file + sha256 + device) and
    their :meth:`~LatticeCodecModel.weights_hash`; a file that turns out to be a single-rate model,
    or another range than the manifest's, is refused."""
    key = (str(entry.path.resolve()), entry.sha256, dev)
    with _NETWORK_LOCK:  # two threads asking for two rows of one network load it once
        shared = _NETWORKS.get(key)
        if shared is None:
            model = load_checkpoint(entry.path, dev, expected_sha256=entry.sha256)
            rng = model.lambda_range
            if rng is None or not all(same_lambda(a, b) for a, b in zip(rng, entry.lambda_range)):
                got = "a single-rate model" if rng is None else f"a network for λ {rng[0]:g} … {rng[1]:g}"
                raise ModelNotFoundError(
                    f"zoo model {entry.id}: the manifest names network {entry.network!r} for λ "
                    f"{entry.lambda_range[0]:g} … {entry.lambda_range[1]:g}, but {entry.file} is {got}")
            shared = _NETWORKS[key] = (model, model.weights_hash())
    return shared


def decompress(data: bytes, device: str = "auto", progress: ProgressCallback = None,
               max_pixels: int = DEFAULT_MAX_PIXELS) -> DecompressionResult:
    """Decode a ``.lvq`` file with the zoo model it names (looked up in the zoo only): the public face
    of :func:`lvqac_core.service.decode`, the one decoding trip."""
    from .service import decode

    return decode(data, device=device, progress=progress, max_pixels=max_pixels).result


def zoo_codec_for(header: bitstream.LvqHeader, device: str = "auto") -> Codec:
    """The installed zoo model that wrote the file with ``header`` (``ModelNotFoundError`` if none)."""
    if not zoo.has_model(header.model_id):
        if header.model_id.startswith("compressai-"):  # never looked up as a path: the user names the file
            raise ModelNotFoundError(
                f"this file was written by the CompressAI model {header.model_id!r} ({header.architecture}); "
                f"give its weights file with --model FILE (lvqac models lists those in torch hub's cache)")
        raise ModelNotFoundError(
            f"this file was written by model {header.model_id!r} ({header.architecture}, {header.quantizer}, "
            f"λ={header.lmbda:g}), which is not installed; load its checkpoint and use Codec.decompress"
        )
    return load_zoo_model(header.model_id, device)


def estimated_bits(maps: LatentMaps) -> Optional[float]:
    """The entropy model's estimate of a file's bits: the bits map summed over the whole coded
    (padded) latent grid. Encoder and decoder compute the same map, so this one function gives the
    rate ``Codec.compress`` reports and the rate a decoded file shows (None: no bits map)."""
    if maps.bits is None:
        return None
    return float(np.asarray(maps.bits, dtype=np.float64).sum())


def _inspection_maps(maps: LatentMaps, height: int, width: int) -> InspectionMaps:
    h, w = latent_grid(height, width)
    return InspectionMaps(
        selection=None if maps.selection is None else maps.selection[:, :h, :w].copy(),
        a_law=None if maps.a_law is None else maps.a_law[:h, :w].copy(),
        bits=None if maps.bits is None else maps.bits[:h, :w].copy(),
        stride=LATENT_STRIDE,
    )


def _moved(x: torch.Tensor, device: str) -> torch.Tensor:
    return x if str(x.device) == device else x.to(device)


def _ms_ssim(a: np.ndarray, b: np.ndarray) -> float:
    from .metrics import ms_ssim  # pytorch_msssim is imported only when MS-SSIM is asked for

    return ms_ssim(a, b)


def _now(device: str) -> float:
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter()
