"""Image tensors for the models: uint8 RGB arrays ↔ padded torch tensors.

:func:`to_tensor` pads by edge replication to :data:`~lvqac_core.geometry.CODING_STRIDE`
(:func:`~lvqac_core.geometry.pad_amounts`), :func:`to_unit_float` scales to [0, 1],
:func:`to_uint8` crops and rounds back. Knows nothing of image files.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .geometry import CODING_STRIDE, pad_amounts

__all__ = ["to_tensor", "to_unit_float", "to_uint8"]


def to_tensor(rgb: np.ndarray, stride: int = CODING_STRIDE, as_float: bool = True) -> tuple[torch.Tensor, tuple[int, int]]:
    """uint8 (H, W, 3) → float32 (1, 3, Hp, Wp) in [0, 1], edge-replicated at bottom/right.

    Returns the tensor and ``(pad_bottom, pad_right)``; Hp = H + pad_bottom is a multiple of
    ``stride`` (works for 1x1 images too). ``as_float=False`` returns the padded uint8 tensor
    (a quarter of the memory); :func:`to_unit_float` of it, whole or a slice, gives the same values.
    """
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 \
            or rgb.shape[2] != 3:
        raise ValueError(f"expected a uint8 array (H, W, 3), got "
                         f"{getattr(rgb, 'dtype', type(rgb).__name__)} "
                         f"{getattr(rgb, 'shape', '')}")
    height, width = rgb.shape[:2]
    pad_bottom, pad_right = pad_amounts(height, width, stride)
    x = torch.from_numpy(np.array(rgb, dtype=np.uint8, copy=True)).permute(2, 0, 1).unsqueeze(0)
    if as_float:
        x = to_unit_float(x)
    if pad_bottom or pad_right:
        x = F.pad(x, (0, pad_right, 0, pad_bottom), mode="replicate")
    return x.contiguous(), (pad_bottom, pad_right)


def to_unit_float(x: torch.Tensor) -> torch.Tensor:
    """A uint8 image tensor → float32 in [0, 1] (x / 255, one contiguous copy); float input as is."""
    if x.is_floating_point():
        return x
    return x.to(torch.float32, memory_format=torch.contiguous_format).div_(255.0)


def to_uint8(x: torch.Tensor, height: int, width: int) -> np.ndarray:
    """(1, 3, Hp, Wp) or (3, Hp, Wp) tensor in [0, 1] → uint8 (height, width, 3).

    Crops to the original size, clamps to [0, 1] and rounds ``x * 255``; exact inverse of
    :func:`to_tensor` for uint8 input.
    """
    if x.dim() == 4:
        if x.shape[0] != 1:
            raise ValueError(f"expected a batch of one image, got shape {tuple(x.shape)}")
        x = x[0]
    if x.dim() != 3 or x.shape[0] != 3 or x.shape[1] < height or x.shape[2] < width:
        raise ValueError(f"cannot crop tensor of shape {tuple(x.shape)} to {height}x{width}")
    x = x.detach()[:, :height, :width].to(torch.float32).clamp(0.0, 1.0)  # a new tensor: ours to change
    out = x.mul_(255.0).round_().to(torch.uint8).permute(1, 2, 0).cpu().numpy()  # in place: fewer page faults
    return np.ascontiguousarray(out)

