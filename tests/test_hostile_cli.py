"""The command line under hostile or careless use: one stderr line and exit 2 for every refusal,
no signal, no traceback, nothing written when a batch is refused, no silent loss."""
from __future__ import annotations

import io
import struct
import sys
import textwrap
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms

from hostile_common import one_line_error, run_cli
from lvqac_testing import noise_image
from lvqac_testing import smooth_image, tiny_model
from lvqac_core.checkpoint import save_checkpoint
from lvqac_core.cli import main
from lvqac_core.image_files import NOTE_16BIT, NOTE_ICC, load_image


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    save_checkpoint(tiny_model("minnen2018-ckbd", "lvq"), path)
    return path


def _png(path, h=20, w=24, seed=0):
    Image.fromarray(smooth_image(h, w, seed)).save(path)
    return path


def _refused(capsys, argv) -> str:
    assert main(argv) == 2
    return one_line_error(capsys.readouterr().err)


def test_same_stem_collisions_write_nothing(tmp_path, capsys, ckpt) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = _png(tmp_path / "a" / "twin.png"), _png(tmp_path / "b" / "twin.png", seed=1)
    jpg = tmp_path / "twin.jpg"
    Image.fromarray(smooth_image(20, 24)).save(jpg)
    png = _png(tmp_path / "twin.png")
    out = tmp_path / "out"
    for force in ([], ["--force"]):
        line = _refused(capsys, ["compress", str(a), str(b), "-o", f"{out}/", "--model", str(ckpt), *force])
        assert "both be written" in line
        assert not out.exists()
        line = _refused(capsys, ["compress", str(png), str(jpg), "--model", str(ckpt), *force])
        assert "both be written" in line and not (tmp_path / "twin.lvq").exists()
        _refused(capsys, ["compress", str(png), str(png), "--model", str(ckpt), *force])
    other = _png(tmp_path / "other.png")
    assert main(["compress", str(a), str(other), "-o", str(out), "--model", str(ckpt)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["other.lvq", "twin.lvq"]


def test_batch_refuses_before_writing_when_a_later_output_exists(tmp_path, capsys, ckpt) -> None:
    one, two = _png(tmp_path / "one.png"), _png(tmp_path / "two.png")
    (tmp_path / "two.lvq").write_bytes(b"keep")
    _refused(capsys, ["compress", str(one), str(two), "--model", str(ckpt)])
    assert not (tmp_path / "one.lvq").exists() and (tmp_path / "two.lvq").read_bytes() == b"keep"


def test_paths_that_are_not_files(tmp_path, capsys, ckpt, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    img = _png(tmp_path / "img.png")
    assert main(["compress", str(img), "-o", "a.lvq", "--model", str(ckpt)]) == 0
    capsys.readouterr()
    long_name = "x" * 300 + ".lvq"
    for argv in (["compress", "."], ["compress", "/"], ["compress", "-"], ["compress", long_name],
                 ["compress", str(img), "-o", "-"], ["compress", "/dev/null"],
                 ["decompress", "-"], ["decompress", "."], ["decompress", long_name], ["info", "/"],
                 ["decompress", "a.lvq", "-o", "-"], ["decompress", "a.lvq", "-o", "y" * 300 + ".png"],
                 ["decompress", "a.lvq", "-o", "/dev/null", "--force"],
                 ["decompress", "a.lvq", "-o", str(tmp_path / "img.png"), "--model", str(ckpt)]):
        _refused(capsys, argv)
    assert (tmp_path / "img.png").read_bytes()[:4] == b"\x89PNG"


def test_output_directories_and_suffixes(tmp_path, capsys, ckpt, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    img = _png(tmp_path / "img.png")
    assert main(["compress", str(img), "-o", "outdir/", "--model", str(ckpt)]) == 0
    assert (tmp_path / "outdir" / "img.lvq").is_file()
    assert main(["decompress", "outdir/img.lvq", "-o", "pngs/", "--model", str(ckpt)]) == 0
    assert (tmp_path / "pngs" / "img.png").read_bytes()[:4] == b"\x89PNG"
    capsys.readouterr()
    for argv in (["compress", str(img), "-o", "x.jpg", "--model", str(ckpt)],
                 ["compress", str(img), "-o", "x.png", "--model", str(ckpt)],
                 ["decompress", "outdir/img.lvq", "-o", "x.jpg", "--model", str(ckpt)],
                 ["decompress", "outdir/img.lvq", "-o", "x.lvq", "--model", str(ckpt)]):
        assert "writes" in _refused(capsys, argv)
    assert not any((tmp_path / n).exists() for n in ("x.jpg", "x.png", "x.lvq"))


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "0", "-1", "1e400", "abc"])
def test_out_of_range_lambda(capsys, value) -> None:
    assert "--lambda" in _refused(capsys, ["compress", "x.png", "--lambda", value])


@pytest.mark.parametrize("argv", [[], ["bogus"], ["compress"], ["compress", "--frobnicate", "x.png"],
                                  ["decompress"], ["info", "a", "b"], ["compress", "x.png", "--quantizer", "jpeg"],
                                  ["models", "--json", "extra"]])
def test_usage_errors_are_one_line(capsys, argv) -> None:
    _refused(capsys, argv)


def _png16_rgb(w: int, h: int) -> bytes:
    raw = b"".join(b"\x00" + np.arange(w * 3, dtype=">u2").tobytes() for _ in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _png_header_only(w: int, h: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


def test_image_notes_and_our_pixel_limit(tmp_path) -> None:
    assert NOTE_16BIT in load_image(_png16_rgb(8, 8)).notes
    buf = io.BytesIO()
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()  # not sRGB: said
    Image.fromarray(noise_image(8, 8)).save(buf, format="PNG", icc_profile=profile)
    assert NOTE_ICC in load_image(buf.getvalue()).notes
    srgb = io.BytesIO()  # sRGB is what a PNG without a profile means: dropping it changes nothing
    Image.fromarray(noise_image(8, 8)).save(srgb, format="PNG",
                                    icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    assert NOTE_ICC not in load_image(srgb.getvalue()).notes
    broken = io.BytesIO()
    Image.fromarray(noise_image(8, 8)).save(broken, format="PNG", icc_profile=b"not a profile")
    assert NOTE_ICC in load_image(broken.getvalue()).notes
    assert NOTE_ICC not in load_image(noise_image(8, 8)).notes
    import warnings
    for w, h in ((20000, 20000), (10000, 9000), (5000, 5000)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(Exception) as info:
                load_image(_png_header_only(w, h))
        msg = str(info.value)
        assert "more than the limit of 16777216 pixels" in msg and "bomb" not in msg.lower(), msg


def test_cli_prints_the_notes(tmp_path, capsys, ckpt) -> None:
    path = tmp_path / "deep.png"
    path.write_bytes(_png16_rgb(16, 16))
    assert main(["compress", str(path), "--model", str(ckpt)]) == 0
    out = capsys.readouterr()
    assert NOTE_16BIT in out.out and out.err == ""


# ------------------------------------------------------------------ fresh processes: no signal


CRAFT = textwrap.dedent("""
    import sys, dataclasses
    sys.path.insert(0, {tests!r})
    from hostile_common import geometry, restamp
    from lvqac_testing import smooth_image, tiny_codec
    from lvqac_core.checkpoint import save_checkpoint
    codec = tiny_codec("minnen2018-ckbd", "lvq")
    save_checkpoint(codec.model, "tiny.pt")
    ok = codec.compress(smooth_image(16, 16)).data
    open("ok.lvq", "wb").write(ok)
    for w, h in ((8192, 8192), (4096, 4096), (1048576, 1)):
        open(f"big_{{w}}x{{h}}.lvq", "wb").write(restamp(ok, **geometry(w, h)))
""")


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    import subprocess
    folder = tmp_path_factory.mktemp("crafted")
    from hostile_common import ROOT
    subprocess.run([sys.executable, "-c", CRAFT.format(tests=str(ROOT / "tests"))], cwd=folder, check=True,
                   env={"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}, timeout=300)
    return folder


def test_crafted_large_claims_exit_2_in_a_fresh_process(crafted) -> None:
    """The reported crash: exit 139 (SIGSEGV) before the fix."""
    for name in ("big_4096x4096.lvq", "big_8192x8192.lvq", "big_1048576x1.lvq"):
        proc = run_cli(["decompress", name, "-o", name + ".png", "--model", "tiny.pt", "--device", "cpu"], crafted)
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        one_line_error(proc.stderr)
        assert not (crafted / (name + ".png")).exists()


FUZZ = textwrap.dedent("""
    import random, sys, dataclasses
    sys.path.insert(0, {tests!r})
    from hostile_common import geometry
    from lvqac_core import bitstream
    from lvqac_core.cli import main
    import contextlib, io
    rng = random.Random({seed})
    ok = open("ok.lvq", "rb").read()
    header, sections = bitstream.unpack(ok)
    codes = {{}}
    for i in range({count}):
        w = rng.choice([1, 16, 63, 64, 65, 100, 1000, 4096, 5000, 1 << 20, rng.randint(1, 1 << 20)])
        h = rng.choice([1, 16, 64, 65, 200, 4096, 1 << 20, rng.randint(1, 5000)])
        changes = geometry(w, h)
        if rng.random() < 0.3:
            key = rng.choice(list(changes))
            changes[key] = rng.choice([0, 1, 3, 4, 63, 64, 1 << 20, rng.randint(0, 1 << 21)])
        secs = dict(sections)
        for name in secs:
            r = rng.random()
            if r < 0.25:
                secs[name] = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 4, 7, 8, 12, 64])))
            elif r < 0.4:
                secs[name] = secs[name][: rng.randrange(len(secs[name]) + 1)]
        data = bitstream._pack_raw(dataclasses.replace(header, **changes), secs)
        open("f.lvq", "wb").write(data)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["decompress", "f.lvq", "-o", "f.png", "--force", "--model", "tiny.pt", "--device", "cpu"])
        lines = err.getvalue().strip().splitlines()
        assert code in (0, 2) and (code == 0 or len(lines) == 1), (code, err.getvalue())
        codes[code] = codes.get(code, 0) + 1
    print("codes", codes)
""")


def test_crafted_headers_and_sections_never_kill_the_process(crafted) -> None:
    """Many crafted files decoded in one fresh process: it must end normally (no signal)."""
    import subprocess
    from hostile_common import ROOT
    proc = subprocess.run([sys.executable, "-c", FUZZ.format(tests=str(ROOT / "tests"), seed=1, count=60)],
                          cwd=crafted, capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert "codes" in proc.stdout


@pytest.mark.slow
def test_crafted_headers_and_sections_never_kill_the_process_long(crafted) -> None:
    import subprocess
    from hostile_common import ROOT
    proc = subprocess.run([sys.executable, "-c", FUZZ.format(tests=str(ROOT / "tests"), seed=2, count=1000)],
                          cwd=crafted, capture_output=True, text=True, timeout=3600,
                          env={"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])


def test_atheris_fuzz_smoke(tmp_path) -> None:
    """A short coverage-guided run of fuzz/fuzz_container.py (skipped without atheris)."""
    pytest.importorskip("atheris")
    import subprocess
    from hostile_common import ROOT
    proc = subprocess.run([sys.executable, str(ROOT / "fuzz" / "fuzz_container.py"), "-runs=3000", "-seed=1"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Done 3000 runs" in proc.stderr


# ---------------------------------------------------------------- batches and folders
def test_a_batch_codes_every_file_it_can_and_reports_each_failure(tmp_path, capsys, ckpt) -> None:
    import json

    good1, good2 = _png(tmp_path / "good1.png"), _png(tmp_path / "good2.png", seed=1)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    missing = tmp_path / "missing.png"
    argv = ["compress", str(good1), str(bad), str(missing), str(good2), "--model", str(ckpt)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 2 and all(line.startswith("lvqac: error: ") for line in lines), captured.err
    assert str(bad) in lines[0] and str(missing) in lines[1] and "Traceback" not in captured.err
    assert "good1.png ->" in captured.out and "good2.png ->" in captured.out
    assert (tmp_path / "good1.lvq").exists() and (tmp_path / "good2.lvq").exists()
    assert not (tmp_path / "bad.lvq").exists() and not (tmp_path / "missing.lvq").exists()
    for path in (tmp_path / "good1.lvq", tmp_path / "good2.lvq"):
        path.unlink()
    assert main([*argv, "--json"]) == 2
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [row["input"] for row in rows] == [str(good1), str(bad), str(missing), str(good2)]
    assert [("error" in row) for row in rows] == [False, True, True, False]
    assert rows[0]["bytes"] > 0 and rows[3]["bytes"] > 0 and str(bad) in rows[1]["error"]
    assert len([line for line in captured.err.splitlines() if line.strip()]) == 2


def test_a_batch_of_only_bad_inputs_loads_no_model(tmp_path, capsys) -> None:
    missing = tmp_path / "missing.png"
    line = _refused(capsys, ["compress", str(missing), "--model", str(tmp_path / "no-such-model.pt")])
    assert str(missing) in line and "model" not in line


def test_one_output_folder_rule_missing_folders_are_created(tmp_path, capsys, ckpt) -> None:
    img = _png(tmp_path / "img.png")
    lvq = tmp_path / "new" / "deeper" / "img.lvq"
    assert main(["compress", str(img), "-o", str(lvq), "--model", str(ckpt)]) == 0
    assert lvq.exists()
    png = tmp_path / "other" / "img.png"
    assert main(["decompress", str(lvq), "-o", str(png), "--model", str(ckpt)]) == 0
    assert png.exists()
    capsys.readouterr()
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    _refused(capsys, ["compress", str(bad), "-o", str(tmp_path / "never" / "bad.lvq"), "--model", str(ckpt)])
    _refused(capsys, ["decompress", str(bad), "-o", str(tmp_path / "never2" / "bad.png")])
    assert not (tmp_path / "never").exists() and not (tmp_path / "never2").exists()
    (tmp_path / "file").write_bytes(b"")
    line = _refused(capsys, ["compress", str(img), "-o", str(tmp_path / "file" / "x.lvq"), "--model", str(ckpt)])
    assert "file" in line


def _interrupt(tmp_path, argv: list[str], after: float):
    """Run ``lvqac ARGV`` and send it SIGINT ``after`` seconds in (rc, stderr)."""
    import os
    import signal
    import subprocess
    import time

    from hostile_common import ROOT

    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")

    def as_from_a_terminal() -> None:
        # a suite started in the background (``cmd &`` in a script, nohup) runs with SIGINT ignored,
        # and a child inherits that: it would finish its work, as it should, and the test fail
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    proc = subprocess.Popen([sys.executable, "-m", "lvqac_core.cli", *argv], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=as_from_a_terminal)
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=60)
    return proc.returncode, err, time.monotonic() - sent


@pytest.mark.parametrize("after", [2.5])
def test_ctrl_c_exits_130_promptly_without_partial_output(tmp_path, after) -> None:
    """SIGINT while the zoo's model loads or a 2048² image codes: exit 130, one line, no output."""
    Image.fromarray(noise_image(2048, 2048)).save(tmp_path / "big.png")
    rc, err, waited = _interrupt(tmp_path, ["compress", "big.png"], after)
    assert rc == 130, err
    assert err.strip() == "lvqac: interrupted" and waited < 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.png"]  # no .lvq, no temporary file


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.3, 1.0, 4.0, 6.0])
def test_ctrl_c_at_any_stage(tmp_path, after) -> None:
    test_ctrl_c_exits_130_promptly_without_partial_output(tmp_path, after)
