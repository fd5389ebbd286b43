"""Widen a trained Minnen-backbone network to more channels without changing what it computes
(a Net2Net-style warm start, issue 27: zoo v2's N 48 / M 64 networks → N 128 / M 192).

    python -m lvqac_core.training.widen SRC.pt OUT.pt -N 128 -M 192 \
        --lambdas 0.0016,0.0032,0.0075,0.015,0.03,0.045,0.07,0.1,0.13

then ``lvqac train --init OUT.pt`` with the same architecture, N, M and λ presets.

Every old weight keeps its place; every new channel is one of three kinds, chosen so that the wide
network's reconstruction and coded symbols equal the narrow one's (tested in eval mode; training
mode too, where the only randomness is the noise the rate proxy and the hyper-latent's bottleneck
add to channels that are zero) while gradients still reach the new weights:

- **hidden units** (the transforms' GDN / LeakyReLU channels, the hyper features h_s hands on, the
  context features, the entropy-parameter net's hidden units): new units get the wide network's own
  initial incoming weights, so they are active, and zero outgoing weights into old units (GDN: zero
  cross terms γ[old, new]). Gradients reach the outgoing weights through the active units.
- **latent channels y**: g_a's new outputs have zero weights and bias, so y_new = 0 exactly; with
  mean 0 and the smallest scale (σ = 0.11) they quantize to 0 and cost about 10⁻⁵ bit each. Their
  consumers (g_s, h_a, the context) keep their initial weights from y_new: the input is zero, so
  nothing changes, but the distortion's gradient reaches y_new through g_s and, straight through
  the rounding, g_a's new rows.
- **hyper-latent channels z**: h_a's new outputs are zero too, and h_s reads them with zero weights,
  because in training the bottleneck adds uniform noise to z. Their bottleneck densities are
  narrow and centred on 0 (median 0: ẑ_new = 0 at inference), so they cost few bits; the noise
  in training gives h_s's new weights their first gradient.

The entropy parameters' new outputs (σ and μ of the new latent channels) have zero weights, bias
0.11 for σ (the scale bound) and 0 for μ. Gain units: the old presets' gains on the old channels;
at a preset inside the old range the old network's interpolated gain (what it did at that λ), and
beyond it the nearest end extended by the high-rate rule ln g ∝ ½ ln λ (inverse gain −½) that
:mod:`lvqac_core.models.gain` initialises with; new channels take each preset's mean gain over the
old channels.

**Live latents** (``--live-spread S --live-sigma s``; the seventh session's pilot showed why): new
latent channels that start at exactly 0 with σ at its bound stay unused, because the rate proxy
charges any move off 0 steeply and the distortion's first gradients are small. With live latents
the new channels start non-zero instead (``--live-direct``: g_s's old units read them too, with
their initial weights, so that the distortion reaches them at once and the reconstruction changes
a little): g_a's new rows keep their initial weights, scaled so that
the new channels' gained values have standard deviation S at the top preset on a calibration image
(the bundled sample by default), with σ = s. Nothing old reads them (g_s, h_a and the context read
them through new units only, whose outgoing weights are zero), so the reconstruction is still the
narrow network's; only their rate is new, and the trainer's gradients open the zero links first.
Live latents alone still fall back to zero bits within a few hundred steps (the rate's gradient
acts at once, the distortion's only once those links have opened): train them with the trainer's
rate warm-up for the gained channels (``--free-channels-from m --free-rate-steps 600
--free-ramp-steps 1200``; ``scripts/zoo3_campaign.sh``, docs/training.md).

Only the Minnen backbones (``minnen2018*``) with the scalar quantizer are handled (the campaign's
trunk); other networks get a one-line refusal.
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, Sequence

import torch
from torch import Tensor

from ..compressai_parts import EntropyBottleneck
from ..errors import InputError
from ..models import LatticeCodecModel, build_model
from ..models.codec_model import DERIVED_TABLES

__all__ = ["widen_model", "main"]

SCALE_BOUND = 0.11  # σ of a new latent channel: the entropy parameters' lower bound
NEW_Z_DENSITY_SCALE = 0.1  # width of a new hyper-latent channel's initial density (CompressAI's: 10)


@dataclass(frozen=True)
class Space:
    """One channel axis of ``new`` channels, the old ones kept at ``keep``; ``zero_out``: the
    new channels' producer outputs exactly 0; ``cut_in``: consumers' old units must not read the new
    channels (they are non-zero somewhere: active units, or z with training noise)."""

    new: int
    keep: tuple[int, ...]
    zero_out: bool
    cut_in: bool

    @property
    def added(self) -> list[int]:
        kept = set(self.keep)
        return [i for i in range(self.new) if i not in kept]


@dataclass(frozen=True)
class LiveLatents:
    """New latent channels that start non-zero (module docstring): ``spread`` is their gained
    standard deviation at the top preset on ``calibration`` (1×3×H×W in [0, 1]), ``sigma`` their σ."""

    spread: float
    sigma: float
    calibration: Tensor
    direct: bool = False  # g_s's old units read them too (initial weights): the reconstruction changes a little


def _space(old: int, new: int, kind: str, keep: Optional[Sequence[int]] = None) -> Space:
    keep = tuple(range(old)) if keep is None else tuple(keep)
    if kind == "live-y":  # non-zero new latents: only new units read them
        return Space(new, keep, zero_out=False, cut_in=True)
    return Space(new, keep, zero_out=kind in ("y", "z", "params"), cut_in=kind in ("hidden", "z"))


def _place(fresh: Tensor, old: Tensor, out: Space, inp: Optional[Space], transposed: bool = False) -> Tensor:
    """A wide weight (or bias, ``inp`` None): ``old`` at the kept rows/columns, the rules above
    elsewhere, ``fresh`` (the wide network's initial values) where they leave a choice."""
    w = fresh.detach().clone()
    if transposed:  # ConvTranspose2d stores (in, out, kh, kw)
        w, old = w.transpose(0, 1), old.transpose(0, 1)
    keep_out = torch.tensor(out.keep)
    if inp is None:
        w[keep_out] = old.to(w.dtype)
        if out.zero_out:
            w[out.added] = 0
        return w
    keep_in = torch.tensor(inp.keep)
    w[keep_out.view(-1, 1), keep_in.view(1, -1)] = old.to(w.dtype)
    if inp.cut_in and inp.added:
        w[keep_out.view(-1, 1), torch.tensor(inp.added).view(1, -1)] = 0
    if out.zero_out and out.added:
        w[out.added] = 0
    return w.transpose(0, 1).contiguous() if transposed else w


def _check_source(model: LatticeCodecModel, N: int, M: int) -> None:
    cfg = model.config
    if not cfg.architecture.startswith("minnen2018"):
        raise InputError(f"widening handles the Minnen backbones only, not {cfg.architecture}")
    if cfg.quantizer != "scalar":
        raise InputError(f"widening handles scalar networks only (the campaign's trunk), not {cfg.quantizer}; "
                         "widen the scalar network and fork the lattice families from it")
    if N < cfg.N or M < cfg.M:
        raise InputError(f"cannot widen N {cfg.N} / M {cfg.M} to the narrower N {N} / M {M}")


def _gain_rows(model: LatticeCodecModel, lambdas: Sequence[float], M: int, inverse: bool) -> Tensor:
    """(K, M) log-gains of the wide network at ``lambdas`` (see the module's docstring): the old
    channels' rows from the gain units, each new channel the preset's mean over the old ones."""
    rows = model.gain.log_rows_at(lambdas, inverse=inverse)
    return torch.cat([rows, rows.mean(dim=1, keepdim=True).expand(-1, M - rows.shape[1])], dim=1)


def widen_model(model: LatticeCodecModel, N: int, M: int, lambdas: Optional[Sequence[float]] = None,
                seed: int = 0, live: Optional[LiveLatents] = None) -> LatticeCodecModel:
    """A network with N / M channels that computes what ``model`` computes (module docstring).
    ``lambdas``: the wide network's gain presets (default: the old ones); ``live``: new latent
    channels that start non-zero (the reconstruction is still the narrow network's)."""
    _check_source(model, N, M)
    cfg = model.config
    n, m = cfg.N, cfg.M
    lambdas = [float(v) for v in (lambdas or cfg.lambdas)]
    if bool(lambdas) != bool(cfg.lambdas):
        raise InputError("a variable-rate network widens to a variable-rate one (and a single-rate to a single-rate)")
    provenance = dict(cfg.provenance or {})
    provenance["widened_from"] = {"N": n, "M": m, "lambdas": list(cfg.lambdas), "seed": seed}
    if live is not None:
        if not (live.spread > 0 and live.sigma >= SCALE_BOUND):
            raise InputError(f"live latents need a spread > 0 and σ ≥ {SCALE_BOUND} (got {live.spread}, {live.sigma})")
        provenance["widened_from"]["live"] = {"spread": live.spread, "sigma": live.sigma, "direct": live.direct}
    wide_cfg = replace(cfg, N=N, M=M, lambdas=lambdas, provenance=provenance,
                       quantizer_options=dict(cfg.quantizer_options))
    torch.manual_seed(seed)
    wide = build_model(wide_cfg)
    old = {k: v.detach().float() for k, v in model.state_dict().items()}
    fresh = wide.state_dict()
    new: dict[str, Tensor] = {}

    hidden = _space(n, N, "hidden")
    y = _space(m, M, "live-y" if live is not None else "y")
    y_to_g_s = _space(m, M, "y") if live is not None and live.direct else y  # initial weights from the new channels
    z = _space(n, N, "z")
    rgb = _space(3, 3, "hidden")
    hs1 = _space(m, M, "hidden")
    hs2 = _space(m * 3 // 2, M * 3 // 2, "hidden")
    hyper = _space(2 * m, 2 * M, "hidden")
    ctx = _space(2 * m, 2 * M, "hidden")
    ep_in = _space(4 * m, 4 * M, "hidden", keep=list(range(2 * m)) + list(range(2 * M, 2 * M + 2 * m)))
    ep1 = _space(m * 10 // 3, M * 10 // 3, "hidden")
    ep2 = _space(m * 8 // 3, M * 8 // 3, "hidden")
    params = _space(2 * m, 2 * M, "params", keep=list(range(m)) + list(range(M, M + m)))

    layers = {  # name: (out, in, transposed)
        "g_a.0": (hidden, rgb, False), "g_a.2": (hidden, hidden, False), "g_a.4": (hidden, hidden, False),
        "g_a.6": (y, hidden, False),
        "g_s.0": (hidden, y_to_g_s, True), "g_s.2": (hidden, hidden, True), "g_s.4": (hidden, hidden, True),
        "g_s.6": (rgb, hidden, True),
        "h_a.0": (hidden, y, False), "h_a.2": (hidden, hidden, False), "h_a.4": (z, hidden, False),
        "h_s.0": (hs1, z, True), "h_s.2": (hs2, hs1, True),
    }
    if "context.weight" in old:  # a context model: h_s's features and the context's feed the parameter net
        layers.update({
            "h_s.4": (hyper, hs2, False), "context": (ctx, y, False),
            "entropy_parameters.0": (ep1, ep_in, False), "entropy_parameters.2": (ep2, ep1, False),
            "entropy_parameters.4": (params, ep2, False),
        })
        last = "entropy_parameters.4"
    else:  # the parallel order: h_s gives (σ, μ) itself
        layers["h_s.4"] = (params, hs2, False)
        last = "h_s.4"
    for name, (out, inp, transposed) in layers.items():
        new[f"{name}.weight"] = _place(fresh[f"{name}.weight"], old[f"{name}.weight"], out, inp, transposed)
        new[f"{name}.bias"] = _place(fresh[f"{name}.bias"], old[f"{name}.bias"], out, None)
    new[f"{last}.bias"][params.added[:M - m]] = SCALE_BOUND if live is None else live.sigma  # σ; μ stays 0

    for name in ("g_a.1", "g_a.3", "g_a.5", "g_s.1", "g_s.3", "g_s.5"):
        # stored (reparametrised) values: the fresh γ is diagonal, so its cross terms already read 0
        new[f"{name}.beta"] = _place(fresh[f"{name}.beta"], old[f"{name}.beta"], hidden, None)
        new[f"{name}.gamma"] = _place(fresh[f"{name}.gamma"], old[f"{name}.gamma"], hidden, hidden)

    narrow = EntropyBottleneck(N - n, init_scale=NEW_Z_DENSITY_SCALE)
    for k, t in narrow.state_dict().items():
        key = f"entropy_bottleneck.{k}"
        if key not in fresh or fresh[key].shape[:1] != (N,):
            continue
        t = t.detach().clone()
        if k.startswith("biases."):
            t.zero_()  # with zero biases (and the zero initial factors) the density is symmetric about 0
        if k == "quantiles":
            t[:, 0, 1] = 0.0  # median 0: ẑ_new = round(0 − 0) + 0 = 0
        wide_t = fresh[key].detach().clone()
        wide_t[:n] = old[key]
        wide_t[n:] = t
        new[key] = wide_t

    if model.gain is not None:
        new["gain.log_gain"] = _gain_rows(model, lambdas, M, inverse=False)
        new["gain.log_inv_gain"] = _gain_rows(model, lambdas, M, inverse=True)
    for key, t in fresh.items():  # constants (bounds, pedestals, the bottleneck's target)
        if key not in new and key in old and old[key].shape == t.shape:
            new[key] = old[key]
    missing = [k for k in fresh if k not in new and not k.endswith(DERIVED_TABLES + ("mask",))]
    if missing:
        raise InputError(f"widening does not know how to place {missing[:4]}")
    wide.load_state_dict(new, strict=False)
    if live is not None:
        _scale_live_latents(wide, m, live)
    return wide


@torch.no_grad()
def _scale_live_latents(wide: LatticeCodecModel, m: int, live: LiveLatents) -> None:
    """Scale g_a's new output rows so that the new channels' gained values have standard deviation
    ``live.spread`` at the top preset on the calibration image."""
    was_training = wide.training
    wide.eval()
    y = wide.g_a(live.calibration.to(torch.float32))
    gains = wide.gains(wide.lambda_range[1]) if wide.gain is not None else None
    if gains is not None:
        y = y * gains[0]
    spread = float(y[:, m:].std())
    if not math.isfinite(spread) or spread <= 0:
        raise InputError("the calibration image gives the new latent channels no spread; use another image")
    factor = live.spread / spread
    last = wide.g_a[len(wide.g_a) - 1]
    last.weight[m:].mul_(factor)
    last.bias[m:].mul_(factor)
    wide.train(was_training)


def lambda_list(text: str) -> list[float]:
    """``--lambdas`` of the training tools: comma-separated numbers (argparse type)."""
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from None


def _calibration_image(path: Optional[str]) -> Tensor:
    from ..image_files import load_rgb
    from ..image_tensors import to_tensor
    from ..resources import resources_dir

    x, _ = to_tensor(load_rgb(path or resources_dir() / "samples" / "astronaut.png"))
    return x


def main(argv: Optional[Sequence[str]] = None) -> int:
    from ..checkpoint import load_checkpoint, save_checkpoint

    p = argparse.ArgumentParser(prog="python -m lvqac_core.training.widen", description=__doc__.split("\n\n")[0])
    p.add_argument("source", help="the narrow network's checkpoint (e.g. a zoo v2 scalar network)")
    p.add_argument("out", help="where to write the wide network (fp32; refuses to overwrite)")
    p.add_argument("-N", type=int, required=True, help="hidden channels of the wide network")
    p.add_argument("-M", type=int, required=True, help="latent channels of the wide network")
    p.add_argument("--lambdas", type=lambda_list, default=None, help="gain presets (default: the source's)")
    p.add_argument("--seed", type=int, default=0, help="seed of the new channels' initial weights")
    p.add_argument("--live-spread", type=float, default=None, metavar="S",
                   help="start the new latent channels non-zero, with this gained standard deviation at the top preset")
    p.add_argument("--live-sigma", type=float, default=0.5, metavar="s", help="σ of live new latent channels (default 0.5)")
    p.add_argument("--live-direct", action="store_true",
                   help="g_s's old units read live latents with their initial weights from the start (a direct "
                        "distortion path; the reconstruction is no longer exactly the narrow network's)")
    p.add_argument("--calibration", default=None, metavar="IMAGE",
                   help="image that sets the live latents' scale (default: the bundled sample)")
    args = p.parse_args(argv)
    out = Path(args.out)
    if out.exists():
        print(f"widen: {out} exists; not overwriting it", file=sys.stderr)
        return 2
    try:
        src = load_checkpoint(args.source)
        live = None
        if args.live_spread is not None:
            live = LiveLatents(args.live_spread, args.live_sigma, _calibration_image(args.calibration),
                               direct=args.live_direct)
        wide = widen_model(src, args.N, args.M, args.lambdas, seed=args.seed, live=live)
    except InputError as e:
        print(f"widen: {e}", file=sys.stderr)
        return 2
    digest = save_checkpoint(wide, out, half=False)
    n_old = sum(t.numel() for t in src.parameters())
    n_new = sum(t.numel() for t in wide.parameters())
    print(f"widen: N {src.config.N}/M {src.config.M} → N {args.N}/M {args.M}, "
          f"{n_old / 1e6:.2f} M → {n_new / 1e6:.2f} M parameters; wrote {out} (sha256 {digest[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
