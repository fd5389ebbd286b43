"""The one service: model selection, CodingReport, encode with its decode check, decode parsed once;
and the decode view showing the encoder's rate for the same file."""
from __future__ import annotations

import pytest

from lvqac_core import bitstream, service, zoo
from lvqac_core.errors import InputError, ModelNotFoundError
from lvqac_gui.model.backend import Backend, demo_codec_factory
from lvqac_gui.model.jobs import Job
from lvqac_gui.model.records import Source
from lvqac_testing import smooth_image

FACTORY = demo_codec_factory(N=16, M=16, architecture="minnen2018-ckbd")


def _image(h=45, w=70):  # not a multiple of 16: the cropped bits map would give another rate
    return smooth_image(h, w, seed=3)


def _job(kind, source, quantizer="lvqac", **kw):
    return Job(id=1, kind=kind, source=source, lmbda=0.0075, quantizer=quantizer, device="cpu", **kw)


@pytest.mark.parametrize("quantizer", ["lvq", "lvqac"])
def test_decode_view_shows_the_rate_the_encoder_reported(tmp_path, quantizer):
    codec = FACTORY(quantizer, 0.0075, "cpu")
    enc = service.encode(codec, _image())  # what `lvqac compress` reports
    path = tmp_path / "a.lvq"
    path.write_bytes(enc.result.data)
    backend = Backend(codec_factory=FACTORY)  # a fresh app session opening the file
    d = backend.run(Job(id=1, kind="decompress", source=Source.from_path(path), lmbda=0.0075,
                        quantizer=quantizer, device="cpu"))
    assert d.stats.bpp == enc.report.bpp
    assert d.stats.bpp_estimated is not None
    assert d.stats.bpp_estimated == enc.report.bpp_estimated
    assert d.stats.section_bytes == enc.report.section_bytes
    assert d.stats.map_summary() == enc.report.map_summary()
    # the app's own encode of the same image reports the same figures
    shown = backend.run(_job("compress", Source("img", array=_image()), quantizer=quantizer))
    assert shown.data == enc.result.data
    assert (shown.stats.bpp, shown.stats.bpp_estimated) == (enc.report.bpp, enc.report.bpp_estimated)
    # summing the cropped map (what the decode view once did) would differ
    assert float(d.maps.bits.sum()) / (45 * 70) != pytest.approx(enc.report.bpp_estimated, rel=1e-6)


@pytest.mark.skipif(not zoo.list_models(), reason="no models installed")
def test_zoo_file_decoded_by_the_app_shows_the_encoders_rate(tmp_path):
    from lvqac_core.api import load_model
    enc = service.encode(load_model(None, "cpu"), _image(40, 52), ms_ssim=False)
    path = tmp_path / "z.lvq"
    path.write_bytes(enc.result.data)
    d = Backend().run(_job("decompress", Source.from_path(path)))
    assert (d.stats.bpp, d.stats.bpp_estimated) == (enc.report.bpp, enc.report.bpp_estimated)


def test_one_parse_per_decode_and_none_in_encode(tmp_path, monkeypatch):
    calls = []
    real = bitstream._parse
    monkeypatch.setattr(bitstream, "_parse", lambda data: calls.append(1) or real(data))
    codec = FACTORY("lvq", 0.0075, "cpu")
    data = codec.compress(_image(), ms_ssim=False).data
    assert calls == []  # Codec.compress does not re-read what it packed
    path = tmp_path / "a.lvq"
    path.write_bytes(data)
    Backend(codec_factory=FACTORY).run(Job(id=1, kind="decompress", source=Source.from_path(path),
                                           lmbda=0.0075, quantizer="lvq", device="cpu"))
    assert len(calls) == 1


def test_encode_decode_check_gives_decode_time_without_a_second_decode(monkeypatch):
    codec = FACTORY("lvq", 0.0075, "cpu")
    decodes = []
    real = type(codec).decode_parsed
    monkeypatch.setattr(type(codec), "decode_parsed", lambda self, *a, **k: decodes.append(1) or real(self, *a, **k))
    enc = service.encode(codec, _image(), decode_check=True)
    assert len(decodes) == 1
    rep = enc.report
    assert rep.decode_matches is True and rep.decode_seconds is not None and rep.decode_seconds > 0
    plain = service.encode(codec, _image())
    assert plain.report.decode_seconds is None and plain.report.decode_matches is None
    assert len(decodes) == 1
    assert rep.psnr == pytest.approx(plain.report.psnr) and rep.ms_ssim == pytest.approx(plain.report.ms_ssim)
    parts = rep.section_bpp()
    assert parts["total"] == pytest.approx(rep.bpp)
    assert sum(v for k, v in parts.items() if k != "total") == pytest.approx(rep.bpp)
    js = rep.to_json()
    assert js["bytes"] == len(enc.result.data) and js["bpp_estimated"] == rep.bpp_estimated


def test_verify_decode_is_the_encoders_check_in_two_steps():
    """The app shows the encoder's result, then checks its file (``verify_decode``): the same
    figures as ``encode(..., decode_check=True)``; a file that decodes to other pixels says so."""
    codec = FACTORY("lvqac", 0.0075, "cpu")
    whole = service.encode(codec, _image(), decode_check=True).report
    first = service.encode(codec, _image(), ms_ssim=False)
    assert first.report.decode_matches is None and first.report.ms_ssim is None
    checked = service.verify_decode(codec, first).report
    assert checked.decode_matches is True and checked.decode_seconds > 0
    assert (checked.psnr, checked.ms_ssim, checked.num_bytes) == (whole.psnr, whole.ms_ssim, whole.num_bytes)
    first.result.reconstruction[0, 0, 0] ^= 1  # the encoder's pixels no longer what the file gives
    assert service.verify_decode(codec, first, ms_ssim=False).report.decode_matches is False


def _entry(q, lam, arch="minnen2018-ckbd"):
    return zoo.ZooEntry(id=f"{arch}-{q}-{lam:g}", file=f"{q}-{lam:g}.pt", sha256="cd" * 32, architecture=arch,
                        quantizer=q, lmbda=lam, N=16, M=16)


def test_select_model_is_one_rule(tmp_path, monkeypatch):
    monkeypatch.setenv("LVQAC_ZOO_DIR", str(tmp_path))
    entries = [_entry(q, lam) for q in ("scalar", "lvqac") for lam in (0.0032, 0.0075)] + [_entry("lvq", 0.03, "other")]
    zoo.write_manifest(entries, "minnen2018-ckbd-lvqac-0.0075")
    assert service.select_model().spec == "minnen2018-ckbd-lvqac-0.0075"
    assert service.select_model(quantizer="scalar").spec == "minnen2018-ckbd-scalar-0.0075"  # λ of the default
    assert service.select_model(lmbda=0.0032).spec == "minnen2018-ckbd-lvqac-0.0032"  # quantizer of the default
    assert service.select_model("lvq", 0.03).entry.architecture == "other"  # default's architecture lacks it
    chosen = service.select_model(model="minnen2018-ckbd-scalar-0.0032")
    assert (chosen.quantizer, chosen.lmbda) == ("scalar", 0.0032)
    assert service.select_model(model="runs/x/model.pt").entry is None
    with pytest.raises(InputError):
        service.select_model("lvq", model="minnen2018-ckbd-scalar-0.0032")
    with pytest.raises(ModelNotFoundError):
        service.select_model("lvq", 0.0075)
    from lvqac_core.cli.compress_cmd import resolve_model_spec
    assert resolve_model_spec(None, "scalar", None) == "minnen2018-ckbd-scalar-0.0075"
    assert resolve_model_spec(None, None, None) is None
    from types import SimpleNamespace

    from lvqac_gui.app import apply_model_choice
    from lvqac_gui.model.state import Session
    s = Session()
    s.lmbda = 0.045
    apply_model_choice(s, SimpleNamespace(model=None, quantizer="scalar", lmbda=None, device=None))
    assert (s.quantizer, s.lmbda, s.model_spec) == ("scalar", 0.0075, None)  # the CLI's rule
    assert Backend().model_name("scalar", 0.0032) == "minnen2018-ckbd-scalar-0.0032"
