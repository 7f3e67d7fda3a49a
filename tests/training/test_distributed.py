"""DistributedDataParallel on CPU (gloo, 2 processes) against one process with the same batch."""

from __future__ import annotations

import csv
import dataclasses
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from train_cases import ddp_worker, tiny_config

from x2ct.config import save_config
from x2ct.models.runfolder import load_checkpoint
from x2ct.training.checkpoint import stream_seed
from x2ct.training.loop import train

# Dropout off for the comparison with one process: with it, one process draws the masks of both
# cases from one stream while two ranks draw them from two streams, so the numbers differ by
# design. The rest is exact up to float summation order (gradient all-reduce vs. batch mean).
SCHEDULE = {"epochs_constant": 1, "epochs_decay": 1, "checkpoint_every": 0, "image_cases": 1}


def _config(batch_size: int):
    config = tiny_config(batch_size=batch_size, **SCHEDULE)
    return dataclasses.replace(config, model=dataclasses.replace(config.model, dropout=0.0))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rows(path):
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.timeout(180)
def test_two_gloo_processes_match_one_process_with_the_global_batch(data_dir, tmp_path):
    ddp_dir = tmp_path / "ddp"
    ddp_dir.mkdir()
    mp.spawn(ddp_worker, args=(2, _free_port(), data_dir, ddp_dir, _config(1)), nprocs=2)
    ranks = [torch.load(ddp_dir / f"rank{r}.pt", weights_only=True) for r in range(2)]
    # Both ranks hold identical parameters (DDP averaged the same gradients into both).
    for net in ("generator", "discriminator"):
        for key, value in ranks[0][net].items():
            assert torch.equal(value, ranks[1][net][key]), f"{net}.{key}"
    assert ranks[0]["losses"] == ranks[1]["losses"]  # losses are all-reduced

    single: list[dict[str, float]] = []
    train(
        data_dir,
        _config(2),
        tmp_path / "single",
        quiet=True,
        on_step=lambda s, losses: single.append(losses),
    )
    ddp = ranks[0]["losses"]
    assert len(ddp) == len(single) == 4  # 2 epochs x (4 cases / global batch 2)
    for step, (a, b) in enumerate(zip(ddp, single, strict=True)):
        for key in ("loss_g", "g_mse", "g_proj", "g_gan", "loss_d"):
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-7), (step, key)
    # Validation is split over the ranks and gathered: same means as one process.
    for row_a, row_b in zip(
        _rows(ddp_dir / "run" / "metrics.csv"),
        _rows(tmp_path / "single" / "metrics.csv"),
        strict=True,
    ):
        # After a few Adam steps the weights differ at float-rounding level (Adam divides by
        # the gradient's size, which amplifies rounding where a gradient is nearly 0).
        for key, tolerance in (("val_MAE0", 1e-3), ("val_SSIM", 2e-3), ("val_PSNR-3D", 0.05)):
            assert float(row_a[key]) == pytest.approx(float(row_b[key]), abs=tolerance), key
    # Only rank 0 wrote: one event file, no stray files.
    assert len(list((ddp_dir / "run" / "tensorboard").iterdir())) == 1


def test_ranks_draw_distinct_dropout_streams():
    assert len({stream_seed(0, rank) for rank in range(8)}) == 8
    assert stream_seed(0, 1) != stream_seed(1, 1)


@pytest.mark.timeout(180)
def test_torchrun_cli_with_a_stop_and_resume(data_dir, tmp_path):
    # The documented command: torchrun ... -m x2ct train; a max_steps stop, then --resume.
    config = save_config(_config(1), tmp_path / "tiny.yaml")
    run = tmp_path / "run"
    torchrun = Path(sys.executable).parent / "torchrun"
    base = [str(torchrun), "--standalone", "--nproc_per_node=2", "-m", "x2ct", "train"]
    args = [str(data_dir), "-c", str(config), "-o", str(run), "-q"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.run(
        [*base, *args, "--set", "train.max_steps=3"], capture_output=True, text=True, env=env
    )
    assert first.returncode == 0, first.stderr[-2000:]
    assert "max_steps at epoch 1, step 3" in first.stdout.replace("\n", " ")
    second = subprocess.run([*base, *args, "--resume"], capture_output=True, text=True, env=env)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "finished at epoch 2, step 4" in second.stdout.replace("\n", " ")
    last = load_checkpoint(run / "checkpoints" / "last.pt")
    assert last["world_size"] == 2 and len(last["rng"]) == 2
    assert len(_rows(run / "metrics.csv")) == 2
    assert len(list((run / "tensorboard").iterdir())) == 2  # one event file per invocation
