"""Give a trained variable-rate network more λ presets, keeping everything it already does
(issue 27: the top of the wide tier's curve, 35.9 dB at λ 0.13, below the 36 dB asked for).

    python -m lvqac_core.training.extend_presets SRC.pt OUT.pt \
        --lambdas 0.0016,0.0032,0.0075,0.015,0.03,0.045,0.07,0.1,0.13,0.2

then ``lvqac train --init OUT.pt`` with the new presets (``LAMBDAS=… scripts/zoo3_campaign.sh``).

Any family (scalar, LVQ, LVQAC) and architecture: only the gain units change. Every old preset
must stay (its rows are copied, so the network codes exactly what it did there); a new preset
inside the old range starts with what the network did at that λ (the interpolated gains), one
beyond it with the nearest end moved by the high-rate rule ln g ∝ ½ ln λ
(:meth:`lvqac_core.models.gain.GainUnits.log_rows_at`, as :mod:`.widen` does).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Optional, Sequence

from ..errors import InputError
from ..models import LatticeCodecModel, build_model
from ..models.codec_model import DERIVED_TABLES
from .widen import lambda_list

__all__ = ["extend_presets", "main"]

# tables the model derives from its weights (rebuilt by update()), not weights
DERIVED_SUFFIXES = DERIVED_TABLES + ("mask",)


def extend_presets(model: LatticeCodecModel, lambdas: Sequence[float]) -> LatticeCodecModel:
    """``model`` with the λ presets ``lambdas`` (a superset of its own): same weights, new gain rows."""
    cfg = model.config
    if model.gain is None or not cfg.lambdas:
        raise InputError("a single-rate network has no presets to extend; train a variable-rate one (--lambdas)")
    new = [float(v) for v in lambdas]
    if new != sorted(set(new)) or any(not v > 0 for v in new):
        raise InputError(f"presets must be positive, distinct and increasing, got {new}")
    old = [float(v) for v in cfg.lambdas]
    lost = [v for v in old if v not in new]
    if lost:
        raise InputError(f"the new presets must keep every old one (the zoo's rows); missing {lost}")
    provenance = dict(cfg.provenance or {})
    provenance.setdefault("presets_extended_from", []).append(old)
    out = build_model(replace(cfg, lambdas=new, provenance=provenance,
                              quantizer_options=dict(cfg.quantizer_options)))
    state = {k: v.detach().float() if v.is_floating_point() else v for k, v in model.state_dict().items()
             if not k.endswith(DERIVED_SUFFIXES)}
    state["gain.log_gain"] = model.gain.log_rows_at(new)
    state["gain.log_inv_gain"] = model.gain.log_rows_at(new, inverse=True)
    missing, unexpected = out.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith(DERIVED_SUFFIXES)]
    if missing or unexpected:  # a model class whose state this module does not know
        raise InputError(f"cannot carry the weights over: missing {missing[:4]}, unexpected {unexpected[:4]}")
    out.train(model.training)
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    from ..checkpoint import load_checkpoint, read_checkpoint, save_checkpoint

    p = argparse.ArgumentParser(prog="python -m lvqac_core.training.extend_presets",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("source", help="a variable-rate network's checkpoint (e.g. a shipped wide network)")
    p.add_argument("out", help="where to write the network with the new presets (refuses to overwrite)")
    p.add_argument("--lambdas", type=lambda_list, required=True, help="all presets, old and new, comma-separated")
    p.add_argument("--half", action="store_true",
                   help="store fp16, as the zoo does (default fp32, as a training init; an fp16 source loses nothing)")
    args = p.parse_args(argv)
    out = Path(args.out)
    if out.exists():
        print(f"extend_presets: {out} exists; not overwriting it", file=sys.stderr)
        return 2
    try:
        src = load_checkpoint(args.source)
        ext = extend_presets(src, args.lambdas)
        records = dict(read_checkpoint(args.source).extra or {})  # the source's training records stay
    except InputError as e:
        print(f"extend_presets: {e}", file=sys.stderr)
        return 2
    added = [v for v in ext.config.lambdas if v not in src.config.lambdas]
    records.setdefault("presets_added", []).append({"lambdas": added, "after_steps": records.get("steps")})
    digest = save_checkpoint(ext, out, half=args.half, extra=records)
    print(f"extend_presets: {len(src.config.lambdas)} → {len(ext.config.lambdas)} presets (added "
          f"{', '.join(f'{v:g}' for v in added) or 'none'}); wrote {out} (sha256 {digest[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
