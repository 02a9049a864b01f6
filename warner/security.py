"""Security checks of a loaded config: insecure settings to warn about, and the secrets it names.

``warner check-config`` prints :func:`insecure_settings` as warnings (they do not fail the
check: each can be right for a lab set-up). :func:`config_secrets` reads the values of every
environment variable the config names as a secret, so the service can register them with
the log redactor at startup (:func:`register_config_secrets`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
from urllib.parse import urlsplit

from warner.config.root import Config
from warner.logs import register_secrets
from warner.oncall.config import Person
from warner.oncall.escalation.channels import Contact, plan_channels
from warner.oncall.policy_config import NOTIFY_KINDS
from warner.store.urls import cluster_nodes, is_cluster_url

ALL_INTERFACES = frozenset({"0.0.0.0", "::", "", "*", "[::]"})


def is_loopback(host: str | None) -> bool:
    """localhost, 127.0.0.0/8 or ::1 (a name other than localhost counts as reachable from outside)."""
    if host is None:
        return True
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def insecure_settings(config: Config) -> list[str]:
    """One line per insecure setting, each starting with the field it is about."""
    return [
        *_ingest(config),
        *_telegram(config),
        *_digest(config),
        *_redis(config),
        *_email(config),
        *_escalation(config),
    ]


def _ingest(config: Config) -> list[str]:
    ingest = config.ingest
    out = []
    if ingest.host in ALL_INTERFACES and not ingest.sources:
        out.append(
            f"ingest.host: {ingest.host!r} listens on all interfaces but ingest.sources is empty: "
            "no source has a token, so every request is refused (bind 127.0.0.1 or add a source with token_env)"
        )
    if not is_loopback(ingest.host):
        out.append(
            f"ingest.host: {ingest.host!r} is not a loopback address and warner speaks plain HTTP: "
            "put a TLS-terminating proxy in front so bearer tokens never cross the network in clear"
        )
        if ingest.metrics_token_env is None and ingest.metrics_port is None:
            out.append(
                f"ingest.metrics_token_env: not set while ingest.host {ingest.host!r} is reachable from other "
                "hosts: /metrics shows every brand's detector score to anyone; set a token or ingest.metrics_port"
            )
    return out


def _telegram(config: Config) -> list[str]:
    telegram = config.notify.telegram
    if telegram is None or telegram.allowed_chat_ids:
        return []
    if any(p.telegram_id is not None for p in config.oncall.people):
        return []
    return [
        (
            "notify.telegram.allowed_chat_ids: empty and no oncall.people has a telegram_id: "
            "nobody is allowed to acknowledge pages or use the bot's commands"
        )
    ]


def _digest(config: Config) -> list[str]:
    recipients = config.digest.recipients
    if not recipients or not config.digest.enabled:
        return []
    telegram, email = config.notify.telegram is not None, config.notify.email is not None
    if not (telegram or email):
        who = ", ".join(recipients)
        return [
            f"digest.recipients: {who} get the digest on Telegram or by mail, "
            "but notify.telegram is not configured (nor notify.email)"
        ]
    people = {p.id: p for p in config.oncall.people}
    unreachable = [
        r
        for r in recipients
        if r in people
        and not (telegram and people[r].telegram_id is not None)
        and not (email and people[r].email is not None)
    ]
    if unreachable:
        how = " or ".join(name for name, on in (("telegram_id", telegram), ("email", email)) if on)
        return [f"digest.recipients: {', '.join(unreachable)} have no {how} in oncall.people"]
    return []


def _email(config: Config) -> list[str]:
    email = config.notify.email
    if email is None or email.security != "none" or is_loopback(email.host):
        return []
    return [
        f"notify.email.security: none sends pages{' and the SMTP password' if email.password_env else ''} "
        f"to {email.host} (not loopback) in clear text: use starttls or tls"
    ]


def _redis(config: Config) -> list[str]:
    url = config.redis_url
    if not url:
        return []
    try:
        if is_cluster_url(url):  # judge the cluster by its first node's credentials and every node's host
            first, nodes = cluster_nodes(url)
            parts, hosts = urlsplit(first), [host for host, _ in nodes]
        else:
            parts = urlsplit(url)
            hosts = [] if parts.hostname is None else [parts.hostname]  # no host: localhost
        password = parts.password
    except ValueError:
        return []
    remote = [h for h in hosts if not is_loopback(h)]
    if parts.scheme not in ("redis", "rediss") or not remote or password:
        return []
    where = "REDIS_URL" if os.environ.get("REDIS_URL") else "redis.url"
    tls = "" if parts.scheme == "rediss" else " and no TLS (rediss://)"
    hosts_text = ", ".join(remote)
    return [
        f"{where}: Redis on {hosts_text} (not loopback) without a password{tls}:"
        " anybody on the network can read and inject mentions"
    ]


def _escalation(config: Config) -> list[str]:
    configured = set(config.notify.channels)
    people = {p.id: p for p in config.oncall.people}
    out = []
    for i, route in enumerate(config.escalation.routes):
        policy = config.escalation.policy(route.policy)
        if policy is None:
            continue
        notify = [s for s in policy.steps if s.kind in NOTIFY_KINDS]
        usable = {c for s in notify for c in s.order} & configured
        if not usable:
            used = sorted({c for s in notify for c in s.order})
            out.append(
                f"escalation.routes[{i}]: policy {policy.id!r} pages via {', '.join(used)}, "
                f"none of which notify configures (configured: {', '.join(sorted(configured)) or 'none'})"
            )
            continue
        for j, step in enumerate(policy.steps):
            for person_id in [*(step.notify_persons or []), *(step.notify_next_person or []), *step.call_persons]:
                person = people.get(person_id)
                if person is None:
                    continue
                # the channels a critical page would take: the step's, else the person's own order
                order = plan_channels(step, Contact(tuple(person.contact_order)), critical=True).channels
                if not _reachable(person, order, configured):
                    out.append(
                        f"escalation.policies[{policy.id}].steps[{j}]: {person_id} cannot be reached on "
                        f"{', '.join(order)} (no telegram_id/phone/email in oncall.people or channel not configured)"
                    )
    return sorted(set(out), key=out.index)


def _reachable(person: Person, channels: list[str], configured: set[str]) -> bool:
    contact = {
        "telegram": person.telegram_id is not None,
        "sms": person.phone is not None,
        "call": person.phone is not None,
        "email": person.email is not None,
        "console": True,
    }
    return any(c in configured and contact.get(c, False) for c in channels)


def config_secrets(config: Config) -> list[str]:
    """The values of every environment variable the config names as a secret (set ones only)."""
    names: list[str | None] = [*(s.token_env for s in config.ingest.sources), config.ingest.metrics_token_env]
    telegram = config.notify.telegram
    if telegram is not None:
        names += [telegram.token_env, telegram.secret_token_env, telegram.callback_secret_env]
    sms = config.notify.sms
    if sms is not None:
        if sms.http is not None:
            names += [sms.http.password_env, sms.http.token_env]
        if sms.twilio is not None:
            names.append(sms.twilio.auth_token_env)
        if sms.inbound is not None:
            names.append(sms.inbound.token_env)
    # A team chat's webhook URL is its credential (Slack's path, the sig= of a Teams Workflows URL).
    names += [env for t in config.oncall.teams for env in (t.teams_webhook_env, t.slack_webhook_env)]
    if config.notify.slack is not None:
        names.append(config.notify.slack.signing_secret_env)
    if config.notify.email is not None:
        names.append(config.notify.email.password_env)
    if config.notify.voice is not None:
        names += config.notify.voice.secret_envs()
    values = [os.environ.get(name, "") for name in names if name]
    values += [token for s in config.ingest.sources for token in s.tokens()]  # each one of ``new,old``
    if config.redis_url:
        with contextlib.suppress(ValueError):
            values.append(urlsplit(config.redis_url).password or "")
    return list(dict.fromkeys(v for v in values if v))


def register_config_secrets(config: Config) -> None:
    """Register every secret the config names with the log redactor; call once at startup."""
    register_secrets(config_secrets(config))
