"""Everything that turns an incident into pages, built once from the config.

The detect stage hands incident events to the ``EscalationEngine`` (a hook); the engine
asks the ``ConfigDirectory`` who to reach and the ``Notifier`` to reach them over Telegram, SMS,
a call or the console; a button, a command, an SMS reply or a key press goes through the ``IncidentResponder``,
which tells the engine to stop. This module only wires those parts together.

It is the composition layer beside ``service.py``: it may import oncall, notify, incidents
and respond, so that none of those has to import another across its edge — the bot's
answers (``BotBackend``) read the schedules and the playbooks here, the on-call schedules
reach the bot through ``ConfigDirectory``, and the channels come from ``notify/factory.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from aiohttp import web
from redis.exceptions import LockError, RedisError
from rich.console import Console

from warner.bot_backend import BotBackend
from warner.config.root import Config
from warner.core import Clock, SystemClock
from warner.directory import ConfigDirectory
from warner.incidents.lifecycle import IncidentLifecycle, IncidentResponder
from warner.incidents.model import IncidentEvent
from warner.incidents.store import IncidentStore
from warner.metrics import Metrics
from warner.notify.delivery import Notifier
from warner.notify.factory import AlertBot, build_notifier
from warner.notify.sms.ack_codes import AckCodes
from warner.notify.telegram.health import PollerHealth
from warner.oncall.escalation import EscalationEngine
from warner.store import keys

if TYPE_CHECKING:  # loaded where used: Telegram and the playbooks only when configured and asked
    from prometheus_client import Gauge

    from warner.notify.sms.config import SmsConfig, SmsInboundConfig
    from warner.notify.telegram.bot import BotApplication
    from warner.notify.telegram.poller import UpdatePoller
    from warner.notify.voice.config import VoiceConfig
    from warner.store.connection import RedisClient

log = structlog.get_logger()


AUDIT_EVERY_S = 30.0
POLL_LEASE_S = 30.0  # a dead poller's lock expires after this; another worker's pager then polls


@dataclass
class Pager:
    """The paging side of a worker: start it, run it, close it."""

    engine: EscalationEngine
    responder: IncidentResponder
    notifier: Notifier
    roster: ConfigDirectory
    application: BotApplication | None = None  # when Telegram is configured
    webhook: tuple[str, str] | None = None  # (public URL, secret token) in webhook mode; else long polling
    poll_lease_s: float = POLL_LEASE_S
    poll_timeout_s: int = 10  # getUpdates' long-poll timeout (bot.POLL_TIMEOUT_S; tests shorten it)
    routes: list[Callable[[web.Application], None]] = field(default_factory=list)
    poller_health: PollerHealth = field(default_factory=PollerHealth)  # for /readyz: is this process's poller up
    poller_up: Gauge | None = None  # warner_telegram_poller_up
    poller: UpdatePoller | None = None

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
        """Mount the SMS reply, call key-press and Telegram webhook routes on the API app (before it starts)."""
        for add in self.routes:
            add(app)

    async def run(self, stop: asyncio.Event, *, bot: bool = True) -> None:
        """Escalate until ``stop``; with ``bot``, also receive Telegram updates (see ``_receive_updates``)."""
        tasks = [asyncio.create_task(self._audit_every(AUDIT_EVERY_S, stop), name="pager-audit")]
        try:  # a (re)started worker may hold a new token: pages that failed before are tried now
            await self.engine.redelivery.pull_forward("worker_started")
        except RedisError as exc:  # their timers' backoff still runs
            log.warning("page_redelivery_pull_failed", error=str(exc))
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
        from warner.notify.telegram.bot import start_webhook

        application = self.application
        assert application is not None  # only called with a bot
        if self.webhook is not None:
            await start_webhook(application, *self.webhook)
            await stop.wait()
            return
        lock = self.engine.redis.lock(keys.TELEGRAM_POLLER, timeout=self.poll_lease_s)
        term: tuple[asyncio.Task[None], asyncio.Event] | None = None  # the polling task while this process polls
        try:
            while not stop.is_set():
                try:
                    if term is not None:
                        try:
                            await lock.reacquire()
                        except LockError:
                            log.warning("telegram_poller_lost_lease")
                            await _end(term)
                            term = None
                    elif await lock.acquire(blocking=False):
                        ended = asyncio.Event()
                        term = (asyncio.create_task(self._poller().run(ended), name="telegram-poll"), ended)
                        log.info("telegram_poller_elected")
                except RedisError as exc:
                    # Redis away for a moment: keep the state and try again next round. If the
                    # outage outlasts the lease, the next renewal raises LockError and polling stops.
                    log.warning("telegram_poller_redis_error", error=str(exc), polling=term is not None)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_lease_s / 3)
        finally:
            if term is not None:
                await _end(term)
                with contextlib.suppress(LockError, RedisError):
                    await lock.release()

    def _poller(self) -> UpdatePoller:
        """The getUpdates loop of this process (one health and one backoff across lease terms)."""
        from warner.notify.telegram.bot import ALLOWED_UPDATES
        from warner.notify.telegram.poller import UpdatePoller

        assert self.application is not None
        if self.poller is None:
            self.poller = UpdatePoller(
                self.application,
                self.poller_health,
                timeout_s=self.poll_timeout_s,
                allowed_updates=list(ALLOWED_UPDATES),
                gauge=self.poller_up,
                on_recovered=lambda: self.engine.redelivery.pull_forward("telegram_poller_recovered"),
            )
        return self.poller

    async def close(self) -> None:
        """Stop the bot (if it runs) and release every channel's HTTP client."""
        if self.application is not None:
            from warner.notify.telegram.bot import stop as stop_bot

            if self.application._initialized:  # PTB has no public flag
                await stop_bot(self.application)
            else:  # getMe never worked (a refused token); the channel sent through the bot's client all the same
                await self.application.bot.shutdown()  # the clients an attempted getMe opened
                await self.application.bot.request.shutdown()  # the one sends use, open since the bot was built
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
    roster = ConfigDirectory(config.oncall)
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
        from warner.web.sessions import link_issuer

        backend = BotBackend(roster, IncidentStore(redis), lifecycle, clock, config, sign_in=link_issuer(config, redis))
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
    slack = config.notify.slack
    if slack is not None and slack.signing_secret_env is not None:
        routes.append(_slack_interaction_route(config, slack.signing_secret_env, responder, roster))
    if config.notify.voice is not None and config.notify.voice.callback_routes():
        routes.append(_voice_key_routes(config.notify.voice, redis, codes, responder, roster))
    if routes_redeem_codes(config):
        from warner.notify.sms.inbound import retire_codes_listener

        responder.listeners.append(retire_codes_listener(codes))
    log.info("pager_ready", channels=sorted(notifier.channels), routes=len(config.escalation.routes))
    up = metrics.telegram_poller_up if metrics is not None and application is not None else None
    return Pager(
        engine, responder, notifier, roster, application=application, webhook=webhook, routes=routes, poller_up=up
    )


async def _end(term: tuple[asyncio.Task[None], asyncio.Event]) -> None:
    """Stop a polling term and wait for its task (it stops within one poll's timeout at most)."""
    task, ended = term
    ended.set()
    await asyncio.gather(task, return_exceptions=True)


def _slack_interaction_route(
    config: Config, signing_secret_env: str, responder: IncidentResponder, roster: ConfigDirectory
) -> Callable[[web.Application], None]:
    """What mounts ``POST /slack/interactions``: a signed "Übernehmen" press acknowledges as its person."""
    from warner.notify.secrets import read_secret
    from warner.notify.slack.interactions import SlackInteractions, add_slack_routes

    people = {p.slack_user_id: p.id for p in config.oncall.people if p.slack_user_id}
    interactions = SlackInteractions(
        read_secret(signing_secret_env, "notify.slack.signing_secret_env"),
        responder,
        people.get,
        language_of=lambda person: roster.recipient(person).language,
    )
    log.info("slack_interaction_route", people=len(people))
    return lambda app: add_slack_routes(app, interactions)


def _sms_reply_routes(
    sms: SmsConfig,
    inbound_config: SmsInboundConfig,
    redis: RedisClient,
    codes: AckCodes,
    responder: IncidentResponder,
    roster: ConfigDirectory,
) -> Callable[[web.Application], None]:
    """What mounts the SMS reply webhooks on the API app.

    Each reply route only with its secret (SmsConfig refuses a config that leaves one open).
    """
    from warner.notify.secrets import read_secret
    from warner.notify.sms.inbound import SmsInbound, add_sms_routes, status_from
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
    log.info("sms_reply_routes", routes=sms.reply_routes())
    return lambda app: add_sms_routes(app, inbound)


def routes_redeem_codes(config: Config) -> bool:
    """Whether an SMS reply or a key press can redeem ack codes: then codes retire when the
    incident is acknowledged or resolved on any channel (one listener for both)."""
    sms, voice = config.notify.sms, config.notify.voice
    return (sms is not None and sms.inbound is not None) or (voice is not None and bool(voice.callback_routes()))


def _voice_key_routes(
    voice: VoiceConfig,
    redis: RedisClient,
    codes: AckCodes,
    responder: IncidentResponder,
    roster: ConfigDirectory,
) -> Callable[[web.Application], None]:
    """What mounts the key-press routes of calls on the API app, each only with its secret
    (VoiceConfig refuses a config that would leave one open)."""
    from warner.notify.secrets import read_secret
    from warner.notify.sms.inbound import status_from
    from warner.notify.sms.lockout import ReplyLockout
    from warner.notify.voice.config import GATHER_PATH
    from warner.notify.voice.inbound import VoiceInbound, add_voice_routes

    twilio = voice.twilio if voice.provider == "twilio" else None
    inbound = VoiceInbound(
        codes,
        responder,
        roster.person_for_phone,
        ReplyLockout(redis),
        status_from(responder),
        language_of=lambda person: roster.recipient(person).language,
        twilio_auth_token=twilio.auth_token() if twilio is not None else None,
        gather_url=voice.url_of(GATHER_PATH) if twilio is not None else None,
        press_token=read_secret(voice.inbound.token_env, "notify.voice.inbound.token_env")
        if voice.inbound.token_env
        else None,
    )
    log.info("voice_key_routes", routes=voice.callback_routes())
    return lambda app: add_voice_routes(app, inbound)
