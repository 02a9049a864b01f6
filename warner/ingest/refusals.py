"""Requests refused for their bearer token, in the log: who was turned away and why, never a flood.

After a token rotation the operator must see which sender still uses the old token (its client
address) without the token itself: ``ingest_refused`` names the client, the reason
(``missing_token`` or ``wrong_token``) and the source when it is known — never the presented
value or any part of it. A misconfigured sender retrying in a loop, or a scanner, must not
fill the disk either: each (client, reason) gets at most one line per ``interval_s``, which
carries how many requests were refused since that client's previous line (``refused``). Every
refusal is still counted in ``warner_ingest_rejected_total``.

The table of clients is bounded: when ``max_clients`` clients were seen within the interval,
further new ones share one entry (``client="*"``), so a flood from many addresses costs a few
kilobytes and a handful of lines, not one line per address.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)

OTHER_CLIENTS = "*"


@dataclass(slots=True)
class _Seen:
    logged_at: float  # when this client's last line was written
    since: int = 0  # refusals since then, not yet in a line


class RefusalLog:
    """Logs refused requests, at most one line per client and reason per ``interval_s``."""

    __slots__ = ("_clients", "interval_s", "max_clients")

    def __init__(self, interval_s: float = 60.0, max_clients: int = 1024) -> None:
        self.interval_s = interval_s
        self.max_clients = max_clients
        self._clients: dict[tuple[str, str], _Seen] = {}

    def refused(self, now_s: float, client: str | None, reason: str, source: str | None = None) -> bool:
        """Note one refused request at ``now_s``; True if it was written as a line (else only counted)."""
        key = (client or "unknown", reason)
        if key not in self._clients and len(self._clients) >= self.max_clients:
            self._forget_quiet(now_s)
            if len(self._clients) >= self.max_clients:
                key = (OTHER_CLIENTS, reason)
        seen = self._clients.get(key)
        if seen is not None and now_s - seen.logged_at < self.interval_s:
            seen.since += 1
            return False
        refused = 1 + (seen.since if seen is not None else 0)
        self._clients[key] = _Seen(now_s)
        fields: dict[str, object] = {"client": key[0], "reason": reason, "refused": refused}
        if source is not None:
            fields["source"] = source
        log.warning("ingest_refused", **fields, window_s=self.interval_s)
        return True

    def _forget_quiet(self, now_s: float) -> None:
        """Drop clients whose last line is older than the interval (their unlogged count goes with them)."""
        for key in [k for k, s in self._clients.items() if now_s - s.logged_at >= self.interval_s]:
            del self._clients[key]
