"""Where a problem in a YAML file is, in words its reader understands: file, line, key and a plain message.

Used for warner's config and for the playbooks: any pydantic model validated from a YAML node. A
misspelled key gets the key it most likely meant; pydantic's messages that speak of Python
(dictionary, instance of NotifyConfig) are reworded for someone who wrote YAML.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any

import yaml
from pydantic import BaseModel

from warner.config.common import format_loc


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a config file, located for a human."""

    file: str
    field: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


class ConfigError(Exception):
    """The config could not be loaded; ``issues`` says where and why."""

    def __init__(self, issues: list[ConfigIssue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))



def issue_order(issue: ConfigIssue) -> tuple[bool, int, str]:
    """Problems in the order of the file, so they can be fixed top to bottom; those without a line (a default,
    an environment variable) last."""
    return issue.line is None, issue.line or 0, issue.field



def clean_loc(loc: Any) -> list[Any]:
    return [part for part in loc if not (isinstance(part, str) and part.startswith("function-"))]


_FIELD_PART = re.compile(r"\.?([^.\[\]]+)|\[([^\]]*)\]")


def parse_field(field: str) -> list[str | int]:
    """``escalation.policies[0].steps[1]`` to ``["escalation", "policies", 0, "steps", 1]``."""
    parts: list[str | int] = []
    for match in _FIELD_PART.finditer(field):
        key, index = match.groups()
        parts.append(key if key is not None else (int(index) if index.isdigit() else index))
    return parts


def line_of(root: yaml.Node | None, loc: list[Any]) -> int | None:
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        child = child_node(node, part)
        if child is None:
            break
        node, line = child
    return line


def locate_error(filename: str, root: yaml.Node | None, err: Any, model: type[BaseModel] | None = None) -> ConfigIssue:
    """A pydantic error as an issue at its key and line. With ``model`` (what the whole file is validated
    against) its message is put in the file's terms, and an unknown key gets the key it most likely means."""
    loc = clean_loc(err["loc"])
    message = _message(err, loc, model) if model is not None else err["msg"].removeprefix("Value error, ")
    return ConfigIssue(filename, format_loc(loc) or "(root)", line_of(root, loc), message)


# pydantic's messages that speak of Python (dictionary, instance of NotifyConfig) where the reader wrote YAML
_PLAIN_MESSAGES = {
    "model_type": "should be a mapping (key: value)",
    "model_attributes_type": "should be a mapping (key: value)",
    "dict_type": "should be a mapping (key: value)",
    "list_type": "should be a list ([a, b], or one '- item' a line)",
    "tuple_type": "should be a list ([a, b], or one '- item' a line)",
    "set_type": "should be a list ([a, b], or one '- item' a line)",
    "string_type": "should be text",
    "int_type": "should be a whole number",
    "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_type": "should be a number",
    "float_parsing": "should be a number",
    "bool_type": "should be true or false",
    "bool_parsing": "should be true or false",
    "path_type": "should be a path",
    "missing": "required, but missing",
}
# Names people write for a key that no spelling distance finds.
_SYNONYMS = {"persons": "people", "person": "people", "users": "people", "staff": "people", "rotations": "layers"}


def _message(err: Any, loc: list[Any], model: type[BaseModel]) -> str:
    """The message of a pydantic error, in the terms of the YAML file the reader is looking at."""
    kind = err.get("type")
    if kind == "extra_forbidden" and loc:
        suggestion = closest_key(model, loc)
        if suggestion:
            return f"unknown key; did you mean {suggestion!r}?"
    message = _PLAIN_MESSAGES.get(kind, err["msg"])
    value = err.get("input")
    if kind in _PLAIN_MESSAGES and isinstance(value, str | int | float) and len(repr(value)) <= 40:
        message += f", got {value!r}"  # a scalar written where another was meant: show which
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return re.sub(r" or instance of \w+", "", message)


def closest_key(model: type[BaseModel], loc: list[Any]) -> str | None:
    """The allowed key at ``loc``'s place that its last part (an unknown key) most likely means, if any."""
    allowed = _keys_at(model, loc[:-1])
    typed = str(loc[-1])
    close = difflib.get_close_matches(typed, allowed, n=1, cutoff=0.7)  # 0.6 offers notify_team_chat for notify_staff
    if close:
        return close[0]
    synonym = _SYNONYMS.get(typed.lower())
    return synonym if synonym in allowed else None


def _keys_at(model: type[BaseModel], loc: list[Any]) -> list[str]:
    """The keys ``model`` allows at ``loc`` (``brands[0]``: a brand's), read from the models themselves."""
    kinds: list[Any] = [model]
    for part in loc:
        inner: list[Any] = []
        for kind in kinds:
            origin, args = typing.get_origin(kind), typing.get_args(kind)
            if isinstance(kind, type) and issubclass(kind, BaseModel) and isinstance(part, str):
                field = kind.model_fields.get(part)
                inner += members(field.annotation) if field is not None else []
            elif origin in (list, tuple, set, frozenset) and isinstance(part, int) and args:
                inner += members(args[0])
            elif origin is dict and len(args) == 2:
                inner += members(args[1])
        kinds = inner
    keys = [k for kind in kinds if isinstance(kind, type) and issubclass(kind, BaseModel) for k in kind.model_fields]
    return list(dict.fromkeys(keys))


def members(annotation: Any) -> list[Any]:
    """The types a value of ``annotation`` may have: Annotated unwrapped, unions split, None left out."""
    if typing.get_origin(annotation) is Annotated:
        return members(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in members(arg)]
    return [] if annotation is type(None) else [annotation]


def child_node(node: yaml.Node | None, part: Any) -> tuple[yaml.Node, int] | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if key.value == part:
                return value, key.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item = node.value[part]
        return item, item.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode) and isinstance(part, str):  # policies[storm]: the item with that id
        for item in node.value:
            named = child_node(item, "id") or child_node(item, "name")
            if named is not None and isinstance(named[0], yaml.ScalarNode) and named[0].value == part:
                return item, item.start_mark.line + 1
    return None


