"""One aiohttp session per HTTP channel, made when the first page goes out.

A channel is built when the pager starts, possibly before an event loop runs (``warner
check-config``, ``warner page --test`` build them too), and aiohttp wants its session made inside
the loop that uses it. So each HTTP channel (SMS gateways, calls, team-chat webhooks) keeps one
``LazySession``: made on first use, re-made if something closed it, closed with the channel.
"""

from __future__ import annotations

import aiohttp


class LazySession:
    """``session.get()`` for requests, ``await session.close()`` when the channel closes."""

    __slots__ = ("_session", "_timeout")

    def __init__(self, timeout: float) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
