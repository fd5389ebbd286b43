"""Training: loss goes down, resume is bit-exact, fine-tuning init rules, two-process gloo DDP."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest
import torch

from lvqac_core.checkpoint import load_checkpoint
from lvqac_core.errors import InputError
from lvqac_core.training import ImageCropBatches, TrainConfig, Trainer, list_images, temperature_at
from lvqac_core.training.trainer import load_init_weights
from lvqac_core.models import ModelConfig, build_model
from lvqac_testing import write_image


def _images(folder: Path, n: int = 4, size: int = 72) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):  # n different images
        write_image(folder / f"im{i}.png", size, size, seed=i)
    return folder


def _cfg(tmp_path: Path, out: str, **kw) -> TrainConfig:
    base = dict(data=str(_images(tmp_path / "data")), out=str(tmp_path / out), architecture="minnen2018-ckbd",
                quantizer="scalar", N=16, M=16, steps=6, batch_size=2, crop=64, lr=1e-3, seed=3,
                device="cpu", checkpoint_minutes=0, progress=False, log_every=1)
    base.update(kw)
    return TrainConfig(**base)


def test_batches_are_deterministic_and_cover_the_data(tmp_path):
    files = list_images(_images(tmp_path / "d"))
    ds = ImageCropBatches(files, crop=64, batch_size=2, seed=1, num_steps=4)
    assert torch.equal(ds.batch(2), ImageCropBatches(files, crop=64, batch_size=2, seed=1).batch(2))
    assert ds[0].shape == (2, 3, 64, 64) and 0.0 <= float(ds[0].min()) and float(ds[0].max()) <= 1.0
    assert sorted(ds.indices(0) + ds.indices(1)) == [0, 1, 2, 3]  # one epoch = a permutation
    r1 = ImageCropBatches(files, crop=64, batch_size=2, seed=1, rank=1, world_size=2)
    assert set(r1.indices(0)).isdisjoint(ImageCropBatches(files, crop=64, batch_size=2, seed=1, world_size=2).indices(0))


def test_temperature_schedule():
    assert temperature_at(0, 100, 0.5, 0.05) == pytest.approx(0.5)
    assert temperature_at(99, 100, 0.5, 0.05) == pytest.approx(0.05)
    assert 0.05 < temperature_at(50, 100, 0.5, 0.05) < 0.5


def test_training_lowers_the_loss(tmp_path):
    torch.set_num_threads(1)
    t = Trainer(_cfg(tmp_path, "run", steps=30, lr=3e-3, quantizer="lvq"))
    fixed = t.dataset(0, 1).batch(0)
    before = np.mean([t.evaluate_batch(fixed, seed=s)["loss"] for s in range(3)])
    losses = []
    info = t.run(on_step=lambda step, m: losses.append(m["loss"]))
    after = np.mean([t.evaluate_batch(fixed, seed=s)["loss"] for s in range(3)])
    assert after < 0.8 * before, (before, after)
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
    out = Path(info["checkpoint"])
    assert out.is_file() and (tmp_path / "run" / "log.csv").is_file()
    rows = (tmp_path / "run" / "log.csv").read_text().splitlines()
    assert rows[0].split(",") == ["step", "loss", "bpp", "mse", "psnr", "aux", "lr", "tau", "seconds"]
    assert len(rows) == 31
    model = load_checkpoint(out)
    assert model.config.quantizer == "lvq"
    payload = torch.load(out, weights_only=True)
    assert payload["precision"] == "fp16" and payload["extra"]["steps"] == 30


def test_resume_is_bit_exact(tmp_path):
    torch.set_num_threads(1)
    straight = Trainer(_cfg(tmp_path, "a", quantizer="lvqac", decay_step=4))
    straight.run()
    first = Trainer(_cfg(tmp_path, "b", quantizer="lvqac", decay_step=4))
    first.run(until=3)
    assert first.step == 3 and (tmp_path / "b" / "resume.pt").is_file()
    second = Trainer(_cfg(tmp_path, "b", quantizer="lvqac", decay_step=4))
    second.run(resume=True)
    assert second.step == 6
    sa, sb = straight.model.state_dict(), second.model.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k
    assert straight.opt.param_groups[0]["lr"] == pytest.approx(second.opt.param_groups[0]["lr"])
    la = (tmp_path / "a" / "log.csv").read_text().splitlines()
    lb = (tmp_path / "b" / "log.csv").read_text().splitlines()
    strip = lambda rows: [r.rsplit(",", 1)[0] for r in rows]  # drop the wall-clock column
    assert strip(la) == strip(lb)


def test_resume_file_is_plain_data_and_serves_as_init(tmp_path):
    """resume.pt loads with weights_only=True (no ndarray in the RNG state), so its fp32 weights can
    start another run (--init) without the fp16 rounding of model.pt."""
    torch.set_num_threads(1)
    first = Trainer(_cfg(tmp_path, "r", steps=4))
    first.run(until=2)
    resume = tmp_path / "r" / "resume.pt"
    torch.load(resume, weights_only=True)
    nxt = Trainer(_cfg(tmp_path, "vr", steps=1, init=str(resume), lambdas=[0.0032, 0.0075, 0.015]))
    assert set(nxt.init_info["new"]) == {"gain.log_gain", "gain.log_inv_gain"}
    for k, v in first.model.state_dict().items():
        assert torch.equal(nxt.model.state_dict()[k], v), k


def test_init_from_scalar_into_lvqac_and_backbone_check(tmp_path):
    torch.set_num_threads(1)
    base = Trainer(_cfg(tmp_path, "base", steps=2))
    info = base.run()
    ft = Trainer(_cfg(tmp_path, "ft", steps=2, quantizer="lvqac", lmbda=0.03, init=info["checkpoint"]))
    assert any(k.startswith("a_head.") for k in ft.init_info["new"])
    w0 = load_checkpoint(info["checkpoint"]).state_dict()["g_a.0.weight"]
    assert torch.equal(ft.model.state_dict()["g_a.0.weight"], w0)
    ft.run()
    # a checkpoint lacking a backbone weight is refused
    payload = torch.load(info["checkpoint"], weights_only=True)
    del payload["state_dict"]["g_s.0.weight"]
    bad = tmp_path / "bad.pt"
    torch.save(payload, bad)
    with pytest.raises(InputError, match="backbone weights missing"):
        load_init_weights(build_model(ModelConfig("minnen2018-ckbd", "lvq", N=16, M=16)), bad)
    with pytest.raises(InputError, match="shape mismatch"):
        load_init_weights(build_model(ModelConfig("minnen2018-ckbd", "lvq", N=24, M=16)), info["checkpoint"])


def _ddp_worker(rank: int, world: int, port: int, cfg: TrainConfig, result_dir: str) -> None:
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        t = Trainer(cfg)
        t.run()
        torch.save({k: v.clone() for k, v in t.model.state_dict().items()}, Path(result_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_ddp_two_processes_gloo(tmp_path):
    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = _cfg(tmp_path, "ddp", steps=2)
    mp.spawn(_ddp_worker, args=(2, port, cfg, str(tmp_path)), nprocs=2, join=True)
    s0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    s1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    for k in s0:
        if "_quantized_cdf" in k or "_offset" in k or "_cdf_length" in k:
            continue  # coding tables are only rebuilt on rank 0
        assert torch.equal(s0[k], s1[k]), k
    assert (tmp_path / "ddp" / "model.pt").is_file()
    payload = torch.load(tmp_path / "ddp" / "model.pt", weights_only=True)
    assert payload["extra"]["world_size"] == 2


def test_cli_train_and_errors(tmp_path, capsys):
    import json

    from lvqac_core.cli import main

    data = _images(tmp_path / "data")
    out = tmp_path / "cli"
    rc = main(["train", "--data", str(data), "--out", str(out), "-N", "16", "-M", "16", "--crop", "64",
               "--batch-size", "2", "--steps", "2", "--device", "cpu", "--no-progress", "--json"])
    assert rc == 0
    info = json.loads(capsys.readouterr().out)
    assert info["step"] == 2 and Path(info["checkpoint"]).is_file()
    capsys.readouterr()
    for argv, words in ((["--data", str(data), "--crop", "100", "--steps", "1"], "multiple of 64"),
                        (["--data", str(tmp_path / "nope")], "not found"),
                        (["--data", str(data), "--architecture", "nope"], "unknown architecture"),
                        (["--data", str(data), "--init", str(tmp_path / "missing.pt"), "--steps", "1"], "missing.pt"),
                        (["--data", str(data), "--init", str(data / "im0.png"), "--steps", "1"], "not a PyTorch checkpoint")):
        assert main(["train", "--out", str(out), *argv]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and words in err and err.startswith("lvqac: error:"), err


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_signal_stops_training_cleanly_after_the_step(tmp_path, signum):
    """`kill` (or Ctrl-C) on a campaign run saves the resume state and the checkpoints, as
    --max-minutes does; the run resumes from there. The handlers are put back afterwards."""
    import signal
    torch.set_num_threads(1)
    sig = getattr(signal, signum)
    before = signal.getsignal(sig)
    t = Trainer(_cfg(tmp_path, "s", steps=50))
    info = t.run(on_step=lambda step, m: os.kill(os.getpid(), sig) if step == 3 else None)
    assert t.step == 3 and info["stopped_early"] and info["step"] == 3
    assert (tmp_path / "s" / "resume.pt").is_file() and Path(info["checkpoint"]).is_file()
    assert signal.getsignal(sig) is before
    again = Trainer(_cfg(tmp_path, "s", steps=5))
    again.run(resume=True)
    assert again.step == 5


def test_the_gained_channels_rate_warm_up_weights_their_bits_then_ramps_to_one(tmp_path):
    cfg = _cfg(tmp_path, "free", free_channels_from=10, free_rate_steps=2, free_ramp_steps=4)
    assert [cfg.rate_weight_at(s) for s in (0, 1, 2, 3, 5, 6, 50)] == [0.0, 0.0, 0.0, 0.25, 0.75, 1.0, 1.0]
    assert _cfg(tmp_path, "plain").rate_weight_at(0) == 1.0
    with pytest.raises(InputError, match="inside the latent"):
        _cfg(tmp_path, "bad", free_channels_from=16).validate()
    torch.manual_seed(0)
    model = build_model(architecture="minnen2018-ckbd", quantizer="scalar", N=16, M=16).train()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.manual_seed(1)
        full = float(model(x).bits["y"])
        model.rate_channel_weights = torch.cat([torch.ones(10), torch.zeros(6)])
        torch.manual_seed(1)
        kept = float(model(x).bits["y"])
    assert 0 < kept < full
    t = Trainer(cfg)
    seen = []
    original = t.model.forward

    def spy(*a, **kw):
        w = t.model.rate_channel_weights
        seen.append(None if w is None else float(w[-1]))
        return original(*a, **kw)

    t.model.forward = spy
    t.run(until=4)
    assert seen == [0.0, 0.0, 0.0, 0.25] and t.model.rate_channel_weights is None


def test_a_resumed_run_keeps_the_record_of_its_init(tmp_path):
    first = Trainer(_cfg(tmp_path, "a", steps=1))
    first.run()
    Trainer(_cfg(tmp_path, "b", steps=1, init=str(tmp_path / "a" / "model.pt"))).run()
    resumed = Trainer(_cfg(tmp_path, "b", steps=2))  # resumed without --init
    resumed.run(resume=True)
    assert resumed.provenance(final=True)["init"] == str(tmp_path / "a" / "model.pt")
