"""The one service the CLI, the app and the evaluation share: which model to use, coding an image
(with its decode check) and decoding a file, each returning one :class:`CodingReport`.

- :func:`select_model` is the one model-selection rule (``--model`` / ``--quantizer`` /
  ``--lambda`` of ``lvqac compress`` and ``lvqac-gui``, and the app's λ / quantizer controls).
- :func:`encode` codes an image and, when asked, decodes the file once as a check: the decode time,
  whether the decode matches the encoder's reconstruction, and PSNR / MS-SSIM of the decoded image
  come from that one decode, so nobody decodes a second time.
- :func:`decode` parses and CRC-checks a ``.lvq`` file once, picks the model from its header and
  decodes it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Union

import numpy as np

from . import bitstream, zoo
from .errors import InputError, ModelNotFoundError
from .geometry import DEFAULT_MAX_PIXELS
from .progress import ProgressCallback
from .image_files import gray_to_rgb, restore_mode
from .lambdas import lambda_in_range, same_lambda
from .report import CodingReport
from .results import CompressionResult, DecompressionResult

__all__ = ["ModelChoice", "select_model", "check_code_lambda", "rate_range", "Encoded", "encode", "Decoded", "decode", "CodingReport"]



# ------------------------------------------------------------------------------ model choice


@dataclass(frozen=True)
class ModelChoice:
    """What :func:`select_model` picked: ``spec`` for :func:`lvqac_core.api.load_model` (a zoo id
    or a checkpoint path), the zoo ``entry`` (None for a checkpoint file) and ``code_lambda``, the
    λ to code at when it is not the model's own (a variable-rate network between its presets, or a
    checkpoint given with a λ; None: the row's / model's own λ)."""

    spec: str
    entry: Optional[zoo.ZooEntry]
    code_lambda: Optional[float] = None

    @property
    def quantizer(self) -> Optional[str]:
        return None if self.entry is None else self.entry.quantizer

    @property
    def lmbda(self) -> Optional[float]:
        """The λ files are coded at (None: a checkpoint's own, known once it is loaded)."""
        if self.code_lambda is not None:
            return float(self.code_lambda)
        return None if self.entry is None else float(self.entry.lmbda)


def select_model(quantizer: Optional[str] = None, lmbda: Optional[float] = None,
                 model: Optional[Union[str, Path]] = None, architecture: Optional[str] = None,
                 tier: Optional[str] = None) -> ModelChoice:
    """The one model-selection rule.

    - ``model`` (a zoo id or a checkpoint path) is taken as is and excludes ``quantizer``; with a
      ``lmbda`` it must be a variable-rate network that covers it (a zoo id is checked here from
      the manifest; a checkpoint is checked by :func:`check_code_lambda` once loaded);
    - nothing given: the zoo's default model;
    - otherwise the zoo model with that quantizer and λ, the missing one taken from the default
      model, of ``architecture`` (default: the default model's architecture when it has such a
      model, else any): an exact preset row wins; else the row of a variable-rate network whose
      range holds λ (the preset nearest in log λ), with ``code_lambda`` = λ;
    - ``tier`` (``"fast"``, ``"wide"``: which of a family's networks) picks among them; without it,
      the default model's tier when it has such a model, else any tier (so a λ above the fast
      networks' range reaches the wide one).

    Raises:
        InputError: ``model`` combined with ``quantizer``, or a zoo id of a single-rate model (or a
            network whose range misses it) with ``lmbda``.
        ModelNotFoundError: no such zoo model (or no zoo at all); it says which λ are available.
    """
    if model is not None:
        if quantizer is not None:
            raise InputError("a model id or checkpoint cannot be combined with a quantizer choice")
        if tier is not None:
            raise InputError("a model id or checkpoint cannot be combined with a tier choice")
        spec = str(model)
        entry = zoo.get_entry(spec) if zoo.names_zoo_model(model) else None
        if lmbda is None:
            return ModelChoice(spec, entry)
        if entry is not None:
            if not entry.covers(lmbda):
                raise InputError(_lambda_refusal(entry.id, entry.lmbda, entry.lambda_range, float(lmbda)))
            return ModelChoice(spec, entry, None if same_lambda(entry.lmbda, lmbda) else float(lmbda))
        return ModelChoice(spec, None, float(lmbda))
    default_id = zoo.default_model_id()
    base = zoo.get_entry(default_id) if default_id else None
    if quantizer is None and lmbda is None and architecture is None and tier is None:
        if base is None:
            raise ModelNotFoundError("no model is installed (the zoo's manifest lists none)")
        return ModelChoice(base.id, base)
    q = quantizer or (base.quantizer if base else "lvqac")
    lam = float(lmbda) if lmbda is not None else (base.lmbda if base else 0.0075)
    arch = architecture or (base.architecture if base else None)
    if architecture is None and arch is not None and not any(
            e.quantizer == q and e.covers(lam) and e.architecture == arch for e in zoo.list_models()):
        arch = None  # the default's architecture has no such model: any architecture will do
    t = tier or (base.tier if base else None)
    if tier is None and t is not None and not any(
            e.quantizer == q and e.covers(lam) and e.tier == t and (arch is None or e.architecture == arch)
            for e in zoo.list_models()):
        t = None  # the default's tier has no such model: any tier will do
    try:
        entry = zoo.find_model(q, lam, arch, t)
    except ModelNotFoundError:
        entry = zoo.find_covering(q, lam, arch, t)
        if entry is None:
            raise ModelNotFoundError(
                f"no zoo model for quantizer={q}, λ={lam:g}" + (f", {arch}" if arch else "")
                + (f", tier {t}" if t else "") + f"; available: {zoo.available_lambdas(q, arch, t)}") from None
        return ModelChoice(entry.id, entry, None if same_lambda(entry.lmbda, lam) else lam)
    return ModelChoice(entry.id, entry)


def rate_range(quantizer: Optional[str] = None, model: Optional[Union[str, Path]] = None,
               tier: Optional[str] = None) -> Optional[tuple[float, float, str]]:
    """(λ min, λ max, network name) when the model :func:`select_model` picks for ``quantizer``
    (or the zoo id ``model``) is a variable-rate network, else None (a single-rate model, a
    checkpoint path, or nothing installed). Reads the manifest only; loads nothing."""
    try:
        entry = select_model(quantizer=quantizer, model=model, tier=tier).entry
    except (InputError, ModelNotFoundError):
        return None
    if entry is None or entry.lambda_range is None:
        return None
    return float(entry.lambda_range[0]), float(entry.lambda_range[1]), str(entry.network)


def _lambda_refusal(name: str, own: float, rng: Optional[tuple[float, float]], lmbda: float) -> str:
    if rng is None:
        return (f"model {name} is a single-rate model (λ = {own:g} only), so it cannot code at λ = {lmbda:g}; "
                f"leave the λ out, or choose a variable-rate network")
    return f"λ = {lmbda:g} is outside the range {rng[0]:g} … {rng[1]:g} of the variable-rate network {name}"


def check_code_lambda(codec, lmbda: Optional[float]) -> None:
    """Refuse, with one line, a λ that ``codec`` (a loaded model, e.g. a checkpoint the user named)
    cannot code at: a single-rate model takes only its own λ, a network only λ in its range."""
    if lmbda is None:
        return
    rng = codec.lambda_range
    if rng is None:
        if not same_lambda(codec.lmbda, lmbda):
            raise InputError(_lambda_refusal(codec.model_id, codec.lmbda, None, float(lmbda)))
        return
    if not lambda_in_range(lmbda, *rng):
        raise InputError(_lambda_refusal(codec.model_id, codec.lmbda, rng, float(lmbda)))


# ------------------------------------------------------------------------------ encoding


@dataclass
class Encoded:
    """An encoded image: the API's result, the decode check's result (None when not asked for)
    and the report built from both."""

    result: CompressionResult
    decoded: Optional[DecompressionResult]
    report: CodingReport


def encode(codec, image, *, decode_check: bool = False, ms_ssim: bool = True,
           progress: ProgressCallback = None, decode_progress: ProgressCallback = None,
           notes: tuple[str, ...] = (), lmbda: Optional[float] = None) -> Encoded:
    """Code ``image`` with ``codec`` (a :class:`lvqac_core.api.Codec`) and report.

    ``decode_check=True`` decodes the file once: the report then has ``decode_seconds``,
    ``decode_matches`` (decoded image == the encoder's reconstruction) and PSNR / MS-SSIM of the
    decoded image. Without it, the figures are the encoder's (its reconstruction is what decoding
    gives on the same device) and ``decode_seconds`` is None. ``lmbda``: the rate point to code at
    (a :class:`ModelChoice`'s ``code_lambda``; None: the codec's own).
    """
    if lmbda is None:  # keeps codecs without the keyword (test doubles, older callers) working
        res = codec.compress(image, progress=progress, ms_ssim=ms_ssim and not decode_check)
    else:
        res = codec.compress(image, progress=progress, ms_ssim=ms_ssim and not decode_check, lmbda=lmbda)
    encoded = Encoded(res, None, CodingReport.from_compression(res, notes=notes))
    if not decode_check:
        return encoded
    return verify_decode(codec, encoded, ms_ssim=ms_ssim, progress=decode_progress, notes=notes)


def verify_decode(codec, encoded: Encoded, *, ms_ssim: bool = True, progress: ProgressCallback = None,
                  notes: tuple[str, ...] = ()) -> Encoded:
    """Decode ``encoded``'s file once with ``codec`` (``encode(..., decode_check=True)`` in two
    steps, so that a caller can show the encoder's result first): the report gets
    ``decode_seconds``, ``decode_matches`` and PSNR / MS-SSIM of the decoded image."""
    from .metrics import psnr as _psnr

    res = encoded.result
    dec = codec.decompress(res.data, progress=progress)
    expected = restore_mode(res.reconstruction, dec.header.mode)
    matches = expected.shape == dec.image.shape and bool(np.array_equal(expected, dec.image))
    decoded_rgb = gray_to_rgb(dec.image)
    ms = None
    if ms_ssim:
        from .metrics import ms_ssim as _ms_ssim

        ms = _ms_ssim(res.original, decoded_rgb)
    report = CodingReport.from_compression(res, decode_seconds=dec.decode_seconds, decode_matches=matches,
                                           psnr=_psnr(res.original, decoded_rgb), ms_ssim=ms, notes=notes)
    return Encoded(res, dec, report)


# ------------------------------------------------------------------------------ decoding


@dataclass
class Decoded:
    result: DecompressionResult
    report: CodingReport


def decode(data: bytes, codec_for: Optional[Callable[[bitstream.LvqHeader], object]] = None, *,
           device: str = "auto", progress: ProgressCallback = None, notes: tuple[str, ...] = (),
           **kwargs) -> Decoded:
    """Pass the container's entrance once (:func:`lvqac_core.bitstream.unpack`: the file's bytes,
    parse and CRC-check, the pad limit, before any model loads), pick the codec from its header
    (``codec_for(header)``, default: the zoo model named in the file) and decode it."""
    data = bitstream.file_bytes(data)
    parsed = bitstream.unpack(data, max_pixels=kwargs.get("max_pixels", DEFAULT_MAX_PIXELS))
    if codec_for is None:
        from .api import zoo_codec_for  # loading models needs torch; the service imports without it

        codec = zoo_codec_for(parsed[0], device)
    else:
        codec = codec_for(parsed[0])
    res = codec.decode_parsed(parsed, len(data), progress=progress, **kwargs)
    return Decoded(res, CodingReport.from_decompression(res, notes=notes))
