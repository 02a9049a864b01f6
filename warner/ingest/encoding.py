"""Which request bodies the API can decode, and a clear ``415`` for the rest.

aiohttp decodes ``gzip`` and ``deflate`` itself, ``br`` with the brotli package and ``zstd``
with backports.zstd (both dependencies); any other ``Content-Encoding`` it passes through
undecoded, so the body would be read as garbage. The answer names the encodings that work
and never suggests installing anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

DECODED_ENCODINGS = frozenset({"identity", "gzip", "deflate", "br", "zstd"})


@web.middleware
async def content_encoding(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """``415`` for a ``Content-Encoding`` the server cannot decode (or a chain of several)."""
    declared = request.headers.get("Content-Encoding")
    if declared is not None and declared.strip().lower() not in DECODED_ENCODINGS:
        supported = ", ".join(sorted(DECODED_ENCODINGS))
        return web.json_response(
            {"error": f"unsupported Content-Encoding {declared.strip()!r}; use one of {supported}"}, status=415
        )
    return await handler(request)
