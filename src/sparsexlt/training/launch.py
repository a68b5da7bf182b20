"""Starting a training command on several processes with the launcher users already have.

The training loop joins whatever process group the launcher describes (see `distributed`), so
multi-process training is "the same command, started by a launcher":

    launch_training(["train", "c.yaml"], processes=2, launcher="accelerate")

runs `python -m accelerate.commands.launch --multi_gpu --num_processes 2 … -m sparsexlt.cli
train c.yaml` (`torchrun` likewise: `python -m torch.distributed.run --standalone
--nproc_per_node 2 …`) and waits for it; the processes' output goes to ours unless captured.
This is the hook for a pipeline step's `--launcher accelerate --processes N`: the step
builds the argv of its own `sparsexlt train` call and hands it here; rank 0 writes the outputs, which the step then reads.

Notes: accelerate starts N processes only in its multi-device mode, so `--multi_gpu` is passed
for N > 1 (on a CPU-only machine too: it then runs N gloo processes). A free port is picked for
accelerate's rendezvous (torchrun's `--standalone` picks one itself), so concurrent launches on
one machine do not collide. The launched program is
the `sparsexlt.cli` module when it can run as `python -m sparsexlt.cli`, else the `sparsexlt`
console script next to this Python.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

Launcher = Literal["accelerate", "torchrun"]
LAUNCHERS: tuple[str, ...] = ("accelerate", "torchrun")
CLI_MODULE = "sparsexlt.cli"
LAUNCHED_ENV = "SPARSEXLT_LAUNCHED"  # set for the launched processes: they must not launch again


def launch_command(
    args: Sequence[str],
    processes: int,
    launcher: Launcher = "accelerate",
    *,
    module: str = CLI_MODULE,
    script: str | Path | None = None,
    port: int | None = None,
) -> list[str]:
    """The command line that runs `<program> *args` on `processes` local processes.

    program: `script` (a Python file) when given, else `python -m module` (for the CLI package
    without a `__main__`, the console script). Raises ValueError for an unknown launcher or a
    process count < 1.
    """
    if launcher not in LAUNCHERS:
        raise ValueError(f"launcher must be one of {', '.join(LAUNCHERS)}, got {launcher!r}")
    if processes < 1:
        raise ValueError(f"processes must be >= 1, got {processes}")
    if launcher == "torchrun":
        head = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
        head.append(f"--nproc_per_node={processes}")
        no_python = "--no-python"
    else:
        port = port or free_port()
        head = [sys.executable, "-m", "accelerate.commands.launch"]
        head += [f"--num_processes={processes}", "--num_machines=1", f"--main_process_port={port}"]
        head += ["--mixed_precision=no", "--dynamo_backend=no"]
        if processes > 1:
            head.append("--multi_gpu")
        no_python = "--no_python"
    return [*head, *_program(module, script, no_python), *args]


def launch_training(
    args: Sequence[str],
    processes: int,
    launcher: Launcher = "accelerate",
    *,
    module: str = CLI_MODULE,
    script: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float | None = None,
    capture: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `launch_command(...)` and wait; raises `subprocess.CalledProcessError` when any
    process fails. `env` adds to our environment (plus `SPARSEXLT_LAUNCHED`, see
    `under_launcher`); `capture` keeps the output (in the result, or in the error) instead of
    passing it through."""
    command = launch_command(args, processes, launcher, module=module, script=script)
    merged = {**os.environ, **(env or {}), LAUNCHED_ENV: launcher}
    pipe = subprocess.PIPE if capture else None
    # its own session: on a timeout or an interrupt the launcher *and its workers* are stopped
    with subprocess.Popen(
        command, env=merged, cwd=cwd, text=True, stdout=pipe, stderr=pipe, start_new_session=True
    ) as process:
        try:
            out, err = process.communicate(timeout=timeout)
        except BaseException:
            _stop_group(process)
            raise
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command, out, err)
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def _stop_group(process: subprocess.Popen[str], grace: float = 10.0) -> None:
    """SIGTERM to the launcher's whole process group, SIGKILL after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def under_launcher() -> bool:
    """True in a process a launcher started (ours, or `accelerate launch`/`torchrun` by hand):
    a pipeline step that would launch its training runs it in place instead."""
    return bool(os.environ.get(LAUNCHED_ENV)) or int(os.environ.get("WORLD_SIZE", "1")) > 1


def free_port() -> int:
    """A TCP port free on this machine right now (for the rendezvous of a local launch)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _program(module: str, script: str | Path | None, no_python: str) -> list[str]:
    if script is not None:
        return [str(script)]
    if _runnable_module(module):
        return ["-m", module]
    executable = Path(sys.executable).with_name(module.split(".")[0])
    if module == CLI_MODULE and executable.exists():
        return [no_python, str(executable)]
    raise ValueError(f"cannot run {module!r} as a module (no {module}.__main__)")


def _runnable_module(module: str) -> bool:
    spec = importlib.util.find_spec(module)
    if spec is None:
        return False
    if spec.submodule_search_locations is None:
        return True  # a plain module runs as itself
    return importlib.util.find_spec(f"{module}.__main__") is not None
