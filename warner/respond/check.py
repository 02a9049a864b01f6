"""``warner playbooks check``: every playbook file valid, every template renders, lengths fit.

Rendering runs with sample data in both languages, once inside and once outside business
hours, so a typo in a variable name, a sandbox violation or a too-long short variant is found
here, at editing time, and not by the person drafting an answer at night.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError

from warner.core import BERLIN
from warner.incidents.model import Incident
from warner.ingest.config import BrandConfig
from warner.respond.config import LANGS, Contact, RespondConfig
from warner.respond.loader import BUILTIN_GENERIC, GENERIC_ID, PlaybookSet, load_playbook
from warner.respond.matching import Matcher
from warner.respond.render import PLATFORM_LIMITS, Responder, render_text
from warner.respond.schema import Playbook, PlaybookError, PlaybookIssue, Source

SHORT_LIMIT = PLATFORM_LIMITS["X"]
LONG_WARNING = PLATFORM_LIMITS["Mastodon"]

_ZONE = BERLIN
SAMPLE_TIMES = {
    "business hours": datetime(2026, 11, 23, 10, 30, tzinfo=_ZONE),  # Monday morning
    "off-hours": datetime(2026, 11, 21, 20, 14, tzinfo=_ZONE),  # Saturday evening
}
SAMPLE_BRAND = BrandConfig(name="kesselberg", display_name="Brauerei Kesselberg")
SAMPLE_CONFIG = RespondConfig(
    contacts={
        "kesselberg": Contact(
            email="service@brauerei-kesselberg.de",
            phone="+49 8821 123456",
            url="https://brauerei-kesselberg.de/aktuell",
            signature={"de": "Ihr Kesselberg-Team", "en": "Your Kesselberg team"},
        )
    }
)
SAMPLE_INCIDENT = Incident(
    brand="kesselberg",
    number=42,
    status="open",
    severity="critical",
    started_at=int(datetime(2026, 11, 21, 19, 50, tzinfo=_ZONE).timestamp()),
    updated_at=int(datetime(2026, 11, 21, 20, 14, tzinfo=_ZONE).timestamp()),
    mentions=412,
    expected=18.5,
    negatives=297,
)


@dataclass(slots=True)
class CheckReport:
    playbooks: list[str] = field(default_factory=list)  # ids that passed
    errors: list[PlaybookIssue] = field(default_factory=list)
    warnings: list[PlaybookIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_playbooks(directory: Path | None) -> CheckReport:
    """Check every ``*.yaml`` in ``directory`` and the built-in generic playbook."""
    report = CheckReport()
    loaded: list[tuple[Playbook, Source]] = []
    paths = sorted(directory.glob("*.yaml")) if directory is not None else []
    if not any(p.stem == GENERIC_ID for p in paths):
        paths.insert(0, BUILTIN_GENERIC)
    for path in paths:
        try:
            loaded.append(load_playbook(path))
        except PlaybookError as exc:
            report.errors += exc.issues
    responder = Responder(_generic_only(), SAMPLE_CONFIG, [SAMPLE_BRAND])
    for playbook, source in loaded:
        before = len(report.errors)
        _check_templates(playbook, source, responder, report)
        if len(report.errors) == before:
            report.playbooks.append(playbook.id)
    _check_examples_match_their_playbook([pb for pb, _ in loaded], {pb.id: src for pb, src in loaded}, report)
    report.errors.sort(key=lambda i: (i.file, i.line or 0))
    report.warnings.sort(key=lambda i: (i.file, i.line or 0))
    return report


def _generic_only() -> PlaybookSet:
    generic, _ = load_playbook(BUILTIN_GENERIC)
    return PlaybookSet({}, generic)


def _check_templates(playbook: Playbook, source: Source, responder: Responder, report: CheckReport) -> None:
    for lang in LANGS:
        for label, now in SAMPLE_TIMES.items():
            variables = responder.variables(SAMPLE_BRAND.name, lang, now, SAMPLE_INCIDENT)
            for index, draft in enumerate(playbook.drafts):
                fields: list[tuple[tuple[str | int, ...], str]] = [(("drafts", index, lang), draft.text(lang))]
                if draft.short is not None:
                    fields.append((("drafts", index, "short", lang), getattr(draft.short, lang)))
                for loc, template in fields:
                    issue = _render_issue(source, loc, template, variables, label)
                    if issue is not None:
                        if issue not in report.errors:
                            report.errors.append(issue)
                        continue
                    if (
                        label == "off-hours" and draft.purpose != "private"
                    ):  # lengths once; the two times differ by a few characters
                        _check_length(source, loc, render_text(template, variables), draft.short is not None, report)


def _render_issue(
    source: Source, loc: tuple[str | int, ...], template: str, variables: dict[str, Any], label: str
) -> PlaybookIssue | None:
    try:
        render_text(template, variables)
    except TemplateSyntaxError as exc:
        return source.issue(loc, f"template syntax error (template line {exc.lineno}): {exc.message}")
    except TemplateError as exc:
        kind = type(exc).__name__
        return source.issue(loc, f"does not render ({kind}): {exc.message or exc}")
    return None


def _check_length(source: Source, loc: tuple[str | int, ...], text: str, has_short: bool, report: CheckReport) -> None:
    is_short = "short" in loc
    if is_short and len(text) > SHORT_LIMIT:
        report.errors.append(
            source.issue(loc, f"short variant is {len(text)} characters with sample data (at most {SHORT_LIMIT})")
        )
    elif not is_short and len(text) > LONG_WARNING:
        hint = "" if has_short else "; add a short variant"
        report.warnings.append(
            source.issue(loc, f"{len(text)} characters with sample data, longer than Mastodon's {LONG_WARNING}{hint}")
        )


def _check_examples_match_their_playbook(
    playbooks: list[Playbook], sources: dict[str, Source], report: CheckReport
) -> None:
    """Warn when a playbook's own examples are matched to another playbook first (overlapping triggers)."""
    crisis = [pb for pb in playbooks if pb.id != GENERIC_ID]
    if len(crisis) < 2:
        return
    matcher = Matcher(crisis)
    for playbook in crisis:
        for lang in LANGS:
            ranked = matcher.rank(getattr(playbook.triggers.examples, lang))
            if ranked and ranked[0].playbook.id != playbook.id:
                other = ranked[0].playbook.id
                report.warnings.append(
                    sources[playbook.id].issue(
                        ("triggers", "examples", lang),
                        f"these examples match playbook {other!r} better than this one: sharpen the keywords",
                    )
                )
            elif not ranked:
                report.warnings.append(
                    sources[playbook.id].issue(
                        ("triggers", "examples", lang), "these examples do not reach the match threshold"
                    )
                )
