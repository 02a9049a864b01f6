"""People as the rest of warner asks about them: who someone is, how to reach them, who is on call.

Built from the on-call config once; the escalation engine (its ``Directory`` protocol), the
Telegram bot (who pressed a button) and SMS replies (who sent it) all ask this one object.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from warner.core import Recipient
from warner.oncall.config import OncallConfig
from warner.oncall.escalation.channels import Contact
from warner.oncall.schedule import Roster

if TYPE_CHECKING:
    from warner.notify.telegram.status import ScheduleNow


class ConfigDirectory:
    """The on-call config as the escalation engine, the bot and SMS replies ask about people (the
    ``Directory`` of ``oncall/escalation/protocols.py``), with the compiled schedules for who is on call."""

    def __init__(self, oncall: OncallConfig) -> None:
        self.roster = Roster(oncall)
        self._by_telegram = {p.telegram_id: p.id for p in oncall.people if p.telegram_id}
        self._by_phone = {p.phone: p.id for p in oncall.people if p.phone}

    def recipient(self, person_id: str) -> Recipient:
        p = self.roster.person(person_id)  # LookupError for an unknown id
        return Recipient(p.id, p.name, p.language, p.telegram_id, p.phone, p.email)

    def recipient_or_none(self, person_id: str) -> Recipient | None:
        """A configured person, or a member of an allowed Telegram group (``telegram:<user id>``).

        The bot only passes ``telegram:<id>`` for users pressing a button in a group chat
        the config allows, so they may act; anyone else is unknown here.
        """
        if person_id.startswith("telegram:") and person_id[9:].lstrip("-").isdigit():
            return Recipient(person_id, f"Telegram {person_id[9:]}", "de", int(person_id[9:]))
        try:
            return self.recipient(person_id)
        except LookupError:
            return None

    def on_call(self, schedule_id: str, at: datetime) -> list[str]:
        return [p.id for p in self.roster.on_call(schedule_id, at)]

    def team_chat(self, team_id: str) -> Recipient | None:
        """The team's announcement target (its Telegram group, Teams or Slack channel); None when it has none."""
        team = self.roster.team(team_id)
        if not team.announcement_channels:
            return None
        if team.telegram_chat_id is None:
            return Recipient(f"team:{team.id}", team.label, team.language, team=team.id)
        chat_id = team.telegram_chat_id
        return Recipient(f"chat:{chat_id}", team.label, team.language, chat_id, team=team.id)

    def is_off_hours(self, at: datetime) -> bool:
        return self.roster.is_off_hours(at)

    def in_quiet_hours(self, person_id: str, at: datetime) -> bool:
        return self.roster.in_quiet_hours(person_id, at)

    def contact(self, recipient: Recipient, at: datetime) -> Contact:
        """A team's announcement channels, or a person's ``contact`` order with the channels quiet at ``at``."""
        if recipient.team is not None:
            return Contact(tuple(self.roster.team(recipient.team).announcement_channels), announcement=True)
        try:
            person = self.roster.person(recipient.id)
        except LookupError:
            return Contact()
        local = at.astimezone(ZoneInfo(person.time_zone)).time().replace(tzinfo=None)
        quiet = frozenset(c.channel for c in person.contact if c.quiet_hours and c.quiet_hours.contains(local))
        return Contact(tuple(person.contact_order), quiet)

    def person_for_telegram(self, user_id: int) -> str | None:
        return self._by_telegram.get(user_id)

    def person_for_phone(self, phone: str) -> str | None:
        return self._by_phone.get(phone)

    def who_is_on_call(self, now: datetime, lookahead: timedelta) -> list[ScheduleNow]:
        """Per schedule: who is on call until when, else who comes next within ``lookahead`` (the bot's /oncall)."""
        from warner.notify.telegram.status import ScheduleNow

        schedules = []
        for schedule in self.roster.schedules:
            zone = ZoneInfo(schedule.time_zone)
            shift = self.roster.shift(schedule.id, now)
            if shift is not None:
                schedules.append(ScheduleNow(schedule.label, (shift.person.name, shift.end.astimezone(zone))))
                continue
            upcoming = self.roster.shifts(schedule.id, now, now + lookahead)
            nxt = (upcoming[0].person.name, upcoming[0].start.astimezone(zone)) if upcoming else None
            schedules.append(ScheduleNow(schedule.label, None, nxt))
        return schedules
