"""Sign-in: single-use links (and, for whom it is set, a password), then a session in a signed cookie.

Every on-call person is already known to the bot, so ``/login`` in Telegram (or ``warner web
link PERSON`` on the host) issues a link that works once and expires in minutes. Using it
starts a session kept in Redis (revocable: logout ends it, ``revoke_all`` ends every session
and every unused link of a person); the cookie holds the session id signed with a key kept in
Redis, HttpOnly and SameSite=Strict. Each session has its own CSRF token that every form and
action must send.

Only people in ``oncall.people`` sign in: a person removed from the config is out at once (their
links and sessions no longer work), because every use checks ``allowed``.

A password is optional per person (``warner web set-password``): an argon2id hash in Redis, and
at most ``MAX_WRONG`` wrong passwords per person id within ``WINDOW``; then the id is locked for
``LOCKOUT`` from the last wrong one, even for the right password (the same idea as the SMS reply
lockout, ``notify/sms/lockout.py``). Each try *reserves* its attempt before the hash is checked,
atomically, so a burst of concurrent guesses cannot slip past the limit. Unknown ids are counted
and checked against a dummy hash just the same, so the answer and its timing do not tell which
ids exist or have a password.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import orjson
import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from warner.secret_digest import same_secret, secret_digest
from warner.store import keys
from warner.store.failures import FailureCounters, Locked, seconds
from warner.store.values import as_text

if TYPE_CHECKING:
    from warner.store.connection import RedisClient
    from warner.web.config import WebSettings

log = structlog.get_logger(__name__)

COOKIE = "warner_session"
MAX_WRONG = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 12  # characters; `warner web set-password` refuses shorter ones
MAX_PASSWORD = 1024  # longer is refused unchecked (argon2 would hash it, at the cost of the CPU)
MAX_PERSON_ID = 64  # oncall.people ids are slugs of at most 64 characters


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in person."""

    id: str
    person: str
    csrf: str
    started_at: float


def _digest(token: str) -> str:
    """Links are stored by digest: a copy of Redis holds no usable link."""
    return secret_digest(token).hex()


class Sessions:
    """Links, sessions and passwords in Redis, for the people ``allowed`` (``oncall.people``) only."""

    def __init__(self, redis: RedisClient, allowed: set[str], *, link_ttl: float, session_ttl: float) -> None:
        self.redis = redis
        self.allowed = allowed
        self.link_ttl = link_ttl
        self.session_ttl = session_ttl
        self.passwords = Passwords(redis, allowed)
        self._key: bytes | None = None

    async def issue_link_token(self, person: str) -> str:
        """A token for ``/login?token=…`` that signs ``person`` in once within ``link_ttl``."""
        if person not in self.allowed:
            raise LookupError(f"unknown person {person!r} (oncall.people)")
        token = secrets.token_urlsafe(32)
        ttl = max(math.ceil(self.link_ttl), 1)
        digest = _digest(token)
        await self.redis.set(keys.web_link(digest), person, ex=ttl)
        await self.redis.sadd(keys.web_links_of(person), digest)
        await self.redis.expire(keys.web_links_of(person), ttl)
        return token

    async def use_link(self, token: str) -> Session | None:
        """The session a link starts, or None: unknown, expired, already used, or a person no longer allowed."""
        if not token or len(token) > 200:
            return None
        digest = _digest(token)
        raw = await self.redis.getdel(keys.web_link(digest))
        if raw is None:
            return None
        person = as_text(raw)
        await self.redis.srem(keys.web_links_of(person), digest)
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
        """End every session of ``person`` and void their unused links; how many sessions there were."""
        ids = [as_text(i) for i in await self.redis.smembers(keys.web_sessions_of(person))]
        for session_id in ids:
            await self.redis.delete(keys.web_session(session_id))
        for digest in await self.redis.smembers(keys.web_links_of(person)):
            await self.redis.delete(keys.web_link(as_text(digest)))
        await self.redis.delete(keys.web_sessions_of(person), keys.web_links_of(person))
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


@dataclass(frozen=True, slots=True)
class LinkIssuer:
    """Sign-in links of one console: where they point (``web.public_url``, else host and port) and for how long."""

    sessions: Sessions
    base_url: str
    announced: bool = False  # no web.public_url: the running console's own address (it announces it) wins

    async def link(self, person: str) -> str:
        """``{base_url}/login?token=…`` for ``person``; LookupError for anyone not in ``oncall.people``."""
        base = self.base_url
        if self.announced:
            address = await self.sessions.redis.get(keys.WEB_ADDRESS)
            base = as_text(address) if address else base
        return f"{base}/login?token={await self.sessions.issue_link_token(person)}"

    @property
    def ttl_seconds(self) -> int:
        return max(math.ceil(self.sessions.link_ttl), 1)


def sessions_for(config: WebSettings, redis: RedisClient) -> Sessions:
    """The sign-ins of ``config``'s console: ``oncall.people`` may sign in, for ``web.link_ttl``/``session_ttl``."""
    return Sessions(
        redis,
        {p.id for p in config.oncall.people},
        link_ttl=config.web.link_ttl.total_seconds(),
        session_ttl=config.web.session_ttl.total_seconds(),
    )


def link_issuer(config: WebSettings, redis: RedisClient) -> LinkIssuer | None:
    """Sign-in links to ``config.web.base_url()`` (what the bot's /login sends); None when the console is off."""
    if config.web.port is None:
        return None
    return LinkIssuer(sessions_for(config, redis), config.web.base_url(), announced=config.web.public_url is None)


class Passwords:
    """Optional passwords: argon2id hashes in one Redis hash, and the lockout after wrong ones."""

    def __init__(
        self,
        redis: RedisClient,
        allowed: set[str],
        *,
        hasher: PasswordHasher | None = None,
        max_wrong: int = MAX_WRONG,
        window: timedelta = WINDOW,
        lockout: timedelta = LOCKOUT,
    ) -> None:
        self.redis = redis
        self.allowed = allowed
        self.hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self.counters = FailureCounters(redis, max_wrong=max_wrong, window=window, lockout=lockout)
        self._dummy: str | None = None
        self._hashing = asyncio.Semaphore(2)  # each check takes ~64 MiB and a core for a moment

    async def set(self, person: str, password: str) -> None:
        """Store ``person``'s password (a hash of it); ValueError for a short or long one or an unknown person."""
        if person not in self.allowed:
            raise LookupError(f"unknown person {person!r} (oncall.people)")
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
        if len(password) > MAX_PASSWORD:
            raise ValueError(f"a password has at most {MAX_PASSWORD} characters")
        hashed = await asyncio.to_thread(self.hasher.hash, password)
        await self.redis.hset(keys.WEB_PASSWORDS, person, hashed)

    async def clear(self, person: str) -> bool:
        """Remove ``person``'s password; whether there was one."""
        return bool(await self.redis.hdel(keys.WEB_PASSWORDS, person))

    async def any_set(self) -> bool:
        """Whether anyone allowed has a password (the sign-in page shows the form only then)."""
        return any(as_text(p) in self.allowed for p in await self.redis.hkeys(keys.WEB_PASSWORDS))

    async def check(self, person: str, password: str) -> bool | Locked:
        """True for ``person``'s right password; False for a wrong one; ``Locked`` after too many wrong ones."""
        counter = keys.web_login_failures(secret_digest(person).hex()[:32])
        attempt = await self.counters.reserve(counter)
        if isinstance(attempt, Locked):
            return attempt
        raw = await self.redis.hget(keys.WEB_PASSWORDS, person) if person in self.allowed else None
        stored = as_text(raw) if raw is not None else None
        if await self._verify(stored, password):
            await self.counters.right(attempt)  # its owner proved it: the count starts afresh
            if stored is not None and self.hasher.check_needs_rehash(stored):  # the parameters changed since
                await self.redis.hset(keys.WEB_PASSWORDS, person, await asyncio.to_thread(self.hasher.hash, password))
            return True
        if (await self.counters.wrong(attempt))[0]:
            log.warning(
                "web_login_locked",
                person=person if person in self.allowed else "(unknown id)",
                wrong_passwords=self.counters.max_wrong,
                lockout_s=self.counters.lockout_ms // 1000,
            )
            return Locked(seconds(self.counters.lockout_ms))
        return False

    async def _verify(self, stored: str | None, password: str) -> bool:
        """Checks against a dummy hash when there is no stored one, so that the time taken tells nothing."""
        if len(password) > MAX_PASSWORD:
            return False
        if self._dummy is None:
            self._dummy = await asyncio.to_thread(self.hasher.hash, secrets.token_urlsafe(16))
        async with self._hashing:
            try:
                await asyncio.to_thread(self.hasher.verify, stored or self._dummy, password)
            except (VerificationError, InvalidHashError):
                return False
        return stored is not None


def same_csrf(session: Session, sent: str | None) -> bool:
    return bool(sent) and same_secret(session.csrf, sent)


