"""What ``warner run`` checks before it starts — the one function ``warner check-config`` calls too.

Both commands call :func:`preflight`, so check-config can never say OK about a config that
run would refuse: the file (every key's problem, not just the first), the secrets each
source and each paging channel needs from the environment, the Redis URL (``$REDIS_URL``
included), whether the embedded Redis can start (a redis-server to run, a data dir it can
create or write and no other warner owns), and whether the ports can be bound on this host.
Problems are listed in the order of the file. Errors make run refuse and check-config exit 1;
warnings (insecure settings, a Redis that does not answer yet) do neither, because the
condition may be intended or pass.

Every problem is a :class:`~warner.config.ConfigIssue` with file, line and key, because the
person reading it is fixing a config on a server, often at an inconvenient hour.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from warner.config.loading import ParsedConfig, read_config
from warner.config.locate import ConfigIssue, issue_order
from warner.config.root import Config
from warner.config.secrets import check_runtime_secrets, security_warnings, telegram_secret_issues
from warner.store.config import REDIS_URL_ENV, check_redis_url

Role = Literal["all", "api", "worker", "web"]
REDIS_PROBE_TIMEOUT = 1.5  # seconds; a Redis further away than that is not one warner can work with anyway


@dataclass
class Findings:
    """Everything :func:`preflight` found; ``config`` is None when the file did not load."""

    parsed: ParsedConfig
    errors: list[ConfigIssue] = field(default_factory=list)
    warnings: list[ConfigIssue] = field(default_factory=list)

    @property
    def config(self) -> Config | None:
        return self.parsed.config if not self.parsed.issues else None


def preflight(
    path: str | os.PathLike[str] | None = None, *, role: Role = "all", host_checks: bool = True, probe: bool = False
) -> Findings:
    """Check the config at ``path`` as ``warner run --role role`` would on this host.

    ``host_checks`` binds the ports and looks at the embedded Redis's data dir (off for a config
    meant for another machine); ``probe`` also tries to reach the configured Redis (a warning
    when it does not answer: it may start after warner).
    """
    parsed = read_config(path)
    found = Findings(parsed, errors=list(parsed.issues))
    config = parsed.config
    if config is None:
        return found  # unreadable, or nothing salvageable: the errors above say why
    errors: list[ConfigIssue] = []
    secrets = check_runtime_secrets(config, parsed.filename, paging=True)  # every role builds the pager
    if role == "worker":
        secrets = [s for s in secrets if not s.field.startswith("ingest.")]
    errors += secrets
    url = config.redis_url
    errors += _redis_url_problems(parsed, url)
    if host_checks:
        errors += _embedded_redis_problems(parsed, config) if url is None else []
        errors += _port_problems(parsed, config, role)
    found.errors += [parsed.located(e) for e in errors if not parsed.is_broken(e.field)]
    found.errors.sort(key=issue_order)  # in the order of the file, whichever check found them
    warnings = _secret_warnings(parsed, config) + list(parsed.renamed)
    if probe and url and not parsed.is_broken("redis.url") and all(e.field != "redis.url" for e in found.errors):
        warnings += _redis_unreachable(parsed, url)
    if not parsed.issues:  # advice about defaults standing in for broken keys would mislead
        for text in security_warnings(config):
            key, _, message = text.partition(": ")
            if key == REDIS_URL_ENV:  # about the environment's URL, not the file's
                warnings.append(parsed.issue("redis.url", message, file=f"${REDIS_URL_ENV}"))
            else:
                warnings.append(parsed.issue(key, message))
    found.warnings = sorted((parsed.located(w) for w in warnings if not parsed.is_broken(w.field)), key=issue_order)
    return found


def _redis_url_problems(parsed: ParsedConfig, url: str | None) -> list[ConfigIssue]:
    """``$REDIS_URL`` is not read from the file, so only here is it checked like ``redis.url``."""
    from_env = bool(os.environ.get(REDIS_URL_ENV))
    if not url or not from_env:
        return []  # the file's redis.url was checked when the file was read
    try:
        check_redis_url(url)
    except ValueError as exc:
        return [parsed.issue("redis.url", str(exc), file=f"${REDIS_URL_ENV}")]
    return []


def _embedded_redis_problems(parsed: ParsedConfig, config: Config) -> list[ConfigIssue]:
    """No Redis URL: run starts redis-server itself, on a data dir only one warner may own."""
    from warner.store.embedded import EmbeddedRedisError, default_data_dir, find_redis_server, running_url

    try:
        find_redis_server()
    except EmbeddedRedisError as exc:
        return [parsed.issue("redis.url", f"empty, so warner would start its own Redis, but {exc}")]
    data_dir = config.redis.data_dir or default_data_dir()
    unusable = data_dir_problem(data_dir)
    if unusable:
        default = "" if config.redis.data_dir else " (the default: set redis.data_dir, or XDG_DATA_HOME)"
        return [parsed.issue("redis.data_dir", f"{unusable}{default}")]
    if running_url(config.redis.data_dir):
        return [
            parsed.issue(
                "redis.data_dir",
                f"data dir {data_dir} is in use by another warner process; stop it first, or give this one "
                "its own redis.data_dir or a REDIS_URL",
            )
        ]
    return []


def data_dir_problem(data_dir: Path) -> str | None:
    """Why the embedded Redis could not keep its files in ``data_dir``, or None.

    run creates the directory with its parents; this only looks, so that check-config changes nothing on the
    host (run as root, creating it would leave a directory the service's user cannot write): an existing
    ``data_dir`` must be a directory warner may read, write and enter, else its nearest existing parent must
    be one it may create directories in. Whatever is in the way (a file where a directory must be) is named.
    """
    path = Path(os.path.abspath(data_dir))  # as run sees it, from the same working directory
    existing = path
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = "is a file" if existing.is_file() else "is not a directory" if existing.exists() else "is a broken link"
        within = "" if existing == path else f", so {path} cannot be created"
        return f"{existing} {what}{within}: give the embedded Redis a directory of its own"
    if existing == path:
        if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
            return f"{path} is not readable and writable by this user (uid {os.getuid()}): fix its owner or mode"
        return None
    if not os.access(existing, os.W_OK | os.X_OK):
        return (
            f"{path} does not exist and cannot be created: {existing} is not writable by this user "
            f"(uid {os.getuid()}); create the directory for it, or choose another"
        )
    return None


def _port_problems(parsed: ParsedConfig, config: Config, role: Role) -> list[ConfigIssue]:
    """The ports this role listens on must be free to bind on ``ingest.host``."""
    ports = {"ingest.port": config.ingest.port, "ingest.metrics_port": config.ingest.metrics_port}
    if role == "worker":
        ports = {"worker.metrics_port": config.worker.metrics_port}
    problems: list[ConfigIssue] = []
    if role != "worker" and config.ingest.metrics_port and config.ingest.metrics_port == config.ingest.port:
        message = f"is ingest.port ({config.ingest.port}): give /metrics a port of its own"
        problems.append(parsed.issue("ingest.metrics_port", message))
        del ports["ingest.metrics_port"]
    if parsed.is_broken("ingest.host"):
        return problems
    if role == "web":
        ports = {}
    for key, port in ports.items():
        if port:  # None: not served; 0: any free port
            problem = bind_problem(config.ingest.host, port)
            if problem:
                problems.append(parsed.issue(key, problem))
    if role in ("all", "web") and config.web.port and not parsed.is_broken("web.host"):
        problem = bind_problem(config.web.host, config.web.port)
        if problem:
            problems.append(parsed.issue("web.port", problem.replace("ingest.host", "web.host")))
    return problems


def bind_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on now, or None. Binds (as asyncio would) and lets go at once."""
    try:
        addresses = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        return f"cannot listen on {host}:{port}: ingest.host does not resolve to an address of this host ({exc})"
    for family, kind, proto, _, address in dict.fromkeys(addresses):
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and hasattr(socket, "IPV6_V6ONLY"):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                return f"cannot listen on {_address(address)}: {_reason(exc)}"
    return None


def _address(address: tuple[object, ...]) -> str:
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "address already in use (by another process: is a warner already running?)"
    if exc.errno == errno.EACCES:
        return "permission denied (ports below 1024 need privileges; use e.g. 8080 behind a proxy)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "address not available: ingest.host is not an address of this host"
    return (exc.strerror or str(exc)).lower()


def _secret_warnings(parsed: ParsedConfig, config: Config) -> list[ConfigIssue]:
    """Secrets run does not refuse to start without, but whose absence breaks a feature later."""
    warnings = [
        parsed.issue(f"sources.mastodon[{i}].token_env", message)
        for i, source in enumerate(config.sources.mastodon)
        for message in source.missing_secrets()
    ]
    digest = config.digest
    if not config.escalation.routes and config.notify.telegram is not None and digest.enabled and digest.recipients:
        for issue in telegram_secret_issues(config, parsed.filename):  # with routes, an error above
            warnings.append(parsed.issue(issue.field, f"{issue.message}: the weekly digest cannot be sent"))
    return warnings


def _redis_unreachable(parsed: ParsedConfig, url: str) -> list[ConfigIssue]:
    """One PING with a short timeout; not answering is a warning, since Redis may well start after warner."""
    outcome: list[str] = []

    def ping() -> None:
        import redis

        from warner.store.urls import cluster_nodes, is_cluster_url

        single = cluster_nodes(url)[0] if is_cluster_url(url) else url
        client = redis.Redis.from_url(
            single, socket_connect_timeout=REDIS_PROBE_TIMEOUT, socket_timeout=REDIS_PROBE_TIMEOUT
        )
        try:
            client.ping()
        except redis.AuthenticationError as exc:
            outcome.append(f"Redis refuses the credentials in the URL ({type(exc).__name__})")
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            outcome.append(f"no answer from Redis now ({exc}); warner run waits for it")
        except redis.exceptions.InvalidResponse as exc:
            outcome.append(f"what answers at that address is not Redis ({exc})")
        except redis.RedisError as exc:
            outcome.append(f"Redis answers with an error: {exc}")
        else:
            outcome.append("")
        finally:
            client.close()

    thread = threading.Thread(target=ping, daemon=True)  # name resolution is not bounded by the socket timeouts
    thread.start()
    thread.join(REDIS_PROBE_TIMEOUT * 2)
    message = outcome[0] if outcome else "no answer from Redis now (timed out); warner run waits for it"
    if not message:
        return []
    from warner.logs import redact_text

    file = f"${REDIS_URL_ENV}" if os.environ.get(REDIS_URL_ENV) else None
    return [parsed.issue("redis.url", redact_text(message), file=file)]
