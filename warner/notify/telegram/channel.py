"""The Telegram channel: sends an alert with buttons, or edits the alert sent before.

``send`` never raises for remote failures; it reports a ``Delivery`` the delivery layer
decides on (retry after ``retry_after``, retry a transient error, give up on a permanent
one). The channel itself never retries.

Every alert it edits goes into an ``EditedMessages`` log shared with the bot: after a button
press the pager edits every alert of the incident, and the button handler then leaves the
pressed one alone instead of editing it a second time (the last edit would win, with the
figures of the moment of the press).
"""

from __future__ import annotations

import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import timedelta
from zoneinfo import ZoneInfo

import structlog
from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from warner.core import BERLIN, Recipient
from warner.notify.base import Delivery, Page
from warner.notify.telegram.config import TelegramConfig
from warner.notify.telegram.errors import bot_start_problem
from warner.notify.telegram.keyboard import CallbackSigner, incident_keyboard
from warner.notify.telegram.render import BUCKET_S, render_page

log = structlog.get_logger(__name__)

NAME = "telegram"
EDITS_KEPT = 1000


class EditedMessages:
    """The alert messages edited lately, in order: did the pager edit this one after that moment?

    In-process and bounded: the button handler asks right after the action it triggered,
    which edits (or does not) within the same call.
    """

    __slots__ = ("_edits", "_keep", "_seq")

    def __init__(self, keep: int = EDITS_KEPT) -> None:
        self._edits: OrderedDict[tuple[int, int], int] = OrderedDict()
        self._keep = keep
        self._seq = 0

    @property
    def mark(self) -> int:
        """A point in the sequence of edits, for ``edited_since``."""
        return self._seq

    def record(self, chat_id: int, message_id: int) -> None:
        self._seq += 1
        self._edits[(chat_id, message_id)] = self._seq
        self._edits.move_to_end((chat_id, message_id))
        while len(self._edits) > self._keep:
            self._edits.popitem(last=False)

    def edited_since(self, chat_id: int, message_id: int, mark: int) -> bool:
        return self._edits.get((chat_id, message_id), 0) > mark


class TelegramChannel:
    """Reaches a recipient with a ``telegram_id`` (a person's private chat or a group)."""

    name = NAME

    def __init__(
        self,
        bot: Bot,
        signer: CallbackSigner,
        *,
        brand_names: Mapping[str, str] | None = None,
        tz: ZoneInfo = BERLIN,
        clock: Callable[[], float] = time.time,
        owns_bot: bool = False,
        bucket_s: float = BUCKET_S,
        edits: EditedMessages | None = None,
    ):
        self._bot = bot
        self._signer = signer
        self._brand_names = dict(brand_names or {})
        self._tz = tz
        self._clock = clock
        self._owns_bot = owns_bot
        # Where the bot starts, for a refusal that says what to check (``create`` knows the config).
        self.start_hint = ("the Bot API", "the token variable")
        self._initialized = not owns_bot
        self._bucket_s = bucket_s
        self.edits = edits if edits is not None else EditedMessages()

    @classmethod
    def create(
        cls,
        config: TelegramConfig,
        token: str,
        callback_key: bytes,
        *,
        brand_names: Mapping[str, str] | None = None,
        tz: ZoneInfo = BERLIN,
        clock: Callable[[], float] = time.time,
    ) -> TelegramChannel:
        """A channel with its own Bot (when the bot runs in-process, share ``application.bot`` instead)."""
        bot = Bot(token, base_url=f"{config.base_url}/bot", base_file_url=f"{config.base_url}/file/bot")
        signer = CallbackSigner(callback_key, config.stale_after)
        channel = cls(bot, signer, brand_names=brand_names, tz=tz, clock=clock, owns_bot=True)
        channel.start_hint = (config.base_url, config.token_env)
        return channel

    def can_reach(self, recipient: Recipient) -> bool:
        return recipient.telegram_id is not None

    async def send(self, page: Page) -> Delivery:
        chat_id = page.recipient.telegram_id
        if chat_id is None:
            return Delivery(NAME, "", ok=False, latency_s=0.0, error="recipient has no telegram_id", permanent=True)
        started = time.perf_counter()
        target = str(chat_id)
        try:
            if not self._initialized:
                await self._bot.initialize()
                self._initialized = True
            message = await self._deliver(page, chat_id)
        except TelegramError as exc:
            delivery = failed_delivery(exc, target, time.perf_counter() - started)
            if delivery is None:  # the message already says this: nothing to do
                return Delivery(
                    NAME, target, ok=True, latency_s=time.perf_counter() - started, message_ref=page.message_ref
                )
            log.warning(
                "telegram_send_failed",
                incident_id=page.incident.id,
                recipient=page.recipient.id,
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

    async def send_test(self, recipient: Recipient, text: str) -> Delivery:
        """A plain message without buttons (``oncall/test_page.py``): does the bot reach this person's chat?"""
        chat_id = recipient.telegram_id
        if chat_id is None:
            error = f"{recipient.id} has no telegram_id"
            return Delivery(NAME, "", ok=False, latency_s=0.0, error=error, permanent=True)
        started, target = time.perf_counter(), str(chat_id)
        if not self._initialized:
            try:
                await self._bot.initialize()
            except TelegramError as exc:  # getMe: the token or base_url, said so, never the token itself
                base_url, token_env = self.start_hint
                problem = bot_start_problem(exc, base_url, token_env)
                elapsed = time.perf_counter() - started
                return Delivery(NAME, target, ok=False, latency_s=elapsed, error=problem.line,
                                permanent=not problem.unreachable)
            self._initialized = True
        try:
            message = await self._bot.send_message(chat_id, text)
        except TelegramError as exc:
            failed = failed_delivery(exc, target, time.perf_counter() - started)
            error = f"{type(exc).__name__}: {exc.message}"  # 'not modified' (failed is None) cannot happen here
            return failed or Delivery(NAME, target, ok=False, latency_s=time.perf_counter() - started, error=error)
        ref = f"{message.chat_id}:{message.message_id}"
        return Delivery(NAME, target, ok=True, latency_s=time.perf_counter() - started, message_ref=ref)

    async def close(self) -> None:
        if self._owns_bot and self._initialized:
            await self._bot.shutdown()
            self._initialized = False

    async def _deliver(self, page: Page, chat_id: int) -> Message:
        text = render_page(page, self._brand_names, self._tz, self._bucket_s)
        markup = self._keyboard(page)
        ref = _parse_ref(page.message_ref)
        if ref is not None:
            try:
                edited = await self._bot.edit_message_text(
                    text, chat_id=ref[0], message_id=ref[1], parse_mode=ParseMode.HTML, reply_markup=markup
                )
            except BadRequest as exc:
                if "message is not modified" in exc.message.lower():
                    self.edits.record(*ref)  # it already shows this: as good as edited
                if "message to edit not found" not in exc.message.lower():
                    raise
                log.info("telegram_message_gone", incident_id=page.incident.id, message_ref=page.message_ref)
            else:
                self.edits.record(*ref)
                if isinstance(edited, Message):
                    return edited
        return await self._bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)

    def _keyboard(self, page: Page) -> InlineKeyboardMarkup | None:
        if page.kind == "resolved" or page.incident.status == "closed":
            return None
        try:
            return incident_keyboard(self._signer, page.incident.id, page.recipient.language, self._clock())
        except ValueError as exc:  # an incident id too long for 64 bytes: the alert matters more than buttons
            log.warning("telegram_keyboard_omitted", incident_id=page.incident.id, error=str(exc))
            return None


def _parse_ref(ref: str | None) -> tuple[int, int] | None:
    """'chat_id:message_id' as sent back in Delivery.message_ref."""
    if not ref:
        return None
    chat, _, message = ref.rpartition(":")
    try:
        return int(chat), int(message)
    except ValueError:
        return None


def failed_delivery(exc: TelegramError, target: str, latency_s: float) -> Delivery | None:
    """The ``Delivery`` for a failed Bot API request, or None when the failure means 'already done'.

    One judgement for every sender on Telegram (alerts, test pages, the weekly digest): 429 ->
    ``retry_after``; a bad request, a blocked bot, a bad token or a migrated chat -> permanent;
    network errors and 5xx -> transient. None only for an edit that changed nothing.
    """
    error = f"{type(exc).__name__}: {exc.message}"
    if isinstance(exc, RetryAfter):
        return Delivery(NAME, target, ok=False, latency_s=latency_s, error=error, retry_after=retry_after_s(exc))
    if isinstance(exc, BadRequest):  # before NetworkError: BadRequest is a subclass
        if "message is not modified" in exc.message.lower():
            return None
        return Delivery(NAME, target, ok=False, latency_s=latency_s, error=error, permanent=True)
    if isinstance(exc, Forbidden | InvalidToken | ChatMigrated):
        return Delivery(NAME, target, ok=False, latency_s=latency_s, error=error, permanent=True)
    # NetworkError (timeouts, connection errors, 5xx) and anything else: worth another try
    return Delivery(NAME, target, ok=False, latency_s=latency_s, error=error)


def retry_after_s(exc: RetryAfter) -> float:
    """Seconds Telegram asked us to wait (PTB 22 warns about int vs timedelta; both are handled)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
