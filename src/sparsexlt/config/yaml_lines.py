"""Read YAML while remembering the line of every key, so problems can say where they are.

PyYAML keeps the last of two equal keys silently; here a repeated key is a problem.
"""

from __future__ import annotations

from typing import Any

import yaml

from sparsexlt.config.dotted import Path

LineMap = dict[Path, int | str]


def parse_yaml(text: str) -> tuple[Any, LineMap, list[str]]:
    """(data, line of each key/item path (1-based), problems). `data` is None on a syntax error."""
    loader = yaml.SafeLoader(text)
    lines: LineMap = {}
    problems: list[str] = []
    try:
        node = loader.get_single_node()
        data = _build(loader, node, (), lines, problems) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        return None, {}, [_syntax_problem(exc)]
    except yaml.YAMLError as exc:
        return None, {}, [f"yaml: {exc}"]
    finally:
        loader.dispose()
    return data, lines, problems


def _syntax_problem(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
    return f"yaml: {where}{what}"


def _build(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: Path,
    lines: LineMap,
    problems: list[str],
    open_nodes: frozenset[int] = frozenset(),
) -> Any:
    if id(node) in open_nodes:  # `a: &x [*x]`: an alias inside its own anchor
        where = ".".join(map(str, path)) or "(root)"
        problems.append(f"{where}: an alias refers to itself (line {node.start_mark.line + 1})")
        return None
    open_nodes = open_nodes | {id(node)}
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, child in enumerate(node.value):
            lines[(*path, i)] = child.start_mark.line + 1
            items.append(_build(loader, child, (*path, i), lines, problems, open_nodes))
        return items
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolve `<<: *anchor` merges
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            where = ".".join(map(str, (*path, key))) or "(root)"
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                problems.append(f"{where}: a key must be a plain word (line {line})")
                continue
            if key in mapping:
                first = lines.get((*path, key))
                problems.append(f"{where}: repeated key (line {line}; first at line {first})")
            lines[(*path, key)] = line
            mapping[key] = _build(loader, value_node, (*path, key), lines, problems, open_nodes)
        return mapping
    return loader.construct_object(node, deep=True)
