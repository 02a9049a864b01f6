"""Redis URLs warner accepts, checked without connecting (``warner check-config`` uses this too).

``redis://``, ``rediss://`` and ``unix://`` name one server; ``redis+cluster://`` and
``rediss+cluster://`` name a Redis Cluster by one or more of its nodes
(``redis+cluster://user:pass@10.0.0.1:7000,10.0.0.2:7000``) — only the first contact: the
client learns the slot map from whichever answers. What a cluster cannot do is refused
here with the reason, so a bad URL fails at start-up, not on the first command.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
DEFAULT_PORT = 6379


class RedisUrlError(ValueError):
    """A Redis URL warner cannot use; the message says why and what to write instead."""


def is_cluster_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() in CLUSTER_SCHEMES


def cluster_nodes(url: str) -> tuple[str, list[tuple[str, int]]]:
    """``(first node as a redis:// URL with its credentials and options, [(host, port), …])``.

    Raises ``RedisUrlError``: Redis Cluster has database 0 only, and no unix sockets.
    """
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # the message never repeats the URL: it may hold a password
        raise RedisUrlError(f"unreadable Redis URL ({exc}; host:port expected)") from None
    scheme = CLUSTER_SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise RedisUrlError(f"not a cluster URL (redis+cluster:// or rediss+cluster://): {parts.scheme}://…")
    credentials, _, hosts = parts.netloc.rpartition("@")
    try:
        nodes = [_node(item) for item in hosts.split(",") if item]
    except ValueError:
        raise RedisUrlError(f"bad cluster node in the Redis URL {hosts!r} (host:port expected)") from None
    if not nodes:
        raise RedisUrlError("a redis+cluster:// URL needs at least one host:port (a cluster has no unix sockets)")
    database = parts.path.strip("/")
    if database not in ("", "0"):
        raise RedisUrlError(
            f"Redis Cluster has only database 0, the URL asks for database {database!r}: "
            "drop the path, or give warner a cluster of its own"
        )
    host, port = nodes[0]
    first = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if credentials:
        first = f"{credentials}@{first}"
    return urlunsplit((scheme, first, "", parts.query, "")), nodes


def check_url(url: str) -> str:
    """``url`` if warner can use it (cluster URLs are parsed in full), else ``RedisUrlError``."""
    if is_cluster_url(url):
        cluster_nodes(url)
    return url


def _node(item: str) -> tuple[str, int]:
    """``host:port``, ``[v6]:port`` or ``host`` (port 6379)."""
    if item.startswith("["):
        host, _, rest = item[1:].partition("]")
        port = rest.removeprefix(":")
    elif item.count(":") == 1:
        host, _, port = item.partition(":")
    else:
        host, port = item, ""
    number = int(port or DEFAULT_PORT)
    if not host or not 0 < number < 65536:
        raise ValueError(item)
    return host, number


def shown_url(url: str) -> str:
    """``url`` fit for a message or a log line: scheme, hosts, port and path — never user, password or options."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{url.split('://', 1)[0]}://…"
    hosts = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, hosts, parts.path, "", ""))
