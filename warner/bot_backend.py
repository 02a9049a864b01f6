"""What the Telegram bot's commands show — who is on call, open incidents, drafts — its test page and sign-in links.

The bot (``notify/telegram/bot.py``) asks a ``TelegramBackend``; this is warner's, built in
``paging.py``. It reads the schedules, the incidents and the playbooks, which the notify package
must not import, so it lives here in the composition layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from warner.config.root import Config
from warner.core import Clock, Language
from warner.directory import ConfigDirectory
from warner.incidents.lifecycle import IncidentLifecycle
from warner.incidents.store import IncidentStore
from warner.notify.base import Channel

if TYPE_CHECKING:
    from warner.notify.telegram.drafts import ChosenDraft, DraftOption
    from warner.respond.render import Draft, Responder
    from warner.web.sessions import LinkIssuer


class BotBackend:
    """What the Telegram bot's commands show: who is on call, open incidents, drafts; its test page; and the
    web console's sign-in links (``sign_in``; None when the console is off)."""

    def __init__(
        self,
        roster: ConfigDirectory,
        incidents: IncidentStore,
        lifecycle: IncidentLifecycle,
        clock: Clock,
        config: Config,
        channels: Mapping[str, Channel] | None = None,
        sign_in: LinkIssuer | None = None,
    ):
        self.roster, self.incidents, self.lifecycle, self.clock = roster, incidents, lifecycle, clock
        self.config = config
        self.sign_in = sign_in
        self.channels = channels if channels is not None else {}  # the pager's, reused by /test
        self._responder: Responder | None = None

    def person_for_telegram(self, user_id: int) -> str | None:
        return self.roster.person_for_telegram(user_id)

    def language_for(self, person: str) -> Language | None:
        recipient = None if person.startswith("telegram:") else self.roster.recipient_or_none(person)
        return recipient.language if recipient is not None else None

    async def test_page(self, person: str, language: Language) -> str:
        from warner.oncall.test_page import report, send_test_page

        recipient, answers = await send_test_page(self.config, person, reuse=self.channels)
        return report(recipient, answers, language)

    def login_link_seconds(self) -> int | None:
        return self.sign_in.ttl_seconds if self.sign_in is not None else None

    async def login_link(self, person: str) -> str:
        """A single-use sign-in link for ``person`` (LookupError for anyone not in ``oncall.people``)."""
        if self.sign_in is None:
            raise LookupError("the web console is off (web.port)")
        return await self.sign_in.link(person)

    async def oncall_text(self, language: Language) -> str:
        from warner.notify.telegram.status import oncall_text

        return oncall_text(self.roster.who_is_on_call, datetime.fromtimestamp(self.clock.now(), UTC), language)

    async def incidents_text(self, language: Language) -> str:
        from warner.notify.telegram.status import incidents_text

        recent = await self.incidents.recent(limit=10)
        # ``responses`` skips incidents without one (never paged): match by id, not by position
        responses = {r.incident_id: r for r in await self.lifecycle.responses([i.id for i in recent])}
        return incidents_text(
            [(i, responses.get(i.id)) for i in recent],
            language,
            people=self.roster.recipient_or_none,
            brand_names={b.name: b.label for b in self.config.brands},
            tz=ZoneInfo(self.config.escalation.time_zone),
            bucket_s=self.config.bucket.total_seconds(),
        )

    async def drafts(self, incident_id: str, language: Language) -> list[DraftOption]:
        """The three best drafts for the incident, from the playbooks matched to its mentions."""
        from warner.notify.telegram import texts
        from warner.notify.telegram.drafts import DraftOption
        from warner.respond.schema import PURPOSE_LABELS

        return [
            DraftOption(
                str(n),
                texts.text(language, "draft_title", title=d.title, purpose=PURPOSE_LABELS[language][d.purpose]),
                d.reason,
            )
            for n, d in enumerate(await self._ranked(incident_id, language))
        ]

    async def choose_draft(self, incident_id: str, key: str, language: Language, person: str) -> ChosenDraft:
        """The chosen draft's text; who chose which draft goes into the incident's timeline."""
        from warner.notify.telegram import texts
        from warner.notify.telegram.drafts import ChosenDraft

        ranked = await self._ranked(incident_id, language)
        if not key.isdigit() or int(key) >= len(ranked):
            raise LookupError(f"no draft {key!r} for {incident_id}")
        d = ranked[int(key)]
        await self.incidents.note(
            incident_id,
            {"kind": "draft", "at": self.clock.now(), "by": person, "playbook": d.playbook_id, "purpose": d.purpose},
        )
        warnings = [texts.text(language, "draft_too_long", platform=p) for p in d.exceeds]
        return ChosenDraft(d.text, d.short_text, list(d.checklist), warnings)

    async def _ranked(self, incident_id: str, language: Language) -> list[Draft]:
        from warner.incidents.lifecycle import split_id

        try:
            brand, number = split_id(incident_id)
        except ValueError as exc:
            raise LookupError(str(exc)) from None
        incident = await self.incidents.get(brand, number)
        if incident is None:
            raise LookupError(f"unknown incident {incident_id}")
        texts = await self.incidents.texts_to_answer(incident)
        if self._responder is None:
            from warner.respond.render import Responder

            self._responder = Responder.from_config(self.config)
        now = datetime.fromtimestamp(self.clock.now(), UTC)
        return self._responder.rank_drafts(incident, texts, language, now, top=3)
