"""The session's jobs, one class per kind (Qt-free). A job owns the two halves of its work:

* :meth:`Job.run` (on the worker thread): what it asks of ``lvqac_core`` through the backend (the
  model the backend keeps, ``lvqac_core.service.encode`` / ``decode``), returning its payload;
  ``report(fraction, stage)`` raises :class:`lvqac_core.errors.Cancelled` when the job was
  cancelled or superseded; ``interim(payload)`` shows a first result before the job ends (a
  compression's, before its file is decoded to check it and time the decoder);
* :meth:`Job.apply` (on the UI thread): what its payload changes in the
  :class:`~lvqac_gui.model.state.Session` (the shown result, the comparison, a split side, a
  Results row), and :meth:`Job.text`, what the progress line says while it runs.

:class:`~lvqac_gui.model.backend.Backend` and the session dispatch on the job's class; there is no
switch on a kind string. ``Job(kind="compress", ...)`` still makes a :class:`CompressJob` (the
kind names the class; tests and scripts build jobs that way).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, ClassVar, Optional

import numpy as np

from lvqac_core.bitstream import QUANTIZERS, LvqHeader
from lvqac_core.errors import Cancelled, LvqacError
from lvqac_core.files import read_file_bytes
from lvqac_core.image_files import gray_to_rgb
from lvqac_core.progress import stage_of
from lvqac_core.service import decode, encode, verify_decode

from . import classical
from .maps import render_layers
from .records import CompareRow, Display, HistoryEntry, Source, Stats

Report = Callable[..., None]  # report(fraction, stage="")
Interim = Callable[[Any], None]  # interim(payload): a first result, shown before the job ends


def _quiet(fraction: float, stage: str = "") -> None:
    pass


def _drop(payload: Any) -> None:
    pass


@dataclass(frozen=True)
class LvqFile:
    """A ``.lvq`` file opened once: its checked header and its bytes travel with the decode job."""

    path: str
    header: LvqHeader = field(repr=False)
    data: bytes = field(repr=False)

    @classmethod
    def open(cls, path: str) -> "LvqFile":
        """Read and check the container's header (raises the core's ``LvqFormatError``)."""
        from lvqac_core import bitstream
        data = read_file_bytes(path)
        return cls(str(path), bitstream.read_header(data), data)


@dataclass(frozen=True)
class Job:
    """One unit of work for the worker thread. Subclasses set :attr:`KIND` and implement
    :meth:`run`, :meth:`apply` and :meth:`verb`."""

    id: int
    source: Source
    lmbda: float
    quantizer: str
    device: str
    model_spec: Optional[str] = None  # explicit zoo id / checkpoint path overriding λ+quantizer
    measure_decode: bool = True
    tier: Optional[str] = None  # which of the family's zoo networks ("fast", "wide"; None: the default rule)
    kind: str = field(default="", kw_only=True)  # the class's KIND (set by the class)

    KIND: ClassVar[str] = ""
    KINDS: ClassVar[dict[str, type["Job"]]] = {}
    BESIDE: ClassVar[bool] = False
    """Runs beside the shown result (a comparison, a split side): finishing or failing it neither
    replaces the result nor advances a batch."""
    USES_MODEL: ClassVar[bool] = True
    """Needs a learned model (waits for one that is loading)."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.KIND:
            Job.KINDS[cls.KIND] = cls

    def __new__(cls, *args, kind: str = "", **kwargs):
        if cls is Job:  # Job(kind="compress", ...) makes the class of that kind
            if kind not in Job.KINDS:
                raise ValueError(f"unknown job kind {kind!r}")
            cls = Job.KINDS[kind]
        return object.__new__(cls)

    def __post_init__(self) -> None:
        if self.kind and self.kind != self.KIND:
            raise ValueError(f"a {type(self).__name__} is not of kind {self.kind!r}")
        object.__setattr__(self, "kind", self.KIND)

    # ---------------------------------------------------------------- worker thread
    def run(self, backend, report: Report = _quiet, interim: Interim = _drop) -> Any:
        """The payload; a job whose result comes in two steps hands the first to ``interim``
        (the session shows it at once and :meth:`apply` the last one when the job ends)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- UI thread
    def verb(self) -> str:
        """What the progress line says it does ("Compressing"), before the image's name."""
        raise NotImplementedError

    def text(self, session) -> str:
        batch = f" [{session.batch_done + 1}/{session.batch_total}]" if session.batch_total > 1 else ""
        return f"{self.verb()} {self.source.name}{batch}"

    def apply(self, session, payload: Any) -> None:
        """Show ``payload`` (the job's result) in ``session``."""
        raise NotImplementedError

    def pixels_source(self, session) -> Optional[np.ndarray]:
        """The image whose size the time-left estimate scales with."""
        return session.display.original if session.display is not None else None


# ---------------------------------------------------------------------- the shown result
class _ResultJob(Job):
    """A job whose payload becomes the shown result (:class:`Display`)."""

    def apply(self, session, payload: Display) -> None:
        session.show_result(self, payload)

    def pixels_source(self, session) -> Optional[np.ndarray]:
        return session.preview


@dataclass(frozen=True)
class CompressJob(_ResultJob):
    """Code the source image with the chosen model (and time a decode of its bytes)."""

    KIND: ClassVar[str] = "compress"

    def verb(self) -> str:
        return "Compressing"

    def run(self, backend, report: Report = _quiet, interim: Interim = _drop) -> Display:
        """Encode, hand the encoder's result to ``interim`` (shown at once), then (with
        ``measure_decode``) decode the file once and return the result with the decode's figures
        (its time, whether it gave the encoder's pixels, and PSNR / MS-SSIM of what it gave)."""
        dev = backend.device_for(self.device)
        codec = backend.codec(self.quantizer, self.lmbda, dev.device, self.model_spec, progress=report,
                              tier=self.tier)
        split = 0.75 if self.measure_decode else 1.0
        notes = (dev.note,) if dev.note else ()
        coded = encode(codec, image_of(self.source), ms_ssim=not self.measure_decode,  # else the check's
                       progress=lambda f: report(0.02 + (split - 0.02) * f, stage_of(f)),
                       notes=notes, lmbda=backend.code_lambda(codec, self.lmbda))
        res = coded.result
        report(split, "drawing maps")
        layers = render_layers(res.original, res.reconstruction, res.residual, res.maps)
        shown = Display(source=self.source, kind="compressed", reconstruction=res.reconstruction,
                        original=res.original, residual=res.residual, maps=res.maps, data=res.data,
                        stats=Stats(**vars(coded.report), decode_pending=self.measure_decode),
                        layers=layers, device_note=dev.note)
        if not self.measure_decode:
            report(1.0)
            return shown
        interim(shown)
        checked = verify_decode(codec, coded, notes=notes,
                                progress=lambda f: report(split + (0.99 - split) * f, f"checking the file: {stage_of(f)}"))
        report(1.0)
        return replace(shown, stats=Stats(**vars(checked.report)))


@dataclass(frozen=True)
class DecompressJob(_ResultJob):
    """Decode a ``.lvq`` file: the one the session opened (``lvq``: header and bytes read once),
    else the source's path."""

    KIND: ClassVar[str] = "decompress"
    lvq: Optional[LvqFile] = field(default=None, compare=False, repr=False)

    def verb(self) -> str:
        return "Decoding"

    def pixels_source(self, session) -> Optional[np.ndarray]:
        return Job.pixels_source(self, session)

    def run(self, backend, report: Report = _quiet, interim: Interim = _drop) -> Display:
        dev = backend.device_for(self.device)
        report(0.0, "reading file")
        data = self.lvq.data if self.lvq is not None else read_file_bytes(self.source.path)
        decoded = decode(data, lambda header: backend.codec_for_file(header, dev, report),
                         progress=lambda f: report(f, stage_of(f)),
                         notes=("original not in file",) + ((dev.note,) if dev.note else ()))
        res = decoded.result
        image = gray_to_rgb(res.image)
        stats = Stats(**vars(decoded.report))
        layers = render_layers(None, image, None, res.maps)
        report(1.0)
        return Display(source=self.source, kind="decoded", reconstruction=image, original=None,
                       residual=None, maps=res.maps, data=data, stats=stats, layers=layers,
                       device_note=dev.note)


# ---------------------------------------------------------------------- beside the result
@dataclass(frozen=True)
class CompareJob(Job):
    """The image coded with each quantizer at the chosen λ (or, with an explicit scalar model,
    the same networks with each quantizer swapped in at inference)."""

    KIND: ClassVar[str] = "compare"
    BESIDE: ClassVar[bool] = True

    def verb(self) -> str:
        return "Comparing quantizers on"

    def pixels_source(self, session) -> Optional[np.ndarray]:
        return session.preview

    def run(self, backend, report: Report = _quiet, interim: Interim = _drop) -> list[CompareRow]:
        dev = backend.device_for(self.device)
        rows = []
        n = len(QUANTIZERS)
        for k, q in enumerate(QUANTIZERS):
            report(k / n, q)
            try:
                # an explicit (scalar) model: the same networks with each quantizer swapped in at
                # inference (LVQAC at A = 1), the experiment of docs/interop.md in one click
                codec = (backend.swap_codec(q, self.model_spec, dev.device) if self.model_spec
                         else backend.codec(q, self.lmbda, dev.device, progress=report, tier=self.tier))
                coded = encode(codec, image_of(self.source), lmbda=backend.code_lambda(codec, self.lmbda),
                               progress=lambda f, k=k, q=q: report((k + f) / n, f"{q}: {stage_of(f)}"))
                rows.append(CompareRow.from_report(q, coded.report, coded.result.reconstruction))
            except Cancelled:
                raise
            except LvqacError as exc:
                rows.append(CompareRow(q, error=str(exc)))
        report(1.0)
        return rows

    def apply(self, session, payload: list[CompareRow]) -> None:
        # each row names its λ and image
        session.compare_rows = [replace(r, lmbda=self.lmbda if r.lmbda is None else r.lmbda,
                                        source_name=self.source.name) for r in payload]
        session.compare_changed.emit(session.compare_rows)


@dataclass(frozen=True)
class SideJob(Job):
    """The shown image coded with ``quantizer`` at its own ``lmbda`` for a side of the A/B split
    (numbers and reconstruction, no maps): a row, a Results row and an RD point."""

    KIND: ClassVar[str] = "side"
    BESIDE: ClassVar[bool] = True

    def verb(self) -> str:
        return f"{self.quantizer.upper()} at λ={self.lmbda:g} (split side) of"

    def run(self, backend, report: Report = _quiet, interim: Interim = _drop) -> CompareRow:
        dev = backend.device_for(self.device)
        codec = backend.codec(self.quantizer, self.lmbda, dev.device, progress=report, tier=self.tier)
        coded = encode(codec, image_of(self.source), lmbda=backend.code_lambda(codec, self.lmbda),
                       progress=lambda f: report(0.02 + 0.96 * f, stage_of(f)))
        report(1.0)
        return CompareRow.from_report(self.quantizer, coded.report, coded.result.reconstruction)

    def apply(self, session, payload: CompareRow) -> None:
        row = replace(payload, lmbda=self.lmbda, source_name=self.source.name)
        session.side_rows = dict(session.side_rows)
        session.side_rows[(self.quantizer, self.lmbda)] = row
        session.add_history_row(HistoryEntry(
            index=len(session.history), source=self.source, quantizer=self.quantizer,
            lmbda=float(self.lmbda), seconds=row.encode_seconds, num_bytes=row.num_bytes,
            bpp=row.bpp, psnr=row.psnr, ms_ssim=row.ms_ssim, kind="side"))
        session.side_rows_changed.emit(session.side_rows)


@dataclass(frozen=True)
class ClassicalJob(Job):
    """JPEG / WebP / AVIF of the shown result's original (``reference``) at ``target_bytes``
    (bisection on the quality) or at a fixed ``quality``."""

    KIND: ClassVar[str] = "classical"
    BESIDE: ClassVar[bool] = True
    USES_MODEL: ClassVar[bool] = False
    codec: str = ""  # "jpeg" | "webp" | "avif"
    target_bytes: int = 0  # the file size to match
    quality: float = 0.0  # a fixed quality instead (> 0)
    reference: Optional[np.ndarray] = field(default=None, compare=False, repr=False)  # the original

    def verb(self) -> str:
        return (f"{self.codec.upper()} at quality {self.quality:g} of" if self.quality
                else f"{self.codec.upper()} at {self.target_bytes:,} bytes of")

    def pixels_source(self, session) -> Optional[np.ndarray]:
        shown = Job.pixels_source(self, session)
        return shown if shown is not None else self.reference

    def run(self, backend, report: Report = _quiet, interim: Interim = _drop) -> "classical.Classical":
        if not classical.available(self.codec):
            raise LvqacError(f"this Pillow build cannot write {self.codec.upper()}")
        if self.quality > 0:  # the quality the user chose for this side
            report(0.0, "encoding")
            return classical.at_quality(self.codec, self.reference, self.quality)
        report(0.0, "searching the quality")
        return classical.at_size(self.codec, self.reference, self.target_bytes,
                                 progress=lambda f: report(0.95 * f, "searching the quality"))

    def apply(self, session, payload: "classical.Classical") -> None:
        session.classical = dict(session.classical)
        session.classical[self.codec] = payload
        session.add_history_row(HistoryEntry(  # a Results row (numbers; the split shows it)
            index=len(session.history), source=self.source, quantizer=self.codec, lmbda=0.0,
            seconds=payload.encode_seconds, num_bytes=payload.num_bytes, bpp=payload.bpp,
            psnr=payload.psnr, ms_ssim=payload.ms_ssim, kind="classical", codec=self.codec,
            quality=float(payload.quality)))
        session.classical_changed.emit(session.classical)


def image_of(source: Source):
    """What ``lvqac_core.service.encode`` codes for ``source``: its array, else its path."""
    return source.array if source.array is not None else source.path
