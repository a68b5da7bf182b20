"""Dotted paths into config data: `methods.0.task.steps`, `languages.jav.few_shot.k`.

A segment under a list is an index, or the `code` / `label` / `name` of an item (in that order),
so overrides and cache keys can name languages and methods instead of counting.
"""

from __future__ import annotations

from typing import Any

Path = tuple[str | int, ...]
_ITEM_KEYS = ("code", "label", "name")


class PathProblem(ValueError):
    """A dotted path that does not lead anywhere."""


def split(dotted: str) -> list[str]:
    parts = dotted.split(".")
    if not dotted or any(not p for p in parts):
        raise PathProblem(f"{dotted!r} is not a dotted key like methods.0.task.steps")
    return parts


def list_index(items: list[Any], segment: str, where: str) -> int:
    """Index of `segment` in a list: a number, or the code/label/name of exactly one item."""
    if segment.lstrip("-").isdigit():
        index = int(segment)
        if not 0 <= index < len(items):
            raise PathProblem(f"{where}: index {index} out of range (the list has {len(items)})")
        return index
    for key in _ITEM_KEYS:
        hits = [
            i for i, item in enumerate(items) if isinstance(item, dict) and item.get(key) == segment
        ]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise PathProblem(f"{where}: {segment!r} matches {len(hits)} items; use an index")
    raise PathProblem(f"{where}: no item with code, label or name {segment!r}")


def lookup(data: Any, dotted: str) -> tuple[Any, Path]:
    """The value at `dotted` and its concrete path (list items by index)."""
    node, path = data, ()
    for segment in split(dotted):
        where = ".".join(map(str, (*path, segment)))
        if isinstance(node, list):
            index = list_index(node, segment, where)
            node, path = node[index], (*path, index)
        elif isinstance(node, dict) and segment in node:
            node, path = node[segment], (*path, segment)
        else:
            raise PathProblem(f"{where}: no such key")
    return node, path
