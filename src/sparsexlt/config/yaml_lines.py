"""Read YAML while remembering the line of every key, so problems can say where they are.

PyYAML keeps the last of two equal keys silently; here a repeated key is a problem. Merge keys
(`<<: *anchor`, `<<: [*a, *b]`) follow PyYAML: a mapping's own keys override merged ones, and an
earlier merge source wins over a later one; neither counts as a repeated key. A merged key's
line is where the anchor wrote it; an explicit key's line is its own.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError

from sparsexlt.config.dotted import Path

LineMap = dict[Path, int | str]
MERGE_TAG = "tag:yaml.org,2002:merge"
VALUE_TAG = "tag:yaml.org,2002:value"
STR_TAG = "tag:yaml.org,2002:str"


def parse_yaml(text: str) -> tuple[Any, LineMap, list[str]]:
    """(data, line of each key/item path (1-based), problems). `data` is None on a syntax error."""
    loader = yaml.SafeLoader(text)
    lines: LineMap = {}
    problems: list[str] = []
    try:
        node = loader.get_single_node()
        builder = _Builder(loader)
        data = builder.build(node, (), lines, problems) if node is not None else {}
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


class _Builder:
    """Builds Python data from composed nodes, recording lines and problems on the way.

    `built` holds the mapping nodes already built once: a merge source that is an alias of one
    (the usual `<<: *anchor`) reports its own problems where the anchor is, not again here.
    """

    def __init__(self, loader: yaml.SafeLoader):
        self.loader = loader
        self.built: set[int] = set()

    def build(
        self,
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
                items.append(self.build(child, (*path, i), lines, problems, open_nodes))
            return items
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, lines, problems, open_nodes)
        return self.loader.construct_object(node, deep=True)

    def _mapping(
        self,
        node: yaml.MappingNode,
        path: Path,
        lines: LineMap,
        problems: list[str],
        open_nodes: frozenset[int],
    ) -> dict[Any, Any]:
        self.built.add(id(node))
        # (key, value, lines under the key) in PyYAML's assignment order: the last source first,
        # the mapping's own keys last; the last assignment of a key wins.
        entries: list[tuple[Any, Any, LineMap]] = []
        for source in reversed(_merge_sources(node)):
            seen_before = id(source) in self.built and id(source) not in open_nodes
            source_lines: LineMap = {}
            merged = self.build(
                source, path, source_lines, [] if seen_before else problems, open_nodes
            )
            if isinstance(merged, dict):
                entries += [(k, v, _under(source_lines, (*path, k))) for k, v in merged.items()]
        own: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            if key_node.tag == VALUE_TAG:  # `=` as a key is the string "=" (as in PyYAML)
                key_node.tag = STR_TAG
            key = self.loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            where = ".".join(map(str, (*path, key))) or "(root)"
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                problems.append(f"{where}: a key must be a plain word (line {line})")
                continue
            if key in own:
                problems.append(f"{where}: repeated key (line {line}; first at line {own[key]})")
            else:
                own[key] = line
            key_lines: LineMap = {(*path, key): line}
            value = self.build(value_node, (*path, key), key_lines, problems, open_nodes)
            entries.append((key, value, key_lines))
        winners: dict[Any, tuple[Any, LineMap]] = {}
        for key, value, key_lines in entries:
            winners[key] = (value, key_lines)
        for _, key_lines in winners.values():
            lines.update(key_lines)
        return {key: value for key, (value, _) in winners.items()}


def _merge_sources(node: yaml.MappingNode) -> list[yaml.MappingNode]:
    """The mappings merged into `node` by its `<<` keys, earliest first."""
    sources: list[yaml.MappingNode] = []
    for key_node, value_node in node.value:
        if key_node.tag != MERGE_TAG:
            continue
        if isinstance(value_node, yaml.MappingNode):
            sources.append(value_node)
        elif isinstance(value_node, yaml.SequenceNode) and all(
            isinstance(item, yaml.MappingNode) for item in value_node.value
        ):
            sources += value_node.value
        else:
            raise ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"expected a mapping or list of mappings for merging, but found {value_node.id}",
                value_node.start_mark,
            )
    return sources


def _under(lines: LineMap, prefix: Path) -> LineMap:
    return {p: line for p, line in lines.items() if p[: len(prefix)] == prefix}
