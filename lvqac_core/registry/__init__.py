"""The registries, filled by decorators where each thing is defined, and nothing else:
``QUANTIZER_REGISTRY`` (``@QUANTIZER_REGISTRY.register("lvq")``), ``ARCHITECTURE_REGISTRY`` and
``DECODING_ORDER_REGISTRY`` (parallel, checkerboard, raster-scan latent codecs);
``IMPORTED_ARCHITECTURE_REGISTRY``: architectures that exist only so that other libraries' models
can be coded (CompressAI's bmshj2018-hyperprior, :mod:`lvqac_core.interop`); a config may name
them, ``lvqac train`` fine-tunes them from such a file, but they are not our trained family.

The shared rules live in rooms named for what they are: strides and the pad limit in
:mod:`lvqac_core.geometry`, the λ presets and comparisons in :mod:`lvqac_core.lambdas`, the device
rule in :mod:`lvqac_core.device`, image suffixes in :mod:`lvqac_core.image_files`, the ``.lvq``
suffix in :mod:`lvqac_core.bitstream`, MS-SSIM in dB in :mod:`lvqac_core.metrics`.

Nothing here imports the rest of the core, so every module may import it.
"""
from __future__ import annotations

from .base import Registry

__all__ = ["Registry", "QUANTIZER_REGISTRY", "ARCHITECTURE_REGISTRY", "DECODING_ORDER_REGISTRY",
           "IMPORTED_ARCHITECTURE_REGISTRY"]

QUANTIZER_REGISTRY: Registry = Registry("quantizer")
ARCHITECTURE_REGISTRY: Registry = Registry("architecture")
DECODING_ORDER_REGISTRY: Registry = Registry("decoding order")
IMPORTED_ARCHITECTURE_REGISTRY: Registry = Registry("imported architecture")
