"""The playbook format of playbooks/SCHEMA.md as pydantic models, and where a problem is in its file.

Everything a responder might read at night exists in both languages, so a missing ``en`` is
an error, not a fallback. Errors name the file, the field path and the line, like config errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from warner.config.common import format_loc
from warner.config.locate import ConfigIssue, child_node, locate_error

Purpose = Literal["public_reply", "holding", "private", "update", "closing"]
PURPOSES: tuple[Purpose, ...] = ("public_reply", "holding", "private", "update", "closing")
PURPOSE_LABELS: dict[str, dict[Purpose, str]] = {  # what a responder calls each purpose
    "de": {
        "holding": "Haltestatement",
        "public_reply": "Öffentliche Antwort",
        "private": "Einladung ins Private",
        "update": "Update",
        "closing": "Abschluss",
    },
    "en": {
        "holding": "Holding statement",
        "public_reply": "Public reply",
        "private": "Invitation to talk privately",
        "update": "Update",
        "closing": "Closing statement",
    },
}
When = Literal["any", "business_hours", "off_hours"]
MIN_EXAMPLES = 6

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_KEYWORD = re.compile(r"^[^*]+\*?$")

PlaybookIssue = ConfigIssue  # same shape: file, field, line, message


class PlaybookError(Exception):
    """One or more playbook files are invalid; ``issues`` says where and why."""

    def __init__(self, issues: list[PlaybookIssue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Texts(_Strict):
    de: Text
    en: Text


class TextLists(_Strict):
    de: list[Text] = Field(min_length=1)
    en: list[Text] = Field(min_length=1)


class Examples(_Strict):
    de: list[Text] = Field(min_length=MIN_EXAMPLES)
    en: list[Text] = Field(min_length=MIN_EXAMPLES)


class Keywords(TextLists):
    @field_validator("de", "en")
    @classmethod
    def _star_only_at_end(cls, words: list[str]) -> list[str]:
        for word in words:
            if not _KEYWORD.match(word):
                raise ValueError(f"keyword {word!r}: '*' may only end a keyword (prefix match), e.g. 'verletz*'")
        return words


class Triggers(_Strict):
    keywords: Keywords
    examples: Examples


class DraftTemplate(_Strict):
    purpose: Purpose
    when: When = "any"
    de: Text
    en: Text
    short: Texts | None = None

    def text(self, lang: str) -> str:
        return self.de if lang == "de" else self.en


class Playbook(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    title: Texts
    summary: Texts
    triggers: Triggers
    severity: Texts
    checklist: TextLists
    drafts: list[DraftTemplate] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id_is_file_name(cls, value: str, info: ValidationInfo) -> str:
        stem = (info.context or {}).get("stem")
        if stem is not None and value != stem:
            raise ValueError(f"id {value!r} must equal the file name without .yaml ({stem!r})")
        return value

    @model_validator(mode="after")
    def _every_purpose(self) -> Playbook:
        present = {d.purpose for d in self.drafts}
        if missing := [p for p in PURPOSES if p not in present]:
            raise ValueError(f"drafts: no draft for purpose {', '.join(missing)} (each of {', '.join(PURPOSES)})")
        if not any(d.purpose == "holding" and d.when == "off_hours" for d in self.drafts):
            raise ValueError("drafts: the holding statement needs an off_hours variant (when: off_hours)")
        return self


@dataclass(frozen=True, slots=True)
class Source:
    """Where a playbook came from, to point at a line when a later check fails."""

    file: str
    node: yaml.Node | None

    def issue(self, loc: tuple[str | int, ...], message: str) -> PlaybookIssue:
        node, line = self.node, (self.node.start_mark.line + 1 if self.node is not None else None)
        for part in loc:
            child = child_node(node, part)
            if child is None:
                break
            node, line = child
        return PlaybookIssue(self.file, format_loc(list(loc)) or "(root)", line, message)


def parse_playbook(text: str, filename: str, stem: str | None = None) -> tuple[Playbook, Source]:
    """Validate one playbook file's text; raise PlaybookError naming file, field and line."""
    from pydantic import ValidationError

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlaybookError([PlaybookIssue(filename, "(yaml)", line, f"invalid YAML: {problem}")]) from None
    if not isinstance(data, dict):
        raise PlaybookError([PlaybookIssue(filename, "(root)", 1, "a playbook must be a mapping (see SCHEMA.md)")])
    try:
        playbook = Playbook.model_validate(data, context={"stem": stem})
    except ValidationError as exc:
        raise PlaybookError([locate_error(filename, node, err) for err in exc.errors()]) from None
    return playbook, Source(filename, node)
