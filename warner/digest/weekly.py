"""One week's digest end to end: figures from Redis, the chart, the saved reports, the Telegram messages.

Used by the scheduler inside ``warner run`` and by ``warner digest --send``; the parts it
combines live in ``figures.py`` (numbers), ``chart.py`` (PNG), ``report.py``
(Markdown/HTML/Telegram text) and ``telegram.py`` (sending). A digest that reached nobody
raises ``DigestFailure`` (``failures.py``) with a reason and a one-line message, so neither
the scheduler nor the CLI has to interpret a library's exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from warner.digest.config import DigestSettings
from warner.digest.model import WeekFigures

if TYPE_CHECKING:
    from warner.core import Language
    from warner.digest.mail import MailDelivery
    from warner.digest.telegram import DigestDelivery
    from warner.notify.base import Delivery
    from warner.store.connection import RedisClient

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class Digest:
    figures: WeekFigures
    chart_png: bytes


@dataclass(frozen=True, slots=True)
class SentDigest:
    """What ``send_weekly_digest`` did: the saved reports by suffix, one delivery per Telegram recipient, per mail."""

    saved: dict[str, Path]
    deliveries: list[DigestDelivery] = field(default_factory=list)
    mails: list[MailDelivery] = field(default_factory=list)
    announcements: list[Delivery] = field(default_factory=list)  # team chats (digest/announce.py)

    @property
    def failed(self) -> list[DigestDelivery]:
        return [d for d in self.deliveries if not d.ok]


async def build_digest(redis: RedisClient, config: DigestSettings, week: str, language: Language = "de") -> Digest:
    from warner.digest.chart import render_chart
    from warner.digest.figures import week_figures

    figures = await week_figures(redis, config, week, time_zone=config.digest.time_zone)
    return Digest(figures, render_chart(figures, language=language))


def recipients(config: DigestSettings) -> list[tuple[int, Language]]:
    """(Telegram chat id, language) of every digest recipient who can be reached there."""
    people = {p.id: p for p in config.oncall.people}
    return [
        (chat_id, people[r].language)
        for r in config.digest.recipients
        if r in people and (chat_id := people[r].telegram_id) is not None
    ]


async def send_weekly_digest(redis: RedisClient, config: DigestSettings, week: str) -> SentDigest:
    """Build, save (Markdown, HTML, PNG) and send to the recipients on Telegram and by mail.

    Raises ``DigestFailure`` when no recipient got it: the bot cannot start (token refused, API
    unreachable, a secret missing) and no mail went out either, or every recipient refused it.
    A digest that reached some recipients is sent (the others are logged and listed in
    ``SentDigest.failed`` and ``SentDigest.mails``).
    """
    from warner.digest.failures import DigestFailure, delivery_failure
    from warner.digest.mail import mail_readers, send_digest_mails
    from warner.digest.report import save_reports

    digest = await build_digest(redis, config, week)
    saved = save_reports(digest.figures, config.digest.directory(config.redis.data_dir), digest.chart_png)
    to = recipients(config)
    mails = await send_digest_mails(config, mail_readers(config), digest.figures, digest.chart_png)
    deliveries: list[DigestDelivery] = []
    if to and config.notify.telegram is not None:
        try:
            deliveries = await _deliver(config, to, digest)
        except DigestFailure as bot_down:
            if not any(m.ok for m in mails):
                raise
            log.warning("digest_telegram_failed", week=week, reason=bot_down.reason, error=bot_down.message)
    if failure := delivery_failure(week, deliveries, mails):
        raise failure
    if any(not d.ok for d in deliveries):
        log.warning(
            "digest_delivery_failed", week=week, failed=[f"{d.chat_id}: {d.error}" for d in deliveries if not d.ok]
        )
    from warner.digest.announce import announce_digest

    announcements = await announce_digest(config, digest.figures)  # never raises: failures are listed
    log.info(
        "digest_ready",
        week=week,
        files=sorted(str(p) for p in saved.values()),
        telegram=len(to),
        mail=len(mails),
        team_chats=len(announcements),
    )
    return SentDigest(saved, deliveries, mails, announcements)


async def _deliver(config: DigestSettings, to: list[tuple[int, Language]], digest: Digest) -> list[DigestDelivery]:
    from telegram.error import TelegramError

    from warner.digest.failures import NOT_CONFIGURED, DigestFailure, bot_failure
    from warner.digest.telegram import digest_bot, send_digest
    from warner.notify.telegram.config import TelegramSecretError

    telegram = config.notify.telegram
    assert telegram is not None
    try:
        secrets = telegram.secrets()
    except TelegramSecretError as exc:
        raise DigestFailure(NOT_CONFIGURED, str(exc), permanent=True) from None
    try:
        async with digest_bot(telegram, secrets) as bot:  # starting it asks getMe: token and base_url checked here
            return await send_digest(bot, to, digest.figures, digest.chart_png)
    except TelegramError as exc:  # send_digest reports per recipient; only the bot's start or shutdown raises
        raise bot_failure(exc, telegram.base_url, telegram.token_env) from None

