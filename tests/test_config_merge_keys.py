"""YAML merge keys (`<<: *anchor`) read as PyYAML reads them, without false "repeated key"
problems, and with the line of every key where it was written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sparsexlt.config import load_config
from sparsexlt.config.yaml_lines import parse_yaml
from sparsexlt.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "configs" / "demo.yaml"

MERGES = [
    "b: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n",
    "b: &b {xlong: 1, ylong: {q: 1}}\nm: {<<: *b, ylong: {r: 2}}\n",
    "m: {<<: {a: 1}, b: 2}\n",
]


@pytest.mark.parametrize("text", MERGES)
def test_merges_read_like_pyyaml_and_are_not_repeated_keys(text: str):
    data, _, problems = parse_yaml(text)
    assert problems == []
    assert data == yaml.safe_load(text)


def test_several_sources_merge_in_order_earlier_wins():
    # the YAML merge-key spec; PyYAML 6.0.4 itself lets the later source win for keys longer
    # than one character (it dedupes by the key string's identity), so it is not the reference
    text = "b: &b {xlong: 1, ylong: 2}\nc: &c {ylong: 3, zlong: 4}\nm:\n  <<: [*b, *c]\n"
    text += "  zlong: 5\nn:\n  <<: *b\n  <<: {xlong: 2, w: 3}\n"
    data, _, problems = parse_yaml(text)
    assert problems == []
    assert data["m"] == {"xlong": 1, "ylong": 2, "zlong": 5}
    assert data["n"] == {"xlong": 1, "ylong": 2, "w": 3}


def test_explicit_key_overrides_a_merged_one_and_keeps_its_line():
    text = "base: &base\n  steps: 20\n  lr: 0.1\nlanguage:\n  <<: *base\n  steps: 30\n"
    data, lines, problems = parse_yaml(text)
    assert problems == [] and data["language"] == {"steps": 30, "lr": 0.1}
    assert lines[("language", "steps")] == 6  # the explicit key, not the anchor's line 2
    assert lines[("language", "lr")] == 3  # a merged key: where the anchor wrote it


def test_earlier_merge_source_wins_and_nested_lines_follow_the_winner():
    text = "a: &a {k: {p: 1}}\nb: &b {k: {q: 2}, z: 0}\nm:\n  <<: [*a, *b]\n"
    data, lines, problems = parse_yaml(text)
    assert problems == [] and data["m"] == {"k": {"p": 1}, "z": 0}
    assert lines[("m", "k", "p")] == 1 and ("m", "k", "q") not in lines


def test_repeated_explicit_keys_are_still_problems_once():
    text = "b: &b {x: 1, x: 2}\nm:\n  <<: *b\n  y: 1\n  y: 2\n"
    _, _, problems = parse_yaml(text)
    assert problems == [
        "b.x: repeated key (line 1; first at line 1)",
        "m.y: repeated key (line 5; first at line 4)",
    ]


def test_bad_merge_value_and_self_merge_are_problems():
    data, _, problems = parse_yaml("m: {<<: 1}\n")
    assert data is None and "expected a mapping or list of mappings for merging" in problems[0]
    _, _, problems = parse_yaml("a: &x {<<: *x}\n")
    assert problems == ["a: an alias refers to itself (line 1)"]


def test_demo_with_a_merged_method_section_loads(tmp_path: Path):
    text = DEMO.read_text()
    text = text.replace(
        "x-demo: &demo {format: demo}",
        "x-demo: &demo {format: demo}\nx-lang: &lang {k: 0.1, steps: 20, lr: 1.0e-2, batch_size: 16}",
    )
    old = "    language: {k: 0.1, steps: 20, lr: 1.0e-2, batch_size: 16, extra: {reselection_interval: 10}}"
    assert old in text
    text = text.replace(old, "    language:\n      <<: *lang\n      steps: 30\n      steps_x: 1")
    path = tmp_path / "merge.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    line = text.splitlines().index("      steps_x: 1") + 1
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith("methods.0.language.steps_x: unknown key")
    assert info.value.problems[0].endswith(f"(line {line})")
    path.write_text(text.replace("      steps_x: 1\n", ""))
    assert load_config(path).methods[0].language.steps == 30
