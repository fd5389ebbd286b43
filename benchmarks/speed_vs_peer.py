"""Ours vs CompressAI vs Pillow: encode, decode, network vs entropy-coding time, peak RSS.

    python -m benchmarks.speed_vs_peer [--sizes 768x512,1920x1080,3840x2160] [--repeats 3]
        [--threads 1] [--no-rss] [--no-pillow] [--before]

Codecs (all CPU, ``torch.set_num_threads(--threads)``):

- ``ours scalar``  / ``ours lvqac``: the zoo's minnen2018-ckbd scalar and LVQAC models (λ of the
  zoo's default), through the public API: ``Codec.compress(rgb, reconstruction=False)`` (what a
  file needs; the peer does not synthesise on encode either) and ``Codec.decompress(data,
  bits_map=False)`` (the image alone; the peer computes no bits map either).
- ``ours scalar +map`` / ``ours lvqac +map`` (``--bits-map``): the same decode with the estimated-bits
  map, as the app and ``lvqac decompress`` run it (the likelihoods of every y and z symbol).
- ``ours lvqac old`` (``--before``): the same LVQAC codec decoding as it did before the compiled
  rANS decoder and the in-place GDN: pure-Python rANS loop (what still runs where ``_ransdec.c``
  is not built) and ``g_s(y)`` as CompressAI runs it. Encoding is the same as ``ours lvqac``.
- ``peer ckbd``: CompressAI's own checkerboard codec (``HyperpriorLatentCodec`` around a
  ``CheckerboardLatentCodec`` + ``GaussianConditionalLatentCodec``, nested as its
  ``Cheng2020AnchorCheckerboard``) on the same Minnen transforms, loaded with our scalar weights
  (a variable-rate network's gain pair at the codec's λ multiplies y after g_a and before g_s).
- ``peer mbt-mean``: CompressAI's stock ``MeanScaleHyperprior`` (mbt2018-mean) of the same N/M,
  untrained (random) weights: fine for timing, not for rate.
- Pillow JPEG / WebP / AVIF at quality 75, default speed settings.

Times are medians of --repeats runs interleaved round-robin over the codecs; ``enc x`` / ``dec x``
are the medians of the per-round ratios to ``peer ckbd`` (each round's runs are close in time and
share the machine's state), so they compare like with like on a noisy, shared machine. ``enc net`` / ``dec net`` is the analysis g_a (resp.
synthesis g_s) transform alone, timed on the same tensors, each codec's as it runs it (ours: in-place
GDN, and a channels-last synthesis); the rest of encode/decode is the
hyperprior, parameter networks, quantization and rANS. Peak RSS is the VmHWM of a fresh
process that loads the codec and runs one encode and one decode at that size. Test images are the
committed 512×512 sample resized (bicubic), never Kodak.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import torch
from torch import nn

from benchmarks.bench_common import ROOT, parse_size, sample_image
from lvqac_core import zoo
from lvqac_core.api import Codec, load_model
from lvqac_core.entropy import safe_rans
from lvqac_core.models import transform_runner
from lvqac_core.image_tensors import to_tensor, to_uint8
from lvqac_core.geometry import latent_grid, pad_amounts

OURS = ("ours scalar", "ours lvqac", "ours lvqac old", "ours scalar +map", "ours lvqac +map")
OLD = "ours lvqac old"  # --before: the LVQAC codec decoding as before (see the docstring)
WITH_MAP = ("ours scalar +map", "ours lvqac +map")  # --bits-map: decoding with the bits map, as the app
PEERS = ("peer ckbd", "peer mbt-mean")
PILLOW = ("JPEG q75", "WebP q75", "AVIF q75")


# ------------------------------------------------------------------ codecs ---------------------
MODELS: dict[str, str] = {}  # --scalar-model / --lvqac-model: checkpoints instead of the zoo's
TIER: list[str] = []  # --tier: the zoo tier whose networks are timed (default: the default model's)


def zoo_ids() -> dict[str, str]:
    """The zoo's scalar and LVQAC rows at the default model's λ, of --tier's tier (else the
    default model's), with --scalar-model / --lvqac-model in their place."""
    default = zoo.get_entry(zoo.default_model_id())
    tier = TIER[0] if TIER else default.tier
    scalar = zoo.find_model("scalar", default.lmbda, default.architecture, tier)
    lvqac = zoo.find_model("lvqac", default.lmbda, default.architecture, tier)
    return {"ours scalar": scalar.id, "ours lvqac": lvqac.id, **MODELS}


def peer_checkerboard(ours: Codec) -> nn.Module:
    """CompressAI's checkerboard latent codec around our transforms and weights (shared modules)."""
    from compressai.latent_codecs import (CheckerboardLatentCodec, GaussianConditionalLatentCodec,
                                          HyperLatentCodec, HyperpriorLatentCodec)
    from compressai.models.base import SimpleVAECompressionModel

    m = ours.model
    assert m.config.spec.decoding_order == "checkerboard" and m.config.quantizer == "scalar"

    class OurChannelOrder(CheckerboardLatentCodec):
        def merge(self, ctx, side):  # our entropy_parameters take [hyper, context]
            return torch.cat([side, ctx], dim=1)

    gains = m.gains(ours.lmbda)  # a variable-rate network: the gain pair of the codec's λ around y

    class Scale(nn.Module):
        def __init__(self, g):
            super().__init__()
            self.register_buffer("g", g.detach().clone())

        def forward(self, x):
            return x * self.g

    class Peer(SimpleVAECompressionModel):
        def __init__(self):
            super().__init__()
            self.g_a, self.g_s = m.g_a, m.g_s
            if gains is not None:
                self.g_a, self.g_s = nn.Sequential(m.g_a, Scale(gains[0])), nn.Sequential(Scale(gains[1]), m.g_s)
            self.latent_codec = HyperpriorLatentCodec(latent_codec={
                "y": OurChannelOrder(
                    latent_codec={"y": GaussianConditionalLatentCodec(quantizer="ste")},
                    entropy_parameters=m.entropy_parameters, context_prediction=m.context),
                "hyper": HyperLatentCodec(entropy_bottleneck=m.entropy_bottleneck, h_a=m.h_a, h_s=m.h_s,
                                          quantizer="ste"),
            })

    peer = Peer().eval()
    peer.update(force=True)
    return peer


def peer_mean_scale(N: int, M: int) -> nn.Module:
    from compressai.models import MeanScaleHyperprior

    torch.manual_seed(0)
    peer = MeanScaleHyperprior(N, M).eval()
    peer.update(force=True)
    return peer


class Runner:
    """encode() -> payload, decode(payload) -> uint8 image; net_* time the big transform alone."""

    def __init__(self, name: str, codecs: dict, rgb):
        self.name, self.rgb = name, rgb
        self.h, self.w = rgb.shape[:2]
        self.obj = codecs[name]
        self.x = to_tensor(rgb)[0] if name in OURS + PEERS else None

    def encode(self):
        if self.name in OURS:
            return self.obj.compress(self.rgb, reconstruction=False).data
        if self.name in PEERS:
            with torch.inference_mode():
                x, _ = to_tensor(self.rgb)
                return self.obj.compress(x)
        from PIL import Image

        fmt = self.name.split()[0]
        buf = io.BytesIO()
        Image.fromarray(self.rgb).save(buf, format=fmt, quality=75)
        return buf.getvalue()

    def decode(self, payload):
        if self.name == OLD:
            with safe_rans.python_decoder(), transform_runner.stock_transforms():
                return self.obj.decompress(payload).image
        if self.name in OURS:
            return self.obj.decompress(payload, bits_map=self.name in WITH_MAP).image
        if self.name in PEERS:
            with torch.inference_mode():
                out = self.obj.decompress(payload["strings"], payload["shape"])
            return to_uint8(out["x_hat"], self.h, self.w)
        from PIL import Image

        with Image.open(io.BytesIO(payload)) as im:
            im.load()
            return im

    def nbytes(self, payload) -> int:
        if isinstance(payload, (bytes, bytearray)):
            return len(payload)
        return sum(len(s) for group in payload["strings"] for s in group)

    def net_encode(self):
        with torch.inference_mode():
            if self.name in OURS:  # as our encoder runs it (in-place GDN)
                transform_runner.run_transform(self.obj.model.g_a, self.x)
            else:
                self.obj.g_a(self.x)

    def net_decode(self, y_shape):
        with torch.inference_mode():
            if self.name in OURS:  # as our decoder runs it (in-place GDN, channels-last)
                transform_runner.run_transform(self.obj.model.g_s, torch.zeros(y_shape), channels_last=True)
            else:
                self.obj.g_s(torch.zeros(y_shape))


def build_codecs(names) -> dict:
    ids = zoo_ids()
    codecs: dict = {}
    for n in OURS[:2]:
        if (n in names or (n == "ours scalar" and set(PEERS) & set(names)) or (n == "ours lvqac" and OLD in names)
                or f"{n} +map" in names):
            codecs[n] = load_model(ids[n], "cpu")
    if OLD in names:
        codecs[OLD] = codecs["ours lvqac"]
    for n in WITH_MAP:
        if n in names:
            codecs[n] = codecs[n.removesuffix(" +map")]
    if "peer ckbd" in names:
        codecs["peer ckbd"] = peer_checkerboard(codecs["ours scalar"])
    if "peer mbt-mean" in names:
        cfg = codecs["ours scalar"].model.config
        codecs["peer mbt-mean"] = peer_mean_scale(cfg.N, cfg.M)
    for n in PILLOW:
        codecs[n] = None
    return {n: codecs[n] for n in names}


# ------------------------------------------------------------------ measuring ------------------
def time_one(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_size(names, codecs, w: int, h: int, repeats: int) -> dict[str, dict[str, float]]:
    rgb = sample_image(w, h)
    runners = {n: Runner(n, codecs, rgb) for n in names}
    M = codecs["ours scalar"].model.config.M if "ours scalar" in codecs else 64  # peers share N/M
    pad_bottom, pad_right = pad_amounts(h, w)
    y_shape = (1, M, *latent_grid(h + pad_bottom, w + pad_right))  # the y grid of the padded image
    payloads = {n: r.encode() for n, r in runners.items()}  # warm-up
    for n, r in runners.items():
        r.decode(payloads[n])
    t: dict[str, dict[str, list[float]]] = {n: {"enc": [], "dec": [], "enc net": [], "dec net": []} for n in names}
    for _ in range(repeats):
        for n, r in runners.items():
            t0 = time.perf_counter()
            payloads[n] = r.encode()
            t[n]["enc"].append(time.perf_counter() - t0)
            t[n]["dec"].append(time_one(lambda: r.decode(payloads[n])))
            if n in OURS + PEERS:
                t[n]["enc net"].append(time_one(r.net_encode))
                t[n]["dec net"].append(time_one(lambda: r.net_decode(y_shape)))
    out = {}
    for n in names:
        out[n] = {k: (statistics.median(v) if v else float("nan")) for k, v in t[n].items()}
        out[n]["bpp"] = 8.0 * runners[n].nbytes(payloads[n]) / (w * h)
        if "peer ckbd" in t:  # per-round ratios: a round's runs share the machine's state
            for k in ("enc", "dec"):
                out[n][f"{k} x"] = statistics.median(a / b for a, b in zip(t[n][k], t["peer ckbd"][k]))
    return out


RSS_CHILD = r"""
import sys, json, resource, torch
torch.set_num_threads({threads})
import benchmarks.speed_vs_peer as S
S.MODELS.update({models!r})
S.TIER[:] = {tier!r}
codecs = S.build_codecs([{name!r}] if {name!r} != "none" else [])
if {name!r} != "none":
    r = S.Runner({name!r}, codecs, S.sample_image({w}, {h}))
    r.decode(r.encode())
print(json.dumps(S.vm_hwm_kb()))
"""


def vm_hwm_kb() -> int:
    """Peak resident set of this process (VmHWM). Not ru_maxrss: Linux carries that across
    fork + exec, so a child would report its parent's peak."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_rss_mb(name: str, w: int, h: int, threads: int) -> float:
    code = RSS_CHILD.format(bench=str(ROOT / "benchmarks"), threads=threads, name=name, w=w, h=h, models=MODELS,
                            tier=TIER)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        return float("nan")
    return json.loads(out.stdout.strip().splitlines()[-1]) / 1024.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="768x512,1920x1080,3840x2160")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-rss", action="store_true", help="skip the peak-RSS subprocesses")
    p.add_argument("--no-pillow", action="store_true")
    p.add_argument("--before", action="store_true",
                   help=f"add '{OLD}': the LVQAC model decoding with the pure-Python rANS loop and "
                        f"CompressAI's GDN (the decode before the compiled decoder and the in-place GDN)")
    p.add_argument("--bits-map", action="store_true",
                   help=f"add {' and '.join(repr(n) for n in WITH_MAP)}: decoding with the estimated-bits map, "
                        f"as the app and 'lvqac decompress' do")
    p.add_argument("--scalar-model", metavar="CKPT",
                   help="time this scalar checkpoint (and the peers with its weights and N/M) instead of "
                        "the zoo's, e.g. a campaign run's model_latest.pt; 'ours lvqac' is left out "
                        "unless --lvqac-model names one of the same size")
    p.add_argument("--lvqac-model", metavar="CKPT", help="with --scalar-model: the LVQAC checkpoint to time")
    p.add_argument("--tier", default=None, help="the zoo tier to time (fast, wide; default: the default model's)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.tier:
        TIER.append(args.tier)
    if args.scalar_model:
        MODELS["ours scalar"] = args.scalar_model
    if args.lvqac_model:
        MODELS["ours lvqac"] = args.lvqac_model
    skip = {"ours lvqac", OLD, "ours lvqac +map"} if args.scalar_model and not args.lvqac_model else set()
    names = list(OURS[:2]) + ([OLD] if args.before else []) + (list(WITH_MAP) if args.bits_map else []) + list(PEERS)
    names += [] if args.no_pillow else list(PILLOW)
    names = [n for n in names if n not in skip]
    codecs = build_codecs(names)
    cfg = codecs["ours scalar"].model.config
    base_rss = float("nan") if args.no_rss else peak_rss_mb("none", 64, 64, args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), CPU ({os.cpu_count()} cores visible), "
          f"median of {args.repeats} interleaved runs; N/M {cfg.N}/{cfg.M}; models {', '.join(v for k, v in zoo_ids().items() if k in names)}")
    print("ratios are against 'peer ckbd' (CompressAI's checkerboard codec with our scalar weights); "
          f"RSS of a process that only imports torch, lvqac_core and Pillow: {base_rss:.0f} MB")
    hdr = (f"{'size':<10} {'codec':<16} {'enc s':>7} {'dec s':>7} {'enc net':>8} {'dec net':>8} {'enc x':>6} "
           f"{'dec x':>6} {'bpp':>6} {'RSS MB':>7}")
    print(hdr)
    for size in args.sizes.split(","):
        w, h = parse_size(size)
        res = bench_size(names, codecs, w, h, args.repeats)
        peer = res.get("peer ckbd")
        for n in names:
            r = res[n]
            rss = float("nan") if args.no_rss else peak_rss_mb(n, w, h, args.threads)
            ex = r["enc x"] if peer else float("nan")
            dx = r["dec x"] if peer else float("nan")
            net = lambda v: "" if v != v else f"{v:.3f}"  # noqa: E731 (nan: not a learned codec)
            print(f"{w}x{h:<5} {n:<16} {r['enc']:>7.3f} {r['dec']:>7.3f} {net(r['enc net']):>8} {net(r['dec net']):>8} "
                  f"{ex:>6.2f} {dx:>6.2f} {r['bpp']:>6.3f} {rss:>7.0f}", flush=True)


if __name__ == "__main__":
    main()
