"""The training loop: rate–distortion loss, two optimizers, temperature annealing, exact resume, DDP.

Loss = λ·255²·MSE + bpp, bpp = (bits of y, z and selection) / (B·H·W). Adam on the main parameters
(clipped to norm 1.0), a separate Adam on CompressAI's ``*quantiles`` (aux loss). The step's random
numbers (batch, crops, flips, quantization noise) are derived from ``(seed, step, rank)``, so a
resumed run continues bit-exactly. Under ``torchrun`` every rank draws its own batch and the
gradients are averaged with ``all_reduce`` (gloo on CPU, nccl on CUDA); only rank 0 writes.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
import random
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import torch
import torch.distributed as dist

from ..checkpoint import DERIVED_KEYS, TRAIN_STATE_FORMAT, NotAnLvqacCheckpoint, read_checkpoint, save_checkpoint
from ..files import atomic_write_bytes
from ..errors import InputError
from ..models import LatticeCodecModel, ModelConfig, build_model
from ..models.latent_codecs.selection import SELECTION_CODINGS
from ..quantizers.base import RATE_PROXIES
from ..quantizers.companding import COMPANDERS
from ..quantizers.lvq import LATTICE_TRAIN_MODES
from ..device import device_name
from ..geometry import HYPER_STRIDE
from .data import ImageCropBatches, list_images, make_loader, step_generator

__all__ = ["TrainConfig", "Trainer", "torch_device_for_rank", "rd_loss", "temperature_at", "load_init_weights", "RESUME_NAME", "FINAL_NAME"]

RESUME_NAME = "resume.pt"
FINAL_NAME = "model.pt"
LATEST_NAME = "model_latest.pt"
LOG_NAME = "log.csv"
LOG_FIELDS = ["step", "loss", "bpp", "mse", "psnr", "aux", "lr", "tau", "seconds"]
# start from their init when the --init checkpoint lacks them: LVQAC's log_v, A head, selection head, gains
NEW_PARAM_PREFIXES = ("quantizer.", "a_head.", "selection_head.", "gain.")


@dataclass
class TrainConfig:
    data: str
    out: str
    architecture: str = "minnen2018-ckbd"
    quantizer: str = "scalar"
    lmbda: float = 0.0075
    N: int = 48
    M: int = 64
    group_size: int = 0
    steps: int = 1000
    batch_size: int = 8
    crop: int = 256
    lr: float = 1e-4
    aux_lr: float = 1e-3
    decay_step: int = 0  # 0: no decay; else lr ×0.1 from this step on
    decay_gamma: float = 0.1
    clip: float = 1.0
    tau_start: float = 0.5
    tau_end: float = 0.05
    init: Optional[str] = None
    seed: int = 0
    device: str = "auto"
    threads: int = 0  # 0: leave torch's default
    workers: int = 0
    checkpoint_minutes: float = 5.0
    max_minutes: float = 0.0  # 0: no wall-time limit; else stop (and save) after this long
    log_every: int = 10
    amp: bool = False  # same as precision="bf16" (kept for old callers)
    precision: str = "auto"  # "auto": bf16 autocast where the device has native bf16, else fp32
    channels_last: str = "auto"  # "auto": on with bf16 or CUDA; "on" | "off"
    train_mode: str = ""  # distortion path in training; "": the quantizer's default (see TRAIN_MODES)
    rate_proxy: str = "noise"  # "noise" (additive-uniform cell) | "hard" (cell of the hard value)
    compander: str = "exp"  # LVQAC only: "exp" (learnable both ways, ours) | "alaw" (the paper, A >= 1)
    selection_coding: str = "raw"  # lattices: "raw" (1 bit per group) | "rans" (a head predicts P, rANS-coded)
    progress: bool = True
    quantizer_options: dict[str, Any] = field(default_factory=dict)
    lambdas: list[float] = field(default_factory=list)  # non-empty: a variable-rate network (gain units)
    # a rate warm-up for latent channels a widened network gained (issue 27; lvqac_core.training.widen):
    # channels ≥ free_channels_from cost no rate for free_rate_steps, then their weight ramps to 1 over
    # free_ramp_steps. 0: off
    free_channels_from: int = 0
    free_rate_steps: int = 0
    free_ramp_steps: int = 0

    def validate(self) -> None:
        """Refuse settings a user can get wrong with one ``InputError`` line (option names as in this
        class: the command line's flags are the CLI's business)."""
        if self.crop <= 0 or self.crop % HYPER_STRIDE:
            raise InputError(f"crop must be a positive multiple of {HYPER_STRIDE} (the model's total stride), "
                             f"got {self.crop}")
        if self.steps < 0 or self.batch_size <= 0:
            raise InputError("steps must be ≥ 0 and batch size > 0")
        if self.lr <= 0 or self.lmbda <= 0:
            raise InputError("learning rate and λ must be positive")
        lams = [float(v) for v in self.lambdas]
        if lams and (any(not (v > 0 and math.isfinite(v)) for v in lams) or lams != sorted(set(lams))):
            raise InputError(f"the λ presets must be positive, distinct and increasing, got {lams}")
        if lams and not (lams[0] <= self.lmbda <= lams[-1]):
            raise InputError(f"λ = {self.lmbda:g} (the gains' reference) must lie within the presets "
                             f"{lams[0]:g} … {lams[-1]:g}")
        family = "scalar" if self.quantizer == "scalar" else "lattice"
        if self.train_mode and self.train_mode not in TRAIN_MODES[family]:
            raise InputError(f"train mode {self.train_mode!r} does not apply to the {self.quantizer} quantizer; "
                             f"choose one of {', '.join(TRAIN_MODES[family])}")
        if self.rate_proxy not in RATE_PROXIES:
            raise InputError(f"rate proxy must be one of {', '.join(RATE_PROXIES)}")
        if self.compander not in COMPANDERS:
            raise InputError(f"compander must be one of {', '.join(COMPANDERS)}")
        if self.quantizer_options.get("a_side", "both") != "both" and self.compander != "exp":
            raise InputError("a_side 'below' (dead zones only) needs the exponential compander (--compander exp)")
        for key in ("ste_domain", "v_scale", "a_side"):
            if self.quantizer_options.get(key) is not None and self.quantizer != "lvqac":
                raise InputError(f"{key} applies to LVQAC only, not {self.quantizer}")
        for key in ("a_grad_alpha", "a_grad_scale"):
            value = self.quantizer_options.get(key)
            if value is not None and (self.quantizer != "lvqac" or not (math.isfinite(value) and value > 0)):
                raise InputError(f"the surrogate option {key} applies to LVQAC only and must be positive, "
                                 f"got {value!r} for {self.quantizer}")
        if self.selection_coding not in SELECTION_CODINGS:
            raise InputError(f"selection coding must be one of {', '.join(SELECTION_CODINGS)}")
        if self.selection_coding != "raw" and family != "lattice":
            raise InputError(f"selection coding {self.selection_coding!r} needs a lattice quantizer (lvq, lvqac): "
                             f"{self.quantizer} has no selection bits")
        if self.free_channels_from and not (0 < self.free_channels_from < self.M):
            raise InputError(f"the free channels must start inside the latent (1 … {self.M - 1}), "
                             f"got {self.free_channels_from}")
        if self.free_rate_steps < 0 or self.free_ramp_steps < 0:
            raise InputError("the free-rate and ramp steps must be ≥ 0")
        if self.precision not in PRECISIONS or self.channels_last not in ("auto", "on", "off"):
            raise InputError(f"precision must be one of {', '.join(PRECISIONS)} and channels-last auto, on or off")
        try:  # the model's own checks (known architecture, group size dividing M)
            self.model_config()
        except (ValueError, KeyError) as e:
            raise InputError(" ".join(str(e.args[0] if e.args else e).split())) from None

    def quantizer_settings(self) -> dict[str, Any]:
        """The quantizer options this run trains with (stored in the checkpoint's config)."""
        opts: dict[str, Any] = {"rate_proxy": self.rate_proxy}
        if self.train_mode:
            opts["train_mode"] = self.train_mode
        if self.quantizer == "lvqac":
            opts["compander"] = self.compander
        if self.selection_coding != "raw":  # "raw" stays implicit: configs of raw models are unchanged
            opts["selection_coding"] = self.selection_coding
        opts.update(self.quantizer_options)
        return opts

    def model_config(self) -> ModelConfig:
        return ModelConfig(architecture=self.architecture, quantizer=self.quantizer, N=self.N, M=self.M,
                           lmbda=self.lmbda, group_size=self.group_size,
                           quantizer_options=self.quantizer_settings(), lambdas=list(self.lambdas))

    def rate_weight_at(self, step: int) -> float:
        """The weight of the free channels' rate at ``step`` (1 when there are none): 0 for
        ``free_rate_steps``, then a linear ramp to 1 over ``free_ramp_steps``."""
        if not self.free_channels_from:
            return 1.0
        t = step - self.free_rate_steps
        if t < 0:
            return 0.0
        return 1.0 if self.free_ramp_steps <= 0 else min(1.0, t / self.free_ramp_steps)

    def lambda_at(self, step: int) -> float:
        """The λ of a step: the single λ, or (variable rate) a preset drawn uniformly from (seed, step),
        the same on every rank."""
        if not self.lambdas:
            return float(self.lmbda)
        g = step_generator(self.seed, step, 0, salt=5)
        return float(self.lambdas[int(torch.randint(len(self.lambdas), (1,), generator=g))])


TRAIN_MODES = {"scalar": ("ste", "noise"), "lattice": LATTICE_TRAIN_MODES}
PRECISIONS = ("auto", "bf16", "fp32")


def cpu_has_bf16() -> bool:
    """True when the CPU has native bf16 arithmetic (x86 AVX512-BF16 or AMX-BF16, from /proc/cpuinfo)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[-1].split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def resolve_precision(precision: str, amp: bool, device: torch.device) -> bool:
    """Whether to train under bf16 autocast."""
    if amp or precision == "bf16":
        return True
    if precision == "fp32":
        return False
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    return device.type == "cpu" and cpu_has_bf16()


def temperature_at(step: int, steps: int, tau_start: float, tau_end: float) -> float:
    """Geometric annealing from tau_start (step 0) to tau_end (last step)."""
    if steps <= 1 or tau_start <= 0 or tau_end <= 0:
        return float(tau_end if steps <= 1 else tau_start)
    t = min(max(step / (steps - 1), 0.0), 1.0)
    return float(tau_start * (tau_end / tau_start) ** t)


def rd_loss(out, x: torch.Tensor, lmbda: float) -> dict[str, torch.Tensor]:
    b, _, h, w = x.shape
    bits = sum(v.float() for v in out.bits.values())
    bpp = bits / (b * h * w)
    mse = torch.mean((out.x_hat.float() - x.float()) ** 2)
    loss = lmbda * 255.0 ** 2 * mse + bpp
    return {"loss": loss, "bpp": bpp, "mse": mse}


def psnr_from_mse(mse: float) -> float:
    return float("inf") if mse <= 0 else 10.0 * math.log10(1.0 / mse)


def load_init_weights(model: LatticeCodecModel, path: str | os.PathLike) -> dict[str, list[str]]:
    """Load a checkpoint's weights into ``model`` (quantizer/λ may differ).

    Parameters under ``quantizer.`` / ``a_head.`` / ``selection_head.`` may be missing (they keep their init) or extra
    (dropped); any other missing or mismatched weight is an error.
    """
    try:
        ckpt = read_checkpoint(path, train_state=True)
        src, src_cfg, constants = ckpt.state_dict, ckpt.config or {}, ()
    except NotAnLvqacCheckpoint:
        src, src_cfg = _compressai_init(model, Path(path))
        constants = COMPRESSAI_CONSTANTS
    if isinstance(src_cfg, dict) and src_cfg.get("quantizer") == "lvqac" and model.quantizer.companded:
        src_opts = src_cfg.get("quantizer_options") or {}
        if src_opts.get("compander", "alaw") != model.quantizer.compander:
            # another compander's A head and V mean something else: start those from their init
            src = {k: v for k, v in src.items() if not k.startswith(("quantizer.", "a_head."))}
        elif src_opts.get("v_scale", "global") != model.quantizer.v_scale:
            # V in latent units vs κ in units of σ: κ starts from its init, the A head carries over
            src = {k: v for k, v in src.items() if k != "quantizer.log_v"}
    own = model.state_dict()
    dropped = [k for k in src if k not in own and k.startswith(NEW_PARAM_PREFIXES)]
    unexpected = [k for k in src if k not in own and not k.startswith(NEW_PARAM_PREFIXES)]
    if unexpected:
        raise InputError(f"{Path(path).name}: weights not in this architecture: {unexpected[:5]}")
    bad = [k for k in src if k in own and own[k].shape != src[k].shape]
    if bad:
        raise InputError(f"{Path(path).name}: shape mismatch (different N/M?): {bad[:5]}")
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in src.items() if k in own}
    missing, _ = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if k not in DERIVED_KEYS and not (constants and k.endswith(constants))]
    backbone_missing = [k for k in missing if not k.startswith(NEW_PARAM_PREFIXES)]
    if backbone_missing:
        raise InputError(f"{Path(path).name}: backbone weights missing: {backbone_missing[:5]}")
    return {"new": missing, "dropped": dropped}


# constant buffers a CompressAI file lacks or names otherwise: they keep the built model's values
COMPRESSAI_CONSTANTS = ("lower_bound_scale.bound", "likelihood_lower_bound.bound", "entropy_bottleneck.target",
                        "_reparam.pedestal", "_reparam.lower_bound.bound")


def _compressai_init(model: LatticeCodecModel, path: Path) -> tuple[dict, dict]:
    """A CompressAI file's weights under our names (``lvqac train --init``), after the interop
    reader's checks; its architecture and N/M must be the model's (one line says which to use)."""
    from ..interop.compressai_checkpoints import looks_like_torch_file, read_compressai

    if not looks_like_torch_file(path):
        read_checkpoint(path, train_state=True)  # raises the LVQAC reader's own message
    info, state = read_compressai(path)
    cfg = model.config
    if info.ours is None:
        raise InputError(info.unsupported_message())
    if (info.ours, info.N, info.M) != (cfg.architecture, cfg.N, cfg.M):
        raise InputError(f"{path.name} is CompressAI's {info.architecture} N={info.N} M={info.M}: train it with "
                         f"--architecture {info.ours} -N {info.N} -M {info.M} (or leave those out)")
    return state, {"quantizer": "scalar"}


def _numpy_rng_state() -> tuple:
    """NumPy's global RNG state as tensors and plain data (no ndarray), so that ``resume.pt`` loads
    with ``weights_only=True`` and can serve as ``--init`` (its fp32 weights)."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return name, torch.from_numpy(np.asarray(keys, dtype=np.int64)), int(pos), int(has_gauss), float(cached)


def _numpy_rng_from(state: tuple) -> tuple:
    """The inverse of :func:`_numpy_rng_state` (older resume files hold the ndarray itself)."""
    name, keys, pos, has_gauss, cached = state
    keys = keys.numpy() if isinstance(keys, torch.Tensor) else np.asarray(keys)
    return name, keys.astype(np.uint32), pos, has_gauss, cached


def _dist_info() -> tuple[int, int, bool]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size(), True
    return 0, 1, False


def torch_device_for_rank(device: str, local_rank: int) -> torch.device:
    """The core's device rule (CUDA asked for but absent is an ``InputError``), then this rank's GPU."""
    chosen = device_name(device)
    if chosen == "cuda":
        chosen = f"cuda:{local_rank}"
    return torch.device(chosen)


def init_distributed_from_env(device: str = "auto") -> bool:
    """Start the process group when launched by torchrun (WORLD_SIZE > 1). Returns True if started."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or (dist.is_available() and dist.is_initialized()):
        return False
    use_cuda = device_name(device).startswith("cuda")
    dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    if use_cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return True


class Trainer:
    def __init__(self, cfg: TrainConfig):
        cfg.validate()
        self.cfg = cfg
        self.rank, self.world, self.distributed = _dist_info()
        self.device = torch_device_for_rank(cfg.device, int(os.environ.get("LOCAL_RANK", "0")))
        if cfg.threads:
            torch.set_num_threads(int(cfg.threads))
        self.out = Path(cfg.out)
        self.is_main = self.rank == 0
        if self.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(cfg.seed)
        self.model = build_model(cfg.model_config())
        self.init_info: dict[str, list[str]] | None = None
        if cfg.init:
            self.init_info = load_init_weights(self.model, cfg.init)
        self.model.to(self.device)
        self.cuda = self.device.type == "cuda"
        self.amp = resolve_precision(cfg.precision, cfg.amp, self.device)
        self.channels_last = cfg.channels_last == "on" or (cfg.channels_last == "auto" and (self.cuda or self.amp))
        if self.channels_last:
            self.model.to(memory_format=torch.channels_last)
        named = list(self.model.named_parameters())
        self.aux_params = [p for n, p in named if n.endswith("quantiles")]
        self.main_params = [p for n, p in named if not n.endswith("quantiles")]
        self.opt = torch.optim.Adam(self.main_params, lr=cfg.lr)
        self.aux_opt = torch.optim.Adam(self.aux_params, lr=cfg.aux_lr)
        milestones = [cfg.decay_step] if cfg.decay_step and cfg.decay_step > 0 else []
        self.sched = torch.optim.lr_scheduler.MultiStepLR(self.opt, milestones=milestones, gamma=cfg.decay_gamma)
        self.step = 0
        self.elapsed = 0.0  # training seconds over all sessions
        self.cpu_seconds = 0.0  # CPU time of this process while training, over all sessions
        self.stop_signal: Optional[int] = None  # SIGTERM / SIGINT received during run(): stop after this step
        self.cpu_estimated = False  # True when part of it is estimated (resumed from an older state)
        self.files = list_images(cfg.data)
        if self.distributed:
            self._broadcast_params()

    # ------------------------------------------------------------------ state ------------
    def state(self) -> dict[str, Any]:
        return {
            "format": TRAIN_STATE_FORMAT,
            "config": asdict(self.cfg),
            "model_config": self.model.config.to_dict(),
            "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "opt": self.opt.state_dict(),
            "aux_opt": self.aux_opt.state_dict(),
            "sched": self.sched.state_dict(),
            "step": self.step,
            "elapsed": self.elapsed,
            "cpu_seconds": self.cpu_seconds,
            "cpu_estimated": self.cpu_estimated,
            "rng": {
                "python": random.getstate(),
                "numpy": _numpy_rng_state(),
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            },
        }

    def load_state(self, path: str | os.PathLike) -> None:
        st = torch.load(path, map_location="cpu", weights_only=True)  # tensors and plain data only: never run a pickle
        self.model.load_state_dict(st["model"])
        self.model.to(self.device)
        self.opt.load_state_dict(st["opt"])
        self.aux_opt.load_state_dict(st["aux_opt"])
        self.sched.load_state_dict(st["sched"])
        self.step = int(st["step"])
        if not self.cfg.init and isinstance(st.get("config"), dict) and st["config"].get("init"):
            self.cfg.init = str(st["config"]["init"])  # a resumed run keeps the record of where it started
        self.elapsed = float(st.get("elapsed", 0.0))
        # a state from before the trainer measured CPU time: wall time × threads, marked estimated
        self.cpu_estimated = bool(st.get("cpu_estimated", "cpu_seconds" not in st))
        self.cpu_seconds = float(st.get("cpu_seconds", self.elapsed * max(1, int(self.cfg.threads or 1))))
        rng = st["rng"]
        random.setstate(rng["python"])
        np.random.set_state(_numpy_rng_from(rng["numpy"]))
        torch.set_rng_state(rng["torch"])
        if rng.get("cuda") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])

    def save_resume(self) -> None:
        if not self.is_main:
            return
        buf = io.BytesIO()
        torch.save(self.state(), buf)
        atomic_write_bytes(self.out / RESUME_NAME, buf.getvalue(), overwrite=True)
        save_checkpoint(self.model, self.out / LATEST_NAME, half=True, extra=self.provenance(final=False))

    def provenance(self, final: bool) -> dict[str, Any]:
        import compressai

        c = self.cfg
        return {
            "data": str(Path(c.data).resolve()),
            "num_images": len(self.files),
            "steps": self.step,
            "planned_steps": c.steps,
            "crop": c.crop,
            "batch_size": c.batch_size,
            "world_size": self.world,
            "lambda": c.lmbda,
            "lambdas": list(c.lambdas),
            "lr": c.lr,
            "decay_step": c.decay_step,
            **({"free_channels_from": c.free_channels_from, "free_rate_steps": c.free_rate_steps,
                "free_ramp_steps": c.free_ramp_steps} if c.free_channels_from else {}),
            "tau_start": c.tau_start,
            "tau_end": c.tau_end,
            "seed": c.seed,
            "init": str(c.init) if c.init else None,
            "precision": "bf16" if self.amp else "fp32",
            "channels_last": self.channels_last,
            "train_mode": self.model.quantizer.train_mode,
            "rate_proxy": self.model.quantizer.rate_proxy,
            "wall_seconds": round(self.elapsed, 1),
            "cpu_seconds": round(self.cpu_seconds, 1),
            "device": str(self.device),
            "torch": str(torch.__version__),
            "compressai": str(compressai.__version__),
            "python": platform.python_version(),
            "final": final,
        }

    # ------------------------------------------------------------------ training ---------
    def _broadcast_params(self) -> None:
        for t in self.model.state_dict().values():
            dist.broadcast(t.data if hasattr(t, "data") else t, src=0)

    def _average_grads(self, params: list[torch.nn.Parameter]) -> None:
        if not self.distributed or self.world == 1:
            return
        grads = []
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
            grads.append(p.grad)
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        off = 0
        for g in grads:
            n = g.numel()
            g.copy_(flat[off:off + n].view_as(g))
            off += n

    def dataset(self, start_step: int, num_steps: int) -> ImageCropBatches:
        c = self.cfg
        return ImageCropBatches(self.files, crop=c.crop, batch_size=c.batch_size, seed=c.seed, rank=self.rank,
                                world_size=self.world, start_step=start_step, num_steps=num_steps)

    def train_step(self, x: torch.Tensor) -> dict[str, float]:
        c = self.cfg
        self.model.train()
        tau = temperature_at(self.step, c.steps, c.tau_start, c.tau_end)
        self.model.quantizer.set_temperature(tau)
        # the step's noise comes from (seed, step, rank): exact resume, distinct ranks
        torch.manual_seed(int(step_generator(c.seed, self.step, self.rank, salt=3).initial_seed()))
        x = x.to(self.device, non_blocking=True)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        self.opt.zero_grad(set_to_none=True)
        self.aux_opt.zero_grad(set_to_none=True)
        lmbda = c.lambda_at(self.step)
        weight = c.rate_weight_at(self.step)
        if weight < 1.0:  # the gained channels' rate warm-up: their bits count at this weight
            w = torch.ones(self.model.config.M, device=self.device)
            w[c.free_channels_from:] = weight
            self.model.rate_channel_weights = w
        try:
            with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.amp):
                out = self.model(x, lmbda=lmbda if c.lambdas else None)
        finally:
            self.model.rate_channel_weights = None
        terms = rd_loss(out, x, lmbda)
        terms["loss"].backward()
        self._average_grads(self.main_params)
        if c.clip and c.clip > 0:
            torch.nn.utils.clip_grad_norm_(self.main_params, c.clip)
        self.opt.step()
        aux = self.model.aux_loss()
        aux.backward()
        self._average_grads(self.aux_params)
        self.aux_opt.step()
        lr = self.opt.param_groups[0]["lr"]
        self.sched.step()
        self.step += 1
        mse = float(terms["mse"].detach())
        return {"loss": float(terms["loss"].detach()), "bpp": float(terms["bpp"].detach()), "mse": mse,
                "psnr": psnr_from_mse(mse), "aux": float(aux.detach()), "lr": lr, "tau": tau}

    @torch.no_grad()
    def evaluate_batch(self, x: torch.Tensor, seed: int = 12345) -> dict[str, float]:
        """Training-mode loss on a fixed batch with fixed noise (for monitoring and tests), at the
        config's λ."""
        self.model.train()
        self.model.quantizer.set_temperature(temperature_at(self.step, self.cfg.steps, self.cfg.tau_start, self.cfg.tau_end))
        state = torch.get_rng_state()
        torch.manual_seed(seed)
        try:
            terms = rd_loss(self.model(x.to(self.device)), x.to(self.device), self.cfg.lmbda)
        finally:
            torch.set_rng_state(state)
        return {k: float(v) for k, v in terms.items()}

    def run(self, resume: bool = False, on_step: Optional[Callable[[int, dict], None]] = None,
            until: Optional[int] = None) -> dict[str, Any]:
        """Train to ``cfg.steps`` (or stop at step ``until``, saving resume state, as an interruption would)."""
        c = self.cfg
        if resume and (self.out / RESUME_NAME).is_file():
            self.load_state(self.out / RESUME_NAME)
        start = self.step
        log_path = self.out / LOG_NAME
        log_file = None
        writer = None
        if self.is_main:
            new = not log_path.exists() or start == 0
            if not new:  # drop rows logged after the resume point (they will be redone)
                with open(log_path, newline="") as f:
                    rows = [r for r in csv.DictReader(f) if int(r["step"]) <= start]
                with open(log_path, "w", newline="") as f:
                    w = csv.DictWriter(f, fieldnames=LOG_FIELDS)
                    w.writeheader()
                    w.writerows(rows)
            log_file = open(log_path, "w" if new else "a", newline="")
            writer = csv.DictWriter(log_file, fieldnames=LOG_FIELDS)
            if new:
                writer.writeheader()
        end = c.steps if until is None else min(c.steps, int(until))
        remaining = max(0, end - start)
        loader = make_loader(self.dataset(start, remaining), num_workers=c.workers)
        bar = None
        if self.is_main and c.progress and remaining:
            from tqdm import tqdm

            bar = tqdm(total=c.steps, initial=start, desc=f"train {c.quantizer} λ={c.lmbda}", unit="step",
                       dynamic_ncols=True, file=sys.stderr)
        t_session = time.monotonic()
        cpu_session = time.process_time()
        elapsed0, cpu0 = self.elapsed, self.cpu_seconds
        last_ckpt = t_session
        acc: dict[str, float] = {}
        n_acc = 0
        stopped_early = False
        self.stop_signal = None
        handlers = self._catch_stop_signals()
        try:
            for x in loader:
                m = self.train_step(x)
                self.elapsed = elapsed0 + (time.monotonic() - t_session)
                self.cpu_seconds = cpu0 + (time.process_time() - cpu_session)
                for k, v in m.items():
                    acc[k] = acc.get(k, 0.0) + v
                n_acc += 1
                if on_step is not None:
                    on_step(self.step, m)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{m['loss']:.3f}", bpp=f"{m['bpp']:.3f}", psnr=f"{m['psnr']:.2f}")
                if writer is not None and (self.step % c.log_every == 0 or self.step == c.steps):
                    row = {k: acc[k] / n_acc for k in ("loss", "bpp", "mse", "aux")}
                    row.update(step=self.step, psnr=psnr_from_mse(row["mse"]), lr=m["lr"], tau=m["tau"],
                               seconds=round(self.elapsed, 2))
                    writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
                    log_file.flush()
                    acc, n_acc = {}, 0
                now = time.monotonic()
                stop = (c.max_minutes > 0 and (now - t_session) >= c.max_minutes * 60) or self.stop_signal is not None
                if self.distributed:
                    flag = torch.tensor([1.0 if stop else 0.0])
                    dist.broadcast(flag, src=0)
                    stop = bool(flag.item())
                if c.checkpoint_minutes > 0 and now - last_ckpt >= c.checkpoint_minutes * 60 and not stop:
                    self.save_resume()
                    last_ckpt = now
                if stop:
                    stopped_early = self.step < c.steps
                    break
        finally:
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
            if bar is not None:
                bar.close()
            if log_file is not None:
                log_file.close()
        if self.stop_signal is not None and self.is_main:
            print(f"training: {signal.Signals(self.stop_signal).name} at step {self.step}: saving and stopping",
                  file=sys.stderr)
        self.save_resume()
        if until is not None and self.step < c.steps:
            return {"step": self.step, "steps": c.steps, "stopped_early": True, "out": str(self.out)}
        return self.finish(stopped_early)

    def _catch_stop_signals(self) -> dict:
        """SIGTERM and SIGINT stop the run cleanly after the current step (resume state and the
        checkpoints written, as at ``max_minutes``); a second one stops at once. Returns the
        handlers to put back (none off the main thread, where signals cannot be caught)."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        old: dict = {}

        def request_stop(signum, frame):
            if self.stop_signal is not None:  # asked twice: stop now, without saving
                signal.signal(signum, old.get(signum, signal.SIG_DFL))
                raise KeyboardInterrupt
            self.stop_signal = signum

        for signum in (signal.SIGTERM, signal.SIGINT):
            old[signum] = signal.signal(signum, request_stop)
        return old

    def settle_quantiles(self, max_steps: int = 4000, lr: float = 1e-2, tol: float = 0.5) -> float:
        """Fit the hyper-latent quantiles to the final density before the coding tables are built.

        The aux loss depends only on the entropy bottleneck's own parameters, so this needs no data
        (a few seconds); it keeps the z tables' range tight and right, so file size tracks the estimate.
        """
        params = self.aux_params
        opt = torch.optim.Adam(params, lr=lr)
        loss = self.model.aux_loss()
        for _ in range(max_steps):
            if float(loss.detach()) < tol:
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss = self.model.aux_loss()
        return float(loss.detach())

    def finish(self, stopped_early: bool = False) -> dict[str, Any]:
        info: dict[str, Any] = {"step": self.step, "steps": self.cfg.steps, "stopped_early": stopped_early,
                                "wall_seconds": round(self.elapsed, 1), "out": str(self.out)}
        info["aux_loss"] = round(self.settle_quantiles(), 4)  # every rank: same weights, same result
        if self.is_main:
            self.model.eval()
            self.model.update(force=True)
            final = self.out / FINAL_NAME
            sha = save_checkpoint(self.model, final, half=True, extra=self.provenance(final=True))
            info.update(checkpoint=str(final), sha256=sha)
            atomic_write_bytes(self.out / "summary.json", json.dumps(info, indent=2).encode("utf-8"), overwrite=True)
        if self.distributed:
            dist.barrier()
        return info
