"""Sending the digest on Telegram: per recipient the chart with a caption, then the text, in their language.

``send_digest`` never raises for remote failures; it reports per recipient what was sent
and how the failure is to be judged, with the same mapping as the alert channel
(429 -> ``retry_after``, 5xx and network errors transient, unknown or blocking chat
permanent). It never retries itself. If the photo fails, the text is not attempted, so
a retry of that recipient sends both; if only the text fails, retry just the text.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import structlog
from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import TelegramError

from warner.core import Language
from warner.digest.model import WeekFigures
from warner.digest.report import caption, telegram_text
from warner.notify.base import Delivery
from warner.notify.telegram.channel import NAME, failed_delivery
from warner.notify.telegram.config import TelegramConfig, TelegramSecrets

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DigestDelivery:
    """What reached one chat: the photo (None when there was no chart) and the text (None when not attempted)."""

    chat_id: int
    language: Language
    photo: Delivery | None
    text: Delivery | None

    @property
    def ok(self) -> bool:
        return (self.photo is None or self.photo.ok) and self.text is not None and self.text.ok

    @property
    def failure(self) -> Delivery | None:
        """The failed attempt (photo or text), if any."""
        return next((d for d in (self.photo, self.text) if d is not None and not d.ok), None)

    @property
    def retry_after(self) -> float | None:
        return self.failure.retry_after if self.failure else None

    @property
    def permanent(self) -> bool:
        return bool(self.failure and self.failure.permanent)

    @property
    def error(self) -> str | None:
        return self.failure.error if self.failure else None


def digest_bot(config: TelegramConfig, secrets: TelegramSecrets) -> Bot:
    """A Bot for sending the digest; use it as ``async with digest_bot(...) as bot:``."""
    return Bot(secrets.token, base_url=f"{config.base_url}/bot", base_file_url=f"{config.base_url}/file/bot")


async def send_digest(
    bot: Bot, chat_ids: list[tuple[int, Language]], figures: WeekFigures, chart_png: bytes | None
) -> list[DigestDelivery]:
    """Send the digest to each (chat id, language); ``bot`` must be initialised. One result per recipient."""
    results = []
    for chat_id, language in chat_ids:
        photo = None
        if chart_png is not None:
            send_photo = partial(
                bot.send_photo,
                chat_id,
                chart_png,
                caption=caption(figures, language),
                parse_mode=ParseMode.HTML,
                filename=f"digest-{figures.week}.png",
            )
            photo = await _attempt(figures, chat_id, "photo", send_photo)
        text = None
        if photo is None or photo.ok:
            send_text = partial(bot.send_message, chat_id, telegram_text(figures, language), parse_mode=ParseMode.HTML)
            text = await _attempt(figures, chat_id, "text", send_text)
        result = DigestDelivery(chat_id, language, photo, text)
        if result.ok:
            log.info("digest_sent", week=figures.week, chat_id=chat_id, language=language)
        results.append(result)
    return results


async def _attempt(
    figures: WeekFigures, chat_id: int, part: str, request: Callable[[], Awaitable[Message]]
) -> Delivery:
    started = time.perf_counter()
    target = str(chat_id)
    try:
        message = await request()
    except TelegramError as exc:
        latency = time.perf_counter() - started
        # failed_delivery returns None only for an edit that changed nothing; a send has no such case
        delivery = failed_delivery(exc, target, latency) or Delivery(
            NAME, target, ok=False, latency_s=latency, error=str(exc)
        )
        log.warning(
            "digest_send_failed",
            week=figures.week,
            chat_id=chat_id,
            part=part,
            error=delivery.error,
            retry_after=delivery.retry_after,
            permanent=delivery.permanent,
        )
        return delivery
    return Delivery(
        NAME,
        target,
        ok=True,
        latency_s=time.perf_counter() - started,
        message_ref=f"{message.chat_id}:{message.message_id}",
    )
