"""No secret reaches a log line: secret-named keys are blanked, registered secret values too."""

from __future__ import annotations

import pytest
import structlog
from aiohttp.test_utils import TestClient, TestServer
from structlog.testing import capture_logs

from warner.config.loading import ConfigError, parse_config
from warner.config.secrets import check_runtime_secrets
from warner.ingest.app import create_app
from warner.logs import REDACTED, REDACTOR, configure_logging, register_secrets
from warner.security import config_secrets, register_config_secrets

log = structlog.get_logger("test")


@pytest.fixture(autouse=True)
def _reset_structlog():
    yield
    structlog.reset_defaults()


def test_values_of_secret_named_keys_are_blanked():
    with capture_logs(processors=[REDACTOR]) as logs:
        log.info(
            "request_seen",
            authorization="Bearer abc",
            api_key="k-123",
            password="hunter2",
            headers={"Authorization": "Bearer abc", "Content-Type": "application/json"},
            token_env="TEST_TOKEN_WEBHOOK",
            token_count=2,
            source="webhook",
        )
    (event,) = logs
    assert event["authorization"] == event["api_key"] == event["password"] == REDACTED
    assert event["headers"] == {"Authorization": REDACTED, "Content-Type": "application/json"}
    assert (event["token_env"], event["token_count"], event["source"]) == ("TEST_TOKEN_WEBHOOK", 2, "webhook")


def test_registered_secrets_are_blanked_wherever_they_appear():
    register_secrets(["s3cr3t-value-for-logs", "pw-in-a-redis-url", None, "", "abc"])
    with capture_logs(processors=[REDACTOR]) as logs:
        log.info("x", value="s3cr3t-value-for-logs")
        log.info("y", note="the header was 'Bearer s3cr3t-value-for-logs', refused", short="abc")
        log.info("z", url="redis://:pw-in-a-redis-url@10.0.0.5:6379/0", items=["s3cr3t-value-for-logs", 3])
        log.info("s3cr3t-value-for-logs")
    text = repr(logs)
    assert "s3cr3t-value-for-logs" not in text and "pw-in-a-redis-url" not in text
    assert logs[1]["note"] == f"the header was 'Bearer {REDACTED}', refused"
    assert logs[1]["short"] == "abc"  # too short to be registered: would blank every "abc"
    assert logs[2]["url"] == f"redis://:{REDACTED}@10.0.0.5:6379/0"
    assert logs[2]["items"] == [REDACTED, 3]
    assert logs[3]["event"] == REDACTED


def test_the_redactor_keeps_only_digests():
    register_secrets(["plaintext-never-kept"])
    assert "plaintext-never-kept" not in repr(REDACTOR._by_anchor)


def test_config_secrets_are_read_from_the_named_variables(monkeypatch):
    monkeypatch.setenv("TG_TOKEN", "123456:telegram-bot-token")
    monkeypatch.setenv("SRC_TOKEN", "source-token-value")
    monkeypatch.setenv("REDIS_URL", "redis://:redis-password@10.1.1.1:6379")
    config = parse_config(
        "ingest: {sources: [{name: api, token_env: SRC_TOKEN}]}\nnotify: {telegram: {token_env: TG_TOKEN}}\n"
    )
    assert sorted(config_secrets(config)) == ["123456:telegram-bot-token", "redis-password", "source-token-value"]
    register_config_secrets(config)
    with capture_logs(processors=[REDACTOR]) as logs:
        log.error("send_failed", error="POST https://api.telegram.org/bot123456:telegram-bot-token/sendMessage: 502")
    assert "telegram-bot-token" not in logs[0]["error"]


@pytest.mark.parametrize("fmt", ["json", "console"])
async def test_a_request_and_a_config_error_print_no_token(fmt, config, redis, tokens, make_mention, capsys):
    """With the real renderer: the app at debug level, a handler logging headers, an exception and a config error."""
    configure_logging("debug", fmt)
    app = create_app(config, redis)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        headers = {"Authorization": f"Bearer {tokens['webhook']}"}
        response = await client.post("/v1/mentions", json=make_mention(), headers=headers)
        assert response.status == 202
        wrong = await client.post(
            "/v1/mentions", json=make_mention(), headers={"Authorization": "Bearer forum-secret-token"[:-1]}
        )
        assert wrong.status == 401
    log.info("request_received", headers=headers, peer="127.0.0.1")
    log.warning("auth_refused", detail=f"presented {headers['Authorization']}")
    try:
        raise RuntimeError(f"upstream rejected token {tokens['forum']}")
    except RuntimeError:
        log.exception("unexpected_failure")
    issues = check_runtime_secrets(
        parse_config(
            "ingest: {sources: [{name: api, token_env: WARNER_TEST_UNSET_TOKEN}, "
            "{name: web, token_env: TEST_TOKEN_WEBHOOK}]}"
        ),
        "warner.yaml",
    )
    log.error("config_invalid", error=str(ConfigError(issues)), token_env="TEST_TOKEN_WEBHOOK", token=tokens["webhook"])

    err = capsys.readouterr().err
    assert "mentions_accepted" in err and "unexpected_failure" in err and "RuntimeError" in err
    assert "WARNER_TEST_UNSET_TOKEN" in err and "TEST_TOKEN_WEBHOOK" in err  # variable names stay readable
    for token in tokens.values():
        assert token not in err
    assert REDACTED in err
