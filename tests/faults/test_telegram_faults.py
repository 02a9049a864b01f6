"""The Bot API misbehaves while a storm pages: flood limits, server errors, requests that hang.

What is already pinned elsewhere: the retry decisions themselves against plain HTTP doubles
(``tests/notify/test_delivery.py``), the channel's verdict per status (``test_telegram_channel.py``)
and a Telegram outage (502) failing over to SMS end to end (``tests/oncall/test_paging_end_to_end.py``).
Here the same end-to-end pager — the real python-telegram-bot client against the local Bot API
double, the Twilio adapter against the SMS double — meets the faults those leave out: a 429
whose ``retry_after`` is waited out or is too long to wait for, a 500, and requests that hang
past the client's read timeout (5 s, python-telegram-bot's default). Each time the on-call
person is reached, by one page per escalation level, and the timeline shows every attempt.

A request that times out but *was* delivered (Telegram slow, not down) cannot be told apart
from one that was not; the retry then sends a second alert. Pages are at-least-once by design:
a page too many beats a page lost.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web
from doubles.sms_gateway import SmsGateway
from doubles.telegram_api import ApiCall, TelegramApiDouble
from oncall.test_paging_end_to_end import (
    ANNA,
    BEN,
    paging_config,
    replay_storm,
    running_pager,
)

from warner.core import ManualClock
from warner.scenarios import saturday_storm

pytestmark = pytest.mark.timeout(60)

CLIENT_READ_TIMEOUT_S = 5.0  # python-telegram-bot's default; warner does not change it


class HangingTelegram(TelegramApiDouble):
    """The Bot API double, plus requests that hang: ``hang(method, times)`` and they never answer."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._hang: dict[str, int] = {}
        self._released = asyncio.Event()

    def hang(self, method: str, times: int) -> None:
        self._hang[method] = times

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if self._hang.get(method, 0) > 0:
            self._hang[method] -= 1
            self.calls.append(ApiCall(method, {"hung": True}, time.perf_counter()))
            await self._released.wait()  # the client gave up long ago; nothing is delivered
            return web.json_response({"ok": False, "error_code": 504, "description": "hung"}, status=504)
        return await super()._dispatch(request)

    async def __aexit__(self, *exc: object) -> None:
        self._released.set()
        await super().__aexit__(*exc)


@pytest.fixture
async def doubles(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("TEST_TELEGRAM_TOKEN", "123456:test-token")
    monkeypatch.setenv("TEST_TWILIO_TOKEN", "twilio-test-token")
    async with HangingTelegram() as telegram, SmsGateway() as sms:
        yield telegram, sms


def alerts_to(telegram: TelegramApiDouble, chat_id: int) -> list[dict]:
    """Alerts the person actually has in their chat (delivered messages, not attempts)."""
    return [m for (chat, _), m in telegram.messages.items() if chat == chat_id]


async def deliveries(pager, level: int | None = None) -> list[tuple[str, str, bool]]:
    timeline = await pager.engine.incidents.timeline("kesselberg", 1)
    return [
        (e["recipient"], e["channel"], e["ok"])
        for e in timeline
        if e.get("kind") == "delivery" and (level is None or e["level"] == level)
    ]


async def page_level_one(pager, redis, config, clock) -> float:
    """The storm opens the incident; level 1 runs; returns how long its page took."""
    await replay_storm(redis, config, pager.hooks)
    clock.advance(1)
    started = time.monotonic()
    await pager.engine.run_due()
    return time.monotonic() - started


async def test_a_flood_limit_is_waited_out_and_each_level_pages_once(redis, tokens, doubles):
    telegram, sms = doubles
    config = paging_config(telegram, sms)
    clock = ManualClock(saturday_storm().start.timestamp())
    telegram.fail("sendMessage", status=429, retry_after=1, times=1)
    async with running_pager(config, redis, clock) as pager:
        took = await page_level_one(pager, redis, config, clock)
        assert took >= 1.0  # Telegram's retry_after, honoured
        assert len(alerts_to(telegram, ANNA)) == 1
        assert await deliveries(pager, level=1) == [("anna", "telegram", False), ("anna", "telegram", True)]

        clock.advance(5 * 60 + 1)  # nobody acknowledged: level 2, Ben on Telegram and SMS
        await pager.engine.run_due()
        for _ in range(3):  # and nothing more until the next step is due
            await pager.engine.run_due()
        assert len(alerts_to(telegram, ANNA)) == 1 and len(alerts_to(telegram, BEN)) == 1
        assert [r.form["To"] for r in sms.requests] == ["+4915122222222"]
        assert sorted(await deliveries(pager, level=2)) == [("ben", "sms", True), ("ben", "telegram", True)]


async def test_a_flood_limit_too_long_to_wait_for_fails_over_to_sms_at_once(redis, tokens, doubles):
    telegram, sms = doubles
    config = paging_config(telegram, sms, level1="telegram, sms")
    clock = ManualClock(saturday_storm().start.timestamp())
    telegram.fail("sendMessage", status=429, retry_after=600, times=5)
    async with running_pager(config, redis, clock) as pager:
        took = await page_level_one(pager, redis, config, clock)
        assert took < 5.0  # not ten minutes
        assert alerts_to(telegram, ANNA) == []
        assert [r.form["To"] for r in sms.requests] == ["+4915111111111"]
        assert await deliveries(pager, level=1) == [("anna", "telegram", False), ("anna", "sms", True)]


async def test_a_server_error_is_retried_and_the_page_goes_out_once(redis, tokens, doubles):
    telegram, sms = doubles
    config = paging_config(telegram, sms, level1="telegram, sms")
    clock = ManualClock(saturday_storm().start.timestamp())
    telegram.fail("sendMessage", status=500, times=1)
    async with running_pager(config, redis, clock) as pager:
        await page_level_one(pager, redis, config, clock)
        assert len(alerts_to(telegram, ANNA)) == 1 and sms.requests == []  # no SMS: Telegram got there
        assert await deliveries(pager, level=1) == [("anna", "telegram", False), ("anna", "telegram", True)]


async def test_a_bot_api_that_hangs_times_out_and_the_page_fails_over_to_sms(redis, tokens, doubles):
    telegram, sms = doubles
    config = paging_config(telegram, sms, level1="telegram, sms")
    clock = ManualClock(saturday_storm().start.timestamp())
    telegram.hang("sendMessage", times=2)  # both attempts (max_attempts: 2) hang
    async with running_pager(config, redis, clock) as pager:
        took = await page_level_one(pager, redis, config, clock)
        assert took < 3 * CLIENT_READ_TIMEOUT_S  # two timeouts, then SMS — no hang
        assert alerts_to(telegram, ANNA) == []
        assert [r.form["To"] for r in sms.requests] == ["+4915111111111"]
        assert await deliveries(pager, level=1) == [
            ("anna", "telegram", False),
            ("anna", "telegram", False),
            ("anna", "sms", True),
        ]
        timeline = await pager.engine.incidents.timeline("kesselberg", 1)
        errors = [e["error"] for e in timeline if e.get("kind") == "delivery" and not e["ok"]]
        assert all("TimedOut" in error for error in errors)


async def test_a_request_that_hangs_once_is_retried_and_delivered_once(redis, tokens, doubles):
    telegram, sms = doubles
    config = paging_config(telegram, sms, level1="telegram, sms")
    clock = ManualClock(saturday_storm().start.timestamp())
    telegram.hang("sendMessage", times=1)
    async with running_pager(config, redis, clock) as pager:
        took = await page_level_one(pager, redis, config, clock)
        assert CLIENT_READ_TIMEOUT_S <= took < 2 * CLIENT_READ_TIMEOUT_S
        assert len(alerts_to(telegram, ANNA)) == 1 and sms.requests == []
        assert await deliveries(pager, level=1) == [("anna", "telegram", False), ("anna", "telegram", True)]
