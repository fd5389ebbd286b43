"""Tests of the .lvq container (lvqac_core.bitstream)."""
from __future__ import annotations

import dataclasses
import math
import random
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lvqac_core import bitstream
from lvqac_core.bitstream import (
    FORMAT_VERSION,
    MAGIC,
    QUANTIZERS,
    SECTION_NAMES,
    LvqHeader,
    pack,
    read_header,
    sniff,
    unpack,
)
from lvqac_core.errors import (
    CorruptFile,
    LvqFormatError,
    NotAnLvqFile,
    TruncatedFile,
    UnsupportedVersion,
)


def make_header(**changes) -> LvqHeader:
    """A typical header: Kodak-sized image, LVQAC model."""
    fields = dict(
        format_version=FORMAT_VERSION,
        model_id="minnen2018-mean-lvqac-0.0075",
        architecture="minnen2018-ckbd",
        weights_hash=bytes(range(1, 9)),
        quantizer="lvqac",
        group_size=320,
        lmbda=0.0075,
        width=768,
        height=512,
        mode="RGB",
        pad_right=0,
        pad_bottom=0,
        latent_height=32,
        latent_width=48,
        hyper_height=8,
        hyper_width=12,
        symbols_crc32=0xDEADBEEF,
    )
    fields.update(changes)
    return LvqHeader(**fields)


def geometry(width: int, height: int) -> dict:
    """Header fields for an image padded to multiples of 64."""
    pr, pb = (-width) % 64, (-height) % 64
    return dict(width=width, height=height, pad_right=pr, pad_bottom=pb,
                latent_width=(width + pr) // 16, latent_height=(height + pb) // 16,
                hyper_width=(width + pr) // 64, hyper_height=(height + pb) // 64)


SECTIONS = {"z": b"\x01" * 200, "selection": b"\x02" * 100, "y": bytes(range(256)) * 40}


def assert_same_header(got: LvqHeader, want: LvqHeader, sections: dict[str, bytes]) -> None:
    for f in dataclasses.fields(LvqHeader):
        if f.name in ("lmbda", "section_sizes"):
            continue
        assert getattr(got, f.name) == getattr(want, f.name), f.name
    assert math.isclose(got.lmbda, want.lmbda, rel_tol=1e-6, abs_tol=1e-30)
    assert got.section_sizes == {n: len(sections.get(n, b"")) for n in SECTION_NAMES}


def recrc(body: bytes) -> bytes:
    """Replace the trailing CRC32 of a (modified) file by the right one."""
    body = body[:-4]
    return body + struct.pack("<I", zlib.crc32(body))


# ---------------------------------------------------------------------------- round trips


def test_round_trip_typical() -> None:
    h = make_header()
    data = pack(h, SECTIONS)
    assert sniff(data)
    got, sections = unpack(data)
    assert_same_header(got, h, SECTIONS)
    assert sections == SECTIONS
    assert read_header(data) == got
    # Canonical: re-packing what was read gives identical bytes.
    assert pack(got, sections) == data


def test_absent_sections_are_empty() -> None:
    h = make_header(quantizer="scalar", group_size=0)
    data = pack(h, {"z": b"zz", "y": b"yyy"})
    got, sections = unpack(data)
    assert sections == {"z": b"zz", "selection": b"", "y": b"yyy"}
    assert got.section_sizes == {"z": 2, "selection": 0, "y": 3}
    assert unpack(pack(h, {}))[1] == {n: b"" for n in SECTION_NAMES}


printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1)


@st.composite
def headers(draw) -> LvqHeader:
    quantizer = draw(st.sampled_from(QUANTIZERS))
    width = draw(st.integers(1, 20000))
    height = draw(st.integers(1, 20000))
    return LvqHeader(
        format_version=FORMAT_VERSION,
        model_id=draw(printable.filter(lambda s: len(s) <= 255)),
        architecture=draw(printable.filter(lambda s: len(s) <= 255)),
        weights_hash=draw(st.binary(min_size=8, max_size=8)),
        quantizer=quantizer,
        group_size=0 if quantizer == "scalar" else draw(st.integers(1, 65535)),
        lmbda=draw(st.floats(0, float(2**100), allow_nan=False, width=32)),
        mode=draw(printable.filter(lambda s: len(s) <= 15)),
        symbols_crc32=draw(st.integers(0, 2**32 - 1)),
        **geometry(width, height),
    )


@given(h=headers(), z=st.binary(max_size=300), sel=st.binary(max_size=50),
       y=st.binary(max_size=300))
@settings(max_examples=150, deadline=None)
def test_round_trip_property(h: LvqHeader, z: bytes, sel: bytes, y: bytes) -> None:
    sections = {"z": z, "y": y} if h.quantizer == "scalar" else {"z": z, "selection": sel, "y": y}
    data = pack(h, sections)
    got, out = unpack(data)
    assert_same_header(got, h, sections)
    assert out == {n: sections.get(n, b"") for n in SECTION_NAMES}
    assert got.lmbda == struct.unpack("<f", struct.pack("<f", h.lmbda))[0]
    assert pack(got, out) == data


def test_lambda_stored_as_float32() -> None:
    got = read_header(pack(make_header(lmbda=0.0075), {}))
    assert got.lmbda != 0.0075 and math.isclose(got.lmbda, 0.0075, rel_tol=1e-7)


def test_overhead_size() -> None:
    h = make_header()
    payload = sum(len(s) for s in SECTIONS.values())
    overhead = len(pack(h, SECTIONS)) - payload
    strings = len(h.model_id) + len(h.architecture)
    # 53 bytes of fields + the two identifier strings (documented in docs/format.md).
    assert overhead == 53 + strings
    assert overhead - strings <= 64
    short = make_header(model_id="adhoc", architecture="x")
    assert len(pack(short, SECTIONS)) - payload <= 64


# ---------------------------------------------------------------------------- pack refusals


@pytest.mark.parametrize("changes", [
    dict(width=0),
    dict(model_id=""),
    dict(model_id="é"),
    dict(model_id="a" * 256),
    dict(mode="RGB\n"),
    dict(mode="x" * 16),
    dict(weights_hash=b"1234567"),
    dict(quantizer="vq"),
    dict(quantizer="scalar"),  # group_size 320 with scalar
    dict(group_size=0),
    dict(lmbda=float("nan")),
    dict(lmbda=-1.0),
    dict(lmbda=1e39),
    dict(pad_right=64),
    dict(latent_height=33),
    dict(hyper_width=13),
    dict(symbols_crc32=2**32),
    dict(format_version=FORMAT_VERSION + 1),
    dict(format_version=1),  # the writer writes only the newest version
])
def test_pack_refuses_invalid_header(changes: dict) -> None:
    with pytest.raises(ValueError):
        pack(make_header(**changes), {})


def test_pack_refuses_bad_sections() -> None:
    with pytest.raises(ValueError, match="unknown section"):
        pack(make_header(), {"w": b""})
    with pytest.raises(ValueError, match="bytes"):
        pack(make_header(), {"y": "text"})
    with pytest.raises(ValueError, match="scalar"):
        pack(make_header(quantizer="scalar", group_size=0), {"selection": b"\x00"})


# ---------------------------------------------------------------------------- error classes


def test_not_an_lvq_file() -> None:
    for data in (b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, b"hello", b"GIF89a"):
        with pytest.raises(NotAnLvqFile, match="not an .lvq file"):
            unpack(data)
        assert not sniff(data)
    with pytest.raises(NotAnLvqFile):
        read_header(b"")
    assert not sniff("text")  # type: ignore[arg-type]


def test_text_mode_mangling_is_caught() -> None:
    data = pack(make_header(), SECTIONS)
    with pytest.raises(NotAnLvqFile):
        unpack(data.replace(b"\r\n", b"\n"))


def test_unsupported_version() -> None:
    data = bytearray(pack(make_header(), SECTIONS))
    data[len(MAGIC)] = FORMAT_VERSION + 1
    with pytest.raises(UnsupportedVersion) as info:
        unpack(bytes(recrc(bytes(data))))
    msg = str(info.value)
    assert str(FORMAT_VERSION + 1) in msg and str(FORMAT_VERSION) in msg and "\n" not in msg
    with pytest.raises(UnsupportedVersion):
        read_header(MAGIC + b"\x80\x01")  # version 128, nothing after it


def test_crc_mismatch() -> None:
    data = bytearray(pack(make_header(), SECTIONS))
    data[-100] ^= 0x10
    with pytest.raises(CorruptFile, match="CRC32"):
        unpack(bytes(data))
    with pytest.raises(CorruptFile, match="CRC32"):
        read_header(bytes(data))


def test_trailing_garbage() -> None:
    data = pack(make_header(), SECTIONS)
    with pytest.raises(CorruptFile, match="after its end"):
        unpack(data + b"\x00")


def test_absurd_section_size_is_corrupt() -> None:
    h = make_header(width=16, height=16, **{k: v for k, v in geometry(16, 16).items()
                                            if k not in ("width", "height")})
    data = pack(h, {"z": b"z", "y": b"y"})
    header_len = len(data) - 2 - 4
    # Replace the size of y (last header byte, value 1) with a 5-byte varint of 2**32.
    bad = data[:header_len - 1] + bitstream._varint(2**32) + data[header_len:]
    with pytest.raises(CorruptFile, match="declares"):
        unpack(bad)


def test_varint_errors() -> None:
    with pytest.raises(CorruptFile, match="too long"):
        unpack(MAGIC + b"\xff" * 11)
    with pytest.raises(CorruptFile, match="non-canonical"):
        unpack(MAGIC + b"\x81\x00")
    with pytest.raises(CorruptFile, match="version"):
        unpack(MAGIC + b"\x00" + b"\x00" * 60)


@pytest.mark.parametrize("changes, match", [
    (dict(width=0), "width"),
    (dict(height=2**21), "height"),
    (dict(pad_bottom=64, latent_height=36, hyper_height=9), "pad_bottom"),
    (dict(latent_width=47), "inconsistent"),
    (dict(hyper_height=9), "inconsistent"),
    (dict(width=767), "multiple of 16"),
    (dict(model_id="modèle"), "model id"),
    (dict(architecture="a\x00b"), "architecture"),
    (dict(mode=""), "mode"),
    (dict(quantizer="scalar"), "group_size"),
    (dict(group_size=0), "group_size"),
    (dict(lmbda=float("inf")), "lambda"),
    (dict(lmbda=-0.5), "lambda"),
])
def test_out_of_range_fields_are_corrupt(changes: dict, match: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Files with a valid CRC but an invalid field (as a buggy writer would produce)."""
    # Build the bytes without validation; non-ASCII strings need a raw (UTF-8) encoder.
    monkeypatch.setattr(bitstream, "_string",
                        lambda s: bytes([len(s.encode("utf-8"))]) + s.encode("utf-8"))
    data = bitstream._pack_raw(make_header(**changes), SECTIONS)
    with pytest.raises(CorruptFile, match=match) as info:
        unpack(data)
    assert "\n" not in str(info.value)


def test_unknown_quantizer_byte() -> None:
    h = make_header()
    data = bytearray(pack(h, SECTIONS))
    offset = len(MAGIC) + 1 + 1 + len(h.model_id) + 1 + len(h.architecture) + 8
    assert data[offset] == QUANTIZERS.index("lvqac")
    data[offset] = 7
    with pytest.raises(CorruptFile, match="quantizer"):
        unpack(recrc(bytes(data)))


def test_selection_with_scalar_is_corrupt() -> None:
    h = make_header(quantizer="scalar", group_size=0)
    data = bitstream._pack_raw(h, {"selection": b"\x01"})
    with pytest.raises(CorruptFile, match="selection"):
        unpack(data)


def test_truncation_at_every_prefix() -> None:
    data = pack(make_header(), {"z": b"z" * 20, "selection": b"s" * 5, "y": b"y" * 50})
    for n in range(len(data)):
        with pytest.raises((TruncatedFile, NotAnLvqFile, CorruptFile)):
            unpack(data[:n])
    # Past the magic, truncation is reported as such.
    for n in range(len(MAGIC) + 1, len(data)):
        with pytest.raises(TruncatedFile):
            read_header(data[:n])


def test_fuzz_random_damage() -> None:
    """Flip, delete or insert random bytes: always a format error or the intact file."""
    data = pack(make_header(), {"z": bytes(range(60)), "selection": b"\xa5" * 12,
                                "y": bytes(range(255, 55, -1))})
    want = unpack(data)
    rng = random.Random(1234)
    outcomes = {"error": 0, "same": 0}
    for _ in range(2000):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            op = rng.choice(("flip", "delete", "insert", "set"))
            pos = rng.randrange(len(buf) + (op == "insert"))
            if op == "flip" and buf:
                buf[pos % len(buf)] ^= 1 << rng.randrange(8)
            elif op == "delete" and buf:
                del buf[pos % len(buf)]
            elif op == "insert":
                buf.insert(pos, rng.randrange(256))
            elif buf:
                buf[pos % len(buf)] = rng.randrange(256)
        try:
            got = unpack(bytes(buf))
        except LvqFormatError:
            outcomes["error"] += 1
            continue
        # Success is only possible when the damage cancelled out.
        assert bytes(buf) == data
        assert got == want
        outcomes["same"] += 1
    assert outcomes["error"] > 1900
