"""A digest that cannot go out says why in one line, and the scheduler gives up on what retrying cannot fix.

Real parts: the real ``send_weekly_digest`` with python-telegram-bot against the local Bot
API double, a private redis-server, the scheduler on a manual clock.
"""

from __future__ import annotations

import pytest
from digest.recipients import ANNA, BEN, digest_yaml
from structlog.testing import capture_logs
from support import CONFIG_YAML

from warner.config.loading import parse_config
from warner.core import ManualClock
from warner.digest import failures
from warner.digest.failures import DigestFailure
from warner.digest.schedule import DigestScheduler
from warner.digest.since import record_since
from warner.digest.weekly import send_weekly_digest
from warner.metrics import Metrics
from warner.store import keys

TOKEN = "123456:test-token"
MONDAY = 1795417200.0  # Monday 23 Nov 2026, 08:00 in Berlin




def digest_config(base_url: str, out):  # type: ignore[no-untyped-def]
    return parse_config(CONFIG_YAML + digest_yaml(base_url, out), "d.yaml")


@pytest.fixture
def config(tokens, telegram, tmp_path):
    return digest_config(telegram.base_url, tmp_path)


async def failure_of(redis, config) -> DigestFailure:
    with pytest.raises(DigestFailure) as caught:
        await send_weekly_digest(redis, config, "2026-W47")
    assert TOKEN not in str(caught.value)
    return caught.value


async def test_a_token_telegram_does_not_know_is_named_as_such_not_as_a_traceback(redis, config, telegram) -> None:
    telegram.fail("getMe", status=404, description="Not Found")
    failure = await failure_of(redis, config)
    assert (failure.reason, failure.permanent) == (failures.TOKEN_REFUSED, True)
    assert str(failure) == (
        f"Telegram refused the bot token (404 Not Found from {telegram.base_url}/bot<token>/getMe): "
        "check the token in TEST_TELEGRAM_TOKEN (notify.telegram.token_env) and notify.telegram.base_url"
    )
    assert telegram.calls_of("sendPhoto") == telegram.calls_of("sendMessage") == []


async def test_a_base_url_that_is_not_the_bot_api_is_told_apart(redis, tokens, telegram, tmp_path) -> None:
    failure = await failure_of(redis, digest_config(f"{telegram.base_url}/not-the-api", tmp_path))
    assert failure.reason == failures.TOKEN_REFUSED
    assert "(404 Not Found, not a Bot API answer from " in str(failure)


async def test_an_unreachable_api_is_worth_another_try(redis, config, telegram) -> None:
    telegram.fail("sendMessage", status=502, times=2)
    telegram.fail("sendPhoto", status=502, times=2)
    failure = await failure_of(redis, config)
    assert (failure.reason, failure.permanent) == (failures.TELEGRAM_UNREACHABLE, False)
    assert "reached none of its 2 recipients" in str(failure)


async def test_chats_that_all_refuse_the_bot_are_permanent(redis, config, telegram) -> None:
    telegram.blocked_chats.update({ANNA, BEN})
    failure = await failure_of(redis, config)
    assert (failure.reason, failure.permanent) == (failures.RECIPIENTS_REFUSED, True)
    assert "have sent /start to the bot" in str(failure)


async def test_a_missing_token_variable_is_named(redis, config, telegram, monkeypatch) -> None:
    monkeypatch.delenv("TEST_TELEGRAM_TOKEN")
    failure = await failure_of(redis, config)
    assert (failure.reason, failure.permanent) == (failures.NOT_CONFIGURED, True)
    assert "TEST_TELEGRAM_TOKEN" in str(failure)


async def test_one_recipient_refusing_does_not_fail_the_digest(redis, config, telegram) -> None:
    telegram.blocked_chats.add(BEN)
    sent = await send_weekly_digest(redis, config, "2026-W47")
    assert [(d.chat_id, d.ok) for d in sent.deliveries] == [(ANNA, True), (BEN, False)]
    assert [d.chat_id for d in sent.failed] == [BEN] and sent.saved["md"].exists()


async def test_the_scheduler_gives_up_a_refused_token_after_three_tries_over_three_minutes(
    redis, config, telegram
) -> None:
    await record_since(redis, MONDAY - 30 * 86400)
    telegram.fail("getMe", status=404, times=100, description="Not Found")
    clock, metrics = ManualClock(MONDAY), Metrics()

    async def send(week: str) -> None:
        await send_weekly_digest(redis, config, week)

    scheduler = DigestScheduler(redis, config.digest, send, clock, metrics=metrics)
    with capture_logs() as logs:
        for _ in range(60):  # an hour of checks, a minute apart
            await scheduler.check()
            clock.advance(60)

    assert len(telegram.calls_of("getMe")) == 3
    (given_up,) = [e for e in logs if e["event"] == "digest_given_up"]
    assert (given_up["log_level"], given_up["week"], given_up["tries"]) == ("warning", "2026-W47", 3)
    assert given_up["reason"] == failures.TOKEN_REFUSED and "404 Not Found" in given_up["error"]
    assert not [e for e in logs if e["log_level"] in ("warning", "error") and "exc_info" in e]
    assert metrics.registry.get_sample_value("warner_digest_failures_total", {"reason": "token_refused"}) == 3
    assert metrics.registry.get_sample_value("warner_digest_given_up_total", {"reason": "token_refused"}) == 1
    assert (await redis.get(keys.digest_sent("2026-W47"))).startswith(b"given up")
