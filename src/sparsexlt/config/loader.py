"""`load_config`: YAML file + overrides → a validated `PipelineConfig`, or every problem at once.

Path rules (inputs are found relative to who named them; outputs land where you run):
- `data_dir` written in the file resolves against the file's folder; given as an override
  (`--set data_dir=...`), against the working directory; absent, it is the file's folder.
- Data paths resolve against `data_dir`; local model folders (`base_model.name_or_path`,
  `translation.model`) written in the file against the file's folder, given with `--set`
  against the working directory.
- `output_dir` and `results_db` resolve against the working directory.
After loading every path is absolute, and every local data file, model folder and `pkg:` model
was checked to exist (unless `check_files=False`), so a run fails before any work starts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sparsexlt.config._base import absolute, looks_like_path
from sparsexlt.config.cross_checks import cross_field_problems
from sparsexlt.config.dotted import Path as KeyPath
from sparsexlt.config.overrides import Overrides, apply_overrides, parse_overrides
from sparsexlt.config.pipeline import CrossFieldError, PipelineConfig
from sparsexlt.config.problems import from_validation_error, locate
from sparsexlt.config.yaml_lines import LineMap, parse_yaml
from sparsexlt.errors import ConfigError

MODEL_PATHS = (("base_model", "name_or_path"), ("translation", "model"))


def load_config(
    path: str | Path, overrides: Overrides = None, *, check_files: bool = True
) -> PipelineConfig:
    """Read, override, resolve and validate a pipeline config.

    `overrides`: `["methods.0.task.steps=10", ...]` (values parsed as YAML) or a dict
    `{"methods.0.task.steps": 10}` (values used as given); list items may be named by index or by
    their code/label/name (`languages.jav.few_shot.k=50`).
    Raises `ConfigError(path, problems)` listing every problem as `field.path: message (line N)`.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, ["config: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [f"config: cannot read ({exc})"]) from None

    data, lines, problems = parse_yaml(text)
    if data is None:
        raise ConfigError(path, problems)
    if not isinstance(data, dict):
        raise ConfigError(path, [f"(root): expected a mapping of settings, got {_kind(data)}"])

    pairs, override_problems = parse_overrides(overrides)
    set_paths, apply_problems = apply_overrides(data, pairs)
    problems += override_problems + apply_problems
    for set_path in set_paths:  # the key and any section the override created
        for stale in [p for p in lines if p[: len(set_path)] == set_path]:
            del lines[stale]  # the file's lines of what the override replaced
        lines[set_path] = "from --set"
        for n in range(1, len(set_path)):
            lines.setdefault(set_path[:n], "from --set")

    _pin_model_paths(data, set_paths)
    config_dir = absolute(path).parent
    ctx = _context(data, config_dir, overridden=("data_dir",) in set_paths, check_files=check_files)
    problems += _data_dir_problems(ctx, lines, check_files)
    try:
        config = PipelineConfig.model_validate(data, context=ctx)
    except ValidationError as err:
        problems += from_validation_error(err, PipelineConfig, lines)
        problems += [locate(loc, msg, lines) for loc, msg in cross_field_problems(data)]
    except CrossFieldError as err:
        problems += [locate(loc, msg, lines) for loc, msg in err.located]
    if problems:
        raise ConfigError(path, list(dict.fromkeys(problems)))
    config._source = absolute(path)
    config._overrides = _as_text(overrides)
    return config


def _as_text(overrides: Overrides) -> tuple[str, ...]:
    """The overrides as `key=value` strings that load the same config again (in a launched
    training process). A mapping's values are written as JSON, which YAML reads back as is."""
    if overrides is None:
        return ()
    if isinstance(overrides, Mapping):
        return tuple(f"{k}={json.dumps(v, default=str)}" for k, v in overrides.items())
    return tuple(str(item) for item in overrides)


def _pin_model_paths(data: dict[str, Any], set_paths: list[KeyPath]) -> None:
    """A local model path given with `--set` resolves against the working directory (as typed
    in the shell, like `--set data_dir=...`): made absolute here, before validation would
    resolve it against the config folder."""
    for key in MODEL_PATHS:
        if not any(key[: len(p)] == p for p in set_paths):
            continue
        section = data.get(key[0])
        ref = section.get(key[1]) if isinstance(section, dict) else None
        if isinstance(ref, str) and looks_like_path(ref):
            section[key[1]] = str(absolute(ref))


def _context(
    data: dict[str, Any], config_dir: Path, *, overridden: bool, check_files: bool
) -> dict:
    """Resolve `data_dir` in `data` (in place) and build the validation context."""
    raw = data.get("data_dir")
    ctx: dict[str, Any] = {"config_dir": config_dir, "check_files": check_files}
    if raw is None:
        data_dir = config_dir
    elif isinstance(raw, str):
        data_dir = absolute(raw) if overridden else absolute(raw, config_dir)
    else:
        return ctx  # not a path: validation reports it; data paths stay unresolved
    data["data_dir"] = str(data_dir)
    ctx["data_dir"] = data_dir
    ctx["data_dir_exists"] = data_dir.is_dir()
    return ctx


def _data_dir_problems(ctx: dict, lines: LineMap, check_files: bool) -> list[str]:
    data_dir = ctx.get("data_dir")
    if not check_files or data_dir is None or ctx["data_dir_exists"]:
        return []
    hint = "; relative data paths were not checked (pass --set data_dir=...)"
    return [locate(("data_dir",), f"directory not found: {data_dir}{hint}", lines)]


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
