"""Ingest: the HTTP API and (later) source adapters feeding the mention stream."""

from warner.ingest.app import create_app
from warner.ingest.brands import BrandMatcher
from warner.ingest.parse import InvalidBody, RecordError, parse_body

__all__ = ["BrandMatcher", "InvalidBody", "RecordError", "create_app", "parse_body"]
