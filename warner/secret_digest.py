"""Secrets compared as SHA-256 digests, in constant time, whatever bytes a header brought.

aiohttp decodes header bytes that are not UTF-8 as lone surrogates; a plain ``.encode()`` of
such a value raises, and a wrong header became a 500. The ``surrogatepass`` UTF-8 bytes of any
header value can be hashed, and digests (always 32 bytes) compared with ``hmac.compare_digest``
take the same time wherever two values differ. The log redactor keeps its secrets as the same
digests, so no plaintext copy is held anywhere.
"""

from __future__ import annotations

import hashlib
import hmac


def secret_digest(value: str) -> bytes:
    """SHA-256 of the value's UTF-8 bytes (lone surrogates from undecodable headers included)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def same_secret(expected: str, presented: str | None) -> bool:
    """Whether a presented header value is the expected secret; a missing one never is."""
    if presented is None:
        return False
    return hmac.compare_digest(secret_digest(expected), secret_digest(presented))
