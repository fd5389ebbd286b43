"""The session model: everything the window shows, without any Qt.

Widgets subscribe to the :class:`Session` signals and call its methods; the worker layer
listens to :attr:`Session.job_requested` / :attr:`Session.job_cancel_requested` and reports back
through :meth:`Session.job_progress`, :meth:`Session.job_interim`, :meth:`Session.job_finished`,
:meth:`Session.job_failed`. A compression shows its encoder's result as soon as it has it
(``job_interim``) and completes the same result's numbers when its decode check ends
(``display_updated``).
What a job runs and how its result is shown is the job's own (:mod:`lvqac_gui.model.jobs`).
Job ids make stale results harmless: a new request supersedes the running one, and whatever the
old job still reports is ignored.
"""
from __future__ import annotations

import os
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional

import numpy as np

from lvqac_core.bitstream import QUANTIZERS, is_lvq_path  # QUANTIZERS: the .lvq format's names; the widgets use it too
from lvqac_core.image_files import IMAGE_SUFFIXES
from lvqac_core.lambdas import lambda_in_range, same_lambda

from .errors import describe_error, file_message
from .events import signal
from . import rate
from .jobs import ClassicalJob, CompareJob, CompressJob, DecompressJob, Job, LvqFile, SideJob
from .records import CompareRow, Display, HistoryEntry, Source
from .tiers import ZooTiers

QUANTIZER_LABELS = {"scalar": "Scalar (uniform)", "lvq": "LVQ", "lvqac": "LVQAC (LVQ + companding)"}
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
DEVICE_LABELS = {"auto": "Auto", "cpu": "CPU", "cuda": "CUDA"}

MAX_RECENT = 10
MAX_KEPT_RESULTS = 12
"""History rows keep their full result (images, maps) for the newest this many runs; older rows
are reopened by running them again."""


def default_loader(source: Source) -> Optional[np.ndarray | LvqFile]:
    """Read what a new source shows at once: the image's RGB, or for a .lvq the file opened once
    (:class:`~lvqac_gui.model.jobs.LvqFile`: header checked, bytes kept for its decode job).
    Raises the core's errors (ImageError, LvqFormatError) for files that cannot open."""
    if source.array is not None:
        return source.array
    if source.is_lvq:
        return LvqFile.open(source.path)
    from lvqac_core.image_files import load_image
    return load_image(source.path).rgb


class Session:
    """Qt-free state of one window. See the module docstring for the protocol."""

    # the signals, with what their slots receive (each session has its own: model/events.py)
    choices_changed = signal()
    source_changed = signal(Optional[Source])
    display_changed = signal(Optional[Display])
    display_updated = signal(Display)  # the shown result's numbers changed (same images and maps)
    compare_changed = signal(list)  # list[CompareRow]
    busy_changed = signal(bool)
    progress_changed = signal(float, str)  # (fraction, text); fraction < 0: no measurable progress
    job_requested = signal(Job)
    job_cancel_requested = signal(int)  # the job's id
    error = signal(str, str)  # (title, message)
    message = signal(str)
    recent_changed = signal(list)  # list[str]
    queue_changed = signal(int, int)  # (done, total)
    history_changed = signal(list)  # list[HistoryEntry]
    classical_changed = signal(dict)  # codec -> classical.Classical
    side_rows_changed = signal(dict)  # (quantizer, λ) -> CompareRow

    def __init__(self) -> None:
        # choices
        self.lmbda: float = 0.0075
        self.quantizer: str = "lvqac"
        self.device: str = "auto"
        self.model_spec: Optional[str] = None
        # which of a family's zoo networks: "fast", "wide", ... (None: the default model's tier,
        # the core's rule); the tiers the zoo has come from the window's backend (use_catalog)
        self.tier: Optional[str] = None
        self.catalog: ZooTiers = ZooTiers()
        # quantizer -> (λ min, λ max, network) of the families whose zoo model (in the tier) is a
        # variable-rate network (``lvqac_core.service.rate_range``; set from the catalogue)
        self.rate_ranges: dict[str, tuple[float, float, str]] = {}
        self.auto_recompress: bool = True
        self.measure_decode: bool = True
        # content
        self.source: Optional[Source] = None
        self.display: Optional[Display] = None
        self.compare_rows: list[CompareRow] = []
        self.preview: Optional[np.ndarray] = None  # the new source's image, shown before its result
        self.lvq: Optional[LvqFile] = None  # the source's .lvq, opened once (header and bytes)
        self.history: list[HistoryEntry] = []
        self.classical: dict[str, Any] = {}  # codec -> classical.Classical of the shown result
        # (quantizer, λ) -> CompareRow: a learned side of the A/B split at its own λ (this image)
        self.side_rows: dict[tuple[str, float], CompareRow] = {}
        self.loader = default_loader
        self.recent: list[str] = []
        self.queue: deque[Source] = deque()
        self.batch_total = 0
        self.batch_done = 0
        self.batch_log: list[tuple[str, str]] = []  # (name, "ok"/error message)
        # work
        self.active: Optional[Job] = None
        self.interim: Optional[Job] = None  # the job whose first result is shown, its last one to come
        self.progress: float = 0.0
        self._next_id = 1

    # ------------------------------------------------------------------ choices
    @property
    def busy(self) -> bool:
        return self.active is not None

    def presets(self, quantizer: Optional[str] = None) -> list[float]:
        """The preset λ of ``quantizer`` (default: the chosen family) in the chosen tier: its
        manifest rows' λ; the paper's six when the zoo has none (demo models, no zoo)."""
        return self.catalog.presets(quantizer or self.quantizer, self.tier) or [float(v) for v in rate.PAPER_LAMBDAS]

    def rate_control(self) -> rate.RateControl:
        """The continuous rate control for the current choices: enabled only when the chosen
        family's zoo model is a variable-rate network (and no .lvq file or explicit model fixes
        the model)."""
        presets = self.presets()
        lo, hi = presets[0], presets[-1]
        if self.source is not None and self.source.is_lvq:
            return rate.RateControl(False, lo, hi, reason="The model that wrote this .lvq file fixes λ "
                                    "(open an image to choose)")
        if self.model_spec:
            return rate.RateControl(False, lo, hi, reason=f"An explicit model is in use ({self.model_spec}); "
                                    "choose a quantizer to use the zoo")
        found = self.rate_ranges.get(self.quantizer)
        if found is None:
            return rate.RateControl(False, lo, hi, reason=f"The {QUANTIZER_LABELS.get(self.quantizer, self.quantizer)} "
                                    "model is a single-rate model: it codes only at its preset λ. "
                                    "A continuous λ needs a variable-rate network (lvqac models, column network)")
        return rate.RateControl(True, found[0], found[1], network=found[2])

    def codable(self, lmbda: float, quantizer: str) -> float:
        """``lmbda`` if the family ``quantizer`` can code at it, else the nearest preset (a
        single-rate family has only its presets)."""
        found = self.rate_ranges.get(quantizer)
        if found is not None and lambda_in_range(lmbda, found[0], found[1]):
            return float(lmbda)
        presets = self.presets(quantizer)
        return float(lmbda) if rate.is_preset(lmbda, presets) else rate.nearest_preset(lmbda, presets)

    def set_choices(self, *, lmbda: Optional[float] = None, quantizer: Optional[str] = None,
                    device: Optional[str] = None, recompress: Optional[bool] = None) -> None:
        changed = False
        if quantizer is not None and quantizer not in QUANTIZERS:
            raise ValueError(f"unknown quantizer {quantizer!r}")
        if quantizer is not None and quantizer not in self.families():
            self.message.emit(self.lacks(quantizer))
            quantizer = None
        new_q = quantizer if quantizer is not None else self.quantizer
        if lmbda is not None or quantizer is not None:
            lmbda = self.codable(float(self.lmbda if lmbda is None else lmbda), new_q)
        if lmbda is not None and not same_lambda(lmbda, self.lmbda):
            self.lmbda = float(lmbda)
            changed = True
        if quantizer is not None and quantizer != self.quantizer:
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
        self._after_choice(recompress)

    def _after_choice(self, recompress: Optional[bool]) -> None:
        """Say the choices changed, and compress the open image again (unless told not to)."""
        self.choices_changed.emit()
        do = self.auto_recompress if recompress is None else recompress
        if do and self.source is not None and not self.source.is_lvq:
            self.compress()

    # ------------------------------------------------------------------ tiers
    def use_catalog(self, catalog: ZooTiers) -> None:
        """What the zoo offers per tier (from the window's backend); a chosen tier it lacks is
        dropped. The first catalogue with a default model sets the family and λ to that model's
        (the zoo's default is the app's first model; remembered settings come after)."""
        first = self.catalog.default_choice is None
        self.catalog = catalog
        if first and catalog.default_choice is not None:
            self.quantizer, self.lmbda = catalog.default_choice
        self.restore_tier(self.tier if catalog.has(self.tier) else None)

    def families(self) -> list[str]:
        """The families the chosen tier has a network for (every family with no tier chosen)."""
        return self.catalog.families(self.tier)

    def lacks(self, quantizer: str) -> str:
        """Why the chosen tier does not offer ``quantizer``, in words."""
        return self.catalog.lacks(quantizer, self.tier, QUANTIZER_LABELS.get(quantizer, quantizer))

    def restore_tier(self, tier: Optional[str]) -> bool:
        """Take ``tier`` without signals (remembered settings, the command line): its rate
        ranges, a family it has and a λ it codes. False (nothing changed): a tier the zoo lacks."""
        if tier is not None and not self.catalog.has(tier):
            return False
        self.tier = tier
        self.rate_ranges = self.catalog.rate_ranges(tier)
        families = self.families()
        if families and self.quantizer not in families:
            self.quantizer = families[0]
        self.lmbda = self.codable(self.lmbda, self.quantizer)
        return True

    def set_tier(self, tier: Optional[str], recompress: Optional[bool] = None) -> None:
        """Code with the zoo's ``tier`` networks (None: the default model's tier): the rate control
        takes the tier's ranges, the λ stays codable (the nearest preset when outside), a family
        the tier lacks gives way to one it has, an explicit model gives way to the zoo's, and the
        open image is compressed again (as :meth:`set_choices`)."""
        if tier is not None and not self.catalog.has(tier):
            raise ValueError(f"unknown tier {tier!r} (the zoo has: {', '.join(self.catalog.names()) or 'none'})")
        if tier == self.tier and self.model_spec is None:
            return
        before = self.quantizer
        self.restore_tier(tier)
        self.model_spec = None
        self.compare_rows, self.side_rows = [], {}  # coded with the other tier's networks
        self.compare_changed.emit(self.compare_rows)
        self.side_rows_changed.emit(self.side_rows)
        if self.quantizer != before:
            chosen = self.catalog.current(tier)
            self.message.emit(f"{chosen.label if chosen else tier}: no {QUANTIZER_LABELS.get(before, before)} "
                              f"network there, so {QUANTIZER_LABELS.get(self.quantizer, self.quantizer)}")
        self._after_choice(recompress)

    def _follow_file_tier(self, model_id: str) -> None:
        """A decoded file's zoo model sets the tier (the controls follow the file's model); a
        family the chosen tier lacks returns to the default rule."""
        lmbda, file_tier = self.lmbda, self.catalog.tier_of(model_id)
        if file_tier is not None and file_tier != (self.tier or self.catalog.default_tier):
            self.restore_tier(file_tier)
        elif self.quantizer not in self.families():
            self.restore_tier(None)
        self.lmbda = lmbda  # the file's, as it shows

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
        if self.active is not None:  # a new open replaces the running job and batch
            self.job_cancel_requested.emit(self.active.id)
            self.active = None
            self.busy_changed.emit(False)
        self.queue = deque(sources[1:])
        self.batch_total = len(sources)
        self.batch_done = 0
        self.batch_log = []
        self.queue_changed.emit(self.batch_done, self.batch_total)
        self._load_next(sources[0])
        return rejected

    @property
    def in_batch(self) -> bool:
        return self.batch_total > 1

    def open_array(self, name: str, array: np.ndarray) -> None:
        self.queue.clear()
        self.batch_total = 1
        self.batch_done = 0
        self.load(Source(name=name, array=np.ascontiguousarray(array)))

    def _load_next(self, source: Source) -> None:
        """Load ``source``; a file that cannot be opened is reported (a batch goes on)."""
        while source is not None:
            if self.load(source):
                return
            if self.in_batch:
                self.batch_done += 1
                self.queue_changed.emit(self.batch_done, self.batch_total)
            source = self.queue.popleft() if self.queue else None

    def load(self, source: Source) -> bool:
        """Show ``source`` at once (its image; the old result is cleared), then start its job.
        A file that cannot be read is reported and nothing else changes (False)."""
        try:
            preview = self.loader(source)
        except Exception as exc:  # noqa: BLE001 - reported, in a batch without blocking
            title, message = describe_error(exc)
            error = self._failed(source, title, message)
            if error is not None:
                self.error.emit(*error)
            return False
        self._settle_interim()
        self.source = source
        self.lvq = preview if isinstance(preview, LvqFile) else None
        self.preview = None if self.lvq is not None else preview
        self.display = None
        self.classical = {}
        self.side_rows = {}
        self.compare_rows = []
        self.compare_changed.emit(self.compare_rows)
        self.classical_changed.emit(self.classical)
        self.source_changed.emit(source)
        if source.is_lvq:
            self._request(DecompressJob, lvq=self._source_lvq())
        else:
            self.compress()
        return True

    def add_recent(self, path: str) -> None:
        path = str(Path(path).resolve())
        self.recent = [path] + [p for p in self.recent if p != path]
        del self.recent[MAX_RECENT:]
        self.recent_changed.emit(list(self.recent))

    def forget_recent(self, path: str) -> None:
        path = str(Path(path).resolve())
        if path in self.recent:
            self.recent = [p for p in self.recent if p != path]
            self.recent_changed.emit(list(self.recent))

    # ------------------------------------------------------------------ history
    def add_history_row(self, entry: HistoryEntry) -> None:
        self.history.append(entry)
        kept = [e for e in self.history if e.display is not None]
        for e in kept[:-MAX_KEPT_RESULTS]:
            e.display = None  # memory: old rows are re-run when reopened
        self.history_changed.emit(list(self.history))

    def restore_history(self, entries: list[HistoryEntry]) -> None:
        """Rows of an earlier session (numbers only) before this session's runs."""
        self.history = [replace(e, index=k) for k, e in enumerate(entries)] + [
            replace(e, index=len(entries) + k) for k, e in enumerate(self.history)]
        self.history_changed.emit(list(self.history))

    def add_rows(self, entries: list[HistoryEntry]) -> int:
        """Rows of a saved session (numbers only) after the rows shown; a row that is there already
        (same file, model, bytes and status) is not repeated. Returns how many were added."""
        def key(e: HistoryEntry):
            return (e.source.path or e.source.name, e.quantizer, round(e.lmbda, 9), e.num_bytes, e.error)
        have = {key(e) for e in self.history}
        new = [e for e in entries if key(e) not in have]
        self.history = self.history + [replace(e, index=len(self.history) + k, earlier=True)
                                       for k, e in enumerate(new)]
        self.history_changed.emit(list(self.history))
        return len(new)

    def restore_comparison(self, rows: list[CompareRow]) -> bool:
        """Comparison rows of a saved session (numbers: table and RD points), when they were coded
        from the shown image at its λ."""
        if self.display is None or not rows:
            return False
        keep, self.compare_rows = self.compare_rows, list(rows)
        if not self._compare_fits(self.display):
            self.compare_rows = keep
            return False
        self.compare_changed.emit(self.compare_rows)
        return True

    def clear_history(self) -> None:
        """Forget every row (results still in memory are dropped too)."""
        self.history = []
        self.history_changed.emit([])

    def mark_exported(self, indices) -> None:
        """History rows whose files were written."""
        wanted = set(indices)
        for e in self.history:
            if e.index in wanted:
                e.exported = True
        self.history_changed.emit(list(self.history))

    def unexported(self) -> list[HistoryEntry]:
        return [e for e in self.history if e.unexported]

    def reopen(self, index: int) -> None:
        """Show history row ``index`` again (its kept result, else run it again)."""
        entry = self.history[index]
        if entry.kind in ("classical", "side") and self._shows(entry.source):
            if entry.kind == "classical":  # encoded again at its quality (the split shows it)
                self.request_classical(entry.codec, quality=entry.quality)
            else:
                self.request_side(entry.quantizer, entry.lmbda)
            self.message.emit(f"{entry.model}: choose it for a side of the A/B split")
            return
        if entry.kind == "classical":  # another image: open it (its result first)
            if entry.source.path:
                self.open_paths([entry.source.path])
            self.message.emit(f"{entry.model}: choose it for a side of the A/B split once coded")
            return
        if entry.display is not None:
            if self.active is not None:
                self.cancel()
            d = entry.display
            self.source, self.preview, self.display = d.source, d.original, d
            self.lmbda, self.quantizer, self.model_spec = d.stats.lmbda, d.stats.quantizer, None
            self._follow_file_tier(d.stats.model_id)
            self.classical, self.compare_rows, self.side_rows = {}, [], {}
            self.choices_changed.emit()
            self.source_changed.emit(d.source)
            self.compare_changed.emit(self.compare_rows)
            self.classical_changed.emit(self.classical)
            self.display_changed.emit(d)
            return
        if not entry.source.is_lvq:
            self.lmbda, self.quantizer, self.model_spec = entry.lmbda, entry.quantizer, None
            if self.quantizer not in self.families():
                self.restore_tier(None)
            self.choices_changed.emit()
        if entry.source.path:
            self.open_paths([entry.source.path])
        elif entry.source.array is not None:
            self.open_array(entry.source.name, entry.source.array)

    def _shows(self, source: Source) -> bool:
        """Whether the shown result is of ``source``'s image (same file, else same in-memory image)."""
        d = self.display
        if d is None or d.original is None:
            return False
        return (d.source.path == source.path) if source.path else d.source.name == source.name

    # ------------------------------------------------------------------ work
    def compress(self) -> Optional[Job]:
        if self.source is None:
            self.message.emit("Open an image first")
            return None
        if self.source.is_lvq:
            return self._request(DecompressJob, lvq=self._source_lvq())
        return self._request(CompressJob)

    def _source_lvq(self) -> Optional[LvqFile]:
        """The shown .lvq source as it was opened (None: its decode job reads the file)."""
        lvq, src = self.lvq, self.source
        return lvq if lvq is not None and src is not None and lvq.path == src.path else None

    def compare_quantizers(self) -> Optional[Job]:
        if self.source is None or self.source.is_lvq:
            self.message.emit("Comparing quantizers needs an image (not a .lvq file)")
            return None
        self.compare_rows = []
        self.compare_changed.emit(self.compare_rows)
        return self._request(CompareJob)

    def _compare_fits(self, display: Display) -> bool:
        """Whether the comparison rows were coded from ``display``'s image at its λ."""
        return all(r.source_name == display.source.name
                   and (r.lmbda is None or same_lambda(r.lmbda, display.stats.lmbda))
                   for r in self.compare_rows)

    def classical_fits(self, codec: str, target_bytes: Optional[int] = None,
                       quality: Optional[float] = None) -> bool:
        """Whether the kept ``codec`` encoding is the one asked for: at ``quality``, or matched
        to ``target_bytes`` (default: the shown result's size)."""
        c = self.classical.get(codec)
        if c is None:
            return False
        if quality:
            return not c.matched and abs(c.quality - quality) < 1e-6
        target = self.display.stats.num_bytes if target_bytes is None and self.display else target_bytes
        return c.matched and c.target_bytes == target

    def request_classical(self, codec: str, target_bytes: Optional[int] = None,
                          quality: Optional[float] = None) -> Optional[Job]:
        """Encode the shown image with ``codec`` (JPEG / WebP / AVIF) at ``target_bytes`` (default:
        the shown result's size; in the split, the other side's), or at a fixed ``quality``."""
        d = self.display
        if d is None or d.original is None:
            self.message.emit("A classical codec at the same size needs a compressed image")
            return None
        if self.classical_fits(codec, target_bytes, quality):
            return None
        if self.active is not None and not isinstance(self.active, ClassicalJob):  # another side's search is superseded
            self.message.emit("Busy — try again when the running job has finished")
            return None
        if quality:
            return self._request(ClassicalJob, codec=codec, quality=float(quality), reference=d.original)
        return self._request(ClassicalJob, codec=codec,
                             target_bytes=int(d.stats.num_bytes if target_bytes is None else target_bytes),
                             reference=d.original)

    def side_row(self, quantizer: str, lmbda: float) -> Optional[CompareRow]:
        """The learned split side ``quantizer`` at ``lmbda`` of the shown image, if coded."""
        return next((r for (q, l), r in self.side_rows.items()
                     if q == quantizer and same_lambda(l, lmbda)), None)

    def request_side(self, quantizer: str, lmbda: float) -> Optional[Job]:
        """Code the shown image with ``quantizer`` at ``lmbda`` for a side of the A/B split (its own
        λ: the shown result stays). A single-rate family codes at the nearest preset."""
        d = self.display
        if d is None or d.original is None:
            self.message.emit("A side at its own λ needs a compressed image")
            return None
        lmbda = self.codable(float(lmbda), quantizer)
        if self.side_row(quantizer, lmbda) is not None:
            return None
        if self.active is not None and not isinstance(self.active, (ClassicalJob, SideJob)):
            self.message.emit("Busy — try again when the running job has finished")
            return None
        return self._request(SideJob, quantizer=quantizer, lmbda=lmbda, model_spec=None)

    def cancel(self) -> None:
        """Cancel the running job and the rest of the batch. The UI is idle at once."""
        if self.active is None:
            return
        job = self.active
        self.active = None
        self.queue.clear()
        self._settle_interim()
        self.job_cancel_requested.emit(job.id)
        self.busy_changed.emit(False)
        self.progress = 0.0
        self.progress_changed.emit(0.0, "")
        self.message.emit("Cancelled")

    def _request(self, job_class: type[Job], **extra) -> Job:
        assert self.source is not None
        if self.active is not None:  # supersede
            if not job_class.BESIDE:
                self._settle_interim()
            self.job_cancel_requested.emit(self.active.id)
        fields = dict(lmbda=self.lmbda, quantizer=self.quantizer, device=self.device,
                      model_spec=self.model_spec, measure_decode=self.measure_decode,
                      tier=None if self.model_spec else self.tier)
        fields.update(extra)  # a split side's own λ and quantizer
        job = job_class(id=self._next_id, source=self.source, **fields)
        self._next_id += 1
        was_busy = self.active is not None
        self.active = job
        self.progress = 0.0
        if not was_busy:
            self.busy_changed.emit(True)
        self.progress_changed.emit(0.0, job.text(self))
        self.job_requested.emit(job)
        return job

    def _is_current(self, job_id: int) -> bool:
        return self.active is not None and self.active.id == job_id

    def job_progress(self, job_id: int, fraction: float, stage: str = "") -> None:
        """``stage`` says what is happening ("loading model", "analysing", "coding", ...);
        a negative fraction means "no measurable progress" (e.g. while a model loads)."""
        if not self._is_current(job_id):
            return
        self.progress = float(min(fraction, 1.0))
        text = self.active.text(self)
        self.progress_changed.emit(self.progress, f"{text}: {stage}" if stage else text)

    def job_interim(self, job_id: int, payload: Display) -> None:
        """A job's first result (a compression's, before its decode check): shown at once; the
        job's last payload completes it (:meth:`show_result`)."""
        if not self._is_current(job_id) or self.active.BESIDE:
            return
        self.interim = self.active
        self._present(payload)

    def _settle_interim(self) -> None:
        """The job whose first result is shown ends without its last one (cancelled or
        superseded): the result stays as it is, without the decode's figures, and gets its
        Results row."""
        job, self.interim = self.interim, None
        d = self.display
        if job is None or d is None or not d.stats.decode_pending:
            return
        d.stats = replace(d.stats, decode_pending=False)
        self.display_updated.emit(d)
        self._record(job, d)

    def job_finished(self, job_id: int, payload: Any) -> None:
        """The job's payload, shown by the job itself (:meth:`Job.apply`)."""
        if not self._is_current(job_id):
            return
        job = self.active
        self.active = None
        job.apply(self, payload)
        if job.BESIDE:  # a comparison or a split side: the shown result and the batch stay
            self.progress_changed.emit(1.0, "Done")
            self.busy_changed.emit(False)
            return
        self.progress = 1.0
        self.progress_changed.emit(1.0, "Done")
        self._after_job()

    def show_result(self, job: Job, payload: Display) -> None:
        """A compress or decode job's result becomes the shown result (and a Results row). When
        the job's first result is shown, this one completes its numbers (same images)."""
        if self.interim is job and self.display is not None:
            self.interim = None
            self.display.stats = payload.stats
            self.display_updated.emit(self.display)
            self._record(job, self.display)
            return
        self._present(payload)
        self._record(job, payload)

    def _present(self, payload: Display) -> None:
        self.display = payload
        self.classical = {}  # JPEG / WebP / AVIF matched the previous result's size
        if self.compare_rows and not self._compare_fits(payload):
            self.compare_rows = []  # compared at another λ (or image): never mixed in silently
            self.compare_changed.emit(self.compare_rows)
        self.classical_changed.emit(self.classical)
        st = payload.stats
        if payload.kind == "decoded":  # the controls follow the file's model
            self.lmbda, self.quantizer, self.model_spec = float(st.lmbda), st.quantizer, None
            self._follow_file_tier(st.model_id)
            self.choices_changed.emit()
        self.display_changed.emit(payload)
        if payload.device_note:
            self.message.emit(payload.device_note)

    def _record(self, job: Job, payload: Display) -> None:
        """A shown result's Results row (and its place in the batch log and Open Recent)."""
        self.batch_log.append((job.source.name, "ok"))
        if job.source.path:
            self.add_recent(job.source.path)
        st = payload.stats
        seconds = (st.encode_seconds or 0.0) + (st.decode_seconds or 0.0)
        self.add_history_row(HistoryEntry(
            index=len(self.history), source=job.source, quantizer=st.quantizer,
            lmbda=float(st.lmbda), seconds=seconds or None, num_bytes=st.num_bytes,
            bpp=st.bpp, psnr=st.psnr, ms_ssim=st.ms_ssim, kind=payload.kind,
            display=payload))

    def job_failed(self, job_id: int, title: str, message: str) -> None:
        if not self._is_current(job_id):
            return
        job = self.active
        self.active = None
        if self.interim is job:  # its file did not pass the decode check: the result is not shown
            self.interim = None
            self.display = None
            self.display_changed.emit(None)
        self.progress_changed.emit(0.0, "Failed")
        if job.BESIDE:
            self.error.emit(title, message)
            self.busy_changed.emit(False)
            return
        error = self._failed(job.source, title, message, job)
        self._after_job()  # the window is idle again before a (modal) dialog says why
        if error is not None:
            self.error.emit(*error)

    def _failed(self, source: Source, title: str, message: str,
                job: Optional[Job] = None) -> Optional[tuple[str, str]]:
        """A file that failed: history row, not in Open Recent. In a batch a status message; else
        the error signal's arguments for the caller to emit (a dialog) once its state is settled."""
        message = file_message(source.name, source.path, message)  # names the file once
        self.batch_log.append((source.name, message))
        if source.path:
            self.forget_recent(source.path)
        self.add_history_row(HistoryEntry(
            index=len(self.history), source=source,
            quantizer=job.quantizer if job else self.quantizer,
            lmbda=job.lmbda if job else self.lmbda, error=f"{title}: {message}", kind="failed"))
        if self.in_batch:
            self.message.emit(f"{title} — {message.splitlines()[0] if message else ''}")
            return None
        return title, message

    def job_cancelled(self, job_id: int) -> None:
        if self._is_current(job_id):  # cancelled from inside (not through cancel())
            self.active = None
            self.queue.clear()
            self._settle_interim()
            self.busy_changed.emit(False)
            self.message.emit("Cancelled")

    def _after_job(self) -> None:
        if self.batch_total > 1:
            self.batch_done += 1
            self.queue_changed.emit(self.batch_done, self.batch_total)
        if self.queue:
            self._load_next(self.queue.popleft())
        if self.active is None:
            self.busy_changed.emit(False)


