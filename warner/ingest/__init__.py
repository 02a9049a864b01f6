"""Ingest: the HTTP API and the pulled source adapters feeding the mention stream."""
