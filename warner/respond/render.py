"""Drafts: the playbooks' templates filled in for one incident, ranked, length-checked.

Templates run in Jinja2's SandboxedEnvironment with StrictUndefined and no globals, so a
template sees exactly the variables of playbooks/SCHEMA.md and nothing else; a typo is an
error (caught by ``warner playbooks check``), never a silently empty hole in a public post.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import structlog
from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from warner.core import Language
from warner.incidents.model import Incident
from warner.ingest.config import BrandConfig
from warner.respond.business_hours import (
    format_clock,
    format_local,
    is_business_hours,
    next_business_time,
    service_hours_text,
)
from warner.respond.config import RespondConfig, RespondSettings
from warner.respond.loader import GENERIC_ID, PlaybookSet, cached_playbooks, playbooks_dir
from warner.respond.matching import Match, Matcher
from warner.respond.schema import DraftTemplate, Playbook, Purpose

log = structlog.get_logger(__name__)

PLATFORM_LIMITS: dict[str, int] = {"X": 280, "Bluesky": 300, "Mastodon": 500, "SMS": 160}
FRESH = timedelta(hours=1)  # a younger incident gets the holding statement first


def sandbox() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.globals.clear()  # no range, cycler, joiner, lipsum, namespace: only SCHEMA.md's variables
    return env


_ENV = sandbox()


@lru_cache(maxsize=1024)
def compile_template(source: str) -> Template:
    return _ENV.from_string(source)


def render_text(source: str, variables: dict[str, Any]) -> str:
    """Render one template; raises jinja2's TemplateError (incl. SecurityError, UndefinedError)."""
    lines = (" ".join(line.split()) for line in compile_template(source).render(variables).strip().splitlines())
    return "\n".join(lines)


def exceeded(text: str) -> list[str]:
    """Platforms whose length limit ``text`` exceeds (characters; X counts links as 23, not checked here)."""
    return [name for name, limit in PLATFORM_LIMITS.items() if len(text) > limit]


@dataclass(frozen=True, slots=True)
class Draft:
    """One ready-to-edit answer, with why it was chosen and what to do besides posting it."""

    playbook_id: str
    purpose: Purpose
    language: Language
    text: str
    short_text: str | None
    exceeds: list[str]  # platforms whose limit ``text`` exceeds
    reason: str
    checklist: list[str]
    title: str = ""
    short_exceeds: list[str] = field(default_factory=list)

    def for_platform(self, platform: str) -> str:
        """The text to post on ``platform``: the short variant when the main text is too long for it."""
        if platform in self.exceeds and self.short_text is not None:
            return self.short_text
        return self.text


def incident_facts(incident: Incident | None, now: datetime, tz: str, mentions: int) -> dict[str, Any]:
    """``incident.*`` for templates; without an incident (drafting from text), a stand-in at ``now``."""
    if incident is None:
        return {
            "id": "-",
            "severity": "warning",
            "mentions": mentions,
            "negative_share": 0,
            "volume_ratio": 1,
            "started": format_clock(now, tz),
        }
    return {
        "id": incident.id,
        "severity": incident.severity,
        "mentions": incident.mentions,
        "negative_share": round(100 * incident.negative_share),
        "volume_ratio": round(incident.volume_ratio),
        "started": format_clock(datetime.fromtimestamp(incident.started_at, now.tzinfo), tz),
    }


class Responder:
    """Playbooks + matcher + config: turns an incident and its mentions into ranked drafts."""

    def __init__(self, playbooks: PlaybookSet, config: RespondConfig, brands: Sequence[BrandConfig] = ()):
        self.playbooks = playbooks
        self.config = config
        self.brands = {b.name: b for b in brands}
        self._matcher: Matcher | None = None

    @classmethod
    def from_config(cls, config: RespondSettings) -> Responder:
        return cls(cached_playbooks(playbooks_dir(config.respond.playbooks_dir)), config.respond, config.brands)

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            self._matcher = Matcher(self.playbooks)
        return self._matcher

    def variables(
        self, brand: str, lang: Language, now: datetime, incident: Incident | None = None, mentions: int = 0
    ) -> dict[str, Any]:
        """Exactly the template variables of playbooks/SCHEMA.md."""
        cfg = self.config
        brand_config = self.brands.get(brand)
        display = brand_config.label if brand_config else (brand or ("[Marke]" if lang == "de" else "[brand]"))
        promised = next_business_time(now, cfg.business_hours, cfg.time_zone, cfg.state, cfg.reply_within)
        return {
            "brand": display,
            "contact": cfg.contact(brand, lang),
            "service_hours": (cfg.service_hours or {}).get(lang) or service_hours_text(cfg.business_hours, lang),
            "next_business_time": format_local(promised, lang, cfg.time_zone),
            "now": format_local(now, lang, cfg.time_zone),
            "incident": incident_facts(incident, now, cfg.time_zone, mentions),
            "signature": cfg.signature(brand, display, lang),
        }

    def off_hours(self, now: datetime) -> bool:
        cfg = self.config
        return not is_business_hours(now, cfg.business_hours, cfg.time_zone, cfg.state)

    def render(
        self,
        playbook: Playbook,
        purpose: Purpose,
        lang: Language,
        now: datetime,
        variables: dict[str, Any],
        reason: str,
    ) -> Draft | None:
        template = choose_variant(playbook, purpose, self.off_hours(now))
        if template is None:
            return None
        try:
            text = render_text(template.text(lang), variables)
            short = render_text(getattr(template.short, lang), variables) if template.short else None
        except TemplateError as exc:  # `warner playbooks check` reports these; drafting goes on without it
            log.warning("draft_render_failed", playbook=playbook.id, purpose=purpose, lang=lang, error=str(exc))
            return None
        return Draft(
            playbook_id=playbook.id,
            purpose=purpose,
            language=lang,
            text=text,
            short_text=short,
            exceeds=[] if purpose == "private" else exceeded(text),  # a direct message has no such limit
            reason=reason,
            checklist=list(getattr(playbook.checklist, lang)),
            title=getattr(playbook.title, lang),
            short_exceeds=exceeded(short) if short else [],
        )

    def rank_drafts(
        self,
        incident: Incident | None,
        mentions: Sequence[str],
        language: Language,
        now: datetime,
        top: int = 3,
        brand: str | None = None,
    ) -> list[Draft]:
        """The ``top`` drafts to show, best first (see ``draft_order``)."""
        brand = brand or (incident.brand if incident else "")
        fresh = incident is None or now.timestamp() - incident.started_at < FRESH.total_seconds()
        holding_first = fresh or self.off_hours(now)
        matches = self.matcher.rank(mentions)
        variables = self.variables(brand, language, now, incident, len(mentions))
        drafts: list[Draft] = []
        for playbook, purpose, reason in draft_order(matches, self.playbooks.generic, holding_first, language):
            draft = self.render(playbook, purpose, language, now, variables, reason)
            if draft is not None:
                drafts.append(draft)
            if len(drafts) >= top:
                break
        return drafts


def draft_order(
    matches: list[Match], generic: Playbook, holding_first: bool, lang: Language
) -> list[tuple[Playbook, Purpose, str]]:
    """Best playbook's holding (fresh or off-hours) or public reply, its private invitation, then the
    second-best playbook's first draft, then the rest; nothing matched: the generic holding statement."""
    first: Purpose = "holding" if holding_first else "public_reply"
    other: Purpose = "public_reply" if holding_first else "holding"
    if not matches:
        reason = (
            "kein Playbook passt: allgemeine Erstreaktion" if lang == "de" else "no playbook fits: generic response"
        )
        return [(generic, p, reason) for p in (first, "private", other, "update")]
    best, *rest = matches
    order = [(best.playbook, first, best.reason(lang)), (best.playbook, "private", best.reason(lang))]
    for m in rest[:2]:
        order.append((m.playbook, first, m.reason(lang)))
    order.append((best.playbook, other, best.reason(lang)))
    for m in rest[:2]:
        order.append((m.playbook, "private", m.reason(lang)))
    return order


def choose_variant(playbook: Playbook, purpose: Purpose, off_hours: bool) -> DraftTemplate | None:
    """The draft for ``purpose`` fitting the time: its own variant first, then ``any``, then whatever exists."""
    candidates = [d for d in playbook.drafts if d.purpose == purpose]
    wanted = "off_hours" if off_hours else "business_hours"
    for when in (wanted, "any"):
        for draft in candidates:
            if draft.when == when:
                return draft
    return candidates[0] if candidates else None


@dataclass(frozen=True)
class _DefaultSettings:
    """The defaults of a config without a file: the shipped playbooks, no brands."""

    respond: RespondConfig = field(default_factory=RespondConfig)
    brands: list[BrandConfig] = field(default_factory=list)


@lru_cache(maxsize=1)
def _default_config() -> RespondSettings:
    return _DefaultSettings()


_LAST: list[tuple[RespondSettings, Responder]] = []  # one slot: the service and the CLI use one config


def rank_drafts(
    incident: Incident | None,
    mentions: Sequence[str],
    language: Language,
    now: datetime,
    top: int = 3,
    *,
    config: RespondSettings | None = None,
) -> list[Draft]:
    """Ranked drafts with ``config``'s playbooks (default: a default RespondSettings), fitted once per config."""
    config = config or _default_config()
    if not _LAST or _LAST[0][0] is not config:
        _LAST[:] = [(config, Responder.from_config(config))]
    responder = _LAST[0][1]
    return responder.rank_drafts(incident, mentions, language, now, top)


__all__ = ["GENERIC_ID", "PLATFORM_LIMITS", "Draft", "Responder", "rank_drafts"]
