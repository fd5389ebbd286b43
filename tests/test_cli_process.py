"""The ``lvqac`` program as a process: ``python -m lvqac_core.cli`` ends compress/decompress with
``os._exit`` (no interpreter teardown, see ``lvqac_core.cli.entry``), so what it printed and wrote
must be complete and its exit status kept."""
from __future__ import annotations

import json

import numpy as np
from PIL import Image

from hostile_common import run_cli
from lvqac_core.api import Codec
from lvqac_core.checkpoint import load_checkpoint, save_checkpoint
from lvqac_testing import smooth_image, tiny_model


BUFFERED = {"PYTHONUNBUFFERED": ""}  # stdout block-buffered, as for any user (CI may set it)


def test_fast_exit_keeps_output_files_and_status(tmp_path):
    save_checkpoint(tiny_model("minnen2018-ckbd", "lvqac"), tmp_path / "tiny.pt")
    Image.fromarray(smooth_image(40, 56, seed=3)).save(tmp_path / "in.png")
    enc = run_cli(["compress", "in.png", "-o", "in.lvq", "--model", "tiny.pt", "--device", "cpu", "--json"], tmp_path, BUFFERED)
    assert enc.returncode == 0, enc.stderr
    row = json.loads(enc.stdout)[0]  # the whole JSON reached the pipe before the process ended
    data = (tmp_path / "in.lvq").read_bytes()
    assert len(data) == row["bytes"]
    dec = run_cli(["decompress", "in.lvq", "-o", "out.png", "--model", "tiny.pt", "--device", "cpu"], tmp_path, BUFFERED)
    assert dec.returncode == 0, dec.stderr
    expected = Codec(load_checkpoint(tmp_path / "tiny.pt"), "tiny", "cpu").decompress(data).image
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out.png")), expected)
    # an error keeps its status and its one line through the fast exit
    again = run_cli(["compress", "in.png", "-o", "in.lvq", "--model", "tiny.pt", "--device", "cpu"], tmp_path, BUFFERED)
    assert again.returncode == 2 and "--force" in again.stderr
    assert (tmp_path / "in.lvq").read_bytes() == data
