"""Two gloo processes train the same SFT as one process, send ∝ K, write files on rank 0 only,
and resume from the same checkpoint.

One `accelerate launch` of two processes (gloo, one torch thread each; the group joined from
the environment like any launched `sparsexlt train`) runs every case, so the ~30 s it costs to
start and import twice is paid once; the single-process references run in the test process.
Equivalence is defined without randomness during training: no dropout, no random masking
(see `sparsexlt.training.rank_states`). The global batch of 5 splits 2 + 3, so a per-rank
mean that ignored the uneven counts would be caught (`sparsexlt.training.shared_loss`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from sft_tiny import (  # noqa: F401
    TinyTaskModel,
    folder_tensors,
    one_torch_thread,
    random_delta,
    tiny_batch,
)
from sparsexlt.adapters.registry import get_method
from sparsexlt.errors import ConfigError
from sparsexlt.training import Callback, Source, TrainConfig, train
from sparsexlt.training import distributed as dd
from sparsexlt.training.launch import launch_training

pytestmark = pytest.mark.slow  # one launch of two processes: ~40-50 s on a loaded 2-core box

K = 300
LANGUAGE_NAMES = [
    "encoder.layer.0.attention.self.query.weight",
    "encoder.layer.1.output.dense.weight",
]
CASES = {
    "full": {},
    "lora": {"r": 2, "seed": 1},
    "lt-sft": {"k": K},
    "madx": {"reduction_factor": 4},
    # K = half of every target matrix: the first reselection (after step 2, p = 1) drops all
    # and its candidates are all inactive entries, so growth is the same however the dense
    # gradient that picks candidates is split (rank 0's slice, or the whole batch)
    "spiel-ag": {"k": 8192, "reselection_interval": 2, "selection_window": 1, "total_steps": 3},
    "spiel-ma": {"k": 8192, "reselection_interval": 2, "total_steps": 3},
}
SPIEL_K = 8192
# a usual SpIEL: few candidates, three reselections in 6 steps, each choosing by Σg
SPIEL_SMALL = {"k": 600, "reselection_interval": 2, "selection_window": 1, "seed": 1}
# a checkpoint (step 3) inside an open window (steps 3-4) that has chosen its candidates
SPIEL_RESUME = {"k": 600, "reselection_interval": 4, "selection_window": 2, "seed": 1}
WITH_LANGUAGE = ("full", "lt-sft", "spiel-ag", "spiel-ma")
# Adam divides by sqrt(v): where a gradient is ~0 (an attention key bias: softmax ignores it),
# summation-order rounding moves an entry by up to lr per step, so the bar is relative to lr.
ATOL = 4e-3 * 5e-3
CONFIG = dict(
    steps=3, batch_size=5, grad_accum=2, lr=5e-3, checkpoint_every=2, log_every=1, device="cpu"
)


def dataset(n: int, seed: int, length: int = 10) -> list[dict[str, torch.Tensor]]:
    """`tiny_batch` as `n` examples (rows)."""
    batch = tiny_batch(seed, n, length)
    return [{key: column[i] for key, column in batch.items()} for i in range(n)]


def sources(model: TinyTaskModel, with_language: bool) -> list[Source]:
    """Two sources; with `with_language` the second applies a language SFT per batch."""
    language = random_delta(model.backbone, LANGUAGE_NAMES, 200, seed=7) if with_language else None
    return [
        Source("src", "eng", dataset(11, seed=1)),  # batches 5, 5, 1: slices 2+3 and 0+1
        Source("lang", "xxx", dataset(9, seed=2), language_component=language, upsample=2.0),
    ]


class StepBytes(Callback):
    """Bytes sent per optimizer step, by kind, and the checkpoints this rank was told about."""

    def __init__(self) -> None:
        self.steps: list[dict] = []
        self.sizes: list[int] = []
        self.checkpoints = 0
        self._last: dict[str, int] = {}

    def on_step_end(self, step: int, record: dict) -> None:
        now = dd.communication_bytes()
        delta = {k: v - self._last.get(k, 0) for k, v in now.items()}
        self.steps.append({"phase": record["phase"], "train_loss": record["loss"], **delta})
        self._last = now

    def on_micro_batch(self, batch) -> None:
        self.sizes.append(batch.size)

    def on_checkpoint(self, step: int, path: Path) -> None:
        self.checkpoints += 1


class IndexLog(Callback):
    """A hash of SpIEL's whole index set after every step."""

    def __init__(self, method) -> None:
        self.method, self.hashes = method, []

    def on_step_end(self, step: int, record: dict) -> None:
        self.hashes.append(digest(self.method.store.indices))


def digest(t: torch.Tensor) -> str:
    return hashlib.sha256(t.detach().cpu().contiguous().numpy().tobytes()).hexdigest()[:16]


class StopAt(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, step: int, record: dict) -> None:
        if step == self.step:
            raise KeyboardInterrupt(f"stopped at step {step}")


def run_case(name: str, output_dir: Path, callbacks=(), **config) -> dict:
    """Train method `name` on a fresh tiny model; returns the export's tensors and the history."""
    model = TinyTaskModel(seed=0)
    method = get_method(name)(**CASES[name])
    result = train(
        model,
        method,
        sources(model, with_language=name in WITH_LANGUAGE),
        TrainConfig(**{**CONFIG, **config}),
        output_dir=output_dir,
        callbacks=callbacks,
    )
    return {"history": result.history, "component": result.component, "steps": result.steps}


def export_tensors(component, directory: Path) -> dict[str, torch.Tensor]:
    component.save(directory)
    return folder_tensors(directory)


def spiel_small(output_dir: Path, hparams=SPIEL_SMALL, callbacks=(), **config) -> dict:
    model = TinyTaskModel(seed=0)
    method = get_method("spiel-ag")(**hparams)
    log = IndexLog(method)
    config = TrainConfig(**{**CONFIG, "steps": 6, **config})
    result = train(
        model,
        method,
        sources(model, True),
        config,
        output_dir=output_dir,
        callbacks=[log, *callbacks],
    )
    return {"hashes": log.hashes, "repairs": method.repairs, "component": result.component}


def spiel_repair(rank: int) -> dict:
    """Ranks that drew different initial sets (another seed each) and φ: rank 0's win."""
    model = TinyTaskModel(seed=0)
    method = get_method("spiel-ag")(k=600, seed=10 + rank)
    method.attach(model)
    torch.manual_seed(rank)
    method.store.phi.normal_(0, 0.1)
    method.store.merge_all()
    before = method.store.indices.clone()
    method.use_collectives(dd.Collectives())
    weights = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    return {
        "repairs": method.repairs,
        "changed": not torch.equal(before, method.store.indices),
        "indices": digest(method.store.indices),
        "weights": digest(weights),
    }


def worker(tmp: str) -> None:
    """What each launched process runs (from WORKER, under `accelerate launch`)."""
    torch.set_num_threads(1)
    assert dd.init_from_environment() and dd.world_size() == 2
    rank = dd.rank()
    tmp_path = Path(tmp)
    report: dict = {}
    with dd.main_process_first():
        time.sleep(0.2 * (1 - rank))  # rank 0 is slower, and still first
        with (tmp_path / "order.txt").open("a") as f:
            f.write(str(rank))
        report["inside"] = [dd.is_distributed(), dd.world_size(), dd.rank()]
    report["after"] = [dd.is_distributed(), dd.world_size(), dd.rank()]
    try:
        with dd.main_process_first():
            if rank == 0:
                raise ValueError("rank 0 could not build it")
            report["ran_after_failure"] = True
    except (ValueError, RuntimeError) as error:
        report["failure"] = f"{type(error).__name__}: {error}"
    try:
        for name in CASES:
            dd.reset_bytes_reduced()
            counter = StepBytes()
            # rank 1 gets a directory of its own: it must stay empty (rank 0 writes everything)
            out = run_case(name, tmp_path / f"run-{name}-rank{rank}", [counter])
            export_tensors(out["component"], tmp_path / f"export-{name}-rank{rank}")
            report[name] = {
                "steps": counter.steps,
                "checkpoints": counter.checkpoints,
                "sizes": counter.sizes,
            }
        # resume: shared output_dir, interrupted after step 3 (checkpoint at step 2), restarted
        shared = tmp_path / "resume-shared"
        with contextlib.suppress(KeyboardInterrupt):
            run_case("lt-sft", shared, [StopAt(3)])
        dist.barrier()
        resumed = run_case("lt-sft", shared)
        export_tensors(resumed["component"], tmp_path / f"export-resumed-rank{rank}")
        report["resumed"] = {"history": resumed["history"], "steps": resumed["steps"]}
        small = spiel_small(tmp_path / f"spiel-small-{rank}")
        report["spiel-small"] = {"hashes": small["hashes"], "repairs": small["repairs"]}
        for run in ("whole", "resumed"):  # SpIEL resumed from inside a growth window
            out, stop = tmp_path / f"spiel-{run}", [StopAt(4)] if run == "resumed" else []
            with contextlib.suppress(KeyboardInterrupt):
                spiel_small(out, SPIEL_RESUME, stop, checkpoint_every=3)
            done = spiel_small(out, SPIEL_RESUME, checkpoint_every=3)
            export_tensors(done["component"], tmp_path / f"export-spiel-{run}-rank{rank}")
        report["repair"] = spiel_repair(rank)
        # left interrupted, for the test process to resume alone
        with contextlib.suppress(KeyboardInterrupt):
            run_case("lt-sft", tmp_path / "resume-alone", [StopAt(3)])
        # ranks that see different newest checkpoints refuse, all of them
        try:
            run_case("full", tmp_path / f"run-full-rank{rank}")
        except ConfigError as error:
            report["disagree"] = str(error)
    finally:
        dist.destroy_process_group()  # also tests that train() does not rely on a live group
    (tmp_path / f"report-{rank}.json").write_text(json.dumps(report))


WORKER = "import sys\nimport test_distributed_training as t\nt.worker(sys.argv[1])\n"


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("dist")
    (tmp / "worker.py").write_text(WORKER)
    env = {"PYTHONPATH": str(Path(__file__).parent), "SPARSEXLT_QUIET": "1"}
    launch_training([str(tmp)], 2, "accelerate", script=tmp / "worker.py", env=env, timeout=400)
    return tmp


@pytest.fixture(scope="module")
def single_process_runs(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("single")
    out = {}
    for name in CASES:
        result = run_case(name, tmp / f"run-{name}")
        out[name] = {**result, "tensors": export_tensors(result["component"], tmp / f"x-{name}")}
    return out


def report(tmp: Path, rank: int) -> dict:
    return json.loads((tmp / f"report-{rank}.json").read_text())


def exported(tmp: Path, name: str, rank: int) -> dict[str, torch.Tensor]:
    return folder_tensors(tmp / f"export-{name}-rank{rank}")


def assert_same_tensors(a: dict, b: dict, exact: bool = False) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if exact or not a[key].is_floating_point():
            assert torch.equal(a[key], b[key]), key
        else:
            torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=ATOL, msg=key)


@pytest.mark.parametrize("name", list(CASES))
def test_two_processes_train_the_same_sft_as_one(two_process_run, single_process_runs, name):
    single = single_process_runs[name]["tensors"]
    rank0, rank1 = exported(two_process_run, name, 0), exported(two_process_run, name, 1)
    assert_same_tensors(rank0, rank1, exact=True)  # both ranks hold the very same φ
    assert_same_tensors(rank0, single)
    sizes = [report(two_process_run, r)[name]["sizes"] for r in (0, 1)]
    if name == "lt-sft":  # the 1-example batch: rank 0's slice is empty, rank 1's holds it
        assert (0, 1) in list(zip(*sizes, strict=True))
    losses = [s["train_loss"] for s in report(two_process_run, 0)[name]["steps"]]
    singles = [h["loss"] for h in single_process_runs[name]["history"] if h["kind"] == "train"]
    assert losses == pytest.approx(singles, rel=1e-4)  # the logged loss is the global batch's


def trainable_count(name: str, phase: str) -> int:
    model = TinyTaskModel(seed=0)
    method = get_method(name)(**CASES[name])
    method.attach(model)
    method.start_phase(method.phases().index(phase))
    return sum(t.numel() for t in method.trainable_tensors())


def test_bytes_per_step_are_the_trainable_gradients_only(two_process_run):
    steps = report(two_process_run, 0)
    head = sum(p.numel() for p in TinyTaskModel(seed=0).head.parameters())
    all_params = sum(p.numel() for p in TinyTaskModel(seed=0).parameters())
    sparse = [s for s in steps["lt-sft"]["steps"] if s["phase"] == "sparse"]
    assert sparse and all(s["gradients"] == 4 * (K + head) for s in sparse)
    assert all(s["gradients"] == 4 * all_params for s in steps["full"]["steps"])
    for name in ("lora", "madx"):
        count = trainable_count(name, "train")
        assert all(s["gradients"] == 4 * count for s in steps[name]["steps"])
    # besides the gradients, two float64 per micro-batch (loss units and sum)
    assert all(s["loss"] == 16 * CONFIG["grad_accum"] for s in steps["full"]["steps"])


def test_only_rank_zero_writes(two_process_run):
    for name in CASES:
        assert not (two_process_run / f"run-{name}-rank1").exists()  # rank 1 created nothing
        written = {p.name for p in (two_process_run / f"run-{name}-rank0").iterdir()}
        assert written == {"checkpoints", "component", "history.json", "train_args.json"}
        expected = 4 if name == "lt-sft" else 2  # every 2 steps and at each phase end
        assert report(two_process_run, 0)[name]["checkpoints"] == expected
        assert report(two_process_run, 1)[name]["checkpoints"] == 0


def test_both_ranks_resume_from_the_shared_checkpoint(two_process_run, single_process_runs):
    for rank in (0, 1):
        resumed = report(two_process_run, rank)["resumed"]
        assert resumed["steps"] == 6
        assert_same_tensors(  # bit for bit the uninterrupted two-process run
            exported(two_process_run, "resumed", rank),
            exported(two_process_run, "lt-sft", 0),
            exact=True,
        )
    assert_same_tensors(
        exported(two_process_run, "resumed", 0), single_process_runs["lt-sft"]["tensors"]
    )


def test_a_two_process_checkpoint_resumes_in_one_process(two_process_run, single_process_runs):
    """The sampler's position counts global batches, so the process count may change."""
    result = run_case("lt-sft", two_process_run / "resume-alone")
    assert result["steps"] == 6
    tensors = export_tensors(result["component"], two_process_run / "export-alone")
    assert_same_tensors(tensors, single_process_runs["lt-sft"]["tensors"])


def test_ranks_that_see_different_checkpoints_refuse(two_process_run):
    for rank in (0, 1):
        message = report(two_process_run, rank)["disagree"]
        assert "rank 0: step-00000003" in message and "rank 1: none" in message
        assert "shares" in message


def test_main_process_first_runs_rank_zero_before_the_others(two_process_run):
    assert (two_process_run / "order.txt").read_text() == "01"
    for rank in (0, 1):
        # inside, each process works alone (a training there does not wait for the others)
        assert report(two_process_run, rank)["inside"] == [False, 1, 0]
        assert report(two_process_run, rank)["after"] == [True, 2, rank]
        assert "ran_after_failure" not in report(two_process_run, rank)
    assert report(two_process_run, 0)["failure"] == "ValueError: rank 0 could not build it"
    assert report(two_process_run, 1)["failure"].startswith("RuntimeError: rank 1: rank 0 failed")


def test_spiel_reselection_is_identical_on_every_rank(two_process_run):
    small = [report(two_process_run, r)["spiel-small"] for r in (0, 1)]
    assert small[0]["hashes"] == small[1]["hashes"]
    hashes = small[0]["hashes"]
    changed = [i + 1 for i in range(1, len(hashes)) if hashes[i] != hashes[i - 1]]
    assert changed == [2, 4, 6]  # every reselection changed the set, on both ranks alike
    assert small[0]["repairs"] == small[1]["repairs"] == 0  # agreed without being told


def test_spiel_ranks_that_disagree_adopt_rank_zeros_set(two_process_run):
    repair = [report(two_process_run, r)["repair"] for r in (0, 1)]
    assert [r["changed"] for r in repair] == [False, True]
    assert repair[0]["repairs"] == repair[1]["repairs"] == 1
    assert repair[0]["indices"] == repair[1]["indices"]
    assert repair[0]["weights"] == repair[1]["weights"]  # rank 0's φ merged on rank 1 too


def test_spiel_sends_candidates_statistics_and_indices_only_around_a_reselection(
    two_process_run,
):
    head = sum(p.numel() for p in TinyTaskModel(seed=0).head.parameters())
    for name in ("spiel-ag", "spiel-ma"):
        steps = report(two_process_run, 0)[name]["steps"]
        assert all(s["gradients"] == 4 * (SPIEL_K + head) for s in steps)
        statistics = [s.get("statistics", 0) for s in steps]
        indices = [s.get("indices", 0) for s in steps]
        # step 1 also holds the agreement on the initial set, when the collectives arrived
        assert indices[0] == 4 * SPIEL_K + 4
        if name == "spiel-ag":  # window during step 2: candidates, Σg; then reselection
            assert statistics == [0, 4 * SPIEL_K, 0]
            assert indices[1:] == [4 * SPIEL_K + 4 * SPIEL_K + 4, 0]
        else:  # MA grows from SM3's accumulators, identical on every rank: no statistics
            assert statistics == [0, 0, 0]
            assert indices[1:] == [4 * SPIEL_K + 4, 0]


def test_spiel_resumes_from_a_checkpoint_inside_a_growth_window(two_process_run):
    whole = exported(two_process_run, "spiel-whole", 0)
    for rank in (0, 1):
        assert_same_tensors(exported(two_process_run, "spiel-resumed", rank), whole, exact=True)
