"""Decode many crafted ``.lvq`` files (valid CRC32, so every mutation reaches the checks behind
it) with the zoo's models, in one process, and report the outcomes and the worst time and memory.

    nice python fuzz/crafted_lvq.py --count 10000 --seed 1

Files start from real files coded by each zoo model (a 48×40 and a 130×70 image). Each case
applies one to three mutations: header fields (geometry and padding consistent or not, quantizer,
group size, λ, mode, model id naming another zoo row), sections (random bytes, truncated,
extended, bit flips, swapped between files, all-0xFF words that decode as escapes) and
re-stamps the CRC. Allowed outcomes: an image of the declared size, or an ``InputError`` with a
one-line message. Exit status 1 if anything else happened or a case took more than 10 s; a
signal ends the process (and so the run) with the signal's status.
"""
from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lvqac_core import api, bitstream, zoo  # noqa: E402
from lvqac_core.errors import InputError  # noqa: E402


def _geometry(width: int, height: int) -> dict:
    pr, pb = (-width) % 64, (-height) % 64
    return dict(width=width, height=height, pad_right=pr, pad_bottom=pb,
                latent_width=(width + pr) // 16, latent_height=(height + pb) // 16,
                hyper_width=(width + pr) // 64, hyper_height=(height + pb) // 64)


def _seeds() -> list[bytes]:
    rng = np.random.default_rng(0)
    out = []
    for entry in zoo.list_models()[::6]:  # one row per network: a file per family
        codec = api.load_model(entry.id, "cpu")
        for h, w in ((40, 48), (70, 130)):
            image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            out.append(codec.compress(image, ms_ssim=False).data)
    return out


def _mutate(rng: np.random.Generator, data: bytes, seeds: list[bytes], ids: list[str]) -> bytes:
    header, sections = bitstream.unpack(data)
    sections = dict(sections)
    for _ in range(int(rng.integers(1, 4))):
        kind = int(rng.integers(0, 12))
        if kind == 0:
            w, h = (int(v) for v in rng.choice([1, 16, 48, 64, 65, 130, 512, 1000, 4096, 5000], 2))
            header = dataclasses.replace(header, **_geometry(w, h))
        elif kind == 1:
            field = str(rng.choice(["latent_width", "latent_height", "hyper_width", "hyper_height",
                                    "pad_right", "pad_bottom", "width", "height"]))
            header = dataclasses.replace(header, **{field: int(rng.integers(0, 300))})
        elif kind == 2:
            header = dataclasses.replace(header, quantizer=str(rng.choice(["scalar", "lvq", "lvqac"])),
                                         group_size=int(rng.choice([0, 1, 8, 64, 65535])))
        elif kind == 3:
            header = dataclasses.replace(header, lmbda=float(rng.choice([0.0, 1e-9, 0.0016, 0.01, 0.045, 1.0, 3e38])))
        elif kind == 4:
            header = dataclasses.replace(header, model_id=str(rng.choice(ids)))
        elif kind == 5:
            header = dataclasses.replace(header, mode=str(rng.choice(["L", "RGBA", "I;16", "P", "CMYK", "zz"])))
        elif kind == 6:
            name = str(rng.choice(["z", "selection", "y"]))
            sections[name] = rng.integers(0, 256, 4 * int(rng.integers(0, 200)), dtype=np.uint8).tobytes()
        elif kind == 7:
            name = str(rng.choice(["z", "selection", "y"]))
            sections[name] = sections[name][: int(rng.integers(0, len(sections[name]) + 1))]
        elif kind == 8:
            name = str(rng.choice(["z", "selection", "y"]))
            sections[name] = sections[name] + rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
        elif kind == 9:
            name = str(rng.choice(["z", "selection", "y"]))
            b = bytearray(sections[name])
            for pos in rng.integers(0, max(len(b), 1), int(rng.integers(1, 6))):
                if b:
                    b[int(pos)] ^= 1 << int(rng.integers(0, 8))
            sections[name] = bytes(b)
        elif kind == 10:
            other = bitstream.unpack(seeds[int(rng.integers(0, len(seeds)))])[1]
            name = str(rng.choice(["z", "selection", "y"]))
            sections[name] = other[name]
        else:
            name = str(rng.choice(["z", "y"]))
            sections[name] = b"\xff" * (4 * int(rng.integers(2, 100)))
    return bitstream._pack_raw(header, sections)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    seeds = _seeds()
    ids = [e.id for e in zoo.list_models()] + ["adhoc", "no-such-model"]
    rng = np.random.default_rng(args.seed)
    outcomes: dict[str, int] = {}
    bad, slowest = [], 0.0
    start = time.monotonic()
    for i in range(args.count):
        data = _mutate(rng, seeds[int(rng.integers(0, len(seeds)))], seeds, ids)
        t0 = time.monotonic()
        try:
            header = bitstream.read_header(data)
            res = api.decompress(data, device="cpu")
            if res.image.shape[:2] != (header.height, header.width):
                raise AssertionError(f"image {res.image.shape} for a {header.width}x{header.height} header")
            key = "decoded"
        except InputError as e:
            msg = str(e)
            key = type(e).__name__
            if not msg or "\n" in msg or len(msg) > 1000:
                bad.append((i, f"{key} without a one-line message: {msg[:300]!r}"))
        except Exception as e:  # noqa: BLE001 - a finding
            key = "other:" + type(e).__name__
            bad.append((i, f"{type(e).__name__}: {str(e)[:300]}"))
        took = time.monotonic() - t0
        slowest = max(slowest, took)
        if took > 10:
            bad.append((i, f"took {took:.1f} s"))
        outcomes[key] = outcomes.get(key, 0) + 1
        if (i + 1) % 1000 == 0:
            print(f"{i + 1} cases, {time.monotonic() - start:.0f} s", flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cases {args.count}, wall {time.monotonic() - start:.0f} s, slowest case {slowest:.2f} s, "
          f"peak RSS {peak_mb:.0f} MB")
    for key, n in sorted(outcomes.items(), key=lambda kv: -kv[1]):
        print(f"  {key:24s} {n}")
    for i, what in bad[:20]:
        print(f"FINDING case {i}: {what}")
    return 1 if bad or peak_mb > 2048 else 0


if __name__ == "__main__":
    sys.exit(main())
