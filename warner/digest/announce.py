"""The week's digest in the team chats of ``digest.announce_to``: a card in Teams, blocks in Slack.

A team lead reads the week where the team talks: incidents by severity, how fast they were
taken (MTTA) and solved (MTTR), the false-alarm rate, the pages, each brand's mentions and
negative share — the figures and words of the report (``report.view``), in the team's ``language`` — and a
link to the report in the console (``web.public_url``). Each of the team's announcement
channels (``Team.announcement_channels``) that is Teams or Slack gets one post.

An announcement never stops the digest: every failure (a refused or unreachable webhook, a
missing variable, a team without a chat webhook) is logged (``digest_announcement_failed``)
and listed in the returned deliveries; nothing here raises.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import structlog

from warner.core import Language
from warner.digest import texts
from warner.digest.config import DigestSettings
from warner.digest.model import WeekFigures
from warner.digest.report import view
from warner.notify.base import Delivery
from warner.notify.secrets import MissingSecretError, read_secret
from warner.notify.webhook_post import WebhookPoster

log = structlog.get_logger(__name__)

CHAT_CHANNELS = ("teams", "slack")
MAX_BRANDS = 8
LINK: dict[Language, str] = {"de": "Bericht in der Konsole öffnen", "en": "Open the report in the console"}


async def announce_digest(config: DigestSettings, figures: WeekFigures) -> list[Delivery]:
    """Post the digest to every team chat of ``digest.announce_to``, in each team's language; one ``Delivery``
    per post tried."""
    if not config.digest.announce_to:
        return []
    url = report_url(config.web.public_url, figures.week)
    bodies: dict[tuple[str, Language], dict[str, Any]] = {}
    for language in {t.language for t in config.oncall.teams}:
        summary = digest_summary(figures, language, url)
        bodies["teams", language] = teams_digest(summary)
        bodies["slack", language] = slack_digest(summary)
    languages = {t.id: t.language for t in config.oncall.teams}
    posters: dict[str, WebhookPoster] = {}
    jobs: list[asyncio.Task[Delivery]] = []
    refused: list[Delivery] = []
    for team_id, channel, url in _targets(config, refused):
        if channel not in posters:
            section = getattr(config.notify, channel)
            posters[channel] = WebhookPoster(channel, section.timeout.total_seconds())
        body = bodies[channel, languages[team_id]]
        jobs.append(asyncio.ensure_future(_post(posters[channel], url, body, team_id)))
    try:
        deliveries = [*refused, *await asyncio.gather(*jobs)]
    finally:
        for poster in posters.values():
            await poster.close()
    for d in deliveries:
        if d.ok:
            log.info("digest_announced", week=figures.week, channel=d.channel, team=d.target)
        else:
            log.warning(
                "digest_announcement_failed", week=figures.week, channel=d.channel, team=d.target, error=d.error
            )
    return deliveries


def _targets(config: DigestSettings, refused: list[Delivery]) -> list[tuple[str, str, str]]:
    """(team id, channel, webhook URL) of every post to make; what cannot be posted goes to ``refused``."""
    teams = {t.id: t for t in config.oncall.teams}
    targets = []
    for team_id in config.digest.announce_to:
        team = teams.get(team_id)
        channels = [c for c in (team.announcement_channels if team else []) if c in CHAT_CHANNELS]
        if team is None or not channels:
            error = f"team {team_id} has no Teams or Slack webhook (oncall.teams[].teams_webhook_env/slack_webhook_env)"
            refused.append(Delivery("digest", team_id, ok=False, latency_s=0.0, error=error, permanent=True))
            continue
        for channel in channels:
            env: str | None = getattr(team, f"{channel}_webhook_env")
            if getattr(config.notify, channel) is None or env is None:
                error = f"notify.{channel} and oncall.teams[{team_id}].{channel}_webhook_env are both needed"
                refused.append(Delivery(channel, team_id, ok=False, latency_s=0.0, error=error, permanent=True))
                continue
            try:
                url = read_secret(env, f"oncall.teams[{team_id}].{channel}_webhook_env")
            except MissingSecretError as exc:
                refused.append(Delivery(channel, team_id, ok=False, latency_s=0.0, error=str(exc), permanent=True))
                continue
            targets.append((team_id, channel, url))
    return targets


async def _post(poster: WebhookPoster, url: str, body: Mapping[str, Any], team: str) -> Delivery:
    try:
        return await poster.post(url, body, target=team)
    except Exception as exc:  # a bug here must not cost the digest its other recipients
        log.exception("digest_announcement_crashed", channel=poster.channel, team=team)
        return Delivery(poster.channel, team, ok=False, latency_s=0.0, error=type(exc).__name__, permanent=True)


def report_url(console_url: str | None, week: str) -> str | None:
    """The week's report in the console (``GET /digests/{week}``), or None without ``web.public_url``."""
    return f"{console_url.rstrip('/')}/digests/{week}" if console_url else None


def digest_summary(figures: WeekFigures, language: Language, url: str | None) -> dict[str, Any]:
    """What both layouts show: title, period, the week's figures, one line per brand, the report link."""
    v = view(figures, language)
    t = v["t"]
    incidents = texts.plural(language, "incident", v["incident_count"]) if v["incident_count"] else t["incidents_none"]
    if v["severities"]:
        incidents += ": " + " · ".join(f"{s['icon']} {s['count']} {s['label']}" for s in v["severities"])
    facts = [(t["incidents"], incidents)]
    if v["incident_count"]:
        facts.append((t["off_hours"], str(v["off_hours"])))
    facts += [("MTTA", v["mtta"]), ("MTTR", v["mttr"]), (t["false_alarms"], v["false_alarms"])]
    pages = " · ".join(f"{p['channel']} {p['sent']}" + (f" ({p['failed_text']})" if p["failed"] else "")
                       for p in v["pages"])  # fmt: skip
    facts.append((t["pages"], pages or "0"))
    if v["undeliverable"]:
        facts.append((f"⚠️ {t['undeliverable']}", str(v["undeliverable"])))
    brands = sorted(v["brands"], key=lambda b: (-b["incidents"], -b["mentions_raw"]))
    brand_lines = [
        (b["label"], f"{b['mentions']} {t['mentions']} ({b['mentions_change']}), {b['share']} {t['negative_share']}")
        for b in brands[:MAX_BRANDS]
    ]
    return {
        "title": f"📊 {v['title']}", "period": v["period"], "facts": facts, "brands": brand_lines,
        "brands_title": t["brands"], "url": url, "link": LINK[language],
    }  # fmt: skip


def teams_digest(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The digest as an Adaptive Card in the Workflows envelope."""
    from warner.notify.teams.card import card, fact_set, message, open_url, text_block

    body = [
        text_block(summary["title"], size="Large", weight="Bolder"),
        text_block(summary["period"], isSubtle=True, spacing="None"),
        fact_set(summary["facts"]),
    ]
    if summary["brands"]:
        body += [text_block(summary["brands_title"], weight="Bolder", separator=True), fact_set(summary["brands"])]
    actions = [open_url(summary["link"], summary["url"])] if summary["url"] else None
    return message(card(body, actions))


def slack_digest(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The digest as Block Kit: header, the figures as fields, one line per brand, the report button."""
    from warner.notify.slack.blocks import escape, header, link_button, section

    blocks = [header(summary["title"]), section(summary["period"], summary["facts"])]
    if summary["brands"]:
        lines = [f"*{escape(label)}*: {escape(line)}" for label, line in summary["brands"]]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}})
    if summary["url"]:
        blocks.append({"type": "actions", "elements": [link_button(summary["link"], summary["url"], "warner_report")]})
    return {"text": escape(f"{summary['title']} ({summary['period']})"), "blocks": blocks}
