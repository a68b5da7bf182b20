"""Turn validation errors into lines people can act on: `field.path: what is wrong (line N)`."""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from sparsexlt.config._base import PROBLEMS_ERROR
from sparsexlt.config.dotted import Path
from sparsexlt.config.yaml_lines import LineMap

_KEY_MARK = "[key]"


def dotted_path(loc: Path) -> str:
    return ".".join(str(p) for p in loc if p != _KEY_MARK) or "(root)"


def where(loc: Path, lines: LineMap) -> str:
    """' (line N)' for the closest enclosing key that has a line; ' (from --set)' for overrides."""
    loc = tuple(p for p in loc if p != _KEY_MARK)
    for n in range(len(loc), 0, -1):
        line = lines.get(loc[:n])
        if line is not None:
            return f" ({line})" if isinstance(line, str) else f" (line {line})"
    return ""


def locate(loc: Path, message: str, lines: LineMap) -> str:
    return f"{dotted_path(loc)}: {message}{where(loc, lines)}"


def from_validation_error(err: ValidationError, root: type[BaseModel], lines: LineMap) -> list[str]:
    """One line per problem, messages rewritten to name the wrong value and the choices."""
    found = []
    for error in err.errors():
        loc = tuple(error["loc"])
        if error["type"] == PROBLEMS_ERROR:  # several problems of one model, see _base.fail
            for sub, message in error["ctx"]["items"]:
                found.append(locate((*loc, *_parts(sub)), message, lines))
        else:
            found.append(locate(loc, _message(error, root), lines))
    return found


def _parts(sub: str) -> Path:
    return tuple(int(p) if p.isdigit() else p for p in sub.split(".")) if sub else ()


def _message(error: dict[str, Any], root: type[BaseModel]) -> str:
    kind, loc, value = error["type"], tuple(error["loc"]), error.get("input")
    if kind == "extra_forbidden":
        known = _fields_at(root, loc[:-1])
        return f"unknown key {loc[-1]!r}" + _suggest(str(loc[-1]), known, "known keys")
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", error.get("ctx", {}).get("expected", ""))
        return f"{value!r} is not one of {', '.join(choices)}" + _suggest(str(value), choices)
    if kind == "missing":
        return "required, but missing"
    message = error["msg"]
    if kind in ("value_error", "assertion_error"):
        return message.split(", ", 1)[1] if ", " in message else message
    if _short(value):
        message += f" (got {value!r})"
    return message


def _short(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and len(repr(value)) <= 60


def _suggest(word: str, choices: list[str], listing: str | None = None) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    if listing and choices:
        return f"; {listing}: {', '.join(choices)}"
    return ""


def _fields_at(root: type[BaseModel], loc: Path) -> list[str]:
    """Field names of the model found by following `loc` from `root` (empty if none)."""
    model: Any = root
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            model = _model_in(model)
            if model is None:
                return []
        if isinstance(part, int) or part == _KEY_MARK:
            continue
        field = model.model_fields.get(part)
        if field is None:
            continue  # a dict key (task_data.train): stay on the value type below
        model = field.annotation
    model = model if isinstance(model, type) and issubclass(model, BaseModel) else _model_in(model)
    return list(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The BaseModel inside Optional[...], list[...], dict[..., ...] (the value side)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, dict, typing.Annotated):
        for arg in reversed(typing.get_args(annotation)):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
