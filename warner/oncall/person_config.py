"""A person of the ``oncall:`` section: who they are, how to reach them, and when not to.

Kept apart from the schedules (``config.py``) because it is the part the channels read: phone
numbers in E.164, e-mail addresses, the channel order of ``contact`` with quiet hours per
channel, and the ``HH:MM-HH:MM`` ranges those hours (and schedule layers) are written in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainValidator, field_validator

from warner.config.common import Section, Slug, TimeZoneName, parse_time_of_day
from warner.core import Language

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A local time-of-day range such as 08:00-18:00; one whose end is not after its start spans midnight."""

    start: time
    end: time

    @property
    def spans_midnight(self) -> bool:
        return self.end <= self.start

    def contains(self, moment: time) -> bool:
        if self.spans_midnight:
            return moment >= self.start or moment < self.end
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _time_range(value: Any) -> TimeRange:
    if isinstance(value, TimeRange):
        return value
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(f"expected a local time range HH:MM-HH:MM such as '20:00-08:00', got {value!r}")
    start, end = (parse_time_of_day(part) for part in value.split("-"))
    if start == end:
        raise ValueError(f"the range {value!r} is empty: start and end are the same time")
    return TimeRange(start, end)


LocalRange = Annotated[TimeRange, PlainValidator(_time_range)]


def _phone(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("write the phone number as a quoted string in E.164 form, e.g. '+4915112345678'")
    number = re.sub(r"[\s/().-]", "", value)
    if not _E164.match(number):
        raise ValueError(f"phone numbers must be in E.164 form with country code, e.g. +4915112345678, got {value!r}")
    return number


Phone = Annotated[str, BeforeValidator(_phone)]

_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


def _email(value: Any) -> Any:
    if not isinstance(value, str) or not _EMAIL.match(value.strip()):
        raise ValueError(f"expected an e-mail address like anna@example.de, got {value!r}")
    return value.strip()


Email = Annotated[str, BeforeValidator(_email)]
"""A plain address (no display name): the SMTP server decides whether it exists; a refusal is a failed page."""


class ContactChannel(Section):
    """One way to reach a person, and when it must stay silent."""

    channel: Literal["telegram", "sms", "call", "email", "console"] = Field(description="A channel name.")
    quiet_hours: LocalRange | None = Field(
        None, description="Local HH:MM-HH:MM during which this channel carries only critical pages (in time_zone)."
    )


class Person(Section):
    """Somebody who can be paged."""

    id: Slug = Field(description="Stable id that schedules, teams, policies and digest.recipients use.")
    name: str = Field(min_length=1, description="Name shown in pages and in /oncall.")
    telegram_id: int | None = Field(None, description="Telegram user id (the bot must have been started by them).")
    phone: Phone | None = Field(None, description="For SMS, E.164: +4915112345678.")
    language: Language = Field("de", description="Language of the pages and messages this person gets.")
    quiet_hours: LocalRange | None = Field(
        None, description="Local HH:MM-HH:MM during which only critical pages may reach this person."
    )
    time_zone: TimeZoneName = Field("Europe/Berlin", description="Where quiet_hours are read.")
    email: Email | None = Field(None, description="For pages by e-mail and the weekly digest.")
    slack_user_id: str | None = Field(
        None,
        pattern=r"^[UW][A-Z0-9]{2,}$",
        description="Slack member id (e.g. U024BE7LH): their press of the Slack acknowledge button counts as theirs.",
    )
    contact: list[ContactChannel] = Field(
        default_factory=list,
        description="How to reach this person, in failover order, for steps that name no channels "
        "(e.g. [telegram, sms, call]); each may have its own quiet_hours.",
    )

    @field_validator("contact", mode="before")
    @classmethod
    def _channel_names(cls, value: Any) -> Any:
        """``contact: [telegram, {channel: call, quiet_hours: "23:00-07:00"}]``: a bare name is a channel."""
        if isinstance(value, list):
            return [{"channel": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("contact")
    @classmethod
    def _no_repeats(cls, value: list[ContactChannel]) -> list[ContactChannel]:
        names = [c.channel for c in value]
        if len(set(names)) != len(names):
            raise ValueError("a channel appears twice in contact")
        return value

    @property
    def contact_order(self) -> list[str]:
        return [c.channel for c in self.contact]
