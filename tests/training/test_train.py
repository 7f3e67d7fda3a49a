"""End-to-end training of a tiny network: run folder contents, exact resume, stops, ablation."""

from __future__ import annotations

import csv
import os
import signal
from pathlib import Path

import pytest
import torch
from train_cases import tiny_config

from x2ct.config import load_config
from x2ct.models.runfolder import load_checkpoint, load_run
from x2ct.training.loop import train

# 4 training cases, batch 1: 4 steps per epoch; 1 + 2 epochs = 12 steps.
SCHEDULE = {"epochs_constant": 1, "epochs_decay": 2}


def _rows(run: Path) -> list[dict[str, str]]:
    with (run / "metrics.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def _assert_same_state(a: Path, b: Path) -> None:
    left = load_checkpoint(a / "checkpoints" / "last.pt")
    right = load_checkpoint(b / "checkpoints" / "last.pt")
    assert left["step"] == right["step"] == 12
    for net in ("generator", "discriminator"):
        assert left[net].keys() == right[net].keys()
        for key, value in left[net].items():
            assert torch.equal(value, right[net][key]), f"{net}.{key} differs"
    for opt in ("opt_g", "opt_d"):
        for index, state in left[opt]["state"].items():
            for key, value in state.items():
                assert torch.equal(value, right[opt]["state"][index][key]), f"{opt} {key}"
    timing = {"epoch_s", "elapsed_s"}
    for row_a, row_b in zip(_rows(a), _rows(b), strict=True):
        assert {k: v for k, v in row_a.items() if k not in timing} == {
            k: v for k, v in row_b.items() if k not in timing
        }


@pytest.fixture(scope="module")
def reference_run(data_dir, tmp_path_factory):
    """An uninterrupted run of 12 steps (3 epochs), with dropout."""
    run = tmp_path_factory.mktemp("ref") / "run"
    result = train(data_dir, tiny_config(**SCHEDULE), run, quiet=True)
    assert result.stopped == "finished" and result.step == 12
    return run


def test_run_folder_contents(reference_run):
    run = reference_run
    assert load_config(run / "config.yaml") == tiny_config(**SCHEDULE)
    names = {p.name for p in (run / "checkpoints").iterdir()}
    assert {"last.pt", "best.pt", "epoch_0001.pt", "epoch_0002.pt", "epoch_0003.pt"} <= names
    assert not any(name.startswith(".") for name in names)  # no temporary files left
    rows = _rows(run)
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert [int(r["step"]) for r in rows] == [4, 8, 12]
    # lr constant for 1 epoch, then 2/3 and 1/3 of the base rate (never 0).
    lrs = [float(r["lr"]) for r in rows]
    assert lrs == pytest.approx([2e-4, 2e-4 * 2 / 3, 2e-4 / 3])
    for key in ("loss_g", "loss_d", "g_mse", "g_proj", "g_gan", "val_MAE0", "val_SSIM"):
        assert all(r[key] != "" for r in rows), key
    assert "val_PSNR-3D" in rows[0]
    assert sorted(p.name for p in (run / "validation").glob("*.png")) == [
        "epoch_0001.png",
        "epoch_0002.png",
        "epoch_0003.png",
    ]
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))
    split = (run / "split.json").read_text()
    assert '"case000"' in split and '"case004"' in split


def test_best_checkpoint_and_load_run(reference_run, data_dir):
    rows = _rows(reference_run)
    best_row = min(rows, key=lambda r: float(r["val_MAE0"]))
    best = load_checkpoint(reference_run / "checkpoints" / "best.pt")
    assert best["epoch"] == int(best_row["epoch"])
    assert best["metric"]["MAE0"] == pytest.approx(float(best_row["val_MAE0"]))
    assert "opt_g" not in best
    config, generator = load_run(reference_run, "best")
    assert config == tiny_config(**SCHEDULE) and not generator.training
    for key, value in generator.state_dict().items():
        assert torch.equal(value, best["generator"][key])
    _, last = load_run(reference_run, "last")
    _, third = load_run(reference_run, 3)
    x = torch.rand(1, 1, 16, 16, 2)
    with torch.no_grad():
        assert torch.equal(last(x[..., 0], x[..., 1]), third(x[..., 0], x[..., 1]))


def test_resume_after_max_steps_is_bitwise_exact(reference_run, data_dir, tmp_path):
    run = tmp_path / "run"
    first = train(data_dir, tiny_config(**SCHEDULE, max_steps=6), run, quiet=True)
    assert first.stopped == "max_steps" and first.step == 6  # mid-epoch 2
    assert load_checkpoint(run / "checkpoints" / "last.pt")["loop"]["batch_in_epoch"] == 2
    second = train(data_dir, tiny_config(**SCHEDULE), run, resume=True, quiet=True)
    assert second.stopped == "finished" and second.step == 12
    _assert_same_state(reference_run, run)


def test_resume_after_an_exception_is_bitwise_exact(reference_run, data_dir, tmp_path):
    run = tmp_path / "run"

    def crash(step: int, losses: dict[str, float]) -> None:
        if step == 7:
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        train(data_dir, tiny_config(**SCHEDULE), run, quiet=True, on_step=crash)
    assert load_checkpoint(run / "checkpoints" / "last.pt")["step"] == 4
    train(data_dir, tiny_config(**SCHEDULE), run, resume=True, quiet=True)
    _assert_same_state(reference_run, run)


def test_sigint_stops_cleanly_and_resumes_exactly(reference_run, data_dir, tmp_path):
    run = tmp_path / "run"

    def interrupt(step: int, losses: dict[str, float]) -> None:
        if step == 5:
            os.kill(os.getpid(), signal.SIGINT)

    result = train(data_dir, tiny_config(**SCHEDULE), run, quiet=True, on_step=interrupt)
    assert result.stopped == "signal" and result.step == 5
    train(data_dir, tiny_config(**SCHEDULE), run, resume=True, quiet=True)
    _assert_same_state(reference_run, run)


def test_time_budget_stops_after_the_first_step(data_dir, tmp_path):
    result = train(data_dir, tiny_config(max_minutes=1e-9), tmp_path / "run", quiet=True)
    assert result.stopped == "time budget" and result.step == 1
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()
    # best.pt needs a validation; load_run falls back to last.pt.
    assert load_run(tmp_path / "run")[1] is not None


def test_without_adversarial_term_no_discriminator(data_dir, tmp_path):
    seen: list[dict[str, float]] = []
    result = train(
        data_dir,
        tiny_config(adversarial=False, checkpoint_every=0),
        tmp_path / "run",
        quiet=True,
        on_step=lambda step, losses: seen.append(losses),
    )
    assert result.discriminator is None and result.stopped == "finished"
    assert all(s["g_gan"] == 0 and s["loss_d"] == 0 for s in seen)
    assert all(s["loss_g"] == pytest.approx(s["g_mse"] + s["g_proj"]) for s in seen)
    last = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")
    assert last["discriminator"] is None and last["opt_d"] is None
    assert not list((tmp_path / "run" / "checkpoints").glob("epoch_*.pt"))


def test_training_lowers_the_loss_with_augmentation(data_dir, tmp_path):
    seen: list[float] = []
    config = tiny_config(epochs_constant=3, epochs_decay=0, augment=True)
    train(
        data_dir,
        config,
        tmp_path / "run",
        quiet=True,
        on_step=lambda s, losses: seen.append(losses["g_mse"]),
    )
    assert sum(seen[-4:]) < 0.8 * sum(seen[:4])


def test_worker_processes_give_the_same_run(data_dir, tmp_path):
    # Data order and augmentation are pure functions of (seed, epoch, index): loading in worker
    # processes changes nothing.
    config = tiny_config(epochs_constant=1, epochs_decay=0, augment=True, image_cases=0)
    train(data_dir, config, tmp_path / "a", quiet=True)
    workers = tiny_config(
        epochs_constant=1, epochs_decay=0, augment=True, image_cases=0, num_workers=2
    )
    train(data_dir, workers, tmp_path / "b", quiet=True)
    a = load_checkpoint(tmp_path / "a" / "checkpoints" / "last.pt")["generator"]
    b = load_checkpoint(tmp_path / "b" / "checkpoints" / "last.pt")["generator"]
    assert all(torch.equal(value, b[key]) for key, value in a.items())


def test_schedule_fitted_to_the_budget_is_used_and_saved(data_dir, tmp_path, monkeypatch):
    # The fit depends on measured time; pin its outcome to check how the loop uses it.
    import x2ct.training.loop as loop

    seen = []
    monkeypatch.setattr(loop, "fit_schedule", lambda n, m, fit: seen.append((n, m)) or (1, 1))
    config = tiny_config(
        epochs_constant=2, epochs_decay=2, max_minutes=100.0, fit_schedule_to_budget=True
    )
    result = train(data_dir, config, tmp_path / "run", quiet=True)
    assert seen == [(2, 2)] and result.stopped == "finished" and result.epochs == 2
    assert [float(r["lr"]) for r in _rows(tmp_path / "run")] == pytest.approx([2e-4, 1e-4])
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")["loop"]["schedule"] == [
        1,
        1,
    ]
