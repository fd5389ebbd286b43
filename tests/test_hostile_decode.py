"""Crafted .lvq files through the API: every header field is checked against the sections and
the limits before any decoding; model ids from files are looked up in the zoo only."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile_common import geometry, make_zoo, restamp
from lvqac_testing import noise_image
from lvqac_testing import smooth_image, tiny_codec, tiny_model
from lvqac_core import api, bitstream
from lvqac_core.api import decompress, load_model, read_info
from lvqac_core.device import device_name
from lvqac_core.errors import (CorruptFile, ImageError, ImageTooLargeError, InputError,
                               ModelNotFoundError)
from lvqac_core.geometry import DEFAULT_MAX_PIXELS

CODEC = tiny_codec("minnen2018-ckbd", "lvqac")
VALID = CODEC.compress(smooth_image(16, 16)).data
HEADER, SECTIONS = bitstream.unpack(VALID)


@pytest.mark.parametrize("width,height", [(4096, 4096), (8192, 8192), (1048576, 1), (1 << 20, 1 << 20),
                                          (4032, 4160), (64, 262144)])
def test_large_claims_with_a_tiny_image_sections_are_refused(width, height) -> None:
    """The reported crash: a header claiming a large image over a 16x16 image's sections."""
    data = restamp(VALID, **geometry(width, height))
    with pytest.raises((CorruptFile, ImageTooLargeError)) as info:
        CODEC.decompress(data)
    padded = (width + (-width) % 64) * (height + (-height) % 64)
    assert isinstance(info.value, ImageTooLargeError) == (padded > DEFAULT_MAX_PIXELS)
    assert "\n" not in str(info.value)


def test_pixel_limit_counts_padded_pixels() -> None:
    with pytest.raises(ImageTooLargeError, match="64x64 = 4096 pixels"):
        CODEC.decompress(VALID, max_pixels=4095)
    assert CODEC.decompress(VALID, max_pixels=4096).image.shape == (16, 16, 3)
    with pytest.raises(ImageTooLargeError, match="1048577x1, coded as 1048640x64"):
        CODEC.compress(np.zeros((1, 1048577, 3), np.uint8))


def test_latent_grid_must_match_the_hyper_grid() -> None:
    for changes in (dict(width=48, pad_right=0, latent_width=3, hyper_width=1),
                    dict(height=80, pad_bottom=0, latent_height=5, hyper_height=2)):
        with pytest.raises(CorruptFile, match="not four times"):
            CODEC.decompress(restamp(VALID, **changes))


def test_sections_must_be_whole_rans_streams() -> None:
    for name, value in (("z", b""), ("z", SECTIONS["z"][:-1]), ("y", b""), ("y", b"\x00" * 4),
                        ("y", SECTIONS["y"] + b"\x01")):
        data = bitstream._pack_raw(HEADER, dict(SECTIONS, **{name: value}))
        with pytest.raises(CorruptFile, match="not a whole rANS stream"):
            CODEC.decompress(data)


sizes = st.sampled_from([16, 33, 64, 65, 100, 128])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes, sizes, st.binary(max_size=64), st.binary(max_size=64), st.binary(max_size=600),
       st.sampled_from(["keep", "random", "truncate"]))
def test_crafted_sections_decode_or_refuse(width, height, z, sel, y, how) -> None:
    """Any geometry with any section bytes (valid CRC, matching model): an InputError or an
    image of the declared size, never another exception."""
    sections = dict(SECTIONS) if how == "keep" else {"z": z, "selection": sel, "y": y}
    if how == "truncate":
        sections = {k: v[: len(v) // 2] for k, v in SECTIONS.items()}
    header = dataclasses.replace(HEADER, **geometry(width, height))
    data = bitstream._pack_raw(header, sections)
    try:
        res = CODEC.decompress(data)
    except InputError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert res.image.shape == (height, width, 3)


def test_model_id_from_a_file_is_never_a_path(tmp_path, monkeypatch) -> None:
    zoo = tmp_path / "zoo"
    model = tiny_model("minnen2018-ckbd", "lvq")
    make_zoo(zoo, model, "tiny-lvq")
    monkeypatch.setenv("LVQAC_ZOO_DIR", str(zoo))
    monkeypatch.setattr(api, "_CACHE", {})
    codec = load_model("tiny-lvq", "cpu")
    data = codec.compress(smooth_image(20, 24)).data
    # a file naming an absolute checkpoint path (a real, loadable one) is refused unread
    ckpt = zoo / "tiny-lvq.pt"
    crafted = restamp(data, model_id=str(ckpt.resolve()))
    calls = []
    monkeypatch.setattr(api, "load_checkpoint", lambda *a, **k: calls.append(a))
    with pytest.raises(ModelNotFoundError, match="not installed"):
        decompress(crafted, "cpu")
    assert calls == []
    monkeypatch.undo()
    # a file in the working directory named like the zoo model changes nothing
    monkeypatch.setenv("LVQAC_ZOO_DIR", str(zoo))
    monkeypatch.setattr(api, "_CACHE", {})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny-lvq").write_bytes(b"not a checkpoint")
    assert decompress(data, "cpu").image.shape == (20, 24, 3)
    assert load_model("tiny-lvq", "cpu").model_id == "tiny-lvq"


def test_tampered_zoo_model_has_the_same_words_on_both_paths(tmp_path, monkeypatch) -> None:
    zoo = tmp_path / "zoo"
    make_zoo(zoo, tiny_model("minnen2018-ckbd", "lvq"), "tiny-lvq")
    monkeypatch.setenv("LVQAC_ZOO_DIR", str(zoo))
    monkeypatch.setattr(api, "_CACHE", {})
    data = load_model("tiny-lvq", "cpu").compress(smooth_image(16, 16)).data
    monkeypatch.setattr(api, "_CACHE", {})
    raw = bytearray((zoo / "tiny-lvq.pt").read_bytes())
    raw[-100] ^= 1
    (zoo / "tiny-lvq.pt").write_bytes(bytes(raw))
    messages = []
    for call in (lambda: load_model("tiny-lvq", "cpu"), lambda: decompress(data, "cpu")):
        with pytest.raises(ModelNotFoundError) as info:
            call()
        messages.append(str(info.value))
    assert messages[0] == messages[1] and "sha256" in messages[0]


@pytest.mark.parametrize("call", [
    lambda: decompress("file.lvq"),
    lambda: decompress(None),
    lambda: CODEC.decompress(12),
    lambda: read_info(3.5),
    lambda: load_model(123),
    lambda: device_name(None),
    lambda: CODEC.compress(123),
    lambda: CODEC.compress(noise_image(8, 8), progress=5),
    lambda: CODEC.decompress(VALID, max_pixels="many"),
])
def test_wrong_argument_types_raise_input_errors(call) -> None:
    with pytest.raises(InputError) as info:
        call()
    assert "\n" not in str(info.value)


def test_info_of_a_large_claim_still_works() -> None:
    """Only decoding is limited: the header of any well-formed file can be shown."""
    info = read_info(restamp(VALID, **geometry(1 << 20, 1 << 20)))
    assert info.header.width == 1 << 20
    assert isinstance(ImageTooLargeError("x"), ImageError)


small_or_huge = st.one_of(st.integers(0, 130), st.integers(0, 1 << 21), st.integers(0, (1 << 64) - 1))
headers = st.fixed_dictionaries({
    "width": small_or_huge, "height": small_or_huge, "pad_right": small_or_huge, "pad_bottom": small_or_huge,
    "latent_height": small_or_huge, "latent_width": small_or_huge, "hyper_height": small_or_huge,
    "hyper_width": small_or_huge, "group_size": small_or_huge,
    "quantizer": st.sampled_from(["scalar", "lvq", "lvqac"]),
    "lmbda": st.floats(allow_nan=True, allow_infinity=True, width=32),
    "mode": st.sampled_from(["RGB", "L", "I;16", "RGBA", "P", "CMYK", "x"]),
    "model_id": st.sampled_from(["adhoc", "/etc/passwd", "../../x.pt", "minnen2018-ckbd-lvqac-0.0075"]),
    "symbols_crc32": st.integers(0, (1 << 32) - 1),
})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(headers, st.binary(max_size=40), st.binary(max_size=40), st.binary(max_size=200))
def test_arbitrary_header_fields_are_refused_or_decoded(fields, z, sel, y) -> None:
    """Every header field drawn from small, large and 64-bit values (valid CRC): the container
    and the decoder raise InputErrors with one line, or decode an image of the declared size."""
    header = dataclasses.replace(HEADER, **fields)
    data = bitstream._pack_raw(header, {"z": z, "selection": sel, "y": y})
    try:
        res = CODEC.decompress(data)
    except InputError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert res.image.shape[:2] == (fields["height"], fields["width"])
