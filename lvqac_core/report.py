"""One report of one coded image, built in one place for the CLI, the app and the evaluation.

:class:`CodingReport` is made from a :class:`~lvqac_core.results.CompressionResult` (with its decode
check, if one ran) or from a :class:`~lvqac_core.results.DecompressionResult`; ``lvqac compress
--json``, the app's Stats panel and result rows, and the evaluation's ``ImageScore`` all read it
instead of copying the results' fields by hand. Both constructors take the estimated rate from the
same computation (the bits map over the whole coded grid, identical on both sides), so a file shows
one estimated rate whether it was just encoded or opened later.

Light on purpose (numpy only, no torch): the app imports it at start-up.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from . import metrics

__all__ = ["CodingReport", "device_text"]


def device_text(device: str, cpu_threads: Optional[str]) -> str:
    """``cpu, 2 threads (automatic)`` / ``cuda:0``: where a result was computed, for one line."""
    if cpu_threads is None:
        return device
    head, _, tail = cpu_threads.partition(" ")
    return f"{device}, {head} thread{'' if head == '1' else 's'}" + (f" {tail}" if tail else "")


@dataclass
class CodingReport:
    """The numbers of one coded image (None = not measured / not applicable).

    ``bpp`` is the file's size (bytes · 8 / pixels); ``bpp_estimated`` the entropy model's
    estimate for the same file; ``section_bytes`` the size of each coded part (``z``,
    ``selection``, ``y``); ``decode_seconds`` is set when the file was decoded (the decode view,
    or the encoder's decode check); ``decode_matches`` says whether that decode gave exactly the
    encoder's reconstruction (None: no check ran). The four map figures are
    :meth:`~lvqac_core.results.InspectionMaps.summary`'s.
    """

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
    selection_share: Optional[float] = None
    a_active_share: Optional[float] = None
    a_min: Optional[float] = None
    a_max: Optional[float] = None
    decode_matches: Optional[bool] = None
    cpu_threads: Optional[str] = None

    # -------------------------------------------------------------- derived figures
    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def ms_ssim_db(self) -> Optional[float]:
        return None if self.ms_ssim is None else metrics.ms_ssim_db(self.ms_ssim)

    def section_bpp(self) -> dict[str, float]:
        """Bits per pixel of each section, of the container (header, sizes, CRC) and in total."""
        px = max(self.pixels, 1)
        out = {name: 8.0 * n / px for name, n in self.section_bytes.items()}
        out["container"] = 8.0 * (self.num_bytes - sum(self.section_bytes.values())) / px
        out["total"] = 8.0 * self.num_bytes / px
        return out

    def map_summary(self) -> dict[str, Optional[float]]:
        return {"selection_share": self.selection_share, "a_active_share": self.a_active_share,
                "a_min": self.a_min, "a_max": self.a_max}

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON data (``lvqac compress --json`` rows)."""
        return {
            "model": self.model_id, "quantizer": self.quantizer, "lambda": self.lmbda,
            "width": self.width, "height": self.height, "bytes": self.num_bytes, "bpp": self.bpp,
            "bpp_estimated": self.bpp_estimated, "section_bpp": self.section_bpp(),
            "psnr": self.psnr, "ms_ssim": self.ms_ssim, "ms_ssim_db": self.ms_ssim_db,
            "encode_seconds": self.encode_seconds, "decode_seconds": self.decode_seconds,
            "decode_matches": self.decode_matches, "device": self.device, "cpu_threads": self.cpu_threads,
            **self.map_summary(),
            "notes": list(self.notes),
        }

    # -------------------------------------------------------------- constructors
    @classmethod
    def from_compression(cls, res, *, decode_seconds: Optional[float] = None,
                         decode_matches: Optional[bool] = None, psnr: Optional[float] = None,
                         ms_ssim: Optional[float] = None, notes: tuple[str, ...] = ()):
        """From ``Codec.compress``'s result; ``psnr`` / ``ms_ssim`` replace the encoder's figures
        when given (measured on the decoded image by the decode check)."""
        return cls(
            width=res.width, height=res.height, num_bytes=len(res.data), bpp=res.bpp,
            bpp_estimated=res.bpp_estimated,
            psnr=res.psnr if psnr is None else psnr, ms_ssim=res.ms_ssim if ms_ssim is None else ms_ssim,
            encode_seconds=res.encode_seconds, decode_seconds=decode_seconds, device=res.device,
            model_id=res.model_id, quantizer=res.quantizer, lmbda=res.lmbda,
            section_bytes=dict(res.section_bytes), notes=list(res.notes) + list(notes),
            decode_matches=decode_matches, cpu_threads=getattr(res, "cpu_threads", None), **res.maps.summary())

    @classmethod
    def from_decompression(cls, dec, *, notes: tuple[str, ...] = ()):
        """From a decoded file (``Codec.decompress`` / ``lvqac_core.decompress``): no quality
        figures (the original is not in the file), no encode time."""
        h = dec.header
        return cls(
            width=h.width, height=h.height, num_bytes=dec.file_bytes, bpp=dec.bpp,
            bpp_estimated=dec.bpp_estimated, psnr=None, ms_ssim=None, encode_seconds=None,
            decode_seconds=dec.decode_seconds, device=dec.device, model_id=h.model_id,
            quantizer=h.quantizer, lmbda=h.lmbda, section_bytes=dict(h.section_sizes),
            notes=list(notes), cpu_threads=getattr(dec, "cpu_threads", None), **dec.maps.summary())
