"""Reading a config file: every problem in it at once, each with its file, line and key.

The person reading these messages is usually fixing a config on a server at an inconvenient hour,
so pydantic's errors are located in the YAML, worded for YAML, and a misspelled key gets the key
it most likely meant. Secrets never live in the YAML: a section names the environment variable
that holds one (``token_env``).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from warner.config.common import CHECKED_BY_CONFIG, CROSS_SECTION, WITHOUT_CROSS_CHECKS, Loc, format_loc
from warner.config.locate import (
    ConfigError,
    ConfigIssue,
    child_node,
    clean_loc,
    closest_key,
    issue_order,
    line_of,
    locate_error,
    members,
    parse_field,
)
from warner.config.root import Config, cross_section_problems

DEFAULT_CONFIG_NAME = "warner.yaml"
CONFIG_ENV = "WARNER_CONFIG"

def resolve_config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config beats WARNER_CONFIG beats ./warner.yaml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_NAME)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the config; raise ConfigError naming file, field and line."""
    return read_config(path).strict()


def parse_config(text: str, filename: str = "<string>") -> Config:
    """Validate a config text; raise ConfigError naming file, field and line of every problem."""
    return parse_config_fully(text, filename).strict()


@dataclass(frozen=True, slots=True)
class ParsedConfig:
    """A config file read as far as it goes, so that one look reports every problem in it.

    ``config`` is the file with each broken key (``broken``, dotted) replaced by its default, so
    the checks that need a whole config (secrets, ports, Redis; ``warner.preflight``) can still
    run on the rest; it is None when the file is unreadable or nothing could be salvaged.
    """

    filename: str
    config: Config | None
    issues: list[ConfigIssue]
    broken: frozenset[str] = frozenset()
    node: yaml.Node | None = None
    renamed: tuple[ConfigIssue, ...] = ()  # keys written under an old name: read, and worth a warning

    def strict(self) -> Config:
        if self.issues or self.config is None:
            raise ConfigError(self.issues)
        return self.config

    def line_of(self, field: str) -> int | None:
        """The line of ``field`` (``ingest.sources[0].token_env``), or of its nearest ancestor in the file;
        None when not even its section is in the file (it has its default)."""
        parts = parse_field(field)
        return line_of(self.node, parts) if parts and child_node(self.node, parts[0]) is not None else None

    def issue(self, field: str, message: str, *, file: str | None = None) -> ConfigIssue:
        """An issue about ``field``, located in this file (``file`` overrides, e.g. an environment variable)."""
        if file is not None:
            return ConfigIssue(file, field, None, message)
        return ConfigIssue(self.filename, field, self.line_of(field), message)

    def located(self, issue: ConfigIssue) -> ConfigIssue:
        """``issue`` with its line filled in, if it is about this file and has none."""
        if issue.line is not None or issue.file != self.filename:
            return issue
        return ConfigIssue(issue.file, issue.field, self.line_of(issue.field), issue.message)

    def is_broken(self, field: str) -> bool:
        """Whether ``field`` is (under) a key whose value was invalid: checks of it would check a default."""
        return any(field == b or field.startswith((b + ".", b + "[")) for b in self.broken)


def read_config(path: str | os.PathLike[str] | None = None) -> ParsedConfig:
    """Read the config file as far as it goes (see ParsedConfig); never raises ConfigError."""
    file = resolve_config_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ParsedConfig(str(file), None, [ConfigIssue(str(file), "(file)", None, "config file not found")])
    except (OSError, UnicodeDecodeError) as exc:
        return ParsedConfig(str(file), None, [ConfigIssue(str(file), "(file)", None, f"cannot read: {exc}")])
    return parse_config_fully(text, str(file))


def parse_config_fully(text: str, filename: str = "<string>") -> ParsedConfig:
    """Validate a config text and collect every problem: each key's own, and — with the broken keys set
    aside — the names one section uses for another's, which pydantic only checks once all keys are valid."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return ParsedConfig(filename, None, [ConfigIssue(filename, "(yaml)", line, f"invalid YAML: {problem}")])
    if data is None:
        data = {}
    if not isinstance(data, dict):
        issue = ConfigIssue(filename, "(root)", 1, "the config must be a mapping of sections")
        return ParsedConfig(filename, None, [issue])
    renamed = tuple(
        locate_error(filename, node, {"loc": loc, "msg": f"now called {new}: rename it (read until 0.3)"})
        for loc, new in renamed_keys_in(Config, data)
    )
    try:
        valid = Config.model_validate(data, context={CHECKED_BY_CONFIG: True})
        return ParsedConfig(filename, valid, [], node=node, renamed=renamed)
    except ValidationError as exc:
        errors = exc.errors()
    unreliable = _unreliable_id_lists(data, errors)
    issues = [locate_error(filename, node, err, Config) for err in errors if not _follows_from(err, unreliable)]
    config, broken = _salvage(data, [e for e in errors if e["type"] != CROSS_SECTION])
    if config is not None and not any(e["type"] == CROSS_SECTION for e in errors):
        for loc, message in cross_section_problems(config, frozenset(broken)):
            issues.append(locate_error(filename, node, {"loc": loc, "msg": message}))
    unique = sorted(dict.fromkeys(issues), key=issue_order)  # a key pydantic reports twice (each union member) once
    return ParsedConfig(filename, config, unique, frozenset(broken), node, renamed)


def renamed_keys_in(model: type[BaseModel], data: Any, at: Loc = ()) -> list[tuple[Loc, str]]:
    """(location, new name) of every key in ``data`` written under the old name of a renamed key
    (``Section.renamed_keys``), in the sections below ``model`` (lists of sections are not renamed in)."""
    if not isinstance(data, dict):
        return []
    found: list[tuple[Loc, str]] = [
        ((*at, old), new)
        for old, new in getattr(model, "renamed_keys", {}).items()
        if old in data and new not in data
    ]
    for name, field in model.model_fields.items():
        for member in members(field.annotation):
            if isinstance(member, type) and issubclass(member, BaseModel) and name in data:
                found += renamed_keys_in(member, data[name], (*at, name))
    return found


# oncall lists whose ids other oncall keys name, and the message pydantic reports for a name not among them
_ID_LISTS = {"people": "unknown person ", "schedules": "unknown schedule "}


def _unreliable_id_lists(data: dict[Any, Any], errors: list[Any]) -> set[str]:
    """The oncall id lists (``people``, ``schedules``) that are broken or maybe misspelled (``persons:``).

    The references to them (team and rotation members, override persons, team schedules) are checked against
    the ids written there; with the list unreadable every reference would be reported as unknown, burying the
    one real cause under made-up ones.
    """
    oncall = data.get("oncall")
    if not isinstance(oncall, dict):
        return set()
    locs = [(err["type"], clean_loc(err["loc"])) for err in errors]
    unknown = [loc for kind, loc in locs if kind == "extra_forbidden" and len(loc) == 2 and loc[0] == "oncall"]
    meant = [closest_key(Config, loc) for loc in unknown]  # what each most likely means (None: no idea)
    unreliable: set[str] = set()
    for name in _ID_LISTS:
        if name not in oncall and any(m in (name, None) for m in meant):
            unreliable.add(name)  # an unknown key may be this list, misspelled
        if any(loc[:2] == ["oncall", name] and (len(loc) <= 3 or loc[3:] == ["id"]) for _, loc in locs):
            unreliable.add(name)  # the list, an item or an id is unreadable: its ids are not all known
    return unreliable


def _follows_from(err: Any, unreliable: set[str]) -> bool:
    """Whether ``err`` is an unknown-id error about a list whose ids cannot be read (see _unreliable_id_lists)."""
    if err["type"] != "value_error" or clean_loc(err["loc"])[:1] != ["oncall"]:
        return False
    message = err["msg"].removeprefix("Value error, ")
    return any(message.startswith(_ID_LISTS[name]) for name in unreliable)


_SALVAGE_ROUNDS = 8


def _salvage(data: dict[Any, Any], errors: list[Any]) -> tuple[Config | None, set[str]]:
    """The config with every key that has an error dropped (its default stands in), and those keys.

    A key is dropped at the second level (``ingest.port``, ``oncall.people``) so that the rest of
    its section is still checked; if that does not make the section valid, the whole section goes.
    """
    pruned = copy.deepcopy(data)
    dropped: set[Loc] = set()
    for _ in range(_SALVAGE_ROUNDS):
        found = {_key_to_drop(clean_loc(err["loc"]), dropped) for err in errors}
        keys = {key for key in found if key is not None}
        if len(keys) < len(found):  # an error with no key to drop
            return None, set()
        for key in keys:
            _drop(pruned, key)
        dropped |= keys
        try:
            config = Config.model_validate(pruned, context={WITHOUT_CROSS_CHECKS: True, CHECKED_BY_CONFIG: True})
        except ValidationError as exc:
            errors = exc.errors()
        except RecursionError:  # a self-referencing YAML alias: nothing to salvage
            return None, set()
        else:
            return config, {format_loc(list(key)) for key in dropped}
    return None, set()


def _key_to_drop(loc: list[Any], dropped: set[Loc]) -> Loc | None:
    """The second-level key of an error's location, or its section if that key was dropped already."""
    for depth in (2, 1):
        key = tuple(loc[:depth])
        if len(key) == depth and all(isinstance(part, str) for part in key) and key not in dropped:
            return key
    return None


def _drop(data: dict[Any, Any], key: Loc) -> None:
    parent: Any = data
    for part in key[:-1]:
        parent = parent.get(part) if isinstance(parent, dict) else None
    if isinstance(parent, dict):
        parent.pop(key[-1], None)


