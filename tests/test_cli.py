"""The lvqac command line: JSON keys, exit codes, no overwriting."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from lvqac_testing import smooth_image, tiny_model
from lvqac_core.checkpoint import save_checkpoint
from lvqac_core.cli import main


@pytest.fixture
def ckpt(tmp_path):
    path = tmp_path / "tiny.pt"
    save_checkpoint(tiny_model("minnen2018-ckbd", "lvqac"), path)
    return path



def run_json(capsys, argv):
    code = main(argv + ["--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def test_compress_info_decompress(tmp_path, capsys, ckpt, image):
    code, rows = run_json(capsys, ["compress", str(image), "--model", str(ckpt), "-o", str(tmp_path / "a.lvq")])
    assert code == 0
    row = rows[0]
    assert set(row) >= {"input", "output", "model", "quantizer", "lambda", "bytes", "bpp", "bpp_estimated",
                        "psnr", "ms_ssim", "encode_seconds", "device"}
    assert row["bytes"] == (tmp_path / "a.lvq").stat().st_size
    code, info = run_json(capsys, ["info", str(tmp_path / "a.lvq")])
    assert code == 0
    assert set(info) >= {"model", "quantizer", "lambda", "width", "height", "format_version", "sections"}
    assert (info["width"], info["height"], info["quantizer"]) == (67, 45, "lvqac")
    assert set(info["sections"]) == {"z", "selection", "y"}
    code, dec = run_json(capsys, ["decompress", str(tmp_path / "a.lvq"), "--model", str(ckpt), "-o", str(tmp_path / "a.png")])
    assert code == 0
    assert set(dec) >= {"input", "output", "model", "decode_seconds", "device"}
    assert np.asarray(Image.open(tmp_path / "a.png")).shape == (45, 67, 3)


def test_refuses_to_overwrite(tmp_path, capsys, ckpt, image):
    out = tmp_path / "a.lvq"
    out.write_bytes(b"precious")
    assert main(["compress", str(image), "--model", str(ckpt), "-o", str(out)]) == 2
    assert out.read_bytes() == b"precious"
    assert "exists" in capsys.readouterr().err
    assert main(["compress", str(image), "--model", str(ckpt), "-o", str(out), "--force"]) == 0
    assert out.read_bytes()[:4] == b"\x8bLVQ"


@pytest.mark.parametrize("content", [b"", b"hello world, not an lvq file", b"\x8bLVQ\r\n\x1a\n\x01"])
def test_bad_files_exit_2_with_one_line(tmp_path, capsys, content):
    bad = tmp_path / "bad.lvq"
    bad.write_bytes(content)
    for cmd in (["info", str(bad)], ["decompress", str(bad), "-o", str(tmp_path / "o.png")]):
        assert main(cmd) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("lvqac: error:") and "\n" not in err
    assert not (tmp_path / "o.png").exists()


def test_bad_images_and_missing_model(tmp_path, capsys, ckpt):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert main(["compress", str(junk), "--model", str(ckpt)]) == 2
    assert "cannot read image" in capsys.readouterr().err
    assert main(["compress", str(tmp_path / "missing.png"), "--model", str(ckpt)]) == 2
    img = tmp_path / "x.png"
    Image.fromarray(smooth_image(8, 8)).save(img)
    assert main(["compress", str(img), "--model", str(tmp_path / "nope.pt")]) == 2
    assert "not found" in capsys.readouterr().err


def test_models_json_is_a_list(capsys):
    code, rows = run_json(capsys, ["models"])
    assert code == 0 and isinstance(rows, list)
    for r in rows:
        assert set(r) >= {"id", "architecture", "quantizer", "lambda", "kodak"}


def test_compress_and_decompress_share_one_output_policy(tmp_path):
    from pathlib import Path

    from lvqac_core.cli.common import output_paths
    from lvqac_core.errors import InputError

    d = tmp_path / "out"
    d.mkdir()
    assert output_paths(["a/x.png"], None, ".lvq", "compress") == [Path("a/x.lvq")]
    assert output_paths(["a/x.lvq"], None, ".png", "decompress") == [Path("a/x.png")]
    for suffix, what in ((".lvq", "compress"), (".png", "decompress")):
        assert output_paths(["a/x.y"], str(d), suffix, what) == [d / f"x{suffix}"]  # an existing directory
        assert output_paths(["a/x.y"], f"{tmp_path}/new/", suffix, what) == [tmp_path / "new" / f"x{suffix}"]
        assert output_paths(["a/x.y"], str(tmp_path / f"o{suffix}"), suffix, what) == [tmp_path / f"o{suffix}"]
        with pytest.raises(InputError, match="writes"):
            output_paths(["a/x.y"], str(tmp_path / "o.jpg"), suffix, what)
        with pytest.raises(InputError, match="not supported"):
            output_paths(["a/x.y"], "-", suffix, what)
    assert output_paths(["x.png", "y.png"], str(tmp_path / "many"), ".lvq", "compress", several=True) == [
        tmp_path / "many" / "x.lvq", tmp_path / "many" / "y.lvq"]
