"""The incident timeline as escalation writes it: delivery records and escalation events.

Pages and edits both end here. An attempt is a timeline entry with its outcome and
latency; a message a channel accepted is also kept (``SentMessage``) so later updates of
the incident edit it instead of sending a new one. Every decision of the escalation
(started, held, suppressed, stopped, ...) is an ``escalation`` entry with a named reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from warner.core import Clock
from warner.incidents.lifecycle import split_id
from warner.incidents.model import Incident
from warner.incidents.store import IncidentStore
from warner.notify.base import Delivery, Page
from warner.oncall.escalation.state import SentMessage
from warner.store import keys

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)


class Timeline:
    def __init__(self, redis: RedisClient, incidents: IncidentStore, clock: Clock) -> None:
        self.redis = redis
        self.incidents = incidents
        self.clock = clock

    async def record(self, inc: Incident, page: Page, deliveries: list[Delivery], reason: str) -> None:
        """Every attempt into the timeline; refs of new messages kept for later edits."""
        now = self.clock.now()
        for d in deliveries:
            entry = {"kind": "delivery", "at": round(now, 3), "page": page.kind, "reason": reason}
            entry |= {"recipient": page.recipient.id, "channel": d.channel, "target": d.target, "ok": d.ok}
            entry |= {"latency_s": round(d.latency_s, 3), "error": d.error, "level": page.escalation_level}
            entry |= {"edit": page.message_ref is not None}
            await self.incidents.note(inc.id, entry)
            if d.ok and d.message_ref and page.message_ref is None:
                sent = SentMessage(page.recipient, d.channel, d.message_ref, page.ack_code, page.escalation_level, now)
                await self.redis.hset(_messages_key(inc.id), sent.field, sent.to_json())
        log.info(
            "page_" + page.kind,
            incident=inc.id,
            recipient=page.recipient.id,
            reason=reason,
            ok=[d.ok for d in deliveries],
        )

    async def note(self, iid: str, event: str, **fields: Any) -> None:
        """An escalation event (``event``: started, page_held, stopped, ...) into the timeline."""
        entry = {"kind": "escalation", "event": event, "at": round(self.clock.now(), 3)}
        await self.incidents.note(iid, entry | fields)

    async def any_sent(self, iid: str) -> bool:
        return bool(await self.redis.exists(_messages_key(iid)))

    async def sent_messages(self, iid: str) -> list[SentMessage]:
        messages = await self.redis.hgetall(_messages_key(iid))
        return [SentMessage.from_json(raw) for raw in messages.values()]


def _messages_key(iid: str) -> str:
    return keys.escalation_messages(*split_id(iid))
