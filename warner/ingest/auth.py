"""Bearer tokens per source, kept only as SHA-256 digests in memory."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class TokenRegistry:
    """Maps a presented bearer token to the source it belongs to."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        """``tokens`` maps source name to its token."""
        self._by_digest = {digest(token): source for source, token in tokens.items()}

    def source_for(self, authorization: str | None) -> str | None:
        """The source whose token is in an ``Authorization: Bearer …`` header, or None."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        presented = digest(token.strip())
        for known, source in self._by_digest.items():
            if hmac.compare_digest(known, presented):
                return source
        return None

    def __len__(self) -> int:
        return len(self._by_digest)
