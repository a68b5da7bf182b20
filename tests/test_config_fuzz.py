"""Whatever the file holds, loading either succeeds or raises ConfigError: never a crash."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparsexlt.config import load_config
from sparsexlt.errors import ConfigError

VALID = {
    "name": "fuzz",
    "base_model": {"name_or_path": "tiny:"},
    "task": {
        "name": "t",
        "type": "sequence-classification",
        "labels": ["a", "b"],
        "metric": "accuracy",
    },
    "languages": [
        {"code": "src", "role": "source", "task_data": {"train": {"format": "demo"}}},
        {
            "code": "tgt",
            "role": "target",
            "task_data": {"train": {"format": "demo"}, "test": {"format": "demo"}},
            "few_shot": {"k": 3},
        },
    ],
    "scenarios": ["zs", "fs-all", "ttrain-all"],
    "translation": {"enabled": True, "model": "tiny:", "adapt": {"data": {}}},
    "evaluation": {"split": "test"},
}

junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


ALL_PATHS = [p for p in _paths(VALID) if p]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), junk), min_size=1, max_size=3))
def test_mutated_configs_never_crash(tmp_path: Path, mutations):
    data = copy.deepcopy(VALID)
    for path, value in mutations:
        node = data
        try:
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    file = tmp_path / "c.yaml"
    file.write_text(yaml.safe_dump(data))
    try:
        load_config(file)
    except ConfigError as err:
        assert err.problems and all(isinstance(p, str) and ": " in p for p in err.problems)
