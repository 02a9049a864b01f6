"""Placeholder until this page is written."""

from __future__ import annotations

from aiohttp import web


def add_routes(app: web.Application) -> None:
    """Adds this page's routes."""
