"""HMAC request signatures with a timestamp, per source: proof that a request came from the sender and is fresh.

A bearer token proves who may send; a signature additionally proves that *this* body was sent
by someone holding the signing secret, recently. A source with ``signing_secret_env`` must send::

    X-Warner-Timestamp: <unix seconds>
    X-Warner-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

(the scheme Stripe and Slack use; the body is the bytes as sent, before any Content-Encoding).
The timestamp must be within the source's ``signature_tolerance`` of now, either way, so a
captured request is useless after that window; inside it, :class:`ReplayGuard` remembers every
accepted signature in Redis, so the same request is accepted once.

While a secret is being rotated the variable holds several, comma-separated; a signature made
with any of them is valid. Every one is compared (no early exit), in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from warner.ingest.config import IngestSettings
from warner.logs import register_secrets
from warner.store import keys

if TYPE_CHECKING:
    from warner.store.connection import RedisClient

TIMESTAMP_HEADER = "X-Warner-Timestamp"
SIGNATURE_HEADER = "X-Warner-Signature"
SCHEME = "v1"

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v1=([0-9a-fA-F]{64})")


class SignatureError(Exception):
    """The request's signature is missing, malformed, stale or wrong; the message says which, for the sender."""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Warner-Signature`` value a sender puts on a request (also what the docs show)."""
    return f"{SCHEME}={_mac(secret.encode(), str(timestamp).encode(), body).hex()}"


def _mac(key: bytes, timestamp: bytes, body: bytes) -> bytes:
    mac = hmac.new(key, timestamp, hashlib.sha256)
    mac.update(b".")
    mac.update(body)
    return mac.digest()


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The signature headers of one request, checked for form and freshness but not yet against the body."""

    timestamp: str
    signature: bytes

    @property
    def hex(self) -> str:
        """Canonical (lowercase) hex: the replay guard's key, whatever case the sender used."""
        return self.signature.hex()


class SignatureVerifier:
    """Checks one source's signed requests against its secrets and its tolerance."""

    __slots__ = ("_keys", "tolerance")

    def __init__(self, secrets: Iterable[str], tolerance: timedelta) -> None:
        secrets = list(secrets)
        register_secrets(secrets)
        self._keys: tuple[bytes, ...] = tuple(s.encode() for s in secrets)
        self.tolerance = tolerance

    def check_headers(self, headers: Mapping[str, str], now_s: float) -> SignedRequest:
        """Both headers present, well formed, and the timestamp within the tolerance of ``now_s``."""
        if not self._keys:
            raise SignatureError(
                "this source must sign its requests, but no signing secret is configured on the server"
            )
        timestamp = headers.get(TIMESTAMP_HEADER)
        signature = headers.get(SIGNATURE_HEADER)
        missing = [name for name, value in ((TIMESTAMP_HEADER, timestamp), (SIGNATURE_HEADER, signature)) if not value]
        if missing or timestamp is None or signature is None:
            raise SignatureError(f"signed request required: missing header(s) {', '.join(missing)}")
        if not _TIMESTAMP.fullmatch(timestamp):
            raise SignatureError(f"malformed {TIMESTAMP_HEADER}: expected unix seconds, e.g. 1763750520")
        found = _SIGNATURE.fullmatch(signature.strip())
        if not found:
            raise SignatureError(f"malformed {SIGNATURE_HEADER}: expected v1=<64 hex digits of HMAC-SHA256>")
        age = now_s - int(timestamp)
        limit = self.tolerance.total_seconds()
        if age > limit:
            raise SignatureError(f"request timestamp is {int(age)} s old, more than the tolerance of {int(limit)} s")
        if -age > limit:
            raise SignatureError(
                f"request timestamp is {int(-age)} s in the future, more than the tolerance of {int(limit)} s"
            )
        return SignedRequest(timestamp, bytes.fromhex(found.group(1)))

    def verify(self, signed: SignedRequest, body: bytes) -> None:
        """The signature is an HMAC of ``"<timestamp>.<body>"`` under one of the secrets."""
        timestamp = signed.timestamp.encode()
        valid = False
        for key in self._keys:  # every key, no early exit
            valid |= hmac.compare_digest(_mac(key, timestamp, body), signed.signature)
        if not valid:
            raise SignatureError("signature does not match the body and timestamp")

    def __repr__(self) -> str:
        return f"SignatureVerifier(<{len(self._keys)} secret(s)>, tolerance={self.tolerance})"


def source_verifiers(config: IngestSettings) -> dict[str, SignatureVerifier]:
    """A verifier for every source that signs (one with no secret in its variable refuses everything)."""
    return {
        s.name: SignatureVerifier(secrets, s.signature_tolerance)
        for s in config.ingest.sources
        if (secrets := s.signing_secrets()) is not None
    }


class ReplayGuard:
    """Remembers accepted signatures in Redis, so a signed request is accepted once.

    A request is *claimed* (``SET NX``) before it is stored and *released* if it is then refused
    for another reason (rate limit, backlog, store), so the sender can retry the very same request.
    The mark lives twice the tolerance: long enough to outlast every moment the timestamp is valid.
    """

    __slots__ = ("_redis",)

    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def claim(self, source: str, signed: SignedRequest, tolerance: timedelta) -> bool:
        """True if this signature was not seen yet (and is now marked), False for a replay."""
        ttl_ms = max(1, int(tolerance.total_seconds() * 2000))
        return bool(await self._redis.set(keys.signature_seen(source, signed.hex), 1, nx=True, px=ttl_ms))

    async def release(self, source: str, signed: SignedRequest) -> None:
        await self._redis.delete(keys.signature_seen(source, signed.hex))
