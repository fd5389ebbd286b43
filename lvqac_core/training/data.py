"""Training data: a folder of images, random crops and flips, batches derived from (seed, step, rank).

Every batch is a pure function of ``(seed, step, rank)``: which images (an epoch-wise permutation
seeded by ``(seed, epoch)``), where the crops sit and which flips apply. Resuming at step ``s`` is
therefore exact without saving any loader state, and each DDP rank sees different images.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from .. import image_files
from ..image_files import load_rgb

__all__ = ["list_images", "ImageCropBatches", "make_loader", "step_generator"]

def list_images(folder: str | Path) -> list[Path]:
    """The training images: every image under ``folder``, subfolders included."""
    return image_files.list_images(folder, recursive=True)


def step_generator(seed: int, step: int, rank: int = 0, salt: int = 0) -> torch.Generator:
    """A torch generator seeded from (seed, step, rank, salt) through numpy's SeedSequence."""
    ss = np.random.SeedSequence([int(seed), int(step), int(rank), int(salt)])
    g = torch.Generator()
    g.manual_seed(int(ss.generate_state(1, dtype=np.uint64)[0] & 0x7FFF_FFFF_FFFF_FFFF))
    return g


def _pad_to(img: np.ndarray, size: int) -> np.ndarray:
    h, w = img.shape[:2]
    if h >= size and w >= size:
        return img
    ph, pw = max(0, size - h), max(0, size - w)
    return np.pad(img, ((0, ph), (0, pw), (0, 0)), mode="symmetric")


class ImageCropBatches(Dataset):
    """Item ``i`` is the whole batch of global step ``start_step + i`` for this rank: (B, 3, crop, crop) in [0, 1]."""

    def __init__(self, files: Sequence[Path], *, crop: int = 256, batch_size: int = 8, seed: int = 0,
                 rank: int = 0, world_size: int = 1, start_step: int = 0, num_steps: int = 0,
                 flips: bool = True, cache: bool = True):
        self.files = list(files)
        self.crop = int(crop)
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.rank = int(rank)
        self.world_size = int(world_size)
        self.start_step = int(start_step)
        self.num_steps = int(num_steps)
        self.flips = flips
        self._cache: dict[int, np.ndarray] | None = {} if cache else None
        self._perms: dict[int, torch.Tensor] = {}

    def __len__(self) -> int:
        return self.num_steps

    def _image(self, idx: int) -> np.ndarray:
        if self._cache is not None and idx in self._cache:
            return self._cache[idx]
        img = _pad_to(load_rgb(self.files[idx]), self.crop)
        if self._cache is not None:
            self._cache[idx] = img
        return img

    def _perm(self, epoch: int) -> torch.Tensor:
        p = self._perms.get(epoch)
        if p is None:
            p = torch.randperm(len(self.files), generator=step_generator(self.seed, epoch, 0, salt=1))
            self._perms = {epoch: p}  # keep only the current epoch
        return p

    def indices(self, step: int) -> list[int]:
        n = len(self.files)
        first = (step * self.world_size + self.rank) * self.batch_size
        out = []
        for k in range(first, first + self.batch_size):
            epoch, pos = divmod(k, n)
            out.append(int(self._perm(epoch)[pos]))
        return out

    def batch(self, step: int) -> torch.Tensor:
        g = step_generator(self.seed, step, self.rank, salt=2)
        crops = []
        for idx in self.indices(step):
            img = self._image(idx)
            h, w = img.shape[:2]
            top = int(torch.randint(0, h - self.crop + 1, (1,), generator=g))
            left = int(torch.randint(0, w - self.crop + 1, (1,), generator=g))
            c = img[top:top + self.crop, left:left + self.crop]
            flip = torch.randint(0, 2, (2,), generator=g).tolist()
            if self.flips and flip[0]:
                c = c[:, ::-1]
            if self.flips and flip[1]:
                c = c[::-1, :]
            crops.append(np.ascontiguousarray(c))
        arr = np.stack(crops).transpose(0, 3, 1, 2)
        return torch.from_numpy(np.ascontiguousarray(arr)).float().div_(255.0)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.batch(self.start_step + int(i))


def make_loader(dataset: ImageCropBatches, num_workers: int = 0) -> DataLoader:
    """Sequential loader over steps (``batch_size=None``: each item already is a batch)."""
    return DataLoader(dataset, batch_size=None, shuffle=False, num_workers=num_workers,
                      persistent_workers=num_workers > 0, pin_memory=torch.cuda.is_available())
