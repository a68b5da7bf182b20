"""The one training loop every fine-tuning method runs through.

`train(model, method, sources, config, output_dir=...)` attaches the method, runs its phases
(each with a fresh optimizer from `method.build_optimizer` at the phase's own peak rate,
`config.lr` being one value or one per phase, and a warm-up + linear-decay schedule),
switches language components per micro-batch in the order defined in `language_switch`,
evaluates, checkpoints, and returns the method's export.

Evaluation: `eval_fn(model) -> dict[str, float]` runs every `eval_every` steps and at the end of
every phase, in `model.eval()` under `no_grad`, with the task state merged and no language
component applied (an eval_fn that wants one applies and reverts it itself). Its results are
logged and kept in the history; the RNG states are restored around it, so evaluating never
changes what training does. With `config.best_metric` the best export of the last phase is also
saved to `<output_dir>/best`; the returned component is always the final one.

Outputs (written by the main process only): `checkpoints/`, `train_args.json`, `history.json`
and `component/` (the final export). Starting again with the same arguments resumes from the
newest checkpoint (see `checkpoint.py`); a finished run resumes at its end and just exports.
The model is left with the method attached and the trained state in place; call
`method.detach()` to get the base model back.

Several processes (`torchrun`, `accelerate launch`; see `distributed`): every process runs this
same function. It joins the launcher's process group, takes rank 0's initial model state, and
trains on its slice of every global batch (`config.batch_size` is the global micro-batch; see
`shared_loss` for how the per-rank losses are weighted). Per optimizer step only the gradients
of `method.trainable_tensors()` (plus two numbers per micro-batch) cross the wire, so sparse
methods send ∝ K. A method with a `use_collectives(collectives)` hook receives the collectives
it needs to keep its own state (selection statistics, index sets) identical across ranks.
Only rank 0 writes files and shows progress; every rank evaluates (so all agree on the best
step) and resumes from the same checkpoint (the output_dir must be on a shared filesystem when
the processes span machines). `train` returns on every rank after rank 0 has written.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sparsexlt.adapters.base import Component, FineTuningMethod
from sparsexlt.adapters.registry import COMPONENT_DIR
from sparsexlt.training.arguments import check_and_record, describe_arguments, write_arguments
from sparsexlt.training.callbacks import Callback, MicroBatch
from sparsexlt.training.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from sparsexlt.training.config import TrainConfig
from sparsexlt.training.distributed import (
    Collectives,
    all_reduce_gradients,
    barrier,
    init_from_environment,
    is_distributed,
    is_main_process,
    rank,
    world_size,
)
from sparsexlt.training.evaluation import EvalFn, describe, evaluate, is_better
from sparsexlt.training.language_switch import (
    language_applied,
    pin_base_fingerprint,
    place_components,
)
from sparsexlt.training.multi_source import Source, build_sampler
from sparsexlt.training.rank_states import (
    broadcast_model_state,
    gather_rank_states,
    restore_rank_state,
    seed_this_rank,
)
from sparsexlt.training.resume import (
    Optimizers,
    agreed_checkpoint,
    capture_state,
    restore_state,
)
from sparsexlt.training.rng import seed_everything
from sparsexlt.training.schedule import build_schedule
from sparsexlt.training.shared_loss import loss_units, share_of_global_mean
from sparsexlt.util.atomic import atomic_dir, atomic_write_json
from sparsexlt.util.progress import log, progress_bar


@dataclass
class TrainResult:
    component: Component  # the method's export after the last step
    history: list[dict[str, Any]]  # {"kind": "train" | "eval", "step", "phase", ...}
    steps: int  # optimizer steps taken over all phases
    best: dict[str, Any] | None = None  # {"step", "metrics"} of the best eval (best_metric)
    output_dir: Path | None = None


def train(
    model: nn.Module,
    method: FineTuningMethod,
    sources: Sequence[Source],
    config: TrainConfig,
    *,
    output_dir: str | Path,
    eval_fn: EvalFn | None = None,
    callbacks: Sequence[Callback] = (),
) -> TrainResult:
    """Train `method` on `model` with batches from `sources`; resumable, see the module doc."""
    if init_from_environment() and not is_main_process():
        os.environ["SPARSEXLT_QUIET"] = "1"  # one progress display: rank 0's
    return _Run(model, method, list(sources), config, Path(output_dir), eval_fn, callbacks).run()


class _Run:
    def __init__(self, model, method, sources, config, output_dir, eval_fn, callbacks):
        if not sources:
            raise ValueError("train() needs at least one Source")
        self.model, self.method, self.sources, self.config = model, method, sources, config
        self.output_dir, self.eval_fn, self.callbacks = output_dir, eval_fn, list(callbacks)
        self.device = config.resolved_device()
        self.autocast = config.autocast_dtype(self.device)
        self.phases = method.phases()
        self.sampler = build_sampler(sources, config.batch_size, config.seed, world_size(), rank())
        self.phase_steps = config.steps_per_phase(
            len(self.phases), self.sampler.batches_per_epoch()
        )
        self.phase_lrs = config.lr_per_phase(len(self.phases))
        self.loop: dict[str, Any] = {
            "step": 0,
            "phase": 0,
            "phase_step": 0,
            "history": [],
            "best": None,
            "losses": [],
        }
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler: torch.optim.lr_scheduler.LRScheduler | None = None

    def run(self) -> TrainResult:
        self.model.to(self.device)
        broadcast_model_state(self.model)
        arguments = describe_arguments(self.model, self.method, self.sources, self.config)
        checkpoint = agreed_checkpoint(latest_checkpoint(self.output_dir))
        self.args_hash = check_and_record(self.output_dir, arguments, checkpoint is not None)
        if is_main_process():
            write_arguments(self.output_dir, arguments, self.args_hash)
        self.model.train()
        pin_base_fingerprint(self.model, self.sources)
        place_components(self.sources, self.device)
        seed_everything(self.config.seed)  # the same on every rank: attach draws alike
        self.method.attach(self.model)
        use_collectives = getattr(self.method, "use_collectives", None)
        if callable(use_collectives):
            use_collectives(Collectives())
        first = 0
        if checkpoint is not None:
            self._resume(checkpoint)
            first = self.loop["phase"]
        else:
            seed_this_rank(self.config.seed, self.sources)
        for phase in range(first, len(self.phases)):
            if checkpoint is None or phase != first:
                self._begin_phase(phase)
            self._run_phase(phase)
        return self._finish()

    def _begin_phase(self, phase: int) -> None:
        self.loop.update(phase=phase, phase_step=0)
        self.method.start_phase(phase)
        self.optimizer, self.scheduler = self._build_optimizer(phase)

    def _build_optimizer(self, phase: int) -> Optimizers:
        """A fresh optimizer (the method's) and schedule for `phase`, at that phase's rate."""
        optimizer = self.method.build_optimizer(self.phase_lrs[phase], self.config.weight_decay)
        return optimizer, build_schedule(
            optimizer, self.phase_steps[phase], self.config.warmup_ratio
        )

    def _run_phase(self, phase: int) -> None:
        total = self.phase_steps[phase]
        name = self.phases[phase]
        with progress_bar(f"train {self.method.name}:{name}", total) as progress:
            bar = progress.task_ids[0]
            progress.update(bar, completed=self.loop["phase_step"])
            while self.loop["phase_step"] < total:
                record = self._step(phase)
                progress.update(
                    bar,
                    advance=1,
                    description=f"train {self.method.name}:{name} "
                    f"loss {record['loss']:.4f} lr {record['lr']:.2e}",
                )
                self._after_step(phase, total)

    def _step(self, phase: int) -> dict[str, Any]:
        """One optimizer step, in the order documented in `language_switch`."""
        step = self.loop["step"] + 1
        self.optimizer.zero_grad(set_to_none=True)
        self.model.zero_grad(set_to_none=True)
        losses, used = [], []
        for micro in range(self.config.grad_accum):
            losses.append(self._micro_batch(step, micro, phase, used))
            self.method.after_backward()
        regularization = self.method.regularization_loss()
        if regularization is not None:
            regularization.backward()
        for callback in self.callbacks:
            callback.on_before_optimizer_step(step)
        tensors = self.method.trainable_tensors()
        all_reduce_gradients(tensors)
        grad_norm = None
        if self.config.max_grad_norm and self.config.max_grad_norm > 0:
            grad_norm = float(torch.nn.utils.clip_grad_norm_(tensors, self.config.max_grad_norm))
        lr = self.scheduler.get_last_lr()[0]
        self.optimizer.step()
        self.scheduler.step()
        self.method.after_optimizer_step(self.loop["phase_step"] + 1)
        self.loop["step"] = step
        self.loop["phase_step"] += 1
        loss = torch.stack(losses).float().mean().item()
        record = {
            "step": step,
            "phase": self.phases[phase],
            "loss": loss,
            "lr": lr,
            "grad_norm": grad_norm,
            "sources": used,
        }
        self._log_loss(record)
        for callback in self.callbacks:
            callback.on_step_end(step, record)
        return record

    def _micro_batch(self, step: int, micro: int, phase: int, used: list[str]) -> torch.Tensor:
        """Forward/backward of this rank's slice of one global batch; returns the batch's loss.

        A rank whose slice of a short last batch is empty still runs forward/backward, on the
        source's first example with weight 0: every rank then takes part in every collective a
        method may run inside its backward (SpIEL's candidate broadcast).
        """
        index, example_ids = self.sampler.next_batch()
        source = self.sources[index]
        used.append(source.name)
        batch = _to_device(source.batch(example_ids or [0]), self.device)
        with language_applied(self.model, source.language_component):
            event = MicroBatch(
                step,
                micro,
                phase,
                index,
                source.name,
                source.language,
                source.language_component,
                len(example_ids),
            )
            for callback in self.callbacks:
                callback.on_micro_batch(event)
            with torch.autocast(
                self.device.type, dtype=self.autocast, enabled=self.autocast is not None
            ):
                loss = _loss_of(self.model(**batch))
            if not is_distributed():
                (loss / self.config.grad_accum).backward()
                return loss.detach()
            units = loss_units(batch) if example_ids else 0
            weight, global_loss = share_of_global_mean(units, loss)
            (loss * weight / self.config.grad_accum).backward()
        return global_loss

    def _log_loss(self, record: dict[str, Any]) -> None:
        losses = self.loop["losses"]
        losses.append(record["loss"])
        phase_end = self.loop["phase_step"] == self.phase_steps[self.loop["phase"]]
        if record["step"] % self.config.log_every == 0 or phase_end:
            self.loop["history"].append(
                {
                    "kind": "train",
                    "step": record["step"],
                    "phase": record["phase"],
                    "loss": sum(losses) / len(losses),
                    "lr": record["lr"],
                    "grad_norm": record["grad_norm"],
                }
            )
            losses.clear()

    def _after_step(self, phase: int, total: int) -> None:
        step, every = self.loop["step"], self.config
        phase_end = self.loop["phase_step"] == total
        if self.eval_fn is not None and (
            phase_end or (every.eval_every and step % every.eval_every == 0)
        ):
            self._evaluate(phase)
        if phase_end or (every.checkpoint_every and step % every.checkpoint_every == 0):
            self._checkpoint()

    def _evaluate(self, phase: int) -> None:
        step = self.loop["step"]
        metrics = evaluate(self.model, self.eval_fn)
        self.loop["history"].append(
            {"kind": "eval", "step": step, "phase": self.phases[phase], "metrics": metrics}
        )
        log(describe(step, metrics))
        for callback in self.callbacks:
            callback.on_eval(step, metrics)
        name = self.config.best_metric
        last_phase = phase == len(self.phases) - 1  # earlier phases are not the product
        if (
            name
            and last_phase
            and is_better(metrics, self.loop["best"], name, self.config.greater_is_better)
        ):
            self.loop["best"] = {"step": step, "metrics": metrics}
            if is_main_process():
                _save_component(self.method.export(), self.output_dir / "best")

    def _checkpoint(self) -> None:
        ranks = gather_rank_states(self.sources)  # collective: every rank takes part
        if not is_main_process():
            return
        state = capture_state(
            self.args_hash,
            self.loop,
            self.method,
            (self.optimizer, self.scheduler),
            self.sampler,
            self.sources,
            ranks,
        )
        step = self.loop["step"]
        path = save_checkpoint(self.output_dir, step, state, self.config.keep_checkpoints)
        for callback in self.callbacks:
            callback.on_checkpoint(step, path)

    def _resume(self, path: Path) -> None:
        state = load_checkpoint(path)
        self.optimizer, self.scheduler = restore_state(
            state,
            path,
            self.args_hash,
            self.method,
            self._build_optimizer,
            self.sampler,
            self.sources,
        )
        self.loop = state["loop"]
        restore_rank_state(state.get("ranks"), self.sources, self.config.seed, self.loop["step"])
        phase = self.phases[self.loop["phase"]]
        log(f"resumed from {path} (step {self.loop['step']}, phase {phase})")

    def _finish(self) -> TrainResult:
        component = self.method.export()
        if is_main_process():
            _save_component(component, self.output_dir / COMPONENT_DIR)
            atomic_write_json(self.output_dir / "history.json", self.loop["history"])
        barrier()  # every rank returns once the outputs exist
        return TrainResult(
            component, self.loop["history"], self.loop["step"], self.loop["best"], self.output_dir
        )


def _loss_of(output: Any) -> torch.Tensor:
    loss = output.get("loss") if isinstance(output, dict) else getattr(output, "loss", None)
    if loss is None:
        raise ValueError("the model returned no loss: training batches must contain labels")
    return loss


def _to_device(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    return {
        k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v
        for k, v in batch.items()
    }


def _save_component(component: Component, directory: Path) -> None:
    with atomic_dir(directory, overwrite=True) as tmp:
        component.save(tmp)
