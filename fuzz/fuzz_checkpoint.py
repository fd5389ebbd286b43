"""Coverage-guided fuzz target for checkpoints (issue 23): a checkpoint is untrusted input, as a
``.lvq`` file is (atheris / libFuzzer).

    pip install atheris            # or: pip install -e .[fuzz]
    nice python fuzz/fuzz_checkpoint.py -max_total_time=300 -timeout=10 -rss_limit_mb=2048
    mkdir corpus; for i in 1 2 3 4 5 6; do nice python fuzz/fuzz_checkpoint.py \
        -max_total_time=300 -timeout=10 -rss_limit_mb=2048 corpus/; done   # 30 minutes

Long campaigns run as sessions of a few minutes over one corpus folder (seed it with a first run's
files, or let the seedless run above make its own): atheris's instrumented comparisons keep the
numpy arrays they compare alive, so a single process grows by about 0.15 MB per case and crosses
2 GB after some 9 000 cases, which ``-rss_limit_mb`` reports as an out-of-memory finding.

Each input is used one of two ways, chosen by its first byte:

- **structured**: the rest drives one to four mutations of a tiny valid checkpoint (config fields
  and quantizer options set to ints, floats, non-finite and huge numbers, strings, lists, nested
  shared lists, dicts, tensors; weights scaled, made non-finite, reshaped, retyped, made sparse
  or stride-0 views; quantiles widened; ``precision`` / ``extra`` / ``format`` replaced; entries
  deleted), saved with ``torch.save``;
- **raw**: the bytes are the file (the seed corpus is the tiny checkpoint itself, so libFuzzer's
  own mutations reach the zip and pickle structure).

The file is loaded with ``load_checkpoint``; when that succeeds, a small image is compressed and
decompressed with it. Allowed outcomes: success, or an ``InputError`` (``ModelNotFoundError``,
``SymbolRangeError``, ...) with a one-line message under 1000 characters. Anything else (another
exception, a signal, a hang past ``-timeout``, memory past ``-rss_limit_mb``) is a finding.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import atheris
import numpy as np  # heavy dependencies first, uninstrumented
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's lvqac_core, wherever it is run from

with atheris.instrument_imports(include=["lvqac_core"]):
    from lvqac_core.api import Codec
    from lvqac_core.checkpoint import checkpoint_bytes, load_checkpoint
    from lvqac_core.errors import InputError
    from lvqac_core.models import build_model

_BASE = None
_WORK_ENV = "LVQAC_FUZZ_WORK"
_WORK: Path | None = None  # the folder of the case file, made on first use (a test sets its own)


def _work() -> Path:
    global _WORK
    if _WORK is None:  # the parent (main) names it for the fuzzing child and removes it after
        given = os.environ.get(_WORK_ENV)
        _WORK = Path(given) if given else Path(tempfile.mkdtemp(prefix="lvqac-fuzz-ckpt-work-"))
    return _WORK


def _tidy() -> None:
    if _WORK is not None:
        shutil.rmtree(_WORK, ignore_errors=True)


def _base() -> tuple[bytes, dict]:
    """The tiny valid checkpoint (bytes) and its payload, built once with a fixed seed."""
    global _BASE
    if _BASE is None:
        torch.set_num_threads(1)
        torch.manual_seed(0)
        model = build_model(architecture="minnen2018-ckbd", quantizer="lvqac", N=8, M=8,
                            quantizer_options={"selection_coding": "rans", "head_hidden": 4})
        data = checkpoint_bytes(model, half=True)
        _BASE = (data, torch.load(io.BytesIO(data), weights_only=True))
    return _BASE


def _bomb(depth: int) -> list:
    x: list = [0]
    for _ in range(depth):
        x = [x, x]
    return x


def _value(fdp: atheris.FuzzedDataProvider):
    """A value of any type a pickle restricted to plain data and tensors can hold."""
    kind = fdp.ConsumeIntInRange(0, 14)
    if kind == 0:
        return fdp.ConsumeIntInRange(-2, 1030)
    if kind == 1:
        return fdp.ConsumeInt(8) * (1 << fdp.ConsumeIntInRange(0, 70))
    if kind == 2:
        return fdp.ConsumeRegularFloat()
    if kind == 3:
        return fdp.PickValueInList([float("nan"), float("inf"), -float("inf"), 1e308, -0.0, 5e-324])
    if kind == 4:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 40))
    if kind == 5:
        return fdp.PickValueInList(["scalar", "lvq", "lvqac", "minnen2018-mean", "cheng2020", "raw", "rans",
                                    "exp", "alaw", "fp16", "fp32", "", "x" * 5000])
    if kind == 6:
        return _bomb(fdp.ConsumeIntInRange(1, 60))
    if kind == 7:
        return [_value(fdp) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    if kind == 8:
        return {fdp.ConsumeUnicodeNoSurrogates(6): _value(fdp) for _ in range(fdp.ConsumeIntInRange(0, 3))}
    if kind == 9:
        return torch.tensor(fdp.ConsumeIntInRange(-5, 600))
    if kind == 10:
        return None
    if kind == 11:
        return fdp.ConsumeBool()
    if kind == 12:
        return (1, 2)
    if kind == 13:
        return [list(range(300))] * fdp.ConsumeIntInRange(1, 1000)
    return {(1, 2): 3}


def _tensor(fdp: atheris.FuzzedDataProvider, t: torch.Tensor) -> torch.Tensor:
    if t.numel() > 1 << 20:  # a stride-0 view made by an earlier mutation: materialising it would
        return t              # cost the harness gigabytes (the checks never materialise it)
    kind = fdp.ConsumeIntInRange(0, 11)
    if kind == 0:
        return t.float() * fdp.PickValueInList([1e3, 1e5, 1e9, -1e30, 0.0, 65504.0])
    if kind == 1:
        out = t.clone()
        if out.numel():
            out.view(-1)[fdp.ConsumeIntInRange(0, out.numel() - 1)] = fdp.PickValueInList(
                [float("nan"), float("inf"), 1e6, -1e38, 3e4])
        return out
    if kind == 2:
        return torch.zeros(fdp.ConsumeIntInRange(0, 9), fdp.ConsumeIntInRange(0, 9))
    if kind == 3:
        return t.to(fdp.PickValueInList([torch.int64, torch.uint8, torch.bfloat16, torch.float64, torch.bool,
                                         torch.complex64, torch.int8]))
    if kind == 4:
        return t.float().to_sparse() if t.dim() else t
    if kind == 5:
        return torch.zeros(1).expand(fdp.ConsumeIntInRange(1, 1 << 30))
    if kind == 6:
        return t.reshape(-1)
    if kind == 7:
        return torch.empty(0)
    if kind == 8:
        return t.float().t() if t.dim() == 2 else t.float().transpose(0, -1)
    if kind == 9:
        return t.float() + fdp.ConsumeRegularFloat()
    if kind == 10:
        return torch.quantize_per_tensor(t.float(), 0.1, 0, torch.qint8) if t.numel() else t
    return t.half()


_CONFIG_KEYS = ["architecture", "quantizer", "N", "M", "lmbda", "group_size", "quantizer_options", "provenance",
                "lambdas", "bogus"]
_OPTIONS = ["tau", "v_init", "tail", "a_max", "a_levels", "compander", "a_grad_alpha", "a_grad_scale",
            "ste_domain", "selection_coding", "head_hidden", "train_mode", "rate_proxy", "bogus"]


def _mutate(fdp: atheris.FuzzedDataProvider) -> dict:
    _, base = _base()
    payload = dict(base)
    config = dict(base["config"])
    options = dict(config.get("quantizer_options") or {})
    state = dict(base["state_dict"])
    names = sorted(state)
    for _ in range(fdp.ConsumeIntInRange(1, 4)):
        what = fdp.ConsumeIntInRange(0, 7)
        if what == 0:
            config[fdp.PickValueInList(_CONFIG_KEYS)] = _value(fdp)
        elif what == 1:
            options[fdp.PickValueInList(_OPTIONS)] = _value(fdp)
        elif what == 2:
            name = fdp.PickValueInList(sorted(state) or names)
            if name in state:
                state[name] = _tensor(fdp, state[name])
        elif what == 3:
            q = base["state_dict"]["entropy_bottleneck.quantiles"].clone()
            q[:, 0, 0] = -abs(fdp.ConsumeRegularFloat())
            q[:, 0, 2] = abs(fdp.ConsumeRegularFloat())
            q[:, 0, 1] = fdp.ConsumeRegularFloat() if fdp.ConsumeBool() else q[:, 0, 1]
            state["entropy_bottleneck.quantiles"] = q
        elif what == 4:
            payload[fdp.PickValueInList(["precision", "extra", "format", "config", "state_dict"])] = _value(fdp)
        elif what == 5:
            target = fdp.ConsumeIntInRange(0, 2)
            pool = [config, options, state][target]
            if pool:
                pool.pop(fdp.PickValueInList(sorted(pool, key=str)), None)
        elif what == 6:
            state[fdp.ConsumeUnicodeNoSurrogates(12)] = torch.zeros(fdp.ConsumeIntInRange(0, 4))
        else:
            name = fdp.PickValueInList([n for n in sorted(state) if n.startswith(("quantizer.", "a_head."))] or names)
            if name in state:
                state[name] = _tensor(fdp, state[name])
    config["quantizer_options"] = options if "quantizer_options" not in config or \
        isinstance(config["quantizer_options"], dict) else config["quantizer_options"]
    payload.setdefault("config", config)
    if isinstance(payload.get("config"), dict):
        payload["config"] = config
    if isinstance(payload.get("state_dict"), dict):
        payload["state_dict"] = state
    return payload


def _check(e: BaseException) -> None:
    msg = str(e)
    if not msg or "\n" in msg or len(msg) > 1000:
        raise AssertionError(f"{type(e).__name__} without a short one-line message: {msg[:2000]!r}")


def test_one_input(data: bytes) -> None:
    if not data:
        return
    path = _work() / "case.pt"
    if data[0] % 2:
        fdp = atheris.FuzzedDataProvider(data[1:])
        try:
            payload = _mutate(fdp)
            buf = io.BytesIO()
            torch.save(payload, buf)
        except (RuntimeError, ValueError, TypeError, OverflowError, RecursionError, IndexError):
            return  # a mutation torch itself cannot make or save: not an input
        path.unlink(missing_ok=True)  # a new inode: a mapping of the last case stays valid
        path.write_bytes(buf.getvalue())
        side = 16 * fdp.ConsumeIntInRange(1, 5)
    else:
        path.unlink(missing_ok=True)
        path.write_bytes(data[1:])
        side = 32
    try:
        model = load_checkpoint(path)
    except InputError as e:
        _check(e)
        return
    codec = Codec(model, "fuzz", "cpu")  # load_checkpoint built the tables
    image = np.random.default_rng(len(data)).integers(0, 256, (side, side + 3, 3), dtype=np.uint8)
    try:
        res = codec.compress(image, ms_ssim=False)
        codec.decompress(res.data)
    except InputError as e:
        _check(e)


def _seed_corpus() -> str:
    folder = tempfile.mkdtemp(prefix="lvqac-fuzz-ckpt-")
    data, _ = _base()
    Path(folder, "seed-raw").write_bytes(b"\x00" + data)
    for i in range(8):
        Path(folder, f"seed-structured{i}").write_bytes(bytes([1]) + os.urandom(64))
    return folder


def main(argv: list[str]) -> None:
    has_corpus = any(not a.startswith("-") and os.path.isdir(a) for a in argv[1:])
    if not has_corpus:  # libFuzzer exits without running cleanup: fuzz in a child, then tidy up
        folder = _seed_corpus()
        try:
            code = subprocess.call([sys.executable, os.path.abspath(argv[0]), *argv[1:], folder],
                                   env=dict(os.environ, **{_WORK_ENV: str(_work())}))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            _tidy()
        sys.exit(code)
    atheris.Setup(argv, test_one_input)
    try:
        atheris.Fuzz()
    finally:
        _tidy()


if __name__ == "__main__":
    main(sys.argv)
