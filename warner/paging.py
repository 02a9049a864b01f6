"""Everything that turns an incident into pages, built once from the config.

The detect stage hands incident events to the ``EscalationEngine`` (a hook); the engine
asks the ``Roster`` who to reach and the ``Notifier`` to reach them over Telegram, SMS or
the console; a button, a command or an SMS reply goes through the ``IncidentResponder``,
which tells the engine to stop. This module only wires those parts together.

It is the composition layer beside ``service.py``: it may import oncall, notify, incidents
and respond, so that none of those has to import another across its edge — the bot's
answers (``BotBackend``) read the schedules and the playbooks here, the on-call schedules
reach the bot through ``RosterView``, and the channels come from ``notify/factory.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web
from redis.exceptions import LockError, RedisError
from rich.console import Console

from warner.config.root import Config
from warner.core import Clock, Language, Recipient, SystemClock
from warner.incidents.lifecycle import IncidentLifecycle, IncidentResponder
from warner.incidents.model import IncidentEvent
from warner.incidents.store import IncidentStore
from warner.metrics import Metrics
from warner.notify.base import Channel
from warner.notify.delivery import Notifier
from warner.notify.factory import AlertBot, build_notifier
from warner.notify.sms.ack_codes import AckCodes
from warner.oncall.escalation import EscalationEngine
from warner.oncall.schedule import Roster
from warner.store import keys

if TYPE_CHECKING:  # loaded where used: Telegram and the playbooks only when configured and asked
    from warner.notify.sms.config import SmsConfig, SmsInboundConfig
    from warner.notify.telegram.bot import BotApplication
    from warner.notify.telegram.drafts import ChosenDraft, DraftOption
    from warner.notify.telegram.status import ScheduleNow
    from warner.respond.render import Draft, Responder
    from warner.store.connection import RedisClient

log = structlog.get_logger()


class RosterView:
    """The schedule ``Roster`` in the shape the escalation engine and the bot ask questions."""

    def __init__(self, config: Config) -> None:
        self.roster = Roster(config.oncall)
        self._by_telegram = {p.telegram_id: p.id for p in config.oncall.people if p.telegram_id}
        self._by_phone = {p.phone: p.id for p in config.oncall.people if p.phone}

    def recipient(self, person_id: str) -> Recipient:
        p = self.roster.person(person_id)  # LookupError for an unknown id
        return Recipient(p.id, p.name, p.language, p.telegram_id, p.phone)

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
        team = self.roster.team(team_id)
        if team.telegram_chat_id is None:
            return None
        return Recipient(f"chat:{team.telegram_chat_id}", team.label, "de", team.telegram_chat_id)

    def is_off_hours(self, at: datetime) -> bool:
        return self.roster.is_off_hours(at)

    def in_quiet_hours(self, person_id: str, at: datetime) -> bool:
        return self.roster.in_quiet_hours(person_id, at)

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


class BotBackend:
    """What the Telegram bot's commands show: who is on call, open incidents, drafts; and its test page."""

    def __init__(
        self,
        roster: RosterView,
        incidents: IncidentStore,
        lifecycle: IncidentLifecycle,
        clock: Clock,
        config: Config,
        channels: Mapping[str, Channel] | None = None,
    ):
        self.roster, self.incidents, self.lifecycle, self.clock = roster, incidents, lifecycle, clock
        self.config = config
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
        recent = await self.incidents.recent_mentions(brand, incident.started_at - 3600, limit=300)
        texts = [m.text for m in recent or incident.top]
        if self._responder is None:
            from warner.respond.render import Responder

            self._responder = Responder.from_config(self.config)
        now = datetime.fromtimestamp(self.clock.now(), UTC)
        return self._responder.rank_drafts(incident, texts, language, now, top=3)


AUDIT_EVERY_S = 30.0
POLL_LEASE_S = 30.0  # a dead poller's lock expires after this; another worker's pager then polls


@dataclass
class Pager:
    """The paging side of a worker: start it, run it, close it."""

    engine: EscalationEngine
    responder: IncidentResponder
    notifier: Notifier
    roster: RosterView
    application: BotApplication | None = None  # when Telegram is configured
    webhook: tuple[str, str] | None = None  # (public URL, secret token) in webhook mode; else long polling
    poll_lease_s: float = POLL_LEASE_S
    routes: list[Callable[[web.Application], None]] = field(default_factory=list)

    @property
    def hooks(self) -> Sequence[Callable[..., Any]]:
        return [self.engine.on_event]

    async def page_forgotten(self, limit: int = 100) -> int:
        """Start the escalation of any live incident nobody has been paged about yet.

        The detect stage commits an incident, then calls the hook; a worker killed in between
        would leave a storm nobody hears of. Opening is idempotent (the response state is
        created once), so re-driving every live incident is safe; returns how many started.
        """
        started = 0
        for incident in await self.engine.incidents.recent(limit=limit):
            if incident.status == "closed" or await self.engine.lifecycle.get(incident.id) is not None:
                continue
            log.warning("incident_unpaged_redriven", incident_id=incident.id)
            await self.engine.on_event(IncidentEvent("opened", incident.updated_at, incident))
            started += 1
        return started

    async def _audit_every(self, seconds: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.page_forgotten()
            except Exception:  # the auditor must outlive a Redis blip
                log.exception("pager_audit_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)

    def add_routes(self, app: web.Application) -> None:
        """Mount the SMS reply and Telegram webhook routes on the API app (before it starts)."""
        for add in self.routes:
            add(app)

    async def run(self, stop: asyncio.Event, *, bot: bool = True) -> None:
        """Escalate until ``stop``; with ``bot``, also receive Telegram updates (see ``_receive_updates``)."""
        tasks = [asyncio.create_task(self._audit_every(AUDIT_EVERY_S, stop), name="pager-audit")]
        if bot and self.application is not None:
            tasks.append(asyncio.create_task(self._receive_updates(stop), name="telegram-updates"))
        try:
            await self.engine.run(stop)
        finally:
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.close()

    async def serve_webhook(self, stop: asyncio.Event) -> None:
        """API-only process in webhook mode: handle Telegram's updates until ``stop``, then close."""
        try:
            await self._receive_updates(stop)
        finally:
            await self.close()

    async def _receive_updates(self, stop: asyncio.Event) -> None:
        """Poll Telegram from exactly one process, or serve the webhook.

        Telegram allows one ``getUpdates`` poller per bot (a second gets 409 Conflict), but
        every worker runs a pager. The poller holds a Redis lock it renews; when its process
        dies the lock expires and another worker's pager takes over within ``POLL_LEASE_S``.
        """
        from warner.notify.telegram.bot import ALLOWED_UPDATES, POLL_TIMEOUT_S, start_polling, start_webhook

        application = self.application
        assert application is not None  # only called with a bot
        if self.webhook is not None:
            await start_webhook(application, *self.webhook)
            await stop.wait()
            return
        updater = application.updater
        assert updater is not None  # Application.builder() always builds one
        lock = self.engine.redis.lock(keys.TELEGRAM_POLLER, timeout=self.poll_lease_s)
        polling = False
        try:
            while not stop.is_set():
                try:
                    if polling:
                        try:
                            await lock.reacquire()
                        except LockError:
                            log.warning("telegram_poller_lost_lease")
                            await updater.stop()
                            polling = False
                    elif await lock.acquire(blocking=False):
                        if application.running:  # polling again after having lost the lease
                            await updater.start_polling(
                                timeout=POLL_TIMEOUT_S, allowed_updates=ALLOWED_UPDATES
                            )
                        else:
                            await start_polling(application)
                        polling = True
                        log.info("telegram_poller_elected")
                except RedisError as exc:
                    # Redis away for a moment: keep the state and try again next round. If the
                    # outage outlasts the lease, the next renewal raises LockError and polling stops.
                    log.warning("telegram_poller_redis_error", error=str(exc), polling=polling)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_lease_s / 3)
        finally:
            if polling:
                with contextlib.suppress(LockError, RedisError):
                    await lock.release()

    async def close(self) -> None:
        """Stop the bot (if it runs) and release every channel's HTTP client."""
        if self.application is not None:
            from warner.notify.telegram.bot import stop as stop_bot

            if self.application._initialized:  # PTB has no public flag
                await stop_bot(self.application)
        await self.notifier.close()


def build_pager(
    config: Config,
    redis: RedisClient,
    metrics: Metrics | None = None,
    *,
    clock: Clock | None = None,
    console: Console | None = None,
    poll: float = 1.0,
) -> Pager | None:
    """The pager for ``config``, or None when no escalation route is configured.

    Built in the order the parts need each other: the responder; the bot, which acts through it;
    the channels (Telegram's sends through the bot); the engine, which pages through them.
    """
    if not config.escalation.routes:
        return None
    clock = clock or SystemClock()
    roster = RosterView(config)
    tg = config.notify.telegram
    secrets = tg.secrets() if tg is not None else None
    lifecycle = IncidentLifecycle(redis, clock)
    responder = IncidentResponder(
        lifecycle,
        IncidentStore(redis),
        roster.recipient_or_none,
        snooze=config.escalation.snooze,
        time_zone=config.escalation.time_zone,
    )
    application, alert_bot, backend = None, None, None
    routes: list[Callable[[web.Application], None]] = []
    webhook = None
    if tg is not None and secrets is not None:
        from warner.notify.telegram.bot import build_application
        from warner.notify.telegram.channel import EditedMessages
        from warner.notify.telegram.webhook import add_webhook_route

        backend = BotBackend(roster, IncidentStore(redis), lifecycle, clock, config)
        edits = EditedMessages()  # the channel's edits, so a pressed alert is edited once, not twice
        application = build_application(
            tg, secrets.token, responder, backend, callback_key=secrets.callback_key, edits=edits
        )
        alert_bot = AlertBot(application.bot, secrets.callback_key, edits)
        if tg.mode == "webhook":
            webhook = (tg.webhook_url or "", secrets.webhook_secret or "")
            path, secret_token = tg.webhook_path, webhook[1]
            routes.append(lambda app: add_webhook_route(app, application, path=path, secret_token=secret_token))
    notifier = build_notifier(config, metrics, telegram=alert_bot, console=console)
    if backend is not None:
        backend.channels = notifier.channels  # /test reuses them; they needed the bot, the bot this backend
    codes = AckCodes(redis)
    engine = EscalationEngine(redis, config.escalation, roster, notifier, clock, ack_code=codes.issue, poll=poll)
    responder.listeners.append(engine.on_response)
    if config.notify.sms is not None and config.notify.sms.inbound is not None:
        routes.append(_sms_reply_routes(config.notify.sms, config.notify.sms.inbound, redis, codes, responder, roster))
    log.info("pager_ready", channels=sorted(notifier.channels), routes=len(config.escalation.routes))
    return Pager(engine, responder, notifier, roster, application=application, webhook=webhook, routes=routes)


def _sms_reply_routes(
    sms: SmsConfig,
    inbound_config: SmsInboundConfig,
    redis: RedisClient,
    codes: AckCodes,
    responder: IncidentResponder,
    roster: RosterView,
) -> Callable[[web.Application], None]:
    """What mounts the SMS reply webhooks on the API app.

    Each reply route only with its secret (SmsConfig refuses a config that leaves one open);
    codes retire when the incident is acknowledged or resolved on any channel.
    """
    from warner.notify.sms.config import read_secret
    from warner.notify.sms.inbound import SmsInbound, add_sms_routes, retire_codes_listener, status_from
    from warner.notify.sms.lockout import ReplyLockout

    inbound = SmsInbound(
        codes,
        responder,
        roster.person_for_phone,
        ReplyLockout(redis),
        status_from(responder),
        language_of=lambda person: roster.recipient(person).language,
        twilio_auth_token=sms.twilio.auth_token() if sms.provider == "twilio" and sms.twilio else None,
        twilio_url=inbound_config.twilio_url,
        reply_token=read_secret(inbound_config.token_env, "notify.sms.inbound.token_env")
        if inbound_config.token_env
        else None,
    )
    responder.listeners.append(retire_codes_listener(codes))
    log.info("sms_reply_routes", routes=sms.reply_routes())
    return lambda app: add_sms_routes(app, inbound)
