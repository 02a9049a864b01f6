"""Sign-in without passwords to manage: single-use links, then a session in a signed cookie.

Every on-call person is already known to the bot, so ``/login`` in Telegram (or ``warner web
link PERSON`` on the host) issues a link that works once and expires in minutes. Using it
starts a session kept in Redis (revocable: logout ends it, ``revoke_all`` ends every session
of a person); the cookie holds the session id signed with a key kept in Redis, HttpOnly and
SameSite=Strict. Each session has its own CSRF token that every form and action must send.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from warner.store import keys
from warner.store.values import as_text

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

COOKIE = "warner_session"


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in person."""

    id: str
    person: str
    csrf: str
    started_at: float


def _digest(token: str) -> str:
    """Links are stored by digest: a copy of Redis holds no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """Links and sessions in Redis, for the people ``allowed`` (``oncall.people``) only."""

    def __init__(
        self, redis: RedisClient, allowed: set[str], *, link_ttl: float, session_ttl: float
    ) -> None:
        self.redis = redis
        self.allowed = allowed
        self.link_ttl = link_ttl
        self.session_ttl = session_ttl
        self._key: bytes | None = None

    async def issue_link_token(self, person: str) -> str:
        """A token for ``/login?token=…`` that signs ``person`` in once within ``link_ttl``."""
        if person not in self.allowed:
            raise LookupError(f"unknown person {person!r} (oncall.people)")
        token = secrets.token_urlsafe(32)
        await self.redis.set(keys.web_link(_digest(token)), person, ex=int(self.link_ttl))
        return token

    async def use_link(self, token: str) -> Session | None:
        """The session a link starts, or None: unknown, expired, already used, or a person no longer allowed."""
        if not token or len(token) > 200:
            return None
        raw = await self.redis.getdel(keys.web_link(_digest(token)))
        if raw is None:
            return None
        person = as_text(raw)
        if person not in self.allowed:
            return None
        return await self.start(person)

    async def start(self, person: str) -> Session:
        session = Session(secrets.token_urlsafe(24), person, secrets.token_urlsafe(24), time.time())
        body = {"person": session.person, "csrf": session.csrf, "started_at": session.started_at}
        await self.redis.set(keys.web_session(session.id), orjson.dumps(body), ex=int(self.session_ttl))
        await self.redis.sadd(keys.web_sessions_of(person), session.id)
        await self.redis.expire(keys.web_sessions_of(person), int(self.session_ttl))
        return session

    async def get(self, session_id: str) -> Session | None:
        raw = await self.redis.get(keys.web_session(session_id))
        if raw is None:
            return None
        body = orjson.loads(raw)
        if body["person"] not in self.allowed:  # removed from the config since: out
            return None
        return Session(session_id, body["person"], body["csrf"], float(body["started_at"]))

    async def end(self, session: Session) -> None:
        await self.redis.delete(keys.web_session(session.id))
        await self.redis.srem(keys.web_sessions_of(session.person), session.id)

    async def revoke_all(self, person: str) -> int:
        """End every session of ``person``; how many there were."""
        ids = [as_text(i) for i in await self.redis.smembers(keys.web_sessions_of(person))]
        for session_id in ids:
            await self.redis.delete(keys.web_session(session_id))
        await self.redis.delete(keys.web_sessions_of(person))
        return len(ids)

    async def _signing_key(self) -> bytes:
        if self._key is None:
            await self.redis.set(keys.WEB_SECRET, secrets.token_hex(32), nx=True)
            raw = await self.redis.get(keys.WEB_SECRET)
            assert raw is not None  # just set, never deleted
            self._key = as_text(raw).encode()
        return self._key

    async def cookie_value(self, session: Session) -> str:
        signature = hmac.new(await self._signing_key(), session.id.encode(), hashlib.sha256).hexdigest()
        return f"{session.id}.{signature}"

    async def from_cookie(self, value: str | None) -> Session | None:
        """The session a cookie names, if its signature is ours and the session still exists."""
        if not value or value.count(".") != 1 or len(value) > 200:
            return None
        session_id, signature = value.split(".")
        expected = hmac.new(await self._signing_key(), session_id.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature, expected):
            return None
        return await self.get(session_id)


def same_csrf(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), (sent or "").encode())
