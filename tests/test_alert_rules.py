"""What an operator alerts on: a fresh API and a fresh worker (real ``warner run`` processes on a
real Redis) export every series the shipped rules use, labelled counters at 0 from the start, and
deploy/prometheus/warner-rules.yml loads in promtool and passes its own rule tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from running import WarnerRun
from support import CONFIG_YAML, TOKENS

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "deploy" / "prometheus" / "warner-rules.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "warner-rules.test.yml"
OPERATIONS = ROOT / "deploy" / "OPERATIONS.md"
DASHBOARD = ROOT / "deploy" / "grafana" / "warner-dashboard.json"
PROMETHEUS_OWN = {"up"}  # series Prometheus itself makes
AT_FIRST_BUCKET = {"warner_detect_score", "warner_detect_threshold"}  # per brand, once a bucket closed

PAGING_YAML = """
oncall:
  people:
    - {id: anna, name: Anna, phone: "+4915111111111"}
  schedules:
    - id: social
      layers:
        - {id: base, type: weekly, handoff: "09:00", start: 2026-11-16, members: [anna]}
notify:
  sms:
    provider: twilio
    twilio: {base_url: "http://127.0.0.1:9", account_sid: AC0123456789abcdef, auth_token_env: TEST_TWILIO_TOKEN,
             from_number: "+4930123456"}
  console: true
escalation:
  policies:
    - id: storm
      steps:
        - {notify_on_call: social, channels: [sms, console]}
  routes:
    - {severity: [warning, critical], when: any, policy: storm}
sources:
  rss: [{name: bierblog, url: "http://127.0.0.1:9/feed", interval: 1h}]
"""


def start(role: str, config: Path, redis_url: str, tmp_path: Path) -> WarnerRun:
    env = {**os.environ, **TOKENS, "TEST_TWILIO_TOKEN": "twilio-test", "REDIS_URL": redis_url,
           "WARNER_CONFIG": str(config), "XDG_DATA_HOME": str(tmp_path / role), "NO_PROXY": "127.0.0.1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "warner", "--log-level", "info", "run", "--role", role],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    run = WarnerRun(process)
    run.port = int(run.wait_event("api_listening" if role == "api" else "metrics_listening")["port"])
    return run


@pytest.fixture(scope="module")
def scrapes(redis_server, tmp_path_factory) -> Iterator[dict[str, str]]:
    """/metrics of a fresh ``--role api`` and a fresh ``--role worker``, as their first scrape."""
    tmp_path = tmp_path_factory.mktemp("alert-rules")
    config = tmp_path / "warner.yaml"
    text = CONFIG_YAML.replace("ingest:\n", "ingest:\n  port: 0\n").replace("worker:\n", "worker:\n  metrics_port: 0\n")
    config.write_text(text + PAGING_YAML, encoding="utf-8")
    runs = []
    try:
        for role in ("api", "worker"):
            runs.append(start(role, config, redis_server.url, tmp_path))
        yield {role: urllib.request.urlopen(f"{run.url}/metrics", timeout=10).read().decode() for role, run in
               zip(("api", "worker"), runs, strict=True)}  # fmt: skip
    finally:
        for run in runs:
            run.stop()


def samples(text: str) -> dict[str, float]:
    """``name{labels}`` -> value of every sample in a scrape (labels sorted)."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return out


def names(text: str) -> set[str]:
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


def test_a_fresh_api_exports_its_labelled_counters_at_zero(scrapes):
    api = samples(scrapes["api"])
    for source in ("webhook", "forum"):
        assert api[f'warner_ingest_accepted_total{{source="{source}"}}'] == 0
        assert api[f'warner_ingest_duplicates_total{{source="{source}"}}'] == 0
    for reason in ("unauthorized", "store_unavailable", "backpressure", "rate_limited", "bad_signature"):
        assert api[f'warner_ingest_rejected_requests_total{{reason="{reason}"}}'] == 0
    assert api["warner_stream_backlog"] == 0
    assert api["process_resident_memory_bytes"] > 10_000_000
    assert api["warner_redis_used_memory_bytes"] > 0


def test_a_fresh_worker_exports_its_labelled_counters_at_zero(scrapes):
    worker = samples(scrapes["worker"])
    for channel in ("sms", "console"):
        assert worker[f'warner_pages_delivered_total{{channel="{channel}"}}'] == 0
        for result in ("ok", "transient", "permanent", "unreachable"):
            assert worker[f'warner_page_attempts_total{{channel="{channel}",result="{result}"}}'] == 0
    assert worker["warner_pages_undeliverable_total"] == 0
    for reason in ("max_deliveries", "undecodable"):
        assert worker[f'warner_worker_dead_lettered_total{{reason="{reason}"}}'] == 0
    for stage in ("score", "count", "detect"):
        assert worker[f'warner_worker_stage_failures_total{{stage="{stage}"}}'] == 0
    assert worker['warner_incident_events_total{brand="kesselberg",kind="opened"}'] == 0
    assert worker['warner_source_errors_total{kind="permanent",source="bierblog"}'] == 0
    assert worker['warner_source_mentions_total{source="bierblog"}'] == 0
    assert 'warner_source_consecutive_failures{source="bierblog"}' in worker
    assert worker["warner_stream_backlog"] == 0  # read from Redis, not a constant
    assert worker["process_cpu_seconds_total"] > 0


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"] for rule in group["rules"]]


def metric_names_in(expression: str) -> set[str]:
    """Series names in a PromQL expression: identifiers that are not functions (followed by "("),
    keywords or label names (inside {} or by/without ())."""
    stripped = re.sub(r"\{[^}]*\}", "", expression)  # label matchers
    stripped = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", stripped)
    stripped = re.sub(r'"[^"]*"', "", stripped)
    identifiers = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", stripped))
    return identifiers - {"and", "or", "unless", "bool", "offset"}


def test_every_rule_names_only_series_warner_exports(scrapes):
    exported = names(scrapes["api"]) | names(scrapes["worker"]) | PROMETHEUS_OWN
    for rule in rules():
        unknown = metric_names_in(rule["expr"]) - exported
        assert not unknown, f"{rule['alert']} names {sorted(unknown)}, which no warner process exports"


def test_every_rule_waits_has_a_severity_and_points_to_its_runbook():
    headings = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
                for h in re.findall(r"^#+ (.+)$", OPERATIONS.read_text(encoding="utf-8"), re.M)}
    alerts = rules()
    assert len(alerts) >= 12
    for rule in alerts:
        assert "for" in rule, rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        annotations = rule["annotations"]
        assert annotations["summary"] and "deploy/OPERATIONS.md, section" in annotations["description"]
        anchor = annotations["runbook"].split("#", 1)[1]
        assert anchor in headings, f"{rule['alert']}: no section #{anchor} in OPERATIONS.md"
    covered = " ".join(rule["expr"] for rule in alerts)
    for needed in ("warner_stream_backlog", "warner_worker_processed_total", "warner_pages_undeliverable_total",
                   "warner_worker_dead_lettered_total", "warner_store_writable", "backpressure",
                   "warner_source_consecutive_failures", "warner_telegram_poller_up",
                   "warner_redis_maxmemory_bytes"):  # fmt: skip
        assert needed in covered


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed (Debian package prometheus)")
def test_promtool_loads_the_rules_and_they_fire_as_their_tests_say():
    checked = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(["promtool", "test", "rules", str(RULE_TESTS)], capture_output=True, text=True,
                            check=False)  # fmt: skip
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_dashboard_is_grafana_json_about_series_warner_exports(scrapes):
    import json

    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exported = names(scrapes["api"]) | names(scrapes["worker"])
    titles = [panel["title"] for panel in dashboard["panels"]]
    for wanted in ("accepted", "processed", "backlog", "Page attempts", "Incident events"):
        assert any(wanted in title for title in titles), wanted
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            unknown = metric_names_in(target["expr"]) - exported - AT_FIRST_BUCKET
            assert not unknown, f"{panel['title']}: {sorted(unknown)} not exported"
