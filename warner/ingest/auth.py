"""Bearer tokens per source, kept only as SHA-256 digests in memory.

The registry is built once at startup from the tokens in the environment and never keeps
their plaintext: a presented token is hashed and its digest compared, in constant time,
with every known digest (no early exit, so the time does not tell which source nearly
matched). The tokens are also registered with the log redactor, which likewise keeps only
digests, so a token that ends up in a log line is printed as ``<redacted>``.

A source may have several tokens at once — while its token is rotated, the old and the new one
(``token_env`` holding ``new,old``) — so a sender can switch without a single ``401``.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence

from warner.logs import register_secrets
from warner.secret_digest import secret_digest


class TokenRegistry:
    """Maps a presented bearer token to the source it belongs to."""

    __slots__ = ("_digests",)

    def __init__(self, tokens: Mapping[str, str | Sequence[str]]) -> None:
        """``tokens`` maps source name to its token, or to its tokens while rotating; only the digests are kept."""
        pairs = [
            (token, source) for source, held in tokens.items() for token in ([held] if isinstance(held, str) else held)
        ]
        register_secrets(token for token, _ in pairs)
        self._digests: tuple[tuple[bytes, str], ...] = tuple((secret_digest(token), source) for token, source in pairs)

    def source_for(self, authorization: str | None) -> str | None:
        """The source whose token is in an ``Authorization: Bearer …`` header, or None."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        presented = secret_digest(token)
        found: str | None = None
        for known, source in self._digests:
            if hmac.compare_digest(known, presented):
                found = source
        return found

    def __len__(self) -> int:
        return len(self._digests)

    def __repr__(self) -> str:
        return f"TokenRegistry(<{len(self)} hashed token(s)>)"
