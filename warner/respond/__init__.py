"""Respond stage: playbooks, matching an incident to them, and the first public answers.

``warner.config`` imports ``warner.respond.config`` while it loads, so this package's import
stays light: the public names below load their modules (Jinja2, scikit-learn) on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import warner.config  # noqa: F401 - loads warner.respond.config in the order their import cycle needs

if TYPE_CHECKING:
    from warner.respond.business_hours import format_local, is_business_hours, next_business_time
    from warner.respond.config import BusinessHours, Contact, RespondConfig
    from warner.respond.loader import PlaybookSet, default_playbooks_dir, load_playbook, load_playbooks
    from warner.respond.matching import Match, Matcher
    from warner.respond.render import Draft, Responder, rank_drafts
    from warner.respond.schema import Playbook, PlaybookError, PlaybookIssue

_EXPORTS = {
    "format_local": "business_hours",
    "is_business_hours": "business_hours",
    "next_business_time": "business_hours",
    "BusinessHours": "config",
    "Contact": "config",
    "RespondConfig": "config",
    "PlaybookSet": "loader",
    "default_playbooks_dir": "loader",
    "load_playbook": "loader",
    "load_playbooks": "loader",
    "Match": "matching",
    "Matcher": "matching",
    "Draft": "render",
    "Responder": "render",
    "rank_drafts": "render",
    "Playbook": "schema",
    "PlaybookError": "schema",
    "PlaybookIssue": "schema",
}

__all__ = [
    "format_local",
    "is_business_hours",
    "next_business_time",
    "BusinessHours",
    "Contact",
    "RespondConfig",
    "PlaybookSet",
    "default_playbooks_dir",
    "load_playbook",
    "load_playbooks",
    "Match",
    "Matcher",
    "Draft",
    "Responder",
    "rank_drafts",
    "Playbook",
    "PlaybookError",
    "PlaybookIssue",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
