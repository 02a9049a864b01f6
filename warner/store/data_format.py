"""The data format of warner's Redis: which stored shapes a process can read, checked at start.

Redis is warner's system of record, and processes of two versions meet in it during a rolling
upgrade and after a rollback. ``DATA_FORMAT`` is the integer this code reads and writes; the
key ``warner:{meta}:format`` holds the format of what is stored. Every process that opens
warner's Redis (``open_redis``: ``warner run`` of every role and the commands) calls
``ensure_data_format`` first:

* no key: a store without the key is format 1 (what every warner before 0.2.0 wrote), so a new
  store and a 0.1.0 store alike get the key, at ``DATA_FORMAT`` once migrated;
* the same format: go on;
* an older format: migrate (``MIGRATIONS``, one small function per step n → n+1), then write the
  new format — one process migrates, under a lease, while the others wait for it;
* a newer format: ``DataFormatTooNew``, and the process refuses to start with one line
  saying so, before it has read or written anything else.

**What a format change is**: a change of any stored shape that an older process cannot read
— a key renamed or its type changed (hash to JSON string), a field that changes meaning, a
JSON document an older reader would misread. A field that is merely added to or dropped from a
JSON document is *not* one: state is read tolerantly (``store/tolerant.py``), so an older
version ignores the new field and a newer one defaults the missing one. When a change is one,
raise ``DATA_FORMAT`` by one and register the migration from the old number: it runs before
anything else in the new version and must be idempotent (a migrator that died halfway is
taken over after its lease, and the step runs again). Rolling back past a format change needs a
backup made before the upgrade (deploy/OPERATIONS.md, "Upgrades and rollback").
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import structlog
from redis import exceptions as redis_errors
from redis.exceptions import RedisClusterException

from warner.store import keys
from warner.store.values import as_text

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

log = structlog.get_logger(__name__)

DATA_FORMAT = 1
UNVERSIONED = 1  # a store without the key: written before the key existed (warner 0.1.0)
LEASE_MS = 60_000  # a migrator that died is taken over after this; a living one renews it
WAIT_S = 0.2  # how often a process waiting for another's migration looks again

Migration = Callable[["RedisClient"], Awaitable[None]]

# The step from format n to n + 1, keyed by n. Empty while format 1 is the only one.
MIGRATIONS: dict[int, Migration] = {}

# Redis cannot answer now (down, loading, cluster moving): wait for it rather than refuse.
UNREACHABLE = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.ClusterError,
    redis_errors.TryAgainError,
    RedisClusterException,
)

# KEYS: format, lease. ARGV: token, new format, lease ms. Writes the format only while the lease
# is ours (a migrator that lost it must not write over the one who took over) and renews it.
_WRITE_IF_HOLDER = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
"""
# KEYS: lease. ARGV: token, lease ms (0 = release).
_RENEW_OR_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""


class DataFormatTooNew(Exception):
    """The stored data is of a format this warner cannot read; the message says what to do."""

    def __init__(self, where: str, found: int, readable: int, version: str) -> None:
        self.found, self.readable = found, readable
        super().__init__(
            f"the data in {where} is format {found}, this warner {version} reads up to format {readable}: "
            "upgrade warner, or restore a backup made by this version"
        )


async def stored_format(redis: RedisClient) -> int | None:
    """The format written in Redis, or None when the key is absent."""
    raw = await redis.get(keys.DATA_FORMAT)
    return None if raw is None else int(as_text(raw))


async def ensure_data_format(
    redis: RedisClient,
    where: str,
    *,
    current: int = DATA_FORMAT,
    migrations: Mapping[int, Migration] = MIGRATIONS,
    version: str | None = None,
) -> int:
    """Make the store ``current`` (set or migrate), or raise ``DataFormatTooNew``; returns the format.

    ``where`` names the store in the refusal (a URL without credentials). Raises Redis' own
    errors when it cannot be reached (``open_redis`` decides whether to wait).
    """
    if version is None:
        from warner import __version__

        version = __version__
    while True:
        found = await stored_format(redis)
        format_ = UNVERSIONED if found is None else found
        if format_ > current:
            raise DataFormatTooNew(where, format_, current, version)
        if format_ == current:
            if found is None and not await redis.set(keys.DATA_FORMAT, current, nx=True):
                continue  # someone wrote it meanwhile (maybe a newer one): look again
            if found is None:
                log.info("data_format_set", format=current)
            return current
        if await _migrate(redis, format_, current, migrations):
            continue
        await asyncio.sleep(WAIT_S)  # another process is migrating: wait until it wrote the format


async def _migrate(redis: RedisClient, found: int, current: int, migrations: Mapping[int, Migration]) -> bool:
    """Run the steps from ``found`` to ``current`` under the lease; False if another process holds it."""
    token = uuid.uuid4().hex
    if not await redis.set(keys.DATA_FORMAT_LOCK, token, nx=True, px=LEASE_MS):
        log.info("data_format_migration_waiting", found=found, current=current)
        return False
    renewing = asyncio.create_task(_renew(redis, token))
    try:
        stored = await stored_format(redis)  # under the lease: what the last holder left
        step = UNVERSIONED if stored is None else stored
        while step < current:
            migration = migrations.get(step)
            if migration is None:
                raise RuntimeError(f"no migration from data format {step} to {step + 1}")
            began = time.monotonic()
            log.info("data_format_migrating", found=step, to=step + 1)
            await migration(redis)
            written = await redis.register_script(_WRITE_IF_HOLDER)(
                keys=[keys.DATA_FORMAT, keys.DATA_FORMAT_LOCK], args=[token, step + 1, LEASE_MS]
            )
            if not written:
                raise RuntimeError(f"lost the migration lease during the step from data format {step}")
            log.info("data_format_migrated", to=step + 1, seconds=round(time.monotonic() - began, 3))
            step += 1
        return True
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
        await _lease(redis, token, 0)


async def _renew(redis: RedisClient, token: str) -> None:
    """Keep the lease while a long step runs, so nobody takes over a living migrator."""
    while True:
        await asyncio.sleep(LEASE_MS / 3000)
        await _lease(redis, token, LEASE_MS)


async def _lease(redis: RedisClient, token: str, ms: int) -> None:
    """Renew our lease for ``ms``, or release it with 0; nothing if it is no longer ours."""
    await redis.register_script(_RENEW_OR_RELEASE)(keys=[keys.DATA_FORMAT_LOCK], args=[token, ms])
