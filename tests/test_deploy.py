"""deploy/: the Dockerfile, compose file, systemd units and production config are well-formed.

Docker may not be installed where the tests run, so the Dockerfile and the compose file are
parsed and checked here; `docker compose config` and hadolint run only where they exist.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
PRODUCTION = DEPLOY / "warner.production.yaml"
API_UNIT = DEPLOY / "systemd" / "warner-api.service"
WORKER_UNIT = DEPLOY / "systemd" / "warner-worker@.service"
WEB_UNIT = DEPLOY / "systemd" / "warner-web.service"
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|AUTH", re.IGNORECASE)
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
}


# -- helpers ---------------------------------------------------------------------------------


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, args = line.partition(" ")
        out.append((keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends in a line continuation"
    return out


def stages(instructions: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for keyword, args in instructions:
        if keyword == "FROM":
            out.append([])
        if out:
            out[-1].append((keyword, args))
    return out


def env_pairs(args: str) -> dict[str, str]:
    """ENV key=value key2="value 2" (the only form the Dockerfile uses)."""
    pairs = {}
    for token in shlex.split(args):
        key, sep, value = token.partition("=")
        assert sep, f"ENV in key=value form, not {args!r}"
        pairs[key] = value
    return pairs


def production_env_names() -> set[str]:
    """Every environment variable the production config names in a *_env field."""
    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and key.endswith("_env") and isinstance(value, str):
                    names.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(PRODUCTION.read_text(encoding="utf-8")))
    return names


def placeholder_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in production_env_names()}
    env |= {name: f"placeholder-{name.lower().replace('_', '-')}" for name in production_env_names()}
    env["REDIS_URL"] = "redis://redis:6379/0"
    env.pop("WARNER_CONFIG", None)
    return env


def assert_checks_ok(result: subprocess.CompletedProcess[str]) -> None:
    """Exit 0, "OK", and no secret missing (advice about TLS and the Redis network may remain)."""
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "OK", result.stdout
    assert not [line for line in lines if "is not set" in line], result.stdout


def check_config(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from warner.cli import main; sys.exit(main())",
            "check-config",
            "--offline",
            str(path),
        ],
        capture_output=True,
        text=True,
        env=placeholder_env(),
        cwd=ROOT,
        timeout=90,
        check=False,
    )


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    return parser


def unit_values(path: Path, section: str, key: str) -> list[str]:
    """All values of a key that may repeat (configparser keeps only the last)."""
    current, values = None, []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            current = line.strip("[] ")
        elif current == section and line.startswith(f"{key}="):
            values.append(line.split("=", 1)[1].strip())
    return values


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def production() -> dict:
    return yaml.safe_load(PRODUCTION.read_text(encoding="utf-8"))


# -- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_builds_in_two_stages_from_python_slim():
    instructions = dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8"))
    froms = [args for keyword, args in instructions if keyword == "FROM"]
    assert len(froms) == 2
    assert froms[0].endswith(" AS builder")
    defaults: dict[str, str] = {}
    for keyword, args in instructions:
        if keyword == "ARG" and "=" in args:
            defaults.update(env_pairs(args))
    image = froms[1].split()[0]
    for name, value in defaults.items():
        image = image.replace(f"${{{name}}}", value)
    assert image.startswith("python:3.11-slim")
    runtime = stages(instructions)[1]
    assert any(k == "COPY" and a.startswith("--from=builder ") for k, a in runtime)


def test_runtime_stage_is_non_root_unbuffered_and_has_no_compiler():
    runtime = stages(dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8")))[1]
    keywords = [k for k, _ in runtime]
    users = [a for k, a in runtime if k == "USER"]
    assert users, "the runtime stage sets a USER"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert users[-1].split(":")[0] == "10001"
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")
    env = {}
    for k, a in runtime:
        if k == "ENV":
            env.update(env_pairs(a))
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PYTHONUNBUFFERED"] == "1"
    runs = " ".join(a for k, a in runtime if k == "RUN")
    assert "--uid 10001" in runs
    assert not re.search(r"\b(gcc|g\+\+|build-essential|clang|make)\b", runs)


def test_dockerfile_entrypoint_command_port_and_healthcheck():
    runtime = stages(dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8")))[1]
    last = {k: a for k, a in runtime}
    assert json.loads(last["ENTRYPOINT"]) == ["warner"]
    assert json.loads(last["CMD"]) == ["run", "--role", "api"]
    assert "8080" in last["EXPOSE"].split()
    healthcheck = last["HEALTHCHECK"]
    probe = json.loads(healthcheck[healthcheck.index("CMD ") + 4 :])
    assert probe[0] == "python" and "/healthz" in probe[-1]
    compile(probe[-1], "<healthcheck>", "exec")  # the one-liner is valid Python


def test_dockerfile_adds_no_urls_and_bakes_in_no_secrets():
    instructions = dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8"))
    for keyword, args in instructions:
        if keyword == "ADD":
            assert not re.search(r"\b(https?|git)://", args), f"ADD of a URL: {args}"
        if keyword in ("ENV", "ARG"):
            for key, value in (env_pairs(args) if "=" in args else {args: ""}).items():
                assert not (SECRET_NAME.search(key) and value), f"{keyword} {key} carries a secret value"


def test_image_holds_models_playbooks_and_config_where_the_config_looks(production):
    runtime = stages(dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8")))[1]
    copies = {}
    for keyword, args in runtime:
        if keyword == "COPY" and not args.startswith("--from="):
            source, target = args.split()
            copies[source.rstrip("/")] = target.rstrip("/")
            assert (ROOT / source).exists(), f"COPY of {source}, which the repository lacks"
    env = {}
    for k, a in runtime:
        if k == "ENV":
            env.update(env_pairs(a))
    assert copies["playbooks"] == production["respond"]["playbooks_dir"]
    assert copies["models"] == env["WARNER_MODELS_DIR"]
    assert copies["deploy/warner.production.yaml"] == env["WARNER_CONFIG"]
    assert (ROOT / "models" / "scoring.skops").is_file()


def test_dockerignore_lets_the_build_context_through():
    """The context is the repository root: everything COPY needs is let in, the venv and .env are not."""
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    assert "*" in lines
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert {"pyproject.toml", "README.md", "warner", "models", "playbooks", "deploy/warner.production.yaml"} <= allowed
    assert not any(a.startswith((".venv", ".env")) for a in allowed)


# -- compose ---------------------------------------------------------------------------------


def test_compose_runs_redis_with_aof_on_a_volume(compose):
    redis = compose["services"]["redis"]
    assert redis["image"].split(":")[1].startswith("7")
    command = redis["command"]
    assert command[0] == "redis-server"
    flags = dict(zip(command[1::2], command[2::2], strict=True))
    assert flags["--appendonly"] == "yes"
    assert flags["--appendfsync"] == "everysec"
    assert flags["--maxmemory-policy"] == "noeviction"
    volume, mount = redis["volumes"][0].split(":")[:2]
    assert mount == "/data" and volume in compose["volumes"]
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "ports" not in redis


def test_compose_api_and_workers_wait_for_a_healthy_redis(compose, production):
    api, worker = compose["services"]["api"], compose["services"]["worker"]
    assert api["command"] == ["run", "--role", "api"]
    assert worker["command"] == ["run", "--role", "worker"]
    assert worker["deploy"]["replicas"] >= 2
    for service in (api, worker):
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (COMPOSE.parent / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
        assert service["healthcheck"]["test"][0] == "CMD"
        compile(service["healthcheck"]["test"][-1], "<healthcheck>", "exec")
    assert f"127.0.0.1:{production['ingest']['port']}/healthz" in api["healthcheck"]["test"][-1]
    assert f"127.0.0.1:{production['worker']['metrics_port']}/healthz" in worker["healthcheck"]["test"][-1]
    assert api["ports"] == [f"127.0.0.1:{production['ingest']['port']}:8080"]
    assert set(compose["volumes"]) == {"redis-data", "warner-data"}


def test_compose_keeps_secrets_in_the_env_file(compose):
    env_example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    listed = dict(line.split("=", 1) for line in env_example.splitlines() if line.strip() and not line.startswith("#"))
    assert all(value == "" for value in listed.values()), ".env.example lists names, never values"
    assert production_env_names() <= set(listed)
    assert ".env" in (DEPLOY / ".gitignore").read_text().split()
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            assert not SECRET_NAME.search(key), f"{name}: secret {key} inline"
            assert "://" not in str(value) or "@" not in str(value), f"{name}: credentials in {key}"
        if name != "redis":
            assert service["env_file"] == [".env"]


def _docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _docker_compose_available(), reason="docker compose is not installed")
def test_docker_compose_config_validates(tmp_path):
    env_file = DEPLOY / ".env"
    created = not env_file.exists()
    if created:
        env_file.write_text((DEPLOY / ".env.example").read_text())
    try:
        result = subprocess.run(
            ["docker", "compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True, check=False
        )
    finally:
        if created:
            env_file.unlink()
    assert result.returncode == 0, result.stderr


def _hadolint() -> str | None:
    """On PATH, or beside this Python (the test extra installs it into the virtualenv)."""
    return shutil.which("hadolint") or shutil.which("hadolint", path=os.path.dirname(sys.executable))


@pytest.mark.skipif(_hadolint() is None, reason="hadolint is not installed")
def test_hadolint_accepts_the_dockerfile():
    result = subprocess.run([_hadolint(), str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(
    os.environ.get("WARNER_TEST_DOCKER_BUILD") != "1", reason="set WARNER_TEST_DOCKER_BUILD=1 to build the image"
)
def test_docker_image_builds():
    result = subprocess.run(
        ["docker", "build", "-f", str(DOCKERFILE), "-t", "warner:test", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]


# -- systemd ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [API_UNIT, WORKER_UNIT, WEB_UNIT], ids=["api", "worker", "web"])
def test_systemd_unit_is_hardened_and_restarts(path):
    service = unit(path)["Service"]
    assert service["User"] not in ("root", "0")
    assert service["Restart"] == "always"
    assert service["EnvironmentFile"] == "/etc/warner/warner.env"
    for key, value in HARDENING.items():
        assert service[key] == value, key
    assert "/var/lib/warner" in service["ReadWritePaths"].split()
    assert service["StateDirectory"] == "warner"
    assert unit(path)["Install"]["WantedBy"] == "multi-user.target"
    assert not any(SECRET_NAME.search(v.split("=", 1)[0]) for v in unit_values(path, "Service", "Environment"))


def test_the_console_runs_as_its_own_role_in_compose_and_under_systemd(compose, production):
    web = compose["services"]["web"]
    assert web["command"] == ["run", "--role", "web"]
    assert web["ports"] == [f"127.0.0.1:{production['web']['port']}:8090"]
    assert f"127.0.0.1:{production['web']['port']}/healthz" in web["healthcheck"]["test"][-1]
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    assert unit(WEB_UNIT)["Service"]["ExecStart"].endswith("warner run --role web")
    assert production["web"]["public_url"].startswith("https://")  # cookies only over TLS


def test_systemd_roles():
    assert unit(API_UNIT)["Service"]["ExecStart"].endswith("warner run --role api")
    exec_start = unit(WORKER_UNIT)["Service"]["ExecStart"]
    assert exec_start.endswith("run --role worker") and "%i" in exec_start


def test_worker_instance_config_moves_the_metrics_port(tmp_path):
    """ExecStartPre as systemd runs it for warner-worker@3: a config with metrics_port 9103 that checks OK."""
    (line,) = unit_values(WORKER_UNIT, "Service", "ExecStartPre")
    line = line.replace("%i", "3").replace("$$", "$")
    line = line.replace("/etc/warner/warner.yaml", str(PRODUCTION)).replace("/run/warner-worker-3", str(tmp_path))
    argv = [arg.replace("\\\\", "\\") for arg in shlex.split(line)]  # systemd's C unescaping of quoted words
    subprocess.run(argv, check=True, timeout=30)
    rendered = tmp_path / "warner.yaml"
    assert yaml.safe_load(rendered.read_text())["worker"]["metrics_port"] == 9103
    assert_checks_ok(check_config(rendered))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_finds_nothing_but_the_missing_binary(tmp_path):
    """Unknown keys or bad values are reported; only the not-yet-installed /opt/warner is excused."""
    (tmp_path / "warner-api.service").write_text(API_UNIT.read_text())
    (tmp_path / "warner-worker@2.service").write_text(WORKER_UNIT.read_text())
    result = subprocess.run(
        ["systemd-analyze", "verify", "warner-api.service", "warner-worker@2.service"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    complaints = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "warner" in line and "/opt/warner/venv/bin/warner is not executable" not in line
    ]
    assert complaints == []


# -- production config -----------------------------------------------------------------------


def test_production_config_checks_ok_with_its_secrets_set():
    assert_checks_ok(check_config(PRODUCTION))


def test_production_config_has_every_secret_a_paging_worker_needs(monkeypatch):
    from warner.config.loading import load_config
    from warner.config.secrets import check_runtime_secrets

    for name, value in placeholder_env().items():
        monkeypatch.setenv(name, value)
    config = load_config(PRODUCTION)
    assert check_runtime_secrets(config, str(PRODUCTION), paging=True) == []
    assert config.redis_url == "redis://redis:6379/0" and config.redis.url is None


def test_production_config_covers_the_deployment(production):
    from warner.config.loading import load_config

    config = load_config(PRODUCTION)
    assert config.ingest.host == "0.0.0.0"
    assert len(config.brands) == 2
    assert any(b.products and b.handles and b.hashtags for b in config.brands)
    assert any(b.query for b in config.brands)
    assert config.sources.rss
    assert config.oncall.off_hours.state == "BY"
    assert config.notify.telegram is not None and config.notify.sms is not None
    assert config.escalation.policies and config.escalation.routes
    assert config.respond.contacts and config.digest.recipients
    assert config.log.format == "json"
    assert str(config.digest.out_dir).startswith("/var/lib/warner")
    assert all(line.startswith("#") or "token:" not in line for line in PRODUCTION.read_text().splitlines())
