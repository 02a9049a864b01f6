"""What a running ``warner run`` writes to its log when requests are malformed: one JSON object
per line, and no credential — whether it is one of warner's tokens or one it never heard of."""

from __future__ import annotations

import json
import socket

import pytest
from running import warner_run
from support import CONFIG_YAML, TOKENS

pytestmark = pytest.mark.timeout(60)

CONFIG = CONFIG_YAML.replace("ingest:\n", "ingest:\n  port: 0\n")


def raw_request(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        try:
            return sock.recv(4096)
        except TimeoutError:
            return b""


def test_a_request_with_lf_line_endings_is_logged_as_one_json_line_without_its_credentials(tmp_path) -> None:
    known = TOKENS["TEST_TOKEN_WEBHOOK"]
    unknown = "never-registered-credential-0815"
    with warner_run(CONFIG, tmp_path, TOKENS) as run:
        for credential in (f"Bearer {known}", f"Bearer {unknown}"):
            answer = raw_request(
                run.port,
                b"POST /v1/mentions HTTP/1.1\nHost: x\nAuthorization: " + credential.encode()
                + b"\nCookie: session=" + unknown.encode() + b"\nContent-Length: 2\n\n{}",
            )
            assert answer.split(b"\r\n")[0].endswith(b"400 Bad Request")
        run.wait_for(lambda e: e.get("logger", "").startswith("aiohttp") and e.get("level") == "error")
    log = run.text()
    assert known not in log and unknown not in log
    assert "<redacted>" in log
    for line in run.lines:
        assert isinstance(json.loads(line), dict), line  # no stray traceback lines
    errors = [e for e in run.events() if e.get("logger", "").startswith("aiohttp")]
    assert errors and all("BadStatusLine" in e.get("exception", "") or "BadHttpMessage" in e.get("exception", "")
                          or "Bad" in e.get("event", "") for e in errors)


def test_an_over_long_authorization_header_is_logged_without_its_value(tmp_path) -> None:
    """aiohttp's LineTooLong quotes the start of the header's value alone, no header name before it."""
    unknown = "Zq9" + "unknownCredential" * 600  # beyond aiohttp's 8190-byte header line
    with warner_run(CONFIG, tmp_path, TOKENS) as run:
        answer = raw_request(run.port, b"POST /v1/mentions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                             + unknown.encode() + b"\r\nContent-Length: 2\r\n\r\n{}")
        assert b" 400 " in answer.split(b"\r\n")[0]
        run.wait_for(lambda e: e.get("logger", "").startswith("aiohttp") and e.get("level") == "error")
    assert "Zq9unknownCred" not in run.text()
    for line in run.lines:
        assert isinstance(json.loads(line), dict), line
