"""Pulled sources: RSS/Atom feeds, Mastodon, Bluesky — feeding the same stream as the HTTP API."""
