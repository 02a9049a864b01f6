"""The console's pages, one module each; ``PAGES`` is the order their routes are added in."""

from __future__ import annotations

from types import ModuleType

from warner.web.pages import incident, incidents, oncall, replies

PAGES: tuple[ModuleType, ...] = (incidents, incident, replies, oncall)
