"""The command line end to end, as a person runs it: real processes, real Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from support import CONFIG_YAML

from warner import __version__
from warner.scenarios import saturday_storm


def warner(*args: str, env: dict[str, str] | None = None, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "warner", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """An isolated XDG data home, so the embedded Redis lives in the test's tmp dir."""
    return {"XDG_DATA_HOME": str(tmp_path / "xdg"), "REDIS_URL": ""}


def test_version() -> None:
    result = warner("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"warner {__version__}"


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_replay_runs_the_file_through_the_pipeline(tmp_path, home, config_file) -> None:
    config = config_file(CONFIG_YAML)
    records = saturday_storm(seed=3).mentions
    path = write_jsonl(tmp_path / "storm.jsonl", records)
    result = warner("--config", str(config), "replay", str(path), env=home)
    assert result.returncode == 0, result.stderr
    unique = len({r["id"] for r in records})
    assert f"accepted {unique}, duplicates {len(records) - unique}" in result.stdout
    assert f"processed {unique} stream entries" in result.stdout
    kesselberg = [line for line in result.stdout.splitlines() if line.strip().startswith("kesselberg:")]
    assert kesselberg and int(kesselberg[0].split()[1]) > 1500
    again = warner("--config", str(config), "replay", str(path), env=home)  # same data dir: all duplicates
    assert f"accepted 0, duplicates {len(records)}" in again.stdout


def test_replay_of_a_bad_file_names_the_lines_and_accepts_nothing(tmp_path, home, config_file) -> None:
    config = config_file(CONFIG_YAML)
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "1", "text": "Kesselberg", "created_at": "2026-11-21T19:00:00Z"}\n'
                    '{"id": "2", "text": "Kesselberg"}\n'
                    "not json\n", encoding="utf-8")
    result = warner("--config", str(config), "replay", str(path), env=home)
    assert result.returncode == 1
    assert "line 2: created_at: Field required" in result.stderr
    assert "line 3: -: malformed JSON" in result.stderr
    assert "nothing was replayed" in result.stderr


def test_run_serves_the_api_and_a_second_run_on_the_same_data_dir_is_refused(tmp_path, home, config_file) -> None:
    config = config_file(CONFIG_YAML.replace("ingest:\n", "ingest:\n  port: 0\n"))
    env = {**home, "TEST_TOKEN_WEBHOOK": "t-webhook", "TEST_TOKEN_FORUM": "t-forum", "WARNER_CONFIG": str(config)}
    first = subprocess.Popen([sys.executable, "-m", "warner", "--log-level", "info", "run"],
                             stderr=subprocess.PIPE, text=True, env={**os.environ, **env})
    try:
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            line = first.stderr.readline()
            if "api_listening" in line:
                port = int(json.loads(line)["port"])
        assert port, "warner run did not start its API"
        second = warner("run", env=env, timeout=30)
        assert second.returncode == 1
        assert "is in use by another warner process" in second.stderr

        async def post_and_read_metrics() -> tuple[int, str]:
            async with aiohttp.ClientSession() as http:
                body = {"id": "1", "text": "Kesselberg", "created_at": "2026-11-21T19:00:00Z"}
                async with http.post(f"http://127.0.0.1:{port}/v1/mentions", json=body,
                                     headers={"Authorization": "Bearer t-webhook"}) as response:
                    status = response.status
                for _ in range(100):
                    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                        text = await response.text()
                    if "warner_worker_processed_total 1.0" in text:
                        break
                    await asyncio.sleep(0.05)
                return status, text

        status, metrics = asyncio.run(post_and_read_metrics())
        assert status == 202
        assert "warner_worker_processed_total 1.0" in metrics

        records = [{"id": f"r{i}", "text": "Kesselberg", "created_at": "2026-11-21T19:00:00Z"} for i in range(3)]
        replayed = warner("replay", "--no-worker", str(write_jsonl(tmp_path / "r.jsonl", records)), env=env)
        assert replayed.returncode == 0, replayed.stderr  # attached to the running server, not refused
        assert "accepted 3, duplicates 0" in replayed.stdout
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=15)
        first.stderr.close()
    assert first.returncode == 0


def test_run_without_tokens_names_the_missing_variable(home, config_file) -> None:
    config = config_file(CONFIG_YAML)
    result = warner("--config", str(config), "run", env={**home, "TEST_TOKEN_WEBHOOK": "", "TEST_TOKEN_FORUM": ""})
    assert result.returncode == 1
    assert "TEST_TOKEN_WEBHOOK is not set" in result.stderr


def test_demo_finishes_by_itself_and_shows_the_storm(home) -> None:
    started = time.monotonic()
    result = warner("demo", "--seconds", "3", env=home)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 60
    assert "Brauerei Kesselberg" in result.stdout
    assert "duplicate deliveries were acknowledged and not counted again" in result.stdout
    # The pages: Anna (on call) first, then Ben at the second level; nobody answers, so the escalation
    # ends with a call to Ben (spoken on the console), who presses 1; then it stops.
    out = " ".join(result.stdout.split())
    assert "page (new) to anna via console: delivered" in out
    assert "page (escalation) to ben via console: delivered" in out
    assert "☎ Anruf bei Ben Yilmaz (+4915122222222)" in out and "Drücken Sie 1" in out
    assert "page (escalation) to ben via call: delivered" in out
    assert "acknowledged by ben via call" in out
    assert "the escalation stops here" in out
    # The drafts behind "Entwürfe": the glass-splinter storm is a product defect; Saturday night = off-hours.
    assert "Entwürfe für kesselberg:1" in out and "Produktmangel" in out
    # It ends with the Monday digest of the storm's week.
    assert "Wochenbericht KW 47/2026" in out and "digest unavailable" not in out


def test_run_with_paging_but_no_bot_token_names_the_missing_variable(home, config_file) -> None:
    paging = """
oncall:
  people: [{id: anna, name: Anna, telegram_id: 1001}]
notify:
  telegram: {token_env: TEST_MISSING_BOT_TOKEN}
escalation:
  policies: [{id: p, steps: [{notify_persons: [anna], channels: [telegram]}]}]
  routes: [{severity: [critical], when: any, policy: p}]
"""
    config = config_file(CONFIG_YAML + paging)
    result = warner("--config", str(config), "run", "--role", "worker", env={**home, "TEST_MISSING_BOT_TOKEN": ""})
    assert result.returncode == 1
    assert "TEST_MISSING_BOT_TOKEN" in result.stderr and "notify.telegram" in result.stderr


def test_digest_prints_a_week_and_refuses_a_bad_one(home, config_file, tmp_path) -> None:
    config = config_file(CONFIG_YAML)
    md = warner("--config", str(config), "digest", "--week", "2026-W47", env=home)
    assert md.returncode == 0, md.stderr
    assert "Wochenbericht KW 47/2026" in md.stdout and "Keine Vorfälle in dieser Woche." in md.stdout
    html = warner("--config", str(config), "digest", "--week", "2026-W47", "--format", "html",
                  "--out", str(tmp_path / "w47.html"), "--lang", "en", env=home)  # fmt: skip
    assert html.returncode == 0, html.stderr
    assert "<html" in (tmp_path / "w47.html").read_text() and (tmp_path / "w47.png").read_bytes()[:4] == b"\x89PNG"
    bad = warner("--config", str(config), "digest", "--week", "2026-W54", env=home)
    assert bad.returncode == 2 and "2026-W54" in bad.stderr


def test_a_port_in_use_is_one_line_naming_ingest_port_and_the_address_without_a_traceback(home, config_file) -> None:
    with taken_port() as port:
        config = config_file(CONFIG_YAML.replace("ingest:\n", f"ingest:\n  port: {port}\n"))
        env = {**home, "TEST_TOKEN_WEBHOOK": "t-webhook", "TEST_TOKEN_FORUM": "t-forum"}
        result = warner("--config", str(config), "run", env=env, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"config error: {config}:11: ingest.port: cannot listen on 127.0.0.1:{port}: "
        "address already in use (by another process: is a warner already running?)"
    ]


@contextlib.contextmanager
def taken_port() -> Iterator[int]:
    """A loopback port another process (this one) listens on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_check_config_lists_every_problem_at_once_each_with_file_line_and_key(home, config_file) -> None:
    text = CONFIG_YAML.replace("bucket: 1m", "bucket: soon").replace("batch_size: 50", "batch_size: 0")
    with taken_port() as port:
        config = config_file(text.replace("ingest:\n", f"ingest:\n  port: {port}\n"))
        env = {**home, "TEST_TOKEN_WEBHOOK": "t-webhook", "TEST_TOKEN_FORUM": ""}
        result = warner("check-config", str(config), env=env)
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: {config}:9: bucket: expected a duration such as '30s', '5m' or '7d', got 'soon'",
        f"error: {config}:11: ingest.port: cannot listen on 127.0.0.1:{port}: "
        "address already in use (by another process: is a warner already running?)",
        f"error: {config}:20: ingest.sources[1].token_env: environment variable TEST_TOKEN_FORUM is not set "
        "(token of source 'forum')",
        f"error: {config}:22: worker.batch_size: Input should be greater than 0",
    ], result.stdout  # in the order of the file, whichever check found them
    assert "OK" not in result.stdout.splitlines() and result.stderr == ""


ESCALATION_YAML = """\
oncall:
  people: [{id: anna, name: Anna, telegram_id: 1001}]
escalation:
  policies:
    - id: storm
      steps:
        - repeat: 2
        - notify_persons: [anna]
  routes:
    - {severity: [critical], policy: sturm}
    - {severity: [warning], policy: nix}
"""


def test_check_config_reports_every_bad_route_and_step_at_its_own_key_and_line(config_file) -> None:
    config = config_file(ESCALATION_YAML)
    result = warner("check-config", "--offline", str(config))
    assert result.returncode == 1
    assert [line for line in result.stdout.splitlines() if line.startswith("error: ")] == [
        f"error: {config}:7: escalation.policies[0].steps[0]: repeat must be the last step (the steps after it "
        "never run)",
        f"error: {config}:10: escalation.routes[0].policy: unknown policy 'sturm' (known: storm)",
        f"error: {config}:11: escalation.routes[1].policy: unknown policy 'nix' (known: storm)",
    ], result.stdout


def test_check_config_suggests_the_key_a_typo_meant_and_says_what_a_value_should_be(config_file) -> None:
    config = config_file("brands:\n  - name: kesselberg\n    langauge: en\nnotify: 5\n")
    result = warner("check-config", "--offline", str(config))
    assert result.returncode == 1
    assert [line for line in result.stdout.splitlines() if line.startswith("error: ")] == [
        f"error: {config}:3: brands[0].langauge: unknown key; did you mean 'language'?",
        f"error: {config}:4: notify: should be a mapping (key: value), got 5",
    ], result.stdout


MISSPELLED_PEOPLE_YAML = """\
oncall:
  persons: [{id: anna, name: Anna, telegram_id: 1001}]
  teams: [{id: shop, members: [anna]}]
  schedules:
    - {id: week, layers: [{id: base, start: 2026-11-16, members: [anna]}], overrides: []}
escalation:
  policies: [{id: storm, steps: [{notify_persons: [anna]}, {notify_on_call: week}]}]
  routes: [{severity: [critical], policy: storm}]
digest:
  recipients: [anna]
"""


def test_a_misspelled_people_list_is_reported_alone_not_as_every_person_being_unknown(config_file) -> None:
    config = config_file(MISSPELLED_PEOPLE_YAML)
    result = warner("check-config", "--offline", str(config))
    assert result.returncode == 1
    assert [line for line in result.stdout.splitlines() if line.startswith("error: ")] == [
        f"error: {config}:2: oncall.persons: unknown key; did you mean 'people'?",
    ], result.stdout


def test_an_unusable_redis_data_dir_is_an_error_naming_redis_data_dir(tmp_path, home, config_file) -> None:
    in_the_way = tmp_path / "afile"
    in_the_way.write_text("not a directory\n", encoding="utf-8")
    config = config_file(f"ingest:\n  port: 0\nredis:\n  data_dir: {in_the_way / 'redis'}\n")
    expected = (
        f"{config}:4: redis.data_dir: {in_the_way} is a file, so {in_the_way / 'redis'} cannot be created: "
        "give the embedded Redis a directory of its own"
    )
    check = warner("check-config", str(config), env=home)
    assert check.returncode == 1 and f"error: {expected}" in check.stdout.splitlines(), check.stdout
    run = warner("--config", str(config), "run", env=home, timeout=60)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert f"config error: {expected}" in run.stderr.splitlines(), run.stderr
    offline = warner("check-config", "--offline", str(config), env=home)  # a config for another host: not looked at
    assert offline.returncode == 0 and offline.stdout.splitlines()[-1] == "OK", offline.stdout
    assert in_the_way.read_text(encoding="utf-8") == "not a directory\n"


PAGING_YAML = """
oncall:
  people: [{id: anna, name: Anna, telegram_id: 1001}]
notify:
  telegram: {token_env: TEST_MISSING_BOT_TOKEN, allowed_chat_ids: [-1]}
escalation:
  policies: [{id: p, steps: [{notify_persons: [anna], channels: [telegram]}]}]
  routes: [{severity: [critical], when: any, policy: p}]
"""


@pytest.mark.parametrize(
    ("case", "key"),
    [
        ("no bot token", "notify.telegram.token_env"),
        ("redis.url without a scheme", "redis.url"),
        ("$REDIS_URL without a scheme", "redis.url"),
        ("port in use", "ingest.port"),
    ],
)
def test_check_config_is_never_ok_where_run_refuses_to_start(case, key, home, config_file) -> None:
    text = CONFIG_YAML.replace("ingest:\n", "ingest:\n  port: 0\n") + PAGING_YAML
    env = {**home, "TEST_TOKEN_WEBHOOK": "t-webhook", "TEST_TOKEN_FORUM": "t-forum", "TEST_MISSING_BOT_TOKEN": "b"}
    with taken_port() as port:
        if case == "no bot token":
            env["TEST_MISSING_BOT_TOKEN"] = ""
        elif case == "redis.url without a scheme":
            text += "redis:\n  url: localhost:6379\n"
        elif case == "$REDIS_URL without a scheme":
            env["REDIS_URL"] = "localhost:6379"
        else:
            text = text.replace("port: 0", f"port: {port}")
        config = config_file(text)
        check = warner("check-config", str(config), env=env)
        run = warner("--config", str(config), "run", env=env, timeout=60)
    assert check.returncode == 1 and "OK" not in check.stdout.splitlines(), check.stdout
    assert any(line.startswith("error: ") and f": {key}: " in line for line in check.stdout.splitlines())
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert any(line.startswith("config error: ") and f": {key}: " in line for line in run.stderr.splitlines())


def test_commands_log_readable_text_and_only_run_logs_json_lines(tmp_path, home, config_file) -> None:
    config = config_file(CONFIG_YAML.replace("ingest:\n", "ingest:\n  port: 0\n"))
    records = [{"id": "1", "text": "Kesselberg", "created_at": "2026-11-21T19:00:00Z"}]
    replayed = warner("--config", str(config), "replay", str(write_jsonl(tmp_path / "r.jsonl", records)), env=home)
    assert replayed.returncode == 0, replayed.stderr
    lines = replayed.stderr.splitlines()
    assert any("embedded_redis_started" in line for line in lines), replayed.stderr  # it logs, as text
    assert not [line for line in lines if is_json_object(line)], replayed.stderr

    env = {**home, "TEST_TOKEN_WEBHOOK": "t-webhook", "TEST_TOKEN_FORUM": "t-forum", "WARNER_CONFIG": str(config)}
    run = subprocess.Popen([sys.executable, "-m", "warner", "run"], stderr=subprocess.PIPE, text=True,
                           env={**os.environ, **env})  # fmt: skip
    try:
        first = run.stderr.readline()
        assert is_json_object(first) and json.loads(first)["event"], first
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=15)
        run.stderr.close()


def is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
