"""A tiny zoo with one variable-rate network, for the zoo / CLI / app tests: the lvqac
family is one minnen2018-ckbd network (N = M = 8, the paper's six presets, six rows naming one
file); the scalar family is two single-rate models. Untrained weights: the tests check the wiring,
not the figures."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lvqac_core import zoo
from lvqac_core.checkpoint import file_sha256, save_checkpoint
from lvqac_core.models import ModelConfig, build_model
from lvqac_core.lambdas import PAPER_LAMBDAS

LAMS = [float(v) for v in PAPER_LAMBDAS]
NETWORK = "tiny-vr-lvqac"
VR_FILE = "tiny-vr-lvqac.pt"
SINGLE = (0.0016, 0.0075)


def vr_row_id(lmbda: float) -> str:
    return f"tiny-lvqac-{lmbda:g}"


def make_vr_zoo(directory: Path) -> Path:
    """Write the weights and the manifest into ``directory`` (returned)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    net = build_model(ModelConfig(architecture="minnen2018-ckbd", quantizer="lvqac", N=8, M=8, lmbda=0.0075,
                                  lambdas=LAMS))
    with torch.no_grad():  # distinct gains per preset, so that the rate really follows λ
        net.gain.log_gain.mul_(3.0)
        net.gain.log_inv_gain.mul_(3.0)
    save_checkpoint(net, directory / VR_FILE)
    sha = file_sha256(directory / VR_FILE)
    entries = [zoo.ZooEntry(id=vr_row_id(lam), file=VR_FILE, sha256=sha, architecture="minnen2018-ckbd",
                            quantizer="lvqac", lmbda=lam, N=8, M=8, network=NETWORK,
                            lambda_range=(LAMS[0], LAMS[-1])) for lam in LAMS]
    for k, lam in enumerate(SINGLE):
        torch.manual_seed(10 + k)
        single = build_model(ModelConfig(architecture="minnen2018-ckbd", quantizer="scalar", N=8, M=8, lmbda=lam))
        name = f"tiny-scalar-{lam:g}.pt"
        save_checkpoint(single, directory / name)
        entries.append(zoo.ZooEntry(id=f"tiny-scalar-{lam:g}", file=name, sha256=file_sha256(directory / name),
                                    architecture="minnen2018-ckbd", quantizer="scalar", lmbda=lam, N=8, M=8))
    zoo.write_manifest(entries, vr_row_id(0.0075), directory)
    return directory


def use_zoo(monkeypatch, directory: Path) -> None:
    """Point the zoo (and empty caches) at ``directory`` for one test."""
    from lvqac_core import api

    monkeypatch.setenv("LVQAC_ZOO_DIR", str(directory))
    monkeypatch.setattr(api, "_CACHE", {})
    monkeypatch.setattr(api, "_NETWORKS", {})
    zoo.reload()


@pytest.fixture(scope="module")
def vr_dir(tmp_path_factory):
    """The tiny zoo, written once per test module."""
    return make_vr_zoo(tmp_path_factory.mktemp("vrzoo"))


@pytest.fixture
def vr(vr_dir, monkeypatch):
    """The tiny zoo in use for one test (import both fixtures into the test module)."""
    use_zoo(monkeypatch, vr_dir)
    yield vr_dir
    zoo.reload()
