"""`warner check-config` warns about insecure settings, one line naming the field, and still exits 0."""

from __future__ import annotations

import pytest
import structlog

from warner.cli import main
from warner.config.loading import ConfigError, parse_config
from warner.config.secrets import security_warnings

SAFE = """
ingest:
  host: 127.0.0.1
  sources: [{name: webhook, token_env: TEST_TOKEN_WEBHOOK}]
"""

PAGING = """
oncall:
  people:
    - {id: anna, name: Anna, phone: "+4915112345678"}
    - {id: ben, name: Ben}
escalation:
  policies:
    - id: storm
      steps: [{notify_persons: [anna, ben]}]
  routes: [{severity: [critical], policy: storm}]
"""


@pytest.fixture(autouse=True)
def _reset_structlog():
    yield
    structlog.reset_defaults()


def warnings_of(yaml_text: str) -> list[str]:
    return security_warnings(parse_config(yaml_text, "w.yaml"))


def test_a_loopback_config_with_sources_has_no_warnings(tokens):
    assert warnings_of(SAFE) == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_open_bind_address_without_sources(host):
    found = warnings_of(f"ingest: {{host: '{host}'}}")
    assert any(w.startswith("ingest.host:") and "ingest.sources is empty" in w for w in found)
    assert any(w.startswith("ingest.host:") and "TLS" in w for w in found)


def test_public_bind_address_needs_a_tls_terminator_and_a_closed_metrics_route():
    tls, metrics = warnings_of(SAFE.replace("127.0.0.1", "10.0.0.7"))
    assert tls.startswith("ingest.host: '10.0.0.7'") and "TLS-terminating proxy" in tls
    assert metrics.startswith("ingest.metrics_token_env: not set") and "detector score" in metrics
    closed = SAFE.replace("127.0.0.1", "10.0.0.7").replace("ingest:", "ingest:\n  metrics_port: 9101", 1)
    assert len(warnings_of(closed)) == 1


def test_telegram_without_anybody_allowed():
    (warning,) = warnings_of(SAFE + "notify: {telegram: {}}")
    assert warning.startswith("notify.telegram.allowed_chat_ids:")
    assert warnings_of(SAFE + "notify: {telegram: {allowed_chat_ids: [-1001]}}") == []


def test_an_open_sms_reply_webhook_is_an_error_not_a_warning():
    sms = "notify: {sms: {provider: http, http: {url: 'https://sms.example/send'}, inbound: {}}}"
    with pytest.raises(ConfigError, match="notify.sms.inbound.token_env"):
        warnings_of(SAFE + sms)  # tests/security/test_sms_replies.py has the rules
    assert warnings_of(SAFE + sms.replace("inbound: {}", "inbound: {token_env: SMS_REPLY_TOKEN}")) == []


def test_digest_recipients_without_telegram():
    people = "oncall: {people: [{id: anna, name: Anna}]}\ndigest: {recipients: [anna]}\n"
    (warning,) = warnings_of(SAFE + people)
    assert warning.startswith("digest.recipients:") and "notify.telegram is not configured" in warning
    found = warnings_of(SAFE + people + "notify: {telegram: {allowed_chat_ids: [-1001]}}")
    assert found == ["digest.recipients: anna have no telegram_id in oncall.people"]


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("redis://10.0.0.5:6379/0", True),
        ("redis://redis.internal:6379", True),
        ("redis://:pw-long-enough@10.0.0.5:6379", False),
        ("redis://127.0.0.1:6379", False),
        ("redis://localhost:6379", False),
        ("unix:///run/redis.sock", False),
        ("redis+cluster://127.0.0.1:7000,10.0.0.6:7000", True),
        ("redis+cluster://:pw-long-enough@10.0.0.5:7000,10.0.0.6:7000", False),
        ("redis+cluster://127.0.0.1:7000,127.0.0.1:7001", False),
    ],
)
def test_redis_without_password_off_loopback(url, warned, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    found = warnings_of(SAFE + f"redis: {{url: '{url}'}}")
    assert bool(found) == warned
    if warned:
        assert found[0].startswith("redis.url:") and "without a password" in found[0]
    assert all("pw-long-enough" not in w for w in found)


def test_escalation_route_with_no_channel_reachable():
    found = warnings_of(SAFE + PAGING)
    assert found[0].startswith("escalation.routes[0]:") and "telegram" in found[0]
    sms_only = "notify: {sms: {provider: http, http: {url: 'https://s.example'}}}"
    found = warnings_of(SAFE + PAGING + sms_only)  # the steps default to telegram, which is not configured
    assert found[0].startswith("escalation.routes[0]:")
    with_sms = PAGING.replace("{notify_persons: [anna, ben]}", "{notify_persons: [anna, ben], channels: [sms]}")
    found = warnings_of(SAFE + with_sms + sms_only)
    unreachable = (
        "escalation.policies[storm].steps[0]: ben cannot be reached on sms "
        "(no telegram_id/phone/email in oncall.people or channel not configured)"
    )
    assert found == [unreachable]


def test_every_warning_is_one_line_naming_a_field():
    text = (
        "ingest: {host: 0.0.0.0}\nredis: {url: 'redis://10.0.0.5'}\n"
        "notify: {telegram: {}, sms: {provider: http, http: {url: 'https://s.example'}}}\n"
        "oncall: {people: [{id: anna, name: Anna}]}\ndigest: {recipients: [anna]}\n"
    )
    found = warnings_of(text)
    fields = [w.split(":", 1)[0] for w in found]
    assert fields.count("ingest.host") == 2
    assert {"redis.url", "notify.telegram.allowed_chat_ids", "digest.recipients"} <= set(fields)
    for warning in found:
        assert "\n" not in warning
        field = warning.split(":", 1)[0]
        assert field.split(".")[0].split("[")[0] in {"ingest", "redis", "notify", "digest", "escalation", "REDIS_URL"}


def test_check_config_prints_warnings_and_exits_zero(config_file, tokens, capsys, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    path = config_file("ingest:\n  host: 0.0.0.0\nredis: {url: 'redis://10.0.0.5'}\n")
    assert main(["check-config", "--offline", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "OK"
    assert f"warning: {path}:2: ingest.host: '0.0.0.0' listens on all interfaces" in "\n".join(out)
    assert any(line.startswith(f"warning: {path}:3: redis.url:") for line in out)


def test_check_config_with_errors_still_exits_one(config_file, capsys):
    path = config_file("ingest:\n  host: 0.0.0.0\n  port: -1\n")
    assert main(["check-config", str(path)]) == 1
    out = capsys.readouterr().out
    assert "error:" in out and "ingest.port" in out and "ingest.host" not in out
