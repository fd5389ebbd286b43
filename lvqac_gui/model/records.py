"""The view-model's records (Qt-free): what a source, a result, a comparison row and a Results
row are. Plain data with their own formatting; the :class:`~lvqac_gui.model.state.Session` holds
them, the jobs (:mod:`lvqac_gui.model.jobs`) make them, the widgets show them."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from lvqac_core.bitstream import is_lvq_path
from lvqac_core.geometry import LATENT_STRIDE
from lvqac_core.lambdas import same_lambda
from lvqac_core.report import CodingReport

from .maps import percent
from . import rate

CODEC_LABELS = {"jpeg": "JPEG", "webp": "WebP", "avif": "AVIF"}  # as model/classical.LABELS


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



@dataclass
class Stats(CodingReport):
    """The numbers shown in the side panel: the core's :class:`~lvqac_core.report.CodingReport`
    (built by ``lvqac_core.service`` for encoded images and decoded files alike), plus its rows.
    None = not applicable / unknown. ``decode_pending``: the file is being decoded to check it
    and to measure MS-SSIM on what it gives (the encoder's result is shown meanwhile)."""

    decode_pending: bool = False

    def _id_lambda(self) -> Optional[float]:
        """The preset λ a zoo id ends with ("…-scalar-0.0075"), None for other names."""
        m = re.search(r"-(\d+(?:\.\d+)?(?:e-?\d+)?)$", self.model_id or "")
        return None if m is None else float(m.group(1))

    def between_presets(self) -> bool:
        """Whether a variable-rate network coded between its presets: the λ is not the one its
        zoo id names (the paper's presets decide for a model whose id names none)."""
        own = self._id_lambda()
        return not rate.is_preset(self.lmbda) if own is None else not same_lambda(own, float(self.lmbda))

    def model_text(self) -> str:
        """The model id; when the id names a preset λ but the network coded another λ (a
        variable-rate network between presets) it says so, instead of a λ that was not coded."""
        m = re.search(r"-(\d+(?:\.\d+)?(?:e-?\d+)?)$", self.model_id or "")
        if m is None or not self.between_presets():
            return self.model_id
        return f"{self.model_id[:m.start()]} at λ = {self.lmbda:g} (variable-rate network; zoo id {self.model_id})"

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
            ("MS-SSIM", ("measuring…" if self.decode_pending else "—") if self.ms_ssim is None
             else f"{self.ms_ssim:.4f} ({self.ms_ssim_db:.2f} dB)"),
            ("Encode time", f(None if self.encode_seconds is None else self.encode_seconds * 1e3,
                              ".0f", " ms")),
            ("Decode time", "measuring…" if self.decode_pending
             else f(None if self.decode_seconds is None else self.decode_seconds * 1e3, ".0f", " ms")),
        ]
        if self.decode_pending or self.decode_matches is not None:
            rows.append(("Decode check", "decoding the file…" if self.decode_pending
                         else "identical to the encoder's output" if self.decode_matches
                         else "DIFFERS from the encoder's output"))
        if self.cpu_threads is not None:
            rows.append(("CPU threads", self.cpu_threads))
        rows += [
            ("Device", self.device),
            ("Model", self.model_text()),
            ("Quantizer", self.quantizer),
            ("λ", f"{self.lmbda:g}" + (" (between presets)" if self.between_presets() else "")),
        ]
        if self.selection_share is not None:
            rows.append(("Codebook Zⁿ+½", f"{percent(self.selection_share)} of position-groups"))
        if self.a_min is not None and self.a_max is not None and self.a_active_share is not None:
            rows.append(("A range", f"{self.a_min:.3g} … {self.a_max:.3g}"))
            rows.append(("A ≠ 1", "none (companding inactive)" if self.a_active_share == 0.0
                         else f"{percent(self.a_active_share)} of positions"))
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
        stride = getattr(m, "stride", LATENT_STRIDE) or LATENT_STRIDE
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


def image_probe(image: np.ndarray, original: Optional[np.ndarray], x: int, y: int) -> Optional[dict[str, Any]]:
    """Values under pixel (x, y) of an image that is not a coded result of ours (a classical
    codec's decoding, the original): its RGB and, given the original, the original's RGB and
    the residual. None outside the image."""
    h, w = image.shape[:2]
    if not (0 <= x < w and 0 <= y < h):
        return None
    out: dict[str, Any] = {"x": x, "y": y, "rgb": tuple(int(v) for v in image[y, x, :3])}
    if original is not None and original is not image:
        out["original"] = tuple(int(v) for v in original[y, x, :3])
        out["residual"] = tuple(float(a) - float(b) for a, b in zip(out["rgb"], out["original"]))
    return out


@dataclass
class HistoryEntry:
    """One run since the app started: a result (display kept while recent) or a failure."""

    index: int
    source: Source
    quantizer: str
    lmbda: float
    seconds: Optional[float] = None
    num_bytes: Optional[int] = None
    bpp: Optional[float] = None
    psnr: Optional[float] = None
    ms_ssim: Optional[float] = None
    error: Optional[str] = None
    kind: str = "compressed"  # "compressed" | "decoded" | "failed"
    display: Optional[Display] = field(default=None, repr=False)
    exported: bool = False  # its files were written (saved, exported, or in a batch export)
    earlier: bool = False  # a row of an earlier session (history file): numbers only
    codec: str = ""  # kind "classical" (a side of the A/B split): "jpeg" | "webp" | "avif"
    quality: Optional[float] = None  # kind "classical": its quality setting

    @property
    def unexported(self) -> bool:
        """A result of this session whose files were never written (quitting asks first)."""
        return self.error is None and self.kind == "compressed" and not self.exported and not self.earlier

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def model(self) -> str:
        if self.kind == "classical":
            return f"{CODEC_LABELS.get(self.codec, self.codec)} q{self.quality or 0:.1f} (A/B split)"
        if self.kind == "side":
            return f"{self.quantizer} λ={self.lmbda:g} (A/B split side)"
        return f"{self.quantizer} λ={self.lmbda:g}"

    def csv_row(self) -> list[str]:
        def f(v, fmt):
            return "" if v is None else format(v, fmt)
        if self.kind == "classical":  # a JPEG / WebP / AVIF side of the split: no λ
            return [self.source.path or self.source.name, f"{self.codec} q{self.quality or 0:g}", "",
                    f(self.num_bytes, "d"), f(self.bpp, ".6f"), f(self.psnr, ".4f"),
                    f(self.ms_ssim, ".6f"), f(self.seconds, ".4f"), self.error or "ok"]
        return [self.source.path or self.source.name, self.quantizer, f"{self.lmbda:g}",
                f(self.num_bytes, "d"), f(self.bpp, ".6f"), f(self.psnr, ".4f"),
                f(self.ms_ssim, ".6f"), f(self.seconds, ".4f"), self.error or "ok"]


CSV_HEADER = ["file", "quantizer", "lambda", "bytes", "bpp", "psnr_db", "ms_ssim", "seconds", "status"]


def write_history_csv(entries: list[HistoryEntry], path: str | os.PathLike,
                      overwrite: bool = False) -> Path:
    """The results table as CSV (atomic write; an existing file only with ``overwrite``)."""
    import csv
    import io
    from lvqac_core.files import atomic_write_bytes
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for e in entries:
        w.writerow(e.csv_row())
    atomic_write_bytes(path, buf.getvalue().encode("utf-8"), overwrite=overwrite)
    return Path(path)



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
    reconstruction: Optional[np.ndarray] = field(default=None, repr=False)
    lmbda: Optional[float] = None  # the λ it was coded at
    source_name: str = ""  # the image it was coded from

    @property
    def label(self) -> str:
        """``lvq λ=0.0075``: what the row is, wherever it is shown."""
        return self.quantizer + ("" if self.lmbda is None else f" λ={self.lmbda:g}")

    @classmethod
    def from_report(cls, quantizer: str, report: CodingReport,
                    reconstruction: Optional[np.ndarray] = None) -> "CompareRow":
        return cls(quantizer, report.model_id, report.bpp, report.psnr, report.ms_ssim, report.num_bytes,
                   report.encode_seconds, reconstruction=reconstruction, lmbda=float(report.lmbda))

