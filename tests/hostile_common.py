"""Helpers of the hostile-input tests: tiny zoos, crafted files, CLI runs that must fail cleanly."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path


from lvqac_core import bitstream
from lvqac_core.checkpoint import save_checkpoint

ROOT = Path(__file__).resolve().parent.parent


def geometry(width: int, height: int) -> dict:
    pr, pb = (-width) % 64, (-height) % 64
    return dict(width=width, height=height, pad_right=pr, pad_bottom=pb,
                latent_width=(width + pr) // 16, latent_height=(height + pb) // 16,
                hyper_width=(width + pr) // 64, hyper_height=(height + pb) // 64)


def restamp(data: bytes, **changes) -> bytes:
    """``data`` with header fields changed and a valid CRC (nothing else validated)."""
    header, sections = bitstream.unpack(data)
    return bitstream._pack_raw(dataclasses.replace(header, **changes), sections)


def make_zoo(folder: Path, model, model_id: str = "tiny-lvqac", default: bool = True) -> dict:
    """A one-model zoo in ``folder`` (use with LVQAC_ZOO_DIR); returns the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    sha = save_checkpoint(model, folder / f"{model_id}.pt")
    cfg = model.config
    manifest = {"format": "lvqac-zoo/1", "default": model_id if default else None, "models": [{
        "id": model_id, "file": f"{model_id}.pt", "sha256": sha, "architecture": cfg.architecture,
        "quantizer": cfg.quantizer, "lambda": cfg.lmbda, "N": cfg.N, "M": cfg.M, "kodak": None}]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def one_line_error(err: str) -> str:
    """Assert ``err`` is exactly one ``lvqac: error:`` line without a traceback; return it."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("lvqac: error:"), err
    assert "Traceback" not in err
    return lines[0]


def run_cli(args: list[str], cwd: Path, env: dict | None = None, timeout: int = 300):
    """``python -m lvqac_core.cli ARGS`` in a fresh process (signals show as negative codes)."""
    import os

    full_env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "lvqac_core.cli", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


