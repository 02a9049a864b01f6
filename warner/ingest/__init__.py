"""Ingest: the HTTP API and the pulled source adapters feeding the mention stream.

Exports are loaded lazily: ``warner.config`` imports ``ingest/sources/config.py`` while it is
itself being imported, and that must not pull in the API (which imports ``warner.config``).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# sources/config.py builds on warner.config's base types while Config embeds SourcesConfig:
# load warner.config first, whichever of the two a caller imports first.
import warner.config  # noqa: F401

_EXPORTS = {
    "create_app": "warner.ingest.app",
    "BrandMatcher": "warner.ingest.brands",
    "InvalidBody": "warner.ingest.parse",
    "RecordError": "warner.ingest.parse",
    "parse_body": "warner.ingest.parse",
}

__all__ = ["BrandMatcher", "InvalidBody", "RecordError", "create_app", "parse_body"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'warner.ingest' has no attribute {name!r}")
