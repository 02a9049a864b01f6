"""The types every section of warner's config is built from: durations, slugs, zones, and the frozen base.

Each package owns its section (``ingest/config.py``, ``oncall/config.py`` …) and imports only this
module; the root model (``warner.config.root``) composes the sections. So a section can be imported
without loading any other, and nothing imports the root back.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

CROSS_SECTION = "cross_section"  # the error type of a name one section uses and another lacks
WITHOUT_CROSS_CHECKS = "warner.config:without_cross_checks"  # validation context: leave them to the caller
# Validation context: a section's checks that can find several problems (escalation routes and steps) leave them
# to cross_section_problems, which reports each at its own key and line instead of the first at the section's.
CHECKED_BY_CONFIG = "warner.config:checked_by_config"
ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"  # the name of an environment variable that holds a secret

Loc = tuple[str | int, ...]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 604800,
    None: 1,
}


def _parse_duration(value: Any) -> Any:
    """Accept '90s', '5m', '2h', '7d', '1w' or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30s', '5m' or '7d'")
    try:
        if isinstance(value, int | float):
            return timedelta(seconds=value)
        if isinstance(value, str):
            match = _DURATION.match(value)
            if match:
                return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    except (OverflowError, ValueError):  # .inf, nan, 1e300: not a duration anyone means
        raise ValueError(f"duration {value!r} is out of range") from None
    raise ValueError(f"expected a duration such as '30s', '5m' or '7d', got {value!r}")


Duration = Annotated[timedelta, BeforeValidator(_parse_duration)]


def parse_duration_text(text: str) -> timedelta:
    """'5m', '1h', '30s' to a timedelta (for command-line options)."""
    value = _parse_duration(text)
    if not isinstance(value, timedelta) or value.total_seconds() <= 0:
        raise ValueError(f"not a duration: {text!r} (e.g. 5m, 1h)")
    return value


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


def _known_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}, e.g. Europe/Berlin") from None
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]  # an IANA zone, checked when the config is read


def reject_repeated(kind: str, names: list[str]) -> None:
    """Refuse a list of named things in which a name repeats (it would be ambiguous which one a key means)."""
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{kind} names must be unique, repeated: {', '.join(repeated)}")



class Section(BaseModel):
    """A config section: unknown keys are errors (a typo must not pass silently), values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    renamed_keys: ClassVar[dict[str, str]] = {}
    """A key's old name -> its new one. The old name is still read for one release (until 0.3), and
    ``warner check-config`` warns about it (``warner.config.loading.renamed_key_issues``)."""

    @model_validator(mode="before")
    @classmethod
    def _read_renamed_keys(cls, data: Any) -> Any:
        if cls.renamed_keys and isinstance(data, dict):
            for old, new in cls.renamed_keys.items():
                if old in data and new not in data:  # both given: the old one is an unknown key, an error
                    data = {(new if key == old else key): value for key, value in data.items()}
        return data



def format_loc(loc: list[Any] | Loc) -> str:
    """``["oncall", "people", 2, "id"]`` as a reader writes it: ``oncall.people[2].id``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_TIME_OF_DAY = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def parse_time_of_day(value: Any) -> time:
    """'09:00' or '9:00' to a time; a bare YAML 18:30 arrives as the number 1110, so say so."""
    if isinstance(value, time):
        return value
    if isinstance(value, str) and (match := _TIME_OF_DAY.match(value)):
        return time(int(match.group(1)), int(match.group(2)))
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f"write clock times in quotes, e.g. '18:30' (YAML reads 18:30 unquoted as the number {value})"
        )
    raise ValueError(f"expected a clock time HH:MM, got {value!r}")


TimeOfDay = Annotated[time, BeforeValidator(parse_time_of_day)]
