"""The bridge to ``lvqac_core`` (Qt-free): keeps the loaded models and runs a
:class:`~lvqac_gui.model.jobs.Job` (what each kind of job asks of the core, and how its result is
shown, is the job's own: model/jobs.py). All codec logic lives in ``lvqac_core``: the model is
picked by ``lvqac_core.service.select_model``, images are coded by ``service.encode`` and files
decoded by ``service.decode``. ``lvqac_core.service`` and ``lvqac_core.results`` import without
torch, so they are imported at the top; what imports torch (loading a model, the quantizer swap,
the demo models) stays inside the functions: the app imports torch on a background thread.

``Backend.run(job, progress)`` is called on a worker thread; ``progress(fraction)`` raises
:class:`lvqac_core.errors.Cancelled` when the job was cancelled or superseded.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Optional

import numpy as np

from lvqac_core import allocator, threads, zoo
from lvqac_core.device import DeviceChoice, choose_device
from lvqac_core.image_files import IMAGE_SUFFIXES
from lvqac_core.resources import resources_dir
from lvqac_core.service import select_model

from .jobs import Job
from .tiers import ZooTiers

Progress = Optional[Callable[[float], None]]
RESOURCES = resources_dir()

CodecFactory = Callable[[str, float, str], object]  # (quantizer, lmbda, device) -> Codec


def device_choice(requested: str) -> DeviceChoice:
    """The app's device: auto → CUDA when present; CUDA requested but absent → CPU with a note the
    window shows (the core's rule with fallback)."""
    return choose_device(requested, fallback=True)


def zoo_curves() -> dict[tuple[str, Optional[str]], list[tuple[float, float, float, str]]]:
    """(quantizer, tier) -> sorted [(bpp, psnr, lmbda, model id)] of the zoo's Kodak measurements,
    one curve per family and tier: the default model's tier (and rows without a tier) under the
    tier None, first; each other tier's after them under its name."""
    curves: dict[tuple[str, Optional[str]], list[tuple[float, float, float, str]]] = {}
    try:
        default_id = zoo.default_model_id()
        default_tier = zoo.get_entry(default_id).tier if default_id else None
        for e in sorted(zoo.list_models(), key=lambda e: e.tier not in (None, default_tier)):  # stable
            if e.kodak and "bpp" in e.kodak and "psnr" in e.kodak:
                tier = None if e.tier in (None, default_tier) else e.tier
                curves.setdefault((e.quantizer, tier), []).append(
                    (float(e.kodak["bpp"]), float(e.kodak["psnr"]), float(e.lmbda), e.id))
    except Exception:  # noqa: BLE001
        pass
    return {key: sorted(v) for key, v in curves.items()}


SAMPLE_MISSING = ("no sample image: resources/samples has none and scikit-image is not installed "
                  "(pip install 'lvqac-studio[sample]')")


def sample_image() -> Optional[tuple[str, np.ndarray | str]]:
    """The bundled sample image (resources/samples/*), else scikit-image's astronaut (the optional
    ``sample`` extra), else None (the window then says :data:`SAMPLE_MISSING`)."""
    samples = RESOURCES / "samples"
    if samples.is_dir():
        for p in sorted(samples.iterdir()):
            if p.suffix.lower() in IMAGE_SUFFIXES:
                return p.name, str(p)
    try:
        from skimage import data
    except ImportError:
        return None
    return "astronaut (sample)", np.ascontiguousarray(data.astronaut())


def demo_codec_factory(N: int = 16, M: int = 24, architecture: str = "minnen2018-mean") -> CodecFactory:
    """Untrained models for trying the app before the zoo is installed (``--demo-models``)."""
    def make(quantizer: str, lmbda: float, device: str):
        import torch
        from lvqac_core.api import Codec
        from lvqac_core.models import build_model
        torch.manual_seed(0)
        m = build_model(architecture=architecture, quantizer=quantizer, N=N, M=M, lmbda=lmbda)
        return Codec.from_model(m, model_id=f"demo-untrained-{quantizer}-{lmbda:g}", device=device)
    return make


class Backend:
    """Runs jobs with ``lvqac_core``. ``codec_factory`` replaces the zoo (tests, demo models)."""

    def __init__(self, codec_factory: Optional[CodecFactory] = None) -> None:
        self.codec_factory = codec_factory
        self.threads: Optional[int] = None  # CPU threads of the jobs (None: lvqac_core.threads' default)
        self._codecs: dict[tuple, object] = {}
        self._by_id: dict[str, object] = {}  # model id -> codec, to decode files we wrote
        self._lock = threading.Lock()
        # one lock per model key, held while that model loads: a job asking for a model that
        # the background preload (or another thread) is loading waits for it, never loads twice
        self._loading: dict[tuple, threading.Lock] = {}

    # ------------------------------------------------------------------ models
    def zoo_tiers(self) -> ZooTiers:
        """What the zoo offers per tier: networks, presets, λ ranges (none for the demo models)."""
        return ZooTiers() if self.codec_factory is not None else ZooTiers.from_zoo()

    def rate_ranges(self, tier: Optional[str] = None) -> dict[str, tuple[float, float, str]]:
        """The families whose model (in ``tier``) codes at any λ in a range (none for the demo models)."""
        return self.zoo_tiers().rate_ranges(tier)

    @staticmethod
    def code_lambda(codec, lmbda: float) -> Optional[float]:
        """The λ to pass to ``encode``: the chosen one for a variable-rate network (the codec
        refuses one outside its range), None (its own) for a single-rate model."""
        return float(lmbda) if getattr(codec, "variable_rate", False) else None

    def _key(self, quantizer: str, lmbda: float, device: str, spec: Optional[str],
             tier: Optional[str] = None) -> tuple:
        """The cache key of the codec these choices use: the zoo row ``select_model`` picks (so
        that every λ a variable-rate row codes at shares it, and two tiers never share one), else
        the choices themselves."""
        if spec is None and self.codec_factory is None:
            row = self._zoo_id(quantizer, lmbda, tier)
            if row is not None:
                return ("zoo", row, device)
        return (spec, quantizer, round(lmbda, 6), device, tier)

    def model_name(self, quantizer: str, lmbda: float, spec: Optional[str] = None,
                   tier: Optional[str] = None) -> str:
        """The id of the model these choices load (the zoo's id; reads the manifest only)."""
        if spec is not None:
            return str(spec)
        if self.codec_factory is not None:
            return f"demo-untrained-{quantizer}-{lmbda:g}"
        try:
            return select_model(quantizer, lmbda, tier=tier).spec
        except Exception:  # noqa: BLE001 - not installed: loading says so
            return f"{quantizer} λ={lmbda:g}" + (f" ({tier})" if tier else "")

    def preload(self, quantizer: str, lmbda: float, device: str = "auto",
                spec: Optional[str] = None, tier: Optional[str] = None):
        """Load (and keep) the model for these choices; called on a worker thread at launch."""
        return self.codec(quantizer, lmbda, device_choice(device).device, spec, tier=tier)

    def codec(self, quantizer: str, lmbda: float, device: str, spec: Optional[str] = None,
              progress: Progress = None, tier: Optional[str] = None):
        """The codec of these choices (``tier``: which of the family's zoo networks; None: the
        core's default rule), loaded once and kept."""
        key = self._key(quantizer, lmbda, device, spec, tier)
        with self._lock:
            if key in self._codecs:
                return self._codecs[key]
            loading = self._loading.setdefault(key, threading.Lock())
        name = spec or f"{quantizer} λ={lmbda:g}" + (f" ({tier})" if tier else "")
        if not loading.acquire(blocking=False):  # being loaded by another thread: wait for it
            if progress is not None:
                progress(-1.0, f"waiting for model {name} (loading in the background)")
            # poll, so that a cancelled job stops waiting (progress raises Cancelled)
            while not loading.acquire(timeout=0.05):
                if progress is not None:
                    progress(-1.0, f"waiting for model {name} (loading in the background)")
        held = True  # this thread holds ``loading`` until it hands it to the loader thread
        try:
            with self._lock:
                if key in self._codecs:  # the other thread's load succeeded
                    return self._codecs[key]
            if progress is None:
                return self._load_and_keep(key, quantizer, lmbda, device, spec, tier)
            progress(-1.0, f"loading model {name} (first use)")  # no measurable progress: fraction < 0
            held = False
            return self._load_cancellable(key, loading, name, progress, quantizer, lmbda, device, spec, tier)
        finally:
            if held:
                loading.release()

    def loading(self) -> bool:
        """Whether a model is being loaded now (the launch's preload, or a job's)."""
        with self._lock:
            return any(lock.locked() for lock in self._loading.values())

    def loaded_codec(self, model_id: str):
        """The codec this session loaded under ``model_id`` (the one that coded a shown result),
        else None; nothing is loaded (the position inspector probes with it)."""
        with self._lock:
            return self._by_id.get(model_id)

    @staticmethod
    def swap_codec(quantizer: str, spec: str, device: str):
        """The explicit scalar model ``spec`` (a CompressAI file, one of our scalar checkpoints or
        a scalar zoo id) with ``quantizer`` swapped in at inference; loaded for each comparison."""
        from lvqac_core.interop.quantizer_swap import swap_codec  # imports torch
        path = zoo.get_entry(spec).path if zoo.names_zoo_model(spec) else spec
        return swap_codec(path, quantizer, device)

    def _load_and_keep(self, key: tuple, quantizer: str, lmbda: float, device: str, spec: Optional[str],
                       tier: Optional[str] = None):
        codec = self._load(quantizer, lmbda, device, spec, tier)
        with self._lock:
            self._codecs[key] = codec
            self._by_id[codec.model_id] = codec
        return codec

    def _load_cancellable(self, key: tuple, loading: threading.Lock, name: str, progress: Progress,
                          quantizer: str, lmbda: float, device: str, spec: Optional[str],
                          tier: Optional[str] = None):
        """Load on a helper thread (which releases ``loading`` when done) while this job polls
        ``progress``: Cancel ends the job at once (``progress`` raises ``Cancelled``) even though a
        checkpoint's load cannot be interrupted; the load finishes in the background and is kept
        for the next job (a failed one is retried then)."""
        done = threading.Event()
        box: dict[str, object] = {}

        def load() -> None:
            try:
                box["codec"] = self._load_and_keep(key, quantizer, lmbda, device, spec, tier)
            except BaseException as exc:  # noqa: BLE001 - re-raised on the job's thread
                box["error"] = exc
            finally:
                loading.release()
                done.set()

        try:
            threading.Thread(target=load, name="lvqac-model-load", daemon=True).start()
        except BaseException:
            loading.release()
            raise
        while not done.wait(0.05):
            progress(-1.0, f"loading model {name} (first use)")
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        return box["codec"]

    @staticmethod
    def _zoo_id(quantizer: str, lmbda: float, tier: Optional[str] = None) -> Optional[str]:
        try:
            return select_model(quantizer, lmbda, tier=tier).spec
        except Exception:  # noqa: BLE001 - not in the zoo
            return None

    def _load(self, quantizer: str, lmbda: float, device: str, spec: Optional[str],
              tier: Optional[str] = None):
        if spec is not None:
            from lvqac_core.api import load_model
            return load_model(spec, device)
        if self.codec_factory is not None:
            return self.codec_factory(quantizer, lmbda, device)
        from lvqac_core.api import load_model
        return load_model(select_model(quantizer, lmbda, tier=tier).spec, device)

    # ------------------------------------------------------------------ jobs
    def run(self, job: Job, progress: Progress = None, interim: Optional[Callable[[Any], None]] = None):
        """Run ``job`` (its own :meth:`~lvqac_gui.model.jobs.Job.run`) on this thread; ``interim``
        receives a first result the job shows before it ends."""
        if progress is not None and getattr(job, "USES_MODEL", True) and self.loading():
            # at launch the preload is importing torch, which the job's first step (its device)
            # waits for too: say so at once, not "0 %"
            progress(-1.0, "waiting for the model loading in the background")
        threads.apply(self.threads)  # in the worker thread: torch's thread count is per thread
        try:
            return self._run(job, progress, interim)
        finally:  # the app idles between jobs: give the heap's free pages back (lvqac_core.allocator)
            allocator.release()

    def _run(self, job: Job, progress: Progress = None, interim: Optional[Callable[[Any], None]] = None):
        if not isinstance(job, Job):
            raise ValueError(f"unknown job kind {getattr(job, 'kind', job)!r}")
        return job.run(self, progress or (lambda f, stage="": None), interim or (lambda payload: None))

    @staticmethod
    def device_for(requested: str) -> DeviceChoice:
        """The device a job runs on (:func:`device_choice`)."""
        return device_choice(requested)

    def codec_for_file(self, header, dev: DeviceChoice, report):
        """The codec that decodes a file with ``header``: one this session loaded (it wrote the
        file), the model the λ / quantizer controls load, or the zoo model named in the file."""
        with self._lock:
            codec = self._by_id.get(header.model_id)
        if codec is not None and getattr(codec, "device", dev.device) == dev.device:
            return codec
        tier = self._tier_of(header.model_id) if self.codec_factory is None else None
        if ((self.codec_factory is not None and header.model_id.startswith("demo-untrained-"))
                or (self.codec_factory is None
                    and self._zoo_id(header.quantizer, header.lmbda, tier) == header.model_id)):
            # the model the λ / quantizer / tier controls load (maybe being preloaded): load it once
            return self.codec(header.quantizer, header.lmbda, dev.device, progress=report, tier=tier)
        from lvqac_core.api import zoo_codec_for
        report(-1.0, f"loading model {header.model_id}")
        return zoo_codec_for(header, dev.device)

    @staticmethod
    def _tier_of(model_id: str) -> Optional[str]:
        """The tier of the zoo row ``model_id`` (None: not in the zoo or no tier recorded)."""
        try:
            return zoo.get_entry(model_id).tier if zoo.has_model(model_id) else None
        except Exception:  # noqa: BLE001 - a broken manifest: the decode says so
            return None
