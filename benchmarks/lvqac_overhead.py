"""What LVQAC costs over scalar rounding: paired encode/decode ratios and the LVQAC-only stages.

    python -m benchmarks.lvqac_overhead [--sizes 768x512,1920x1080,3840x2160] [--rounds 9]
        [--threads 1] [--stages-only] [--busy]

``--busy`` runs the paired encode/decode rounds twice per size, quiet and then with one core
held by a spinning process (``bench_common.busy_core``), and prints both tables.

The zoo's minnen2018-ckbd scalar and LVQAC networks at the default model's λ (as
``speed_vs_peer.py``), through the public API: ``Codec.compress(rgb, reconstruction=False)`` and
``Codec.decompress(data, bits_map=False)``; beside them the path users run: ``lvqac decompress``'s
work (``service.decode`` with its bits map and the PNG written to memory) and ``lvqac
compress``'s (reconstruction, PSNR, MS-SSIM, bits map). Each round runs scalar and LVQAC back to back; the
ratio LVQAC/scalar is taken **per round** (a pair shares the machine's state; the pair's order
alternates between rounds) and the table gives the median of those ratios with its interquartile
range, for wall time and for the thread's CPU time (``time.thread_time``: with one torch thread
the work runs on the calling thread, and time spent preempted by other processes does not
count). ``best/best`` is the ratio of each codec's fastest round: on a shared machine, other
work only ever adds time, so the minimum is the least disturbed estimate of each cost.

The stage rows time, interleaved, what an LVQAC decode computes that a scalar decode does not,
each alone on the file's own hyperprior features: the A head with its snapping to the coder's
levels, the selection head with its probability levels, the rANS decode of the selection bits,
and the companded dequantization ŷ = μ + V·F_A⁻¹(û/V) of the whole latent. Where the exact nets
fuse the two heads' first layers (one product, ``CodingNets.heads``), a row times both heads that
way, which is what a decode runs: the sum counts it instead of the two heads apart, and a line
gives fused / apart as the median of the per-round ratios (the rows are interleaved, so a round's
three share the machine's state). The sum, as a share of the scalar decode, is the overhead the
method's own networks and companding imply. The
rest of a decode (z, h_s, the entropy parameters and context, rANS of y, g_s) is the same work
for both networks; only the weights and the data differ. A last line times the heads' big layer
(the A head's first 3x3 convolution) alone as GFLOP/s, next to a one-thread 2048x2048 fp32 matrix
product: how close the heads already run to what this core does on dense math.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import statistics
import time
from typing import Optional

import numpy as np
import torch

from benchmarks.bench_common import busy_core, parse_size, sample_image
from benchmarks.speed_vs_peer import TIER, zoo_ids
from lvqac_core import bitstream, service
from lvqac_core.image_files import save_png
from lvqac_core.api import Codec, load_model
from lvqac_core.entropy.binary import decode_bits
from lvqac_core.quantizers import QuantizedLatent


CONV = "the A head's first 3x3 conv alone"
FUSED = "both heads + levels (fused)"
APART = ("A head + levels (exact)", "selection head + levels (exact)")
PNG_OUT = os.path.join(tempfile.gettempdir(), f"lvqac_overhead_{os.getpid()}.png")
WHAT = {"enc": "encode wall", "enc cpu": "encode CPU", "dec": "decode wall", "dec cpu": "decode CPU",
        "cli enc": "lvqac compress's work", "cli dec": "lvqac decompress's work"}


def timed(fn) -> tuple[float, float]:
    """(wall s, thread CPU s) of one call."""
    w0, c0 = time.perf_counter(), time.thread_time()
    fn()
    return time.perf_counter() - w0, time.thread_time() - c0


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else [values[0]] * 3
    return q[0], statistics.median(values), q[2]


def paired(codecs: dict[str, Codec], rgb: np.ndarray, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Per round: encode and decode with each codec, scalar first in even rounds and LVQAC first in
    odd ones; every time (wall, CPU)."""
    data = {k: c.compress(rgb, reconstruction=False).data for k, c in codecs.items()}  # warm-up
    for k, c in codecs.items():
        c.decompress(data[k], bits_map=False)
    out: dict[str, dict[str, list[float]]] = {k: {w: [] for w in WHAT} for k in codecs}
    order = list(codecs.items())
    for r in range(rounds):
        for k, c in (order if r % 2 == 0 else order[::-1]):  # alternate who goes first: no order bias
            w, cpu = timed(lambda: data.__setitem__(k, c.compress(rgb, reconstruction=False).data))
            out[k]["enc"].append(w)
            out[k]["enc cpu"].append(cpu)
            w, cpu = timed(lambda: c.decompress(data[k], bits_map=False))
            out[k]["dec"].append(w)
            out[k]["dec cpu"].append(cpu)
            out[k]["cli enc"].append(timed(lambda: service.encode(c, rgb))[0])
            out[k]["cli dec"].append(timed(lambda: cli_decode(c, data[k]))[0])
    return out


def cli_decode(codec: Codec, data: bytes) -> None:
    """What ``lvqac decompress`` does once its model is loaded: decode (with the bits map it
    summarises) and write the PNG (to a temporary file)."""
    decoded = service.decode(data, lambda header: codec)
    save_png(decoded.result.image, PNG_OUT, overwrite=True)


def lvqac_stages(codec: Codec, rgb: np.ndarray, rounds: int
                 ) -> tuple[dict[str, float], float, float, Optional[tuple[float, float, float]]]:
    """Median thread-CPU seconds of each LVQAC-only decode stage, on this image's file; then the
    seconds and GFLOP/s of the A head's first convolution timed alone among them; then the
    quartiles of the per-round ratio fused heads / the two heads apart (None without fusion)."""
    m = codec.model
    lc = m.latent_codec
    comp = lc.companding
    assert comp is not None and lc.a_head is not None
    header, sections = bitstream.unpack(codec.compress(rgb, reconstruction=False).data)
    nets = lc.coding_nets(exact=True)  # format 2: the networks the coder evaluates exactly
    with torch.inference_mode():
        z_hat = m._decode_z(sections["z"], (header.hyper_height, header.hyper_width))
        hyper = m.hyper_synthesis(z_hat)
        lat = lc.decompress(sections, hyper, bits_map=False)
        a_val = nets.a_levels(hyper)[1]
        levels = lc.selection_levels(hyper, nets)
        # the whole latent's lattice values and μ (their values do not change the cost)
        u = torch.round(torch.randn_like(lat.y_hat) * 2)
        sel = lat.selection
        symbols = u.to(torch.int32)
        mu = torch.zeros_like(lat.y_hat)
        qz = QuantizedLatent(symbols=symbols, selection=sel)
        stages = {
            "A head + levels (exact)": lambda: nets.a_levels(hyper),
            "companded dequantization": lambda: nets.reconstruct(
                mu, comp.from_u(comp.lattice_values(qz).double(), a_val.double())),
        }
        if levels is not None:
            stages["selection head + levels (exact)"] = lambda: lc.selection_levels(hyper, nets)
            lv = levels.cpu().numpy()
            stages["selection bits (rANS)"] = lambda: decode_bits(sections.get("selection", b""), lv)
        if nets.heads is not None:
            stages[FUSED] = lambda: lc.head_outputs(hyper, nets)
        conv = lc.a_head.net[0]  # the heads' big layer: 3x3, 2M -> hidden channels
        stages[CONV] = lambda: conv(hyper)
        times: dict[str, list[float]] = {k: [] for k in stages}
        for fn in stages.values():
            fn()
        for _ in range(rounds):
            for k, fn in stages.items():
                times[k].append(timed(fn)[1])
    out = {k: statistics.median(v) for k, v in times.items()}
    fused = None
    if FUSED in times and all(k in times for k in APART):
        fused = quartiles([f / (a + s) for f, a, s in zip(times[FUSED], *(times[k] for k in APART))])
    flops = 2 * conv.in_channels * conv.out_channels * 9 * hyper.shape[-2] * hyper.shape[-1]
    seconds = out.pop(CONV)
    return out, seconds, flops / seconds / 1e9, fused


def sgemm_gflops(n: int = 2048, rounds: int = 5) -> float:
    """One-thread fp32 matrix product, the best of a few: what a core reaches on dense math."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    return 2 * n ** 3 / min(timed(lambda: torch.mm(a, b))[1] for _ in range(rounds)) / 1e9


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="768x512,1920x1080,3840x2160")
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--stages-only", action="store_true", help="skip the paired encode/decode runs")
    p.add_argument("--busy", action="store_true", help="also run the pairs with one core held busy")
    p.add_argument("--tier", default=None, help="the zoo tier to time (fast, wide; default: the default model's)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.tier:
        TIER.append(args.tier)
    ids = zoo_ids()
    codecs = {k.removeprefix("ours "): load_model(v, "cpu") for k, v in ids.items()}
    cfg = codecs["lvqac"].model.config
    print(f"torch {torch.__version__}, {args.threads} thread(s), CPU; N/M {cfg.N}/{cfg.M}; "
          f"models {', '.join(ids.values())}; {args.rounds} rounds")
    for size in args.sizes.split(","):
        w, h = parse_size(size)
        rgb = sample_image(w, h)
        print(f"\n{w}x{h}")
        scalar_dec_cpu = None
        for busy in ((False, True) if args.busy else (False,)) if not args.stages_only else ():
            with busy_core(busy):
                t = paired(codecs, rgb, args.rounds)
            print(f"  {'busy: one core held' if busy else 'quiet':<22} {'scalar s':>9} {'lvqac s':>9} "
                  f"{'lvqac/scalar (per-round median, IQR)':>38} {'best/best':>10}")
            for what, label in WHAT.items():
                s, q = statistics.median(t["scalar"][what]), statistics.median(t["lvqac"][what])
                lo, mid, hi = quartiles([b / a for a, b in zip(t["scalar"][what], t["lvqac"][what])])
                best = min(t["lvqac"][what]) / min(t["scalar"][what])
                print(f"  {label:<22} {s:>9.3f} {q:>9.3f} {mid:>16.3f}  [{lo:.3f}, {hi:.3f}] {best:>10.3f}")
            if not busy:
                scalar_dec_cpu = statistics.median(t["scalar"]["dec cpu"])
        stages, conv_seconds, gflops, fused = lvqac_stages(codecs["lvqac"], rgb, args.rounds)
        counted = {k: v for k, v in stages.items() if not (FUSED in stages and k in APART)}
        total = sum(counted.values())
        share = (lambda v: f"{100 * v / scalar_dec_cpu:5.1f} % of a scalar decode") if scalar_dec_cpu else (lambda v: "")
        print("  LVQAC-only decode stages (thread CPU, median):")
        for k, v in stages.items():
            print(f"    {k:<32} {1000 * v:8.2f} ms  {share(v) if k in counted else '(not in the sum: apart)'}")
        print(f"    {'sum':<32} {1000 * total:8.2f} ms  {share(total)}")
        if fused is not None:
            print(f"  fused heads / the two heads apart (per-round median, IQR): {fused[1]:.3f} "
                  f"[{fused[0]:.3f}, {fused[2]:.3f}]")
        print(f"  {CONV}: {1000 * conv_seconds:.2f} ms, {gflops:.0f} GFLOP/s "
              f"(a 2048x2048 fp32 matrix product on this thread: {sgemm_gflops():.0f} GFLOP/s)")


if __name__ == "__main__":
    main()
