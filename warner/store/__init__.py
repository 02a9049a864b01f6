"""Redis: connection, embedded default, key layout and the mention stream."""

from warner.store.connection import connect, open_redis
from warner.store.embedded import DataDirBusy, EmbeddedRedis, EmbeddedRedisError
from warner.store.streams import AppendResult, MentionStream, StreamEntry

__all__ = [
    "AppendResult",
    "DataDirBusy",
    "EmbeddedRedis",
    "EmbeddedRedisError",
    "MentionStream",
    "StreamEntry",
    "connect",
    "open_redis",
]
