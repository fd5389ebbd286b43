"""Test helpers: tiny random-initialised models (real round trips, nothing faked), test images."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

def tiny_model(architecture: str = "minnen2018-mean", quantizer: str = "lvqac", seed: int = 0, **kw):
    from lvqac_core.models import build_model

    torch.manual_seed(seed)
    kw.setdefault("N", 16)
    kw.setdefault("M", 24)
    model = build_model(architecture=architecture, quantizer=quantizer, **kw)
    if model.a_head is not None:  # make A vary so companding is really exercised
        torch.nn.init.normal_(model.a_head.net[-1].weight, std=0.05)
        torch.nn.init.constant_(model.a_head.net[-1].bias, 1.0)
    return model.eval()

def tiny_codec(architecture: str = "minnen2018-mean", quantizer: str = "lvqac", **kw):
    from lvqac_core.api import Codec

    return Codec.from_model(tiny_model(architecture, quantizer, **kw))

def noise_image(h: int, w: int, seed: int = 0) -> np.ndarray:
    """Uniform random uint8 RGB: the worst case for a codec, and content-free for file tests."""
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def smooth_image(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A small natural-ish test image: smooth gradients plus texture, uint8 RGB."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([
        128 + 100 * np.sin(xx / 7.0 + c) * np.cos(yy / 9.0 - c) for c in range(3)
    ], axis=-1) + rng.normal(0, 8, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def coded_bit_exactly(model, img: np.ndarray):
    """``img`` compressed by ``model`` (in eval mode) and its file decoded: asserts that the decoder
    gives the encoder's reconstruction and A map bit for bit; returns the compress result."""
    from lvqac_core.api import Codec

    codec = Codec.from_model(model.eval())
    res = codec.compress(img)
    dec = codec.decompress(res.data)
    assert np.array_equal(dec.image, res.reconstruction)
    assert np.array_equal(dec.maps.a_law, res.maps.a_law)
    return res


def write_image(path, h: int, w: int, seed: int = 0, mode: str = "RGB", noise: bool = False) -> Path:
    """Save :func:`smooth_image` (:func:`noise_image` with ``noise``) of ``h``×``w`` at ``path`` in PIL
    ``mode``, the format from the suffix; makes the folder. Returns the path."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = (noise_image if noise else smooth_image)(h, w, seed)
    Image.fromarray(pixels).convert(mode).save(path)
    return path



def load_repo_file(relative: str, name: str):
    """A Python file of the checkout outside the packages (``scripts/…``, ``fuzz/…``) as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent.parent / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
