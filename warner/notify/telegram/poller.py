"""Long polling that never gives up: getUpdates with capped backoff, and the poller's health.

python-telegram-bot's own polling loop ends for good on a refused token ("Invalid token.
Aborting retry loop", a traceback in the log) and nothing starts it again: a revoked token
left the bot deaf until a restart, and the process looked healthy. This loop keeps asking —
a refused token, a network error, a 409 Conflict (another poller) alike — waiting 1 s, doubling
to ``max_backoff``, with one ``telegram_poll_failed`` event per failure (error class and
Telegram's text, never the token). ``PollerHealth`` says whether it works now (for /readyz
and ``warner_telegram_poller_up``); ``on_recovered`` runs when it works again after failures,
so pages that failed meanwhile are sent at once (``Redelivery.pull_forward``).

A process reads the token once, at start; a rotated token reaches it by a restart
(deploy/OPERATIONS.md, "Rotating the Telegram bot token").
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import structlog
from telegram.error import InvalidToken, TelegramError

from warner.notify.telegram.health import PollerHealth

if TYPE_CHECKING:
    from prometheus_client import Gauge

    from warner.notify.telegram.bot import BotApplication

log = structlog.get_logger(__name__)


class UpdatePoller:
    """Feeds ``application``'s update queue from getUpdates until stopped; see the module doc."""

    def __init__(
        self,
        application: BotApplication,
        health: PollerHealth,
        *,
        timeout_s: int,
        allowed_updates: list[str],
        gauge: Gauge | None = None,
        on_recovered: Callable[[], Awaitable[object]] | None = None,
        first_backoff: float = 1.0,
        max_backoff: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.application = application
        self.health = health
        self.timeout_s = timeout_s
        self.allowed_updates = allowed_updates
        self.gauge = gauge
        self.on_recovered = on_recovered
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.clock = clock
        self._offset: int | None = None

    def backoff(self, failures: int) -> float:
        return float(min(self.first_backoff * 2 ** min(failures - 1, 16), self.max_backoff))

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop``: start the application (getMe), drop any webhook, then getUpdates for ever."""
        ready = False
        self.health.polling = True
        try:
            while not stop.is_set():
                try:
                    if not ready:
                        await self._start()
                        ready = True
                        await self._worked()  # getMe answered: up, before the first long poll returns
                    updates = await self._get_updates(stop)
                except TelegramError as exc:
                    await self._failed(exc, stop)
                    continue
                if updates is None:  # stopped while waiting
                    return
                await self._worked()
                for update in updates:
                    await self.application.update_queue.put(update)
                if updates:
                    self._offset = updates[-1].update_id + 1
        finally:
            self.health.polling = False
            self._set_up(False)

    async def _start(self) -> None:
        from warner.notify.telegram.bot import register_commands

        await self.application.initialize()  # getMe: raises InvalidToken for a revoked token
        if not self.application.running:
            await self.application.start()
        await self.application.bot.delete_webhook()
        await register_commands(self.application)
        log.info("telegram_polling_started", bot=self.application.bot.username)

    async def _get_updates(self, stop: asyncio.Event) -> tuple[Any, ...] | None:
        """One long poll; None when ``stop`` was set first."""
        poll = asyncio.ensure_future(
            self.application.bot.get_updates(
                offset=self._offset, timeout=self.timeout_s, allowed_updates=self.allowed_updates
            )
        )
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({poll, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if not poll.done():
            poll.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await poll
            return None
        return tuple(poll.result())

    async def _failed(self, exc: TelegramError, stop: asyncio.Event) -> None:
        self.health.failures += 1
        # PTB's InvalidToken from getMe quotes the token; Telegram's own answer is its cause
        cause = exc.__cause__ if isinstance(exc, InvalidToken) else None
        detail = cause.message if isinstance(cause, TelegramError) else exc.message
        if "token `" in detail:
            detail = "token refused"
        self.health.last_error = f"{type(exc).__name__}: {detail}"
        self._set_up(False)
        delay = self.backoff(self.health.failures)
        log.warning("telegram_poll_failed", error=type(exc).__name__, detail=detail,
                    failures=self.health.failures, retry_in_s=delay)  # fmt: skip
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)

    async def _worked(self) -> None:
        if self.health.up:
            return
        failed = self.health.failures
        self.health.failures = 0
        self._set_up(True)
        if failed:
            log.info("telegram_poller_recovered", after_failures=failed)
            if self.on_recovered is not None:
                try:
                    await self.on_recovered()
                except Exception as exc:  # a Redis blip must not stop the poller; the timers' backoff still runs
                    log.warning("telegram_poller_recovery_hook_failed", error=repr(exc))

    def _set_up(self, up: bool) -> None:
        if self.health.up != up or self.health.since is None:
            self.health.since = self.clock()
        self.health.up = up
        if self.gauge is not None:
            self.gauge.set(1 if up else 0)
