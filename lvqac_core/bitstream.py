"""The ``.lvq`` container: packs and unpacks the header and the coded sections of one image.

This module knows nothing about neural networks; the byte layout is specified in
``docs/format.md``. Reading never raises anything but :class:`~lvqac_core.errors.LvqFormatError`
subclasses (``NotAnLvqFile``, ``TruncatedFile``, ``CorruptFile``, ``UnsupportedVersion``), each
with a one-line message, and, where a pixel limit is given, ``ImageTooLargeError``.

The entrance rules of a decode are public here, so a decode parses and checks once:
:func:`file_bytes` (bytes-like only), :func:`unpack` (parse + CRC32; ``max_pixels=``: the pad
limit, :func:`check_coded_size`), :func:`sniff` (the magic bytes only). Writing (:func:`pack`) raises ``ValueError`` for a header that a
reader would refuse, so that no unreadable file is ever produced.

Layout, in short::

    magic (8) | version (varint) | model_id | architecture | weights_hash (8) | quantizer (1)
    | group_size | lmbda (float32) | width | height | mode | pad_right | pad_bottom
    | latent_height | latent_width | hyper_height | hyper_width | symbols_crc32 (4)
    | size z | size selection | size y | z | selection | y | crc32 (4)

Integers are unsigned LEB128 varints unless a size is given; strings are a 1-byte length
followed by printable ASCII; fixed-size integers and the float are little-endian.
"""
from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass, field
from os import PathLike
from pathlib import PurePath
from typing import Mapping, Optional

from .errors import CorruptFile, NotAnLvqFile, TruncatedFile, UnsupportedVersion
from .geometry import LATENT_STRIDE, check_coded_pixels, check_max_pixels, hyper_grid, latent_grid

__all__ = [
    "FORMAT_VERSION",
    "EXACT_CODING_SINCE",
    "exact_coding",
    "MAGIC",
    "SECTION_NAMES",
    "QUANTIZERS",
    "LVQ_SUFFIX",
    "LvqHeader",
    "pack",
    "file_bytes",
    "check_coded_size",
    "unpack",
    "read_header",
    "sniff",
    "is_lvq_path",
]

FORMAT_VERSION = 2
"""Newest format version this module writes and reads. Version 2 has version 1's layout; its
coding networks (h_s, context, entropy parameters, A and selection heads) are evaluated exactly
(:mod:`lvqac_core.models.exact`), so a file decodes the same on any thread count or CPU."""

EXACT_CODING_SINCE = 2
"""First format version whose coding networks are evaluated exactly (see :func:`exact_coding`)."""


def exact_coding(format_version: int) -> bool:
    """True when files of ``format_version`` were coded with the exact networks (version ≥ 2);
    version 1 files evaluated them in float and decode reliably only where they were written."""
    return format_version >= EXACT_CODING_SINCE

LVQ_SUFFIX = ".lvq"
"""The container's file suffix."""

MAGIC = b"\x8bLVQ\r\n\x1a\n"
"""8 magic bytes, PNG-style: a high byte catches 7-bit transfers, CR LF / LF / ^Z catch
text-mode newline conversion and ``type`` on DOS."""

SECTION_NAMES = ("z", "selection", "y")
"""Payload sections in file order: hyper-latent rANS string, codebook-selection bits (packed, or
a rANS string for models with a selection head: docs/format.md), latent rANS string."""

QUANTIZERS = ("scalar", "lvq", "lvqac")
"""Quantizer names; the index is the enum byte stored in the file (never reorder; a new quantizer
goes at the end). The one home of the tuple: each name is registered in ``QUANTIZER_REGISTRY``."""

MAX_STRING = 255
MAX_MODE = 15
MAX_DIMENSION = 1 << 20
MAX_GROUP_SIZE = 65535
MAX_PAD = 63
HASH_BYTES = 8
_MAX_VARINT_BYTES = 10  # enough for any value < 2**64
_FLOAT32_MAX = 3.4028234663852886e38


@dataclass(frozen=True)
class LvqHeader:
    """Everything a decoder needs besides the model weights and the coded sections.

    Attributes:
        format_version: container version (:data:`FORMAT_VERSION` when writing).
        model_id: registry id of the model, or ``"adhoc"``; printable ASCII, 1..255 chars.
        architecture: network architecture name, e.g. ``"minnen2018-ckbd"``; ASCII, 1..255.
        weights_hash: first 8 bytes of the SHA-256 of the weights.
        quantizer: one of :data:`QUANTIZERS`.
        group_size: channel-group size g of the lattice quantizer; 0 for ``"scalar"``.
        lmbda: rate-distortion trade-off of the model; stored as float32, so compare with a
            relative tolerance of about 1e-7.
        width, height: original image size in pixels (>= 1).
        mode: original PIL mode (``"RGB"``, ``"L"``, ``"RGBA"``, ``"I;16"``, ...), 1..15 chars.
        pad_right, pad_bottom: pixels added before coding (0..63), cropped on decode.
        latent_height, latent_width: y grid, ``(height + pad_bottom) / 16`` etc.
        hyper_height, hyper_width: z grid, ``ceil((height + pad_bottom) / 64)`` etc.
        symbols_crc32: CRC32 of all decoded symbols, computed by the codec to detect a
            decoder that desynchronised (other device or weights).
        section_sizes: byte size of each section in :data:`SECTION_NAMES`; filled by
            :func:`unpack` / :func:`read_header`, ignored by :func:`pack`.
    """

    format_version: int
    model_id: str
    architecture: str
    weights_hash: bytes
    quantizer: str
    group_size: int
    lmbda: float
    width: int
    height: int
    mode: str
    pad_right: int
    pad_bottom: int
    latent_height: int
    latent_width: int
    hyper_height: int
    hyper_width: int
    symbols_crc32: int
    section_sizes: dict[str, int] = field(default_factory=dict, compare=True)


# --------------------------------------------------------------------------------------------
# Encoding helpers


def _varint(value: int) -> bytes:
    """Unsigned LEB128 encoding of ``value`` (canonical: no superfluous trailing groups)."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _string(value: str) -> bytes:
    raw = value.encode("ascii")
    return bytes([len(raw)]) + raw


def _is_printable_ascii(raw: bytes) -> bool:
    return all(0x20 <= b <= 0x7E for b in raw)


def _header_problem(h: LvqHeader) -> Optional[str]:
    """First reason why ``h`` is not a valid header, or None. Shared by reader and writer."""
    for name, limit in (("model_id", MAX_STRING), ("architecture", MAX_STRING), ("mode", MAX_MODE)):
        value = getattr(h, name)
        if not isinstance(value, str):
            return f"{name} is not a string"
        try:
            raw = value.encode("ascii")
        except UnicodeEncodeError:
            return f"{name} {value!r} is not ASCII"
        if not 1 <= len(raw) <= limit:
            return f"{name} must have 1 to {limit} characters, not {len(raw)}"
        if not _is_printable_ascii(raw):
            return f"{name} {value!r} contains non-printable characters"
    if not isinstance(h.weights_hash, (bytes, bytearray)) or len(h.weights_hash) != HASH_BYTES:
        return f"weights_hash must be {HASH_BYTES} bytes"
    if h.quantizer not in QUANTIZERS:
        return f"unknown quantizer {h.quantizer!r} (expected one of {', '.join(QUANTIZERS)})"
    ints = ("group_size", "width", "height", "pad_right", "pad_bottom", "latent_height",
            "latent_width", "hyper_height", "hyper_width", "symbols_crc32")
    for name in ints:
        value = getattr(h, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"{name} must be a non-negative integer, not {value!r}"
    if h.quantizer == "scalar" and h.group_size != 0:
        return f"group_size must be 0 for the scalar quantizer, not {h.group_size}"
    if h.quantizer != "scalar" and not 1 <= h.group_size <= MAX_GROUP_SIZE:
        return f"group_size {h.group_size} out of range 1..{MAX_GROUP_SIZE} for {h.quantizer}"
    lmbda = h.lmbda
    if (not isinstance(lmbda, (int, float)) or isinstance(lmbda, bool) or not math.isfinite(lmbda)
            or lmbda < 0 or lmbda > _FLOAT32_MAX):
        return f"lambda must be a finite non-negative float32, not {lmbda!r}"
    for name in ("width", "height"):
        value = getattr(h, name)
        if not 1 <= value <= MAX_DIMENSION:
            return f"image {name} {value} out of range 1..{MAX_DIMENSION}"
    for name in ("pad_right", "pad_bottom"):
        if getattr(h, name) > MAX_PAD:
            return f"{name} {getattr(h, name)} out of range 0..{MAX_PAD}"
    padded = (h.height + h.pad_bottom, h.width + h.pad_right)
    for axis, size, pad, latent, hyper, want_latent, want_hyper in (
        ("height", h.height, h.pad_bottom, h.latent_height, h.hyper_height, latent_grid(*padded)[0], hyper_grid(*padded)[0]),
        ("width", h.width, h.pad_right, h.latent_width, h.hyper_width, latent_grid(*padded)[1], hyper_grid(*padded)[1]),
    ):
        if (size + pad) % LATENT_STRIDE:
            return f"padded {axis} {size}+{pad} is not a multiple of {LATENT_STRIDE}"
        if (latent, hyper) != (want_latent, want_hyper):
            return (f"latent/hyper {axis} {latent}/{hyper} inconsistent with image {axis} "
                    f"{size} padded by {pad} (expected {want_latent}/{want_hyper})")
    if h.symbols_crc32 > 0xFFFFFFFF:
        return f"symbols_crc32 {h.symbols_crc32} does not fit 32 bits"
    return None


def _encode_header(h: LvqHeader, sizes: Mapping[str, int]) -> bytes:
    """Header bytes (magic through section sizes), without any validation."""
    parts = [
        MAGIC,
        _varint(h.format_version),
        _string(h.model_id),
        _string(h.architecture),
        bytes(h.weights_hash),
        bytes([QUANTIZERS.index(h.quantizer)]),
        _varint(h.group_size),
        struct.pack("<f", h.lmbda),
        _varint(h.width),
        _varint(h.height),
        _string(h.mode),
        _varint(h.pad_right),
        _varint(h.pad_bottom),
        _varint(h.latent_height),
        _varint(h.latent_width),
        _varint(h.hyper_height),
        _varint(h.hyper_width),
        struct.pack("<I", h.symbols_crc32),
    ]
    parts.extend(_varint(sizes[name]) for name in SECTION_NAMES)
    return b"".join(parts)


def _pack_raw(header: LvqHeader, sections: Mapping[str, bytes]) -> bytes:
    """Pack without validating anything (tests use it to build deliberately bad files)."""
    payload = [bytes(sections.get(name, b"")) for name in SECTION_NAMES]
    sizes = {name: len(p) for name, p in zip(SECTION_NAMES, payload)}
    body = _encode_header(header, sizes) + b"".join(payload)
    return body + struct.pack("<I", zlib.crc32(body))


def pack(header: LvqHeader, sections: dict[str, bytes]) -> bytes:
    """Serialise ``header`` and the coded ``sections`` into ``.lvq`` bytes.

    ``sections`` maps names of :data:`SECTION_NAMES` to bytes; a missing name is stored as an
    empty section. ``header.section_sizes`` is ignored (the real sizes are written).

    Raises:
        ValueError: unknown section name, non-bytes section, a ``"selection"`` section for the
            scalar quantizer, ``format_version`` other than :data:`FORMAT_VERSION`, or any
            header field a reader would reject as corrupt.
    """
    unknown = set(sections) - set(SECTION_NAMES)
    if unknown:
        raise ValueError(f"unknown section(s) {sorted(unknown)}; expected {SECTION_NAMES}")
    for name, value in sections.items():
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise ValueError(f"section {name!r} must be bytes, not {type(value).__name__}")
    if header.format_version != FORMAT_VERSION:
        raise ValueError(f"can only write format version {FORMAT_VERSION}, "
                         f"not {header.format_version}")
    problem = _header_problem(header)
    if problem is not None:
        raise ValueError(f"invalid LvqHeader: {problem}")
    if header.quantizer == "scalar" and len(sections.get("selection", b"")):
        raise ValueError("the scalar quantizer has no selection section")
    return _pack_raw(header, sections)


# --------------------------------------------------------------------------------------------
# Decoding


class _Reader:
    """Cursor over the header bytes; running off the end raises TruncatedFile."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def take(self, n: int, what: str) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise TruncatedFile(f"truncated .lvq file: it ends inside the header ({what}) "
                                f"after {len(self.data)} bytes")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def varint(self, what: str) -> int:
        value = 0
        for i in range(_MAX_VARINT_BYTES):
            b = self.byte(what)
            value |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                if b == 0 and i > 0:
                    raise CorruptFile(f"corrupt .lvq file: non-canonical integer in {what}")
                return value
        raise CorruptFile(f"corrupt .lvq file: integer too long in {what}")

    def string(self, what: str) -> bytes:
        return self.take(self.byte(what), what)


def _ascii(raw: bytes, what: str) -> str:
    if not raw or not _is_printable_ascii(raw):
        raise CorruptFile(f"corrupt .lvq file: {what} is empty or not printable ASCII")
    return raw.decode("ascii")


def file_bytes(data: object) -> bytes:
    """Entrance rule 1: the bytes of a ``.lvq`` file, given as ``bytes``, ``bytearray`` or
    ``memoryview``. Anything else (a path, text) raises :class:`NotAnLvqFile` with one line."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        hint = "; read the file first, e.g. Path(...).read_bytes()" if isinstance(data, (str, PurePath)) else ""
        raise NotAnLvqFile(f"not an .lvq file (got {type(data).__name__}, not bytes{hint})")
    return bytes(data)


def check_coded_size(header: LvqHeader, max_pixels: int) -> None:
    """Entrance rule 3, the pad limit of a decoder: refuse a file whose coded (padded) image has
    more than ``max_pixels`` pixels, before any model is loaded.

    Raises:
        InputError: ``max_pixels`` is not a positive integer.
        ImageTooLargeError: the file's padded size is over the limit.
    """
    check_coded_pixels(f"the .lvq file holds a {header.width}x{header.height} image",
                       header.width + header.pad_right, header.height + header.pad_bottom,
                       check_max_pixels(max_pixels))


def _parse(data: bytes) -> tuple[LvqHeader, int]:
    """Parse and fully verify ``data``; return the header and the offset of the first section."""
    data = file_bytes(data)
    if not data:
        raise NotAnLvqFile("not an .lvq file (it is empty)")
    if len(data) < len(MAGIC):
        if MAGIC.startswith(data):
            raise TruncatedFile(f"truncated .lvq file: only {len(data)} bytes")
        raise NotAnLvqFile("not an .lvq file (wrong magic bytes)")
    if not data.startswith(MAGIC):
        raise NotAnLvqFile("not an .lvq file (wrong magic bytes)")

    r = _Reader(data, len(MAGIC))
    version = r.varint("format version")
    if version > FORMAT_VERSION:
        raise UnsupportedVersion(f"unsupported .lvq format version {version}: this LVQAC reads "
                                 f"version {FORMAT_VERSION} at most; upgrade LVQAC to read it")
    if version < 1:
        raise CorruptFile(f"corrupt .lvq file: invalid format version {version}")

    model_id = r.string("model id")
    architecture = r.string("architecture")
    weights_hash = r.take(HASH_BYTES, "weights hash")
    quantizer_byte = r.byte("quantizer")
    group_size = r.varint("group size")
    (lmbda,) = struct.unpack("<f", r.take(4, "lambda"))
    width = r.varint("width")
    height = r.varint("height")
    mode = r.string("mode")
    pads = [r.varint(n) for n in ("pad right", "pad bottom")]
    grid = [r.varint(n) for n in ("latent height", "latent width", "hyper height", "hyper width")]
    (symbols_crc32,) = struct.unpack("<I", r.take(4, "symbols CRC32"))
    sizes = {name: r.varint(f"size of section {name}") for name in SECTION_NAMES}
    start = r.pos

    # Sizes: an absurd size is corruption, a plausible one beyond the end is truncation.
    if 1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION:
        limit = 1024 + 16 * (height + MAX_PAD) * (width + MAX_PAD)
    else:
        limit = 1 << 32
    for name, size in sizes.items():
        if size > limit:
            raise CorruptFile(f"corrupt .lvq file: section {name} declares {size} bytes, "
                              f"impossible for a {width}x{height} image")
    total = start + sum(sizes.values()) + 4
    if len(data) < total:
        raise TruncatedFile(f"truncated .lvq file: {len(data)} bytes, but its header declares "
                            f"{total}")
    if len(data) > total:
        raise CorruptFile(f"corrupt .lvq file: {len(data) - total} unexpected bytes after its "
                          f"end")
    (stored_crc,) = struct.unpack("<I", data[-4:])
    computed = zlib.crc32(data[:-4])
    if stored_crc != computed:
        raise CorruptFile(f"corrupt .lvq file: CRC32 mismatch (stored {stored_crc:08x}, "
                          f"computed {computed:08x})")

    if quantizer_byte >= len(QUANTIZERS):
        raise CorruptFile(f"corrupt .lvq file: unknown quantizer code {quantizer_byte}")
    header = LvqHeader(
        format_version=version,
        model_id=_ascii(model_id, "model id"),
        architecture=_ascii(architecture, "architecture"),
        weights_hash=weights_hash,
        quantizer=QUANTIZERS[quantizer_byte],
        group_size=group_size,
        lmbda=float(lmbda),
        width=width,
        height=height,
        mode=_ascii(mode, "image mode"),
        pad_right=pads[0],
        pad_bottom=pads[1],
        latent_height=grid[0],
        latent_width=grid[1],
        hyper_height=grid[2],
        hyper_width=grid[3],
        symbols_crc32=symbols_crc32,
        section_sizes=sizes,
    )
    problem = _header_problem(header)
    if problem is not None:
        raise CorruptFile(f"corrupt .lvq file: {problem}")
    if header.quantizer == "scalar" and sizes["selection"]:
        raise CorruptFile("corrupt .lvq file: selection section present for the scalar "
                          "quantizer")
    return header, start


def unpack(data: bytes, *, max_pixels: Optional[int] = None) -> tuple[LvqHeader, dict[str, bytes]]:
    """Verify and split ``.lvq`` bytes into the header and its sections: the container's entrance,
    passed once per decode (the file's bytes (:func:`file_bytes`), the parse and CRC32, and with
    ``max_pixels`` the pad limit (:func:`check_coded_size`)).

    The returned dict has every name of :data:`SECTION_NAMES` (empty bytes for an empty
    section); ``header.section_sizes`` holds their lengths.

    Raises:
        NotAnLvqFile: not bytes, empty data or wrong magic bytes.
        ImageTooLargeError: the coded image is over ``max_pixels`` (when given).
        UnsupportedVersion: written by a newer format version.
        TruncatedFile: the data ends before the header or the declared sections do.
        CorruptFile: CRC32 mismatch, trailing bytes, or any field out of range.
    """
    data = file_bytes(data)
    header, pos = _parse(data)
    if max_pixels is not None:
        check_coded_size(header, max_pixels)
    sections: dict[str, bytes] = {}
    for name in SECTION_NAMES:
        size = header.section_sizes[name]
        sections[name] = data[pos:pos + size]
        pos += size
    return header, sections


def read_header(data: bytes) -> LvqHeader:
    """The verified header of ``.lvq`` bytes (section sizes included), without any model.

    The whole file is needed: the CRC32 covering header and payload is checked too.
    Raises the same errors as :func:`unpack`.
    """
    return _parse(data)[0]


def is_lvq_path(path: "str | PathLike[str]") -> bool:
    """The ``.lvq`` sniff of a file: its suffix is :data:`LVQ_SUFFIX`, or its first bytes are the
    magic (nothing else is checked; an unreadable file is not one)."""
    if PurePath(path).suffix.lower() == LVQ_SUFFIX:
        return True
    try:
        with open(path, "rb") as fh:
            return sniff(fh.read(len(MAGIC)))
    except (OSError, ValueError):
        return False


def sniff(data: bytes) -> bool:
    """True when ``data`` starts with the ``.lvq`` magic bytes (nothing else is checked)."""
    try:
        return bytes(data[: len(MAGIC)]) == MAGIC
    except TypeError:
        return False
