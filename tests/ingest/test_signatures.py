"""Signed requests, against a real Redis: a source with a signing secret must sign every request with a
fresh timestamp, each signed request is accepted once, and a source without one works as before."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import shutil
import subprocess
from datetime import timedelta

import orjson
import pytest
import structlog
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs
from support import CONFIG_YAML

from warner.cli import main
from warner.config.loading import ConfigError, parse_config
from warner.ingest.app import create_app
from warner.ingest.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, SignatureVerifier, sign
from warner.logs import REDACTED, REDACTOR
from warner.store import keys

SECRET = "whsec-webhook-signing-secret"
NOW = 1_763_750_520  # 2025-11-21 19:42 Berlin, in unix seconds
SIGNED_YAML = CONFIG_YAML.replace(
    "      token_env: TEST_TOKEN_WEBHOOK\n",
    (
        "      token_env: TEST_TOKEN_WEBHOOK\n"
        "      signing_secret_env: TEST_SIGNING_WEBHOOK\n"
        "      signature_tolerance: 5m\n"
    ),
)


class Clock:
    """The API's wall clock, moved by the test."""

    def __init__(self, seconds: float) -> None:
        self.ms = int(seconds * 1000)

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def signed_config(tokens, monkeypatch):
    monkeypatch.setenv("TEST_SIGNING_WEBHOOK", SECRET)
    return parse_config(SIGNED_YAML, "signed.yaml")


@pytest.fixture
async def client(signed_config, redis, clock):
    async with TestClient(TestServer(create_app(signed_config, redis, wall_ms=clock), host="127.0.0.1")) as client:
        yield client


def signed_headers(token: str, body: bytes, *, secret: str = SECRET, timestamp: int = NOW) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


async def post(client, body: bytes, headers: dict[str, str]):
    return await client.post("/v1/mentions", data=body, headers=headers)


async def test_a_signed_request_is_accepted(client, redis, tokens, make_mention):
    body = orjson.dumps([make_mention(id="s1"), make_mention(id="s2")])
    response = await post(client, body, signed_headers(tokens["webhook"], body))
    assert (response.status, await response.json()) == (202, {"accepted": 2, "duplicates": 0, "unmatched": 0})
    assert await redis.xlen(keys.MENTION_STREAM) == 2


async def test_an_unsigned_request_for_a_signing_source_is_refused(client, redis, tokens, make_mention):
    body = orjson.dumps(make_mention(id="u1"))
    headers = {"Authorization": f"Bearer {tokens['webhook']}", "Content-Type": "application/json"}
    response = await post(client, body, headers)
    assert response.status == 401
    error = (await response.json())["error"]
    assert "missing header(s)" in error and TIMESTAMP_HEADER in error and SIGNATURE_HEADER in error
    assert await redis.xlen(keys.MENTION_STREAM) == 0
    assert not await redis.exists(keys.seen("webhook", "u1"))


async def test_a_timestamp_without_a_signature_is_refused(client, tokens, make_mention):
    body = orjson.dumps(make_mention())
    headers = signed_headers(tokens["webhook"], body)
    del headers[SIGNATURE_HEADER]
    response = await post(client, body, headers)
    assert response.status == 401
    assert (await response.json())["error"] == f"signed request required: missing header(s) {SIGNATURE_HEADER}"


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        (TIMESTAMP_HEADER, "yesterday", "malformed X-Warner-Timestamp"),
        (TIMESTAMP_HEADER, "-1763750520", "malformed X-Warner-Timestamp"),
        (TIMESTAMP_HEADER, "1763750520.5", "malformed X-Warner-Timestamp"),
        (TIMESTAMP_HEADER, "1_763_750_520", "malformed X-Warner-Timestamp"),
        (SIGNATURE_HEADER, "sha256=" + "ab" * 32, "malformed X-Warner-Signature"),
        (SIGNATURE_HEADER, "v1=" + "ab" * 31, "malformed X-Warner-Signature"),
        (SIGNATURE_HEADER, "v1=" + "zz" * 32, "malformed X-Warner-Signature"),
        (SIGNATURE_HEADER, "ab" * 32, "malformed X-Warner-Signature"),
    ],
)
async def test_malformed_signature_headers_are_refused(client, tokens, make_mention, header, value, expected):
    body = orjson.dumps(make_mention())
    response = await post(client, body, {**signed_headers(tokens["webhook"], body), header: value})
    assert response.status == 401
    assert (await response.json())["error"].startswith(expected)


async def test_a_request_older_than_the_tolerance_is_refused(client, redis, tokens, make_mention):
    body = orjson.dumps(make_mention())
    stale = await post(client, body, signed_headers(tokens["webhook"], body, timestamp=NOW - 301))
    assert stale.status == 401
    assert (await stale.json())["error"] == "request timestamp is 301 s old, more than the tolerance of 300 s"
    assert await redis.xlen(keys.MENTION_STREAM) == 0
    fresh_enough = await post(client, body, signed_headers(tokens["webhook"], body, timestamp=NOW - 300))
    assert fresh_enough.status == 202


async def test_a_request_too_far_in_the_future_is_refused(client, tokens, make_mention):
    body = orjson.dumps(make_mention())
    early = await post(client, body, signed_headers(tokens["webhook"], body, timestamp=NOW + 301))
    assert early.status == 401
    assert "301 s in the future" in (await early.json())["error"]
    assert (await post(client, body, signed_headers(tokens["webhook"], body, timestamp=NOW + 299))).status == 202


async def test_the_tolerance_follows_the_clock(client, clock, tokens, make_mention):
    body = orjson.dumps(make_mention())
    headers = signed_headers(tokens["webhook"], body)
    clock.ms += 301_000  # the same request, delivered five minutes and a second later
    response = await post(client, body, headers)
    assert response.status == 401 and "old" in (await response.json())["error"]


async def test_a_tampered_body_is_refused(client, redis, tokens, make_mention):
    signed = orjson.dumps(make_mention(id="t1", text="Kesselberger schmeckt"))
    sent = orjson.dumps(make_mention(id="t1", text="Kesselberger schmeckt nicht"))
    response = await post(client, sent, signed_headers(tokens["webhook"], signed))
    assert response.status == 401
    assert (await response.json())["error"] == "signature does not match the body and timestamp"
    assert await redis.xlen(keys.MENTION_STREAM) == 0


async def test_a_signature_made_with_another_secret_is_refused(client, tokens, make_mention):
    body = orjson.dumps(make_mention())
    response = await post(client, body, signed_headers(tokens["webhook"], body, secret="some-other-secret"))
    assert response.status == 401


async def test_a_replayed_signed_request_is_refused(client, redis, tokens, make_mention):
    body = orjson.dumps([make_mention(id="r1"), make_mention(id="r2")])
    headers = signed_headers(tokens["webhook"], body)
    assert (await post(client, body, headers)).status == 202
    replayed = await post(client, body, headers)
    assert replayed.status == 409
    assert (await replayed.json())["error"].startswith("replayed request")
    shouting = {**headers, SIGNATURE_HEADER: headers[SIGNATURE_HEADER].upper().replace("V1=", "v1=")}
    assert (await post(client, body, shouting)).status == 409  # the same signature in upper-case hex
    assert await redis.xlen(keys.MENTION_STREAM) == 2


async def test_the_same_body_signed_anew_is_a_new_request(client, tokens, make_mention):
    """Replay protection is per signed request; re-sent mentions are still deduplicated by id."""
    body = orjson.dumps(make_mention(id="again"))
    assert (await post(client, body, signed_headers(tokens["webhook"], body))).status == 202
    resent = await post(client, body, signed_headers(tokens["webhook"], body, timestamp=NOW + 1))
    assert (resent.status, await resent.json()) == (202, {"accepted": 0, "duplicates": 1, "unmatched": 0})


async def test_an_accepted_signature_is_remembered_for_twice_the_tolerance(client, redis, tokens, make_mention):
    body = orjson.dumps(make_mention())
    headers = signed_headers(tokens["webhook"], body)
    assert (await post(client, body, headers)).status == 202
    signature = headers[SIGNATURE_HEADER].removeprefix("v1=")
    ttl_ms = await redis.pttl(keys.signature_seen("webhook", signature))
    assert 590_000 < ttl_ms <= 600_000
    assert keys.signature_seen("webhook", signature).startswith("warner:{ingest}:sig:webhook:")


async def test_a_signed_request_refused_for_backpressure_can_be_sent_again(
    signed_config, redis, clock, tokens, make_mention
):
    small = signed_config.model_copy(update={"ingest": signed_config.ingest.model_copy(update={"max_backlog": 1})})
    async with TestClient(TestServer(create_app(small, redis, wall_ms=clock), host="127.0.0.1")) as client:
        first = orjson.dumps(make_mention())
        assert (await post(client, first, signed_headers(tokens["webhook"], first))).status == 202
        body = orjson.dumps(make_mention(id="late"))
        headers = signed_headers(tokens["webhook"], body)
        assert (await post(client, body, headers)).status == 503
        await redis.xtrim(keys.MENTION_STREAM, maxlen=0)  # the workers caught up
        assert (await post(client, body, headers)).status == 202  # the very same request, not a "replay"
        assert (await post(client, body, headers)).status == 409


async def test_the_signed_body_is_the_one_before_content_encoding(client, tokens, make_mention):
    body = orjson.dumps([make_mention() for _ in range(3)])
    headers = {**signed_headers(tokens["webhook"], body), "Content-Encoding": "gzip"}
    response = await post(client, gzip.compress(body), headers)
    assert (response.status, (await response.json())["accepted"]) == (202, 3)


async def test_a_source_without_signing_config_works_as_before(client, redis, tokens, make_mention):
    body = orjson.dumps(make_mention(id="plain"))
    headers = {"Authorization": f"Bearer {tokens['forum']}", "Content-Type": "application/json"}
    response = await post(client, body, headers)
    assert (response.status, await response.json()) == (202, {"accepted": 1, "duplicates": 0, "unmatched": 0})
    assert (await post(client, body, headers)).status == 202  # no replay guard without signing: a duplicate
    assert await redis.keys("warner:{ingest}:sig:*") == []


async def test_during_rotation_every_listed_secret_signs(tokens, redis, clock, monkeypatch, make_mention):
    monkeypatch.setenv("TEST_SIGNING_WEBHOOK", " new-signing-secret , old-signing-secret,")
    config = parse_config(SIGNED_YAML, "signed.yaml")
    async with TestClient(TestServer(create_app(config, redis, wall_ms=clock), host="127.0.0.1")) as client:
        for secret, status in [("new-signing-secret", 202), ("old-signing-secret", 202), (SECRET, 401)]:
            body = orjson.dumps(make_mention())
            response = await post(client, body, signed_headers(tokens["webhook"], body, secret=secret))
            assert response.status == status, secret


async def test_a_signing_source_without_its_secret_refuses_everything(tokens, redis, clock, monkeypatch, make_mention):
    monkeypatch.setenv("TEST_SIGNING_WEBHOOK", "")
    config = parse_config(SIGNED_YAML, "signed.yaml")
    async with TestClient(TestServer(create_app(config, redis, wall_ms=clock), host="127.0.0.1")) as client:
        body = orjson.dumps(make_mention())
        for headers in (
            signed_headers(tokens["webhook"], body, secret=""),
            {"Authorization": f"Bearer {tokens['webhook']}"},
        ):
            response = await post(client, body, {"Content-Type": "application/json", **headers})
            assert response.status == 401
            assert "no signing secret is configured" in (await response.json())["error"]


def test_check_config_refuses_an_unset_signing_secret_as_run_does(config_file, tokens, monkeypatch, capsys):
    monkeypatch.delenv("TEST_SIGNING_WEBHOOK", raising=False)
    path = config_file(SIGNED_YAML)
    assert main(["check-config", "--offline", str(path)]) == 1
    out = capsys.readouterr().out
    assert "ingest.sources[0].signing_secret_env: environment variable TEST_SIGNING_WEBHOOK" in out
    assert f"error: {path}:" in out
    monkeypatch.setenv("TEST_SIGNING_WEBHOOK", SECRET)
    assert main(["check-config", "--offline", str(path)]) == 0
    assert "TEST_SIGNING_WEBHOOK" not in capsys.readouterr().out
    structlog.reset_defaults()


def test_a_signing_secret_written_into_yaml_is_refused():
    text = "ingest:\n  sources:\n    - name: webhook\n      token_env: T\n      signing_secret: hunter2hunter2\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "w.yaml")
    (issue,) = caught.value.issues
    assert (issue.file, issue.field, issue.line) == ("w.yaml", "ingest.sources[0]", 3)
    assert "signing_secret_env" in issue.message and "hunter2" not in issue.message


@pytest.mark.parametrize("tolerance", ["0s", "500ms", "2d"])
def test_a_tolerance_out_of_range_is_a_config_error(tolerance):
    text = f"ingest:\n  sources:\n    - name: webhook\n      token_env: T\n      signature_tolerance: {tolerance}\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "w.yaml")
    (issue,) = caught.value.issues
    assert issue.field == "ingest.sources[0].signature_tolerance" and issue.line == 5
    assert "between 1s and 1d" in issue.message


async def test_signing_secrets_never_reach_a_log(signed_config, redis, monkeypatch):
    monkeypatch.setenv("TEST_SIGNING_WEBHOOK", "rotating-secret-one,rotating-secret-two")
    config = parse_config(SIGNED_YAML, "signed.yaml")
    app = create_app(config, redis)  # registers the secrets with the redactor, as it does tokens
    with capture_logs(processors=[REDACTOR]) as logs:
        structlog.get_logger("test").error("upstream_said", detail="bad key rotating-secret-two for hook")
    assert logs[0]["detail"] == f"bad key {REDACTED} for hook"
    held = repr(app) + repr(SignatureVerifier(["rotating-secret-one"], timedelta(minutes=5)))
    assert "rotating-secret" not in held


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    body = b'{"id":"1","text":"Kesselberger","created_at":"2026-11-21T19:42:00+01:00"}'
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, body) == f"v1={expected}"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_the_documented_openssl_command_signs_the_same(tmp_path):
    body = b'{"id":"1","text":"Kesselberger","created_at":"2026-11-21T19:42:00+01:00"}\n'
    (tmp_path / "body.json").write_bytes(body)
    script = f'printf "%s." "{NOW}" | cat - body.json | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d" " -f1'
    out = subprocess.run(
        ["sh", "-c", script],
        cwd=tmp_path,
        env={"SECRET": SECRET, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert f"v1={out}" == sign(SECRET, NOW, body)


VERIFIER = SignatureVerifier([SECRET], timedelta(minutes=5))


def checked(body: bytes, timestamp: int = NOW, signature: str | None = None):
    headers = {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature or sign(SECRET, NOW, body)}
    return VERIFIER.check_headers(headers, NOW)


@settings(deadline=None)  # a loaded CI box must not turn an HMAC into a flaky test
@given(body=st.binary(min_size=1, max_size=2000), data=st.data())
def test_any_byte_flip_in_the_body_breaks_the_signature(body, data):
    signed = checked(body)
    VERIFIER.verify(signed, body)
    at = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    tampered = body[:at] + bytes([body[at] ^ flip]) + body[at + 1 :]
    with pytest.raises(SignatureError):
        VERIFIER.verify(signed, tampered)


@settings(deadline=None)
@given(body=st.binary(max_size=500), shift=st.integers(-300, 300).filter(bool))
def test_any_other_timestamp_breaks_the_signature(body, shift):
    signed = checked(body, timestamp=NOW + shift, signature=sign(SECRET, NOW, body))
    with pytest.raises(SignatureError):
        VERIFIER.verify(signed, body)
