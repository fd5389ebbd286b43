"""A tiny zoo with two tiers, for the tier tests: the "fast" tier has a scalar and an LVQAC
variable-rate network (N = M = 8, λ 0.0016 … 0.045), the "wide" tier a scalar network of more
latent channels (N 8 / M 12, λ 0.0016 … 0.13). Untrained weights: the tests check the wiring."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lvqac_core import zoo
from lvqac_core.checkpoint import file_sha256, save_checkpoint
from lvqac_core.models import ModelConfig, build_model

FAST_LAMS = [0.0016, 0.0075, 0.045]
WIDE_LAMS = [0.0016, 0.0075, 0.045, 0.13]
WIDE_M = 12


def row_id(quantizer: str, lmbda: float, tier: str = "fast") -> str:
    return f"tiny-{quantizer}-{lmbda:g}" if tier == "fast" else f"tiny-{tier}-{quantizer}-{lmbda:g}"


def _network(directory: Path, quantizer: str, tier: str, lams: list[float], M: int, seed: int) -> list[zoo.ZooEntry]:
    torch.manual_seed(seed)
    net = build_model(ModelConfig(architecture="minnen2018-ckbd", quantizer=quantizer, N=8, M=M, lmbda=0.0075,
                                  lambdas=lams))
    name = f"tiny-{tier}-{quantizer}-vr"
    save_checkpoint(net, directory / f"{name}.pt")
    sha = file_sha256(directory / f"{name}.pt")
    return [zoo.ZooEntry(id=row_id(quantizer, lam, tier), file=f"{name}.pt", sha256=sha, architecture="minnen2018-ckbd",
                         quantizer=quantizer, lmbda=lam, N=8, M=M, network=name, lambda_range=(lams[0], lams[-1]),
                         tier=tier) for lam in lams]


def make_tier_zoo(directory: Path) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    entries = (_network(directory, "scalar", "fast", FAST_LAMS, 8, 0) + _network(directory, "lvqac", "fast", FAST_LAMS, 8, 1)
               + _network(directory, "scalar", "wide", WIDE_LAMS, WIDE_M, 2))
    zoo.write_manifest(entries, row_id("lvqac", 0.0075), directory)
    return directory


@pytest.fixture(scope="module")
def tier_dir(tmp_path_factory):
    return make_tier_zoo(tmp_path_factory.mktemp("tierzoo"))


@pytest.fixture
def tiers(tier_dir, monkeypatch):
    """The two-tier tiny zoo in use for one test."""
    from vr_zoo import use_zoo

    use_zoo(monkeypatch, tier_dir)
    yield tier_dir
    zoo.reload()
