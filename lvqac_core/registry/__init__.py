"""One home for the rules the rest of the package shares.

- ``constants``: strides, λ presets and their one comparison, image suffixes, MS-SSIM in dB;
- ``device``: the one ``resolve_device(requested, fallback)`` rule;
- the registries filled by decorators where each thing is defined: ``QUANTIZER_REGISTRY``
  (``@QUANTIZER_REGISTRY.register("lvq")``), ``ARCHITECTURE_REGISTRY`` and
  ``DECODING_ORDER_REGISTRY`` (parallel, checkerboard, raster-scan latent codecs);
  ``IMPORTED_ARCHITECTURE_REGISTRY``: architectures that exist only so that other libraries'
  models can be coded (CompressAI's bmshj2018-hyperprior, :mod:`lvqac_core.interop`); a config may
  name them, ``lvqac train`` fine-tunes them from such a file, but they are not our trained family.

Nothing here imports the models, so every module may import it.
"""
from __future__ import annotations

from .base import Registry
from .device import DeviceChoice, cuda_available, resolve_device
from .constants import (HYPER_STRIDE, IMAGE_SUFFIXES, LAMBDA_RTOL, lambda_in_range, LATENT_STRIDE, LVQ_SUFFIX, PAPER_LAMBDAS,
                        ms_ssim_db, same_lambda)

__all__ = ["Registry", "DeviceChoice", "cuda_available", "resolve_device", "QUANTIZER_REGISTRY", "ARCHITECTURE_REGISTRY", "DECODING_ORDER_REGISTRY",
           "IMPORTED_ARCHITECTURE_REGISTRY",
           "LATENT_STRIDE", "HYPER_STRIDE", "PAPER_LAMBDAS", "LAMBDA_RTOL", "same_lambda", "lambda_in_range", "IMAGE_SUFFIXES",
           "LVQ_SUFFIX", "ms_ssim_db"]

QUANTIZER_REGISTRY: Registry = Registry("quantizer")
ARCHITECTURE_REGISTRY: Registry = Registry("architecture")
DECODING_ORDER_REGISTRY: Registry = Registry("decoding order")
IMPORTED_ARCHITECTURE_REGISTRY: Registry = Registry("imported architecture")
