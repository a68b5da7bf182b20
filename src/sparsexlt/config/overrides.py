"""`--set key=value` overrides, applied to the raw YAML data before validation.

Values given as strings are read as YAML scalars or flow collections (`10` is an int, `true` a
bool, `null` None, `[zs, fs-all]` a list, `{k: 5}` a mapping); anything else stays a string
(`tiny:` included, which block YAML would read as a mapping). A
missing key is created (and then reported by validation if the schema does not know it).
A value that must be read back exactly as given (a path from `--output-dir`: `runs #1` would
lose `#1` to YAML's comment rule, `2024-01-01` become a date) is written with `verbatim`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from sparsexlt.config import dotted
from sparsexlt.config.dotted import Path, PathProblem

Overrides = Mapping[str, Any] | Sequence[str] | None
_YAML_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def parse_overrides(overrides: Overrides) -> tuple[list[tuple[str, Any]], list[str]]:
    """Normalise overrides to (dotted key, value) pairs; problems for malformed `key=value`."""
    if overrides is None:
        return [], []
    if isinstance(overrides, Mapping):
        return [(str(k), v) for k, v in overrides.items()], []
    pairs, problems = [], []
    for item in overrides:
        key, sep, text = str(item).partition("=")
        if not sep or not key.strip():
            problems.append(f"--set {item!r}: write key=value, e.g. methods.0.task.steps=10")
            continue
        pairs.append((key.strip(), _scalar(text)))
    return pairs, problems


def verbatim(key: str, value: Any) -> str:
    """`key=value` with the value JSON-quoted, so `parse_overrides` reads back exactly `value`
    (JSON is YAML; a JSON string is a double-quoted YAML scalar). Characters YAML would fold or
    refuse there (NEL, line/paragraph separators, other non-printables) are escaped too."""
    quoted = json.dumps(str(value), ensure_ascii=False)
    return f"{key}={_YAML_UNSAFE.sub(_escape, quoted)}"


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _scalar(text: str) -> Any:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, (dict, list)) and not text.lstrip().startswith(("{", "[")):
        return text  # `tiny:` or `a - b` are text, not block YAML; collections need { } or [ ]
    return value


def apply_overrides(
    data: dict[str, Any], pairs: list[tuple[str, Any]]
) -> tuple[list[Path], list[str]]:
    """Set each value in `data` (in place). Returns the concrete paths set, and problems."""
    paths, problems = [], []
    for key, value in pairs:
        try:
            paths.append(_set(data, key, value))
        except PathProblem as exc:
            problems.append(f"--set {key}: {exc}")
    return paths, problems


def _set(data: dict[str, Any], key: str, value: Any) -> Path:
    parts = dotted.split(key)
    node: Any = data
    path: Path = ()
    for i, segment in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(map(str, (*path, segment)))
        if isinstance(node, list):
            index = dotted.list_index(node, segment, where)
            if last:
                node[index] = value
            node, path = node[index], (*path, index)
        elif isinstance(node, dict):
            if last:
                node[segment] = value
            elif node.get(segment) is None:
                node[segment] = {}  # create a missing (or null) section on the way down
            node, path = node[segment], (*path, segment)
        else:
            raise PathProblem(f"{'.'.join(map(str, path))} is a value, not a section")
    return path
