"""The training loop of ``x2ct train``: data, networks, epochs, validation, checkpoints, resume.

One process or many under torchrun (DistributedDataParallel, DistributedSampler, rank 0 writes).
Resume restores weights, Adam and GradScaler states, epoch, step, the position in the epoch,
the running epoch sums and every RNG of every rank; the data order and augmentation are pure
functions of (seed, epoch, position) and the learning rate one of the epoch, so an interrupted
and resumed CPU run ends with bitwise the weights of an uninterrupted one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

import x2ct
from x2ct.config import ProjectConfig
from x2ct.config.schema import to_dict
from x2ct.config.train import LOWER_IS_BETTER
from x2ct.data.dataset import Augmentation, CaseDataset
from x2ct.errors import InputError
from x2ct.losses import LossWeights
from x2ct.models import runfolder
from x2ct.training import checkpoint as ckpt
from x2ct.training.distributed import (
    all_reduce_mean,
    any_process,
    barrier,
    broadcast_object,
    gather_objects,
    setup,
    teardown,
)
from x2ct.training.logging import Reporter, RunLogger
from x2ct.training.run import (
    StopRequest,
    changed_settings,
    open_run,
    read_data_settings,
    write_run_files,
)
from x2ct.training.sampler import ResumableSampler, batches_per_epoch
from x2ct.training.schedule import fit_schedule, lr_factor, set_lr
from x2ct.training.spine_step import make_spine_step
from x2ct.training.state import LoopState, TrainResult, stop_reason
from x2ct.training.step import LOSS_KEYS, Builder, TrainStep, build_networks, enable_checkpointing
from x2ct.training.validation import validate


def train(
    data: str | Path,
    config: ProjectConfig,
    out: str | Path,
    *,
    resume: bool = False,
    train_list: str | Path | None = None,
    test_list: str | Path | None = None,
    quiet: bool = False,
    build: Builder = build_networks,
    on_step: Callable[[int, dict[str, float]], None] | None = None,
) -> TrainResult:
    """Train the X2CT-GAN of ``config`` on ``data`` into the run folder ``out``.

    Args:
        data: prepared folder with ``<case>/ct_xray_data.h5``, train.txt and test.txt.
        config: the full config (``model`` builds the networks, ``train`` drives training).
        out: run folder (new, or the run to continue with ``resume``).
        resume: continue from ``out/checkpoints/last.pt`` (the model settings must match).
        train_list, test_list: case lists elsewhere than ``data`` (original X2CT layout).
        quiet: no progress bar and no console lines.
        build: makes (generator, discriminator or None) from the model config (tests).
        on_step: called with the global step and its losses after every step (tests).

    Raises:
        InputError / MissingFileError (one line) for bad data, config or run folder, before
        any training step.
    """
    previous = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    ctx = setup(config.train.device)
    try:
        with StopRequest() as stop:
            run = _Run(Path(data), config, Path(out), resume, train_list, test_list, quiet, ctx)
            return run.fit(build, stop, on_step)
    finally:
        torch.use_deterministic_algorithms(previous[0], warn_only=previous[1])
        teardown(ctx)


class _Run:
    """One invocation of training: checked inputs, networks, optimisers, state and writers."""

    def __init__(self, data, config, out, resume, train_list, test_list, quiet, ctx) -> None:
        tcfg = self.tcfg = config.train
        self.config, self.out, self.ctx = config, out, ctx
        self.payload = open_run(out, config, resume)
        size = config.model.input_size
        spine = config.model.family == "spine"
        data_options = {"labels": spine, "view_size": config.model.xray_size}
        augmentation = None
        if tcfg.augment:
            augmentation = Augmentation(
                tcfg.augment_flip,
                tcfg.augment_intensity,
                tcfg.augment_views,
                tcfg.augment_move_truth,
            )
        self.train_set = CaseDataset.from_folder(
            data,
            "train",
            size,
            train_list,
            augmentation=augmentation,
            seed=tcfg.seed,
            cache=tcfg.cache_data,
            **data_options,
        )
        self.val_set = CaseDataset.from_folder(
            data,
            "test",
            size,
            test_list,
            max_cases=tcfg.val_max_cases,
            cache=tcfg.cache_data,
            **data_options,
        )
        self.data_settings = read_data_settings(data)
        barrier(ctx)  # every rank has checked the folder before rank 0 writes into it
        self.report = Reporter(ctx.is_main and not quiet, 0, 0)
        if ctx.is_main:
            warning = write_run_files(out, config, data, self.train_set.cases, self.val_set.cases)
            if warning:
                self.report.print(f"[yellow]warning:[/] {warning}")
            if self.payload is not None:
                changes = changed_settings(self.payload["config"], config)
                if changes:
                    self.report.print("resuming with changed settings: " + "; ".join(changes))
        self.epochs = tcfg.epochs_constant + tcfg.epochs_decay
        self.per_epoch = batches_per_epoch(len(self.train_set), tcfg.batch_size, ctx.world_size)
        self.header = (
            f"training '{config.name}' on {data}: {len(self.train_set)} train / "
            f"{len(self.val_set)} test cases at {size}^3, {self.epochs} epochs x "
            f"{self.per_epoch} steps, {ctx.device}, {ctx.world_size} process(es)"
        )

    def _networks(self, build: Builder) -> None:
        tcfg, device = self.tcfg, self.ctx.device
        torch.use_deterministic_algorithms(tcfg.deterministic, warn_only=True)
        torch.backends.cudnn.benchmark = not tcfg.deterministic
        ckpt.seed_everything(tcfg.seed)  # identical initial weights on every rank
        if self.config.model.family == "spine":
            self._spine_networks()
            return
        self.generator, self.discriminator = build(self.config.model, tcfg.adversarial)
        if tcfg.gradient_checkpointing:
            enable_checkpointing(self.generator)
        adam = {"lr": tcfg.lr, "betas": tcfg.betas}
        self.opt_g = torch.optim.Adam(self.generator.to(device).parameters(), **adam)
        self.opt_d = None
        if self.discriminator is not None:
            self.opt_d = torch.optim.Adam(self.discriminator.to(device).parameters(), **adam)
        g_train, d_train = self.generator, self.discriminator
        if self.ctx.distributed:
            from torch.nn.parallel import DistributedDataParallel

            ids = [device.index] if device.type == "cuda" else None
            g_train = DistributedDataParallel(self.generator, device_ids=ids)
            if self.discriminator is not None:
                d_train = DistributedDataParallel(self.discriminator, device_ids=ids)
        weights = LossWeights.from_config(tcfg)
        self.step_fn = TrainStep(
            g_train, d_train, self.discriminator, self.opt_g, self.opt_d, weights, tcfg.amp, device
        )

    def _spine_networks(self) -> None:
        """SpineNet, its Adam, the PatchGAN and its Adam (with train.adversarial), the step."""
        built = make_spine_step(self.config, self.data_settings, self.ctx)
        self.generator, self.opt_g, self.discriminator, self.opt_d, self.step_fn = built

    def _restore(self) -> dict[str, Any] | None:
        """Load last.pt's states; return this rank's RNG state (None: start a fresh stream)."""
        self.loss_keys = getattr(self.step_fn, "loss_keys", LOSS_KEYS)
        self.state = LoopState(sums=[0.0] * len(self.loss_keys))
        payload = self.payload
        if payload is None:
            return None
        if (payload["discriminator"] is None) != (self.discriminator is None):
            raise InputError(
                "train.adversarial",
                f"the run's value ({payload['discriminator'] is not None}) on resume",
                str(self.discriminator is not None),
            )
        self.generator.load_state_dict(payload["generator"])
        self.opt_g.load_state_dict(payload["opt_g"])
        if self.discriminator is not None:
            self.discriminator.load_state_dict(payload["discriminator"])
            self.opt_d.load_state_dict(payload["opt_d"])
        if payload["scaler"] and self.step_fn.scaler.is_enabled():  # empty when fp16 was off
            self.step_fn.scaler.load_state_dict(payload["scaler"])
        self.state = LoopState(**payload["loop"])
        missing = len(self.loss_keys) - len(self.state.sums)
        if missing > 0:  # a run of an earlier version, before the newer loss terms (all 0 there)
            self.state.sums = [*self.state.sums, *([0.0] * missing)]
        if self.state.schedule is not None:
            self.epochs = sum(self.state.schedule)
        if payload["world_size"] == self.ctx.world_size:
            return payload["rng"][self.ctx.rank]
        self.report.print("[yellow]warning:[/] resumed with another process count: not exact")
        return None

    def save(self, kind: str) -> None:
        """Write last.pt (kind 'last', everything) or best.pt (weights); collective."""
        ctx, state = self.ctx, self.state
        rngs = gather_objects(ckpt.rng_state(), ctx)
        if ctx.is_main:
            blob: dict[str, Any] = {
                "format": runfolder.FORMAT,
                "config": to_dict(self.config),
                "x2ct_version": x2ct.__version__,
                "epoch": state.epoch,
                "step": state.step,
                "generator": self.generator.state_dict(),
                "discriminator": None
                if self.discriminator is None
                else self.discriminator.state_dict(),
            }
            if kind == "best":
                blob["metric"] = {self.tcfg.best_metric: state.best_value}
            else:
                blob["opt_g"] = self.opt_g.state_dict()
                blob["opt_d"] = None if self.opt_d is None else self.opt_d.state_dict()
                blob["scaler"] = self.step_fn.scaler.state_dict()
                blob.update(rng=rngs, world_size=ctx.world_size, loop=asdict(state))
            ckpt.save_checkpoint(runfolder.checkpoint_path(self.out, kind), blob)
        barrier(ctx)

    def result(self, stopped: str, metrics: dict[str, float]) -> TrainResult:
        """The TrainResult of the current state."""
        s = self.state
        return TrainResult(
            self.out,
            stopped,
            s.epoch,
            s.step,
            self.tcfg.best_metric,
            s.best_value,
            s.best_epoch,
            metrics,
            self.generator,
            self.discriminator,
        )

    def fit(
        self,
        build: Builder,
        stop: StopRequest,
        on_step: Callable[[int, dict[str, float]], None] | None,
    ):
        """Run the epochs; returns when done, on max_steps, time budget or a stop signal."""
        tcfg, ctx, out = self.tcfg, self.ctx, self.out
        self._networks(build)
        rng = self._restore()
        state = self.state
        if state.epoch >= self.epochs or (tcfg.max_steps and state.step >= tcfg.max_steps):
            self.report.print(f"{out}: nothing to do (epoch {state.epoch}, step {state.step})")
            return self.result("already done", {})
        sampler = ResumableSampler(self.train_set, ctx.world_size, ctx.rank, seed=tcfg.seed)
        # A private generator keeps the DataLoader from drawing its seed from the global RNG,
        # which would shift the dropout stream of a resumed run by one draw.
        loader = DataLoader(
            self.train_set,
            batch_size=tcfg.batch_size,
            sampler=sampler,
            num_workers=tcfg.num_workers,
            persistent_workers=tcfg.num_workers > 0,  # keeps each worker's cache_data
            pin_memory=ctx.device.type == "cuda",
            generator=torch.Generator().manual_seed(tcfg.seed),
        )
        resumed = self.payload is not None
        self.logger = RunLogger(out, ctx.is_main, state.epoch if resumed else None)
        self.logger.open_tensorboard(state.step + 1 if resumed else None)
        self.report.print(self.header + (f", resuming at step {state.step}" if resumed else ""))
        if rng is not None:
            ckpt.set_rng_state(rng)
        else:
            ckpt.seed_everything(ckpt.stream_seed(tcfg.seed, ctx.rank))
        started, metrics = time.monotonic(), {}
        self.started = started
        self.report = Reporter(self.report.enabled, self.epochs * self.per_epoch, state.step)
        with self.report, self.logger:
            epoch = state.epoch - 1
            while epoch + 1 < self.epochs:  # the budget fit may shorten the schedule
                epoch += 1
                lr = tcfg.lr * lr_factor(epoch, *self.schedule())
                set_lr([o for o in (self.opt_g, self.opt_d) if o is not None], lr)
                sampler.set_position(epoch, state.batch_in_epoch * tcfg.batch_size)
                tick, reason = time.monotonic(), None
                for batch in loader:
                    losses = all_reduce_mean(self.step_fn(batch), ctx).tolist()
                    state.step += 1
                    state.batch_in_epoch += 1
                    state.sums = [a + b for a, b in zip(state.sums, losses, strict=True)]
                    named = dict(zip(self.loss_keys, losses, strict=True))
                    if state.step % tcfg.log_every == 0:
                        self.logger.step(state.step, named, lr)
                    self.report.advance(epoch, self.epochs, named)
                    if on_step is not None:
                        on_step(state.step, named)
                    reason = stop_reason(stop, state, tcfg, started)
                    if any_process(reason is not None, ctx):
                        reason = reason or "stop on another process"
                        break
                seconds = time.monotonic() - tick
                state.epoch_seconds += seconds
                state.elapsed += seconds
                if state.batch_in_epoch < self.per_epoch:  # stopped mid-epoch: resumable here
                    self.save("last")
                    self.report.print(f"stopped ({reason}) at step {state.step}")
                    return self.result(reason or "stopped", metrics)
                metrics = self._end_epoch(epoch, lr) or metrics
                every = tcfg.checkpoint_every
                if every and state.epoch % every == 0 and ctx.is_main:
                    last = runfolder.checkpoint_path(out, "last")
                    ckpt.copy_checkpoint(last, runfolder.checkpoint_path(out, state.epoch))
                if reason is not None and state.epoch < self.epochs:
                    self.report.print(f"stopped ({reason}) at step {state.step}")
                    return self.result(reason, metrics)
        return self.result("finished", metrics)

    def schedule(self) -> tuple[int, int]:
        """(epochs_constant, epochs_decay) in force: the config's or the budget-fitted one."""
        if self.state.schedule is not None:
            return self.state.schedule[0], self.state.schedule[1]
        return self.tcfg.epochs_constant, self.tcfg.epochs_decay

    def _fit_to_budget(self, started: float) -> None:
        """After the first epoch: shrink the schedule to what the remaining budget allows."""
        tcfg, state = self.tcfg, self.state
        if not tcfg.fit_schedule_to_budget or tcfg.max_minutes is None or state.schedule:
            return
        remaining = tcfg.max_minutes * 60 - (time.monotonic() - started)
        fit = 1 + int(max(remaining, 0.0) // max(state.epoch_seconds, 1e-6))
        # Ranks measure slightly different times: rank 0 decides for all.
        fitted = broadcast_object(
            fit_schedule(tcfg.epochs_constant, tcfg.epochs_decay, fit), self.ctx
        )
        state.schedule = list(fitted)
        if sum(fitted) < self.epochs:
            self.epochs = sum(fitted)
            self.report.set_total(self.epochs * self.per_epoch)
            self.report.print(
                f"schedule fitted to the time budget: {fitted[0]} + {fitted[1]} epochs"
            )

    def _end_epoch(self, epoch: int, lr: float) -> dict[str, float]:
        """Validate, log the epoch row, write last.pt and best.pt; return the validation means."""
        tcfg, state = self.tcfg, self.state
        means: dict[str, float] = {}
        images: list[dict[str, Any]] = []
        if (epoch + 1) % tcfg.validate_every == 0 or epoch + 1 == self.epochs:
            tick = time.monotonic()
            means, images = validate(
                self.generator, self.val_set, self.ctx, self.step_fn.autocast, tcfg.image_cases
            )
            state.epoch_seconds += time.monotonic() - tick
            state.elapsed += time.monotonic() - tick
        losses = {
            k: s / state.batch_in_epoch for k, s in zip(self.loss_keys, state.sums, strict=True)
        }
        row = {"epoch": epoch + 1, "step": state.step, "lr": lr, **losses}
        row.update({f"val_{k}": v for k, v in means.items()})
        row.update(epoch_s=round(state.epoch_seconds, 3), elapsed_s=round(state.elapsed, 3))
        self.logger.epoch(row, state.step)
        png = self.logger.images(epoch + 1, state.step, images)
        improved = state.record_validation(
            means.get(tcfg.best_metric), tcfg.best_metric in LOWER_IS_BETTER, epoch + 1
        )
        if epoch == 0:
            self._fit_to_budget(self.started)
        state.epoch, state.batch_in_epoch, state.epoch_seconds = epoch + 1, 0, 0.0
        state.sums = [0.0] * len(self.loss_keys)
        self.save("last")
        if improved:
            self.save("best")
        shown = "  ".join(f"{k} {means[k]:.4g}" for k in ("MAE0", "SSIM", "PSNR-3D") if k in means)
        first = self.loss_keys[0]
        text = f"epoch {epoch + 1}/{self.epochs}  {first} {losses[first]:.4f}"
        if self.discriminator is not None:
            text += f"  D {losses['loss_d']:.4f}"
        tail = f"  -> {png}" if png else ""
        self.report.print(f"{text}  {shown}  {row['epoch_s']:.1f} s{tail}")
        return means
