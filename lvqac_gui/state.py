"""The session model: everything the window shows, without any Qt.

Widgets subscribe to the :class:`Session` signals and call its methods; the worker layer
listens to :attr:`Session.job_requested` / :attr:`Session.job_cancel_requested` and reports back
through :meth:`Session.job_progress`, :meth:`Session.job_finished`, :meth:`Session.job_failed`.
Job ids make stale results harmless: a new request supersedes the running one, and whatever the
old job still reports is ignored.
"""
from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from .events import Signal

LAMBDAS: tuple[float, ...] = (0.0016, 0.0032, 0.0075, 0.015, 0.03, 0.045)
"""The paper's six rate-distortion trade-offs."""

QUANTIZERS: tuple[str, ...] = ("scalar", "lvq", "lvqac")
QUANTIZER_LABELS = {"scalar": "Scalar (uniform)", "lvq": "LVQ", "lvqac": "LVQAC (LVQ + A-law)"}
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
DEVICE_LABELS = {"auto": "Auto", "cpu": "CPU", "cuda": "CUDA"}

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm",
                            ".pgm", ".pnm", ".gif", ".tga"})
LVQ_SUFFIX = ".lvq"
MAX_RECENT = 10


def is_lvq_path(path: str | os.PathLike) -> bool:
    p = Path(path)
    if p.suffix.lower() == LVQ_SUFFIX:
        return True
    try:
        from lvqac_core.bitstream import MAGIC
        with open(p, "rb") as fh:
            return fh.read(len(MAGIC)) == MAGIC
    except (OSError, ImportError):
        return False


@dataclass(frozen=True)
class Source:
    """What is being looked at: an image file, a .lvq file, or an in-memory image (sample)."""

    name: str
    path: Optional[str] = None
    array: Optional[np.ndarray] = field(default=None, compare=False, repr=False)
    is_lvq: bool = False

    @classmethod
    def from_path(cls, path: str | os.PathLike) -> "Source":
        p = Path(path)
        return cls(name=p.name, path=str(p), is_lvq=is_lvq_path(p))

    @property
    def stem(self) -> str:
        return Path(self.path).stem if self.path else Path(self.name).stem.replace(" ", "_")


@dataclass(frozen=True)
class Job:
    """One unit of work for the worker thread."""

    id: int
    kind: str  # "compress" | "decompress" | "compare"
    source: Source
    lmbda: float
    quantizer: str
    device: str
    model_spec: Optional[str] = None  # explicit zoo id / checkpoint path overriding λ+quantizer
    measure_decode: bool = True


@dataclass
class Stats:
    """The numbers shown in the side panel (None = not applicable / unknown)."""

    width: int
    height: int
    num_bytes: int
    bpp: float
    bpp_estimated: Optional[float]
    psnr: Optional[float]
    ms_ssim: Optional[float]
    encode_seconds: Optional[float]
    decode_seconds: Optional[float]
    device: str
    model_id: str
    quantizer: str
    lmbda: float
    section_bytes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ms_ssim_db(self) -> Optional[float]:
        if self.ms_ssim is None:
            return None
        return float(-10.0 * np.log10(max(1.0 - self.ms_ssim, 1e-12)))

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) rows for display."""
        def f(v: Optional[float], fmt: str, unit: str = "") -> str:
            return "—" if v is None else format(v, fmt) + unit
        rows = [
            ("Image", f"{self.width} × {self.height}"),
            ("File size", f"{self.num_bytes:,} bytes"),
            ("Rate (actual)", f(self.bpp, ".4f", " bpp")),
            ("Rate (estimated)", f(self.bpp_estimated, ".4f", " bpp")),
            ("PSNR", f(self.psnr, ".2f", " dB")),
            ("MS-SSIM", "—" if self.ms_ssim is None
             else f"{self.ms_ssim:.4f} ({self.ms_ssim_db:.2f} dB)"),
            ("Encode time", f(None if self.encode_seconds is None else self.encode_seconds * 1e3,
                              ".0f", " ms")),
            ("Decode time", f(None if self.decode_seconds is None else self.decode_seconds * 1e3,
                              ".0f", " ms")),
            ("Device", self.device),
            ("Model", self.model_id),
            ("Quantizer", self.quantizer),
            ("λ", f"{self.lmbda:g}"),
        ]
        for name, size in self.section_bytes.items():
            rows.append((f"  section {name}", f"{size:,} bytes"))
        return rows


@dataclass
class Display:
    """A finished result, ready to show: images, maps (already rendered) and numbers."""

    source: Source
    kind: str  # "compressed" | "decoded"
    reconstruction: np.ndarray  # uint8 (H, W, 3)
    original: Optional[np.ndarray]  # uint8 (H, W, 3) or None ("original not in file")
    residual: Optional[np.ndarray]  # float32 (H, W, 3) or None
    maps: Any  # lvqac_core.results.InspectionMaps
    data: bytes  # the .lvq file
    stats: Stats
    layers: dict[str, Any] = field(default_factory=dict)  # name -> maps.Layer
    device_note: Optional[str] = None  # e.g. "CUDA requested but not available; used CPU"

    @property
    def width(self) -> int:
        return int(self.reconstruction.shape[1])

    @property
    def height(self) -> int:
        return int(self.reconstruction.shape[0])

    def probe(self, x: int, y: int) -> Optional[dict[str, Any]]:
        """Values under image pixel (x, y), or None outside the image."""
        if not (0 <= x < self.width and 0 <= y < self.height):
            return None
        out: dict[str, Any] = {"x": x, "y": y, "rgb": tuple(int(v) for v in self.reconstruction[y, x])}
        if self.original is not None:
            out["original"] = tuple(int(v) for v in self.original[y, x])
        if self.residual is not None:
            out["residual"] = tuple(float(v) for v in self.residual[y, x])
        m = self.maps
        stride = getattr(m, "stride", 16) or 16
        i, j = y // stride, x // stride
        sel = getattr(m, "selection", None)
        if sel is not None and i < sel.shape[1] and j < sel.shape[2]:
            out["codebook"] = tuple(int(v) for v in sel[:, i, j])
        a = getattr(m, "a_law", None)
        if a is not None and i < a.shape[0] and j < a.shape[1]:
            out["a"] = float(a[i, j])
        bits = getattr(m, "bits", None)
        if bits is not None and i < bits.shape[0] and j < bits.shape[1]:
            out["bits"] = float(bits[i, j])
        return out


@dataclass
class CompareRow:
    quantizer: str
    model_id: str = ""
    bpp: Optional[float] = None
    psnr: Optional[float] = None
    ms_ssim: Optional[float] = None
    num_bytes: Optional[int] = None
    encode_seconds: Optional[float] = None
    error: Optional[str] = None


class Session:
    """Qt-free state of one window. See the module docstring for the protocol."""

    def __init__(self) -> None:
        # choices
        self.lmbda: float = 0.0075
        self.quantizer: str = "lvqac"
        self.device: str = "auto"
        self.model_spec: Optional[str] = None
        self.auto_recompress: bool = True
        self.measure_decode: bool = True
        # content
        self.source: Optional[Source] = None
        self.display: Optional[Display] = None
        self.compare_rows: list[CompareRow] = []
        self.recent: list[str] = []
        self.queue: deque[Source] = deque()
        self.batch_total = 0
        self.batch_done = 0
        self.batch_log: list[tuple[str, str]] = []  # (name, "ok"/error message)
        # work
        self.active: Optional[Job] = None
        self.progress: float = 0.0
        self._next_id = 1

        self.choices_changed = Signal("choices_changed")
        self.source_changed = Signal("source_changed")  # (Source | None)
        self.display_changed = Signal("display_changed")  # (Display | None)
        self.compare_changed = Signal("compare_changed")  # (list[CompareRow])
        self.busy_changed = Signal("busy_changed")  # (bool)
        self.progress_changed = Signal("progress_changed")  # (float, str)
        self.job_requested = Signal("job_requested")  # (Job)
        self.job_cancel_requested = Signal("job_cancel_requested")  # (job id)
        self.error = Signal("error")  # (title, message)
        self.message = Signal("message")  # (text)
        self.recent_changed = Signal("recent_changed")  # (list[str])
        self.queue_changed = Signal("queue_changed")  # (done, total)

    # ------------------------------------------------------------------ choices
    @property
    def busy(self) -> bool:
        return self.active is not None

    def set_choices(self, *, lmbda: Optional[float] = None, quantizer: Optional[str] = None,
                    device: Optional[str] = None, recompress: Optional[bool] = None) -> None:
        changed = False
        if lmbda is not None and not np.isclose(lmbda, self.lmbda, rtol=1e-6, atol=0):
            self.lmbda = float(lmbda)
            changed = True
        if quantizer is not None and quantizer != self.quantizer:
            if quantizer not in QUANTIZERS:
                raise ValueError(f"unknown quantizer {quantizer!r}")
            self.quantizer = quantizer
            changed = True
        if device is not None and device != self.device:
            if device not in DEVICES:
                raise ValueError(f"unknown device {device!r}")
            self.device = device
            changed = True
        if not changed:
            return
        self.model_spec = None  # an explicit choice overrides --model
        self.choices_changed.emit()
        do = self.auto_recompress if recompress is None else recompress
        if do and self.source is not None and not self.source.is_lvq:
            self.compress()

    def set_model_spec(self, spec: Optional[str], *, lmbda: Optional[float] = None,
                       quantizer: Optional[str] = None) -> None:
        """Use an explicit model (zoo id or checkpoint); λ/quantizer only label it."""
        if lmbda is not None:
            self.lmbda = float(lmbda)
        if quantizer is not None:
            self.quantizer = quantizer
        self.model_spec = spec
        self.choices_changed.emit()

    # ------------------------------------------------------------------ opening
    def open_paths(self, paths: list[str | os.PathLike]) -> list[str]:
        """Open one file or queue several (processed one after another). Returns the rejected."""
        sources, rejected = [], []
        for p in paths:
            p = Path(p)
            if p.is_file() and (p.suffix.lower() in IMAGE_SUFFIXES or is_lvq_path(p)):
                sources.append(Source.from_path(p))
            else:
                rejected.append(str(p))
        if rejected:
            self.error.emit("Cannot open", "Not an image or .lvq file:\n" + "\n".join(rejected))
        if not sources:
            return rejected
        self.queue = deque(sources[1:])
        self.batch_total = len(sources)
        self.batch_done = 0
        self.batch_log = []
        self.queue_changed.emit(self.batch_done, self.batch_total)
        self.load(sources[0])
        return rejected

    def open_array(self, name: str, array: np.ndarray) -> None:
        self.queue.clear()
        self.batch_total = 1
        self.batch_done = 0
        self.load(Source(name=name, array=np.ascontiguousarray(array)))

    def load(self, source: Source) -> None:
        self.source = source
        self.compare_rows = []
        self.compare_changed.emit(self.compare_rows)
        if source.path:
            self.add_recent(source.path)
        self.source_changed.emit(source)
        if source.is_lvq:
            self._request("decompress")
        else:
            self.compress()

    def add_recent(self, path: str) -> None:
        path = str(Path(path).resolve())
        self.recent = [path] + [p for p in self.recent if p != path]
        del self.recent[MAX_RECENT:]
        self.recent_changed.emit(list(self.recent))

    # ------------------------------------------------------------------ work
    def compress(self) -> Optional[Job]:
        if self.source is None:
            self.message.emit("Open an image first")
            return None
        if self.source.is_lvq:
            return self._request("decompress")
        return self._request("compress")

    def compare_quantizers(self) -> Optional[Job]:
        if self.source is None or self.source.is_lvq:
            self.message.emit("Comparing quantizers needs an image (not a .lvq file)")
            return None
        self.compare_rows = []
        self.compare_changed.emit(self.compare_rows)
        return self._request("compare")

    def cancel(self) -> None:
        """Cancel the running job and the rest of the batch. The UI is idle at once."""
        if self.active is None:
            return
        job = self.active
        self.active = None
        self.queue.clear()
        self.job_cancel_requested.emit(job.id)
        self.busy_changed.emit(False)
        self.progress = 0.0
        self.progress_changed.emit(0.0, "")
        self.message.emit("Cancelled")

    def _request(self, kind: str) -> Job:
        assert self.source is not None
        if self.active is not None:  # supersede
            self.job_cancel_requested.emit(self.active.id)
        job = Job(id=self._next_id, kind=kind, source=self.source, lmbda=self.lmbda,
                  quantizer=self.quantizer, device=self.device, model_spec=self.model_spec,
                  measure_decode=self.measure_decode)
        self._next_id += 1
        was_busy = self.active is not None
        self.active = job
        self.progress = 0.0
        if not was_busy:
            self.busy_changed.emit(True)
        self.progress_changed.emit(0.0, self._job_text(job))
        self.job_requested.emit(job)
        return job

    def _job_text(self, job: Job) -> str:
        verb = {"compress": "Compressing", "decompress": "Decoding",
                "compare": "Comparing quantizers on"}[job.kind]
        batch = f" [{self.batch_done + 1}/{self.batch_total}]" if self.batch_total > 1 else ""
        return f"{verb} {job.source.name}{batch}"

    def _is_current(self, job_id: int) -> bool:
        return self.active is not None and self.active.id == job_id

    def job_progress(self, job_id: int, fraction: float) -> None:
        if not self._is_current(job_id):
            return
        self.progress = float(min(max(fraction, 0.0), 1.0))
        self.progress_changed.emit(self.progress, self._job_text(self.active))

    def job_finished(self, job_id: int, payload: Any) -> None:
        if not self._is_current(job_id):
            return
        job = self.active
        self.active = None
        if job.kind == "compare":
            self.compare_rows = list(payload)
            self.compare_changed.emit(self.compare_rows)
            self.progress_changed.emit(1.0, "Done")
            self.busy_changed.emit(False)
            return
        else:
            self.display = payload
            self.display_changed.emit(payload)
            if payload.device_note:
                self.message.emit(payload.device_note)
            self.batch_log.append((job.source.name, "ok"))
        self.progress = 1.0
        self.progress_changed.emit(1.0, "Done")
        self._after_job()

    def job_failed(self, job_id: int, title: str, message: str) -> None:
        if not self._is_current(job_id):
            return
        job = self.active
        self.active = None
        self.batch_log.append((job.source.name, message))
        self.progress_changed.emit(0.0, "Failed")
        self.error.emit(title, message)
        self._after_job()

    def job_cancelled(self, job_id: int) -> None:
        if self._is_current(job_id):  # cancelled from inside (not through cancel())
            self.active = None
            self.queue.clear()
            self.busy_changed.emit(False)
            self.message.emit("Cancelled")

    def _after_job(self) -> None:
        if self.batch_total > 1:
            self.batch_done += 1
            self.queue_changed.emit(self.batch_done, self.batch_total)
        if self.queue:
            self.load(self.queue.popleft())
        else:
            self.busy_changed.emit(False)
